//go:build js && wasm

// Package binding exposes the Convex client to JavaScript: the object the
// wasm main installs as globalThis.__goconvex. The npm package (js/) wraps
// it; its TypeScript declaration is js/src/wasm_api.ts.
//
// Values cross the boundary as Convex-JSON strings, one per call or one per
// transition batch, never one JS call per field. Promise-returning methods
// reject with Error objects; synchronous methods return an Error object
// instead of throwing (Go cannot throw into JS), which the wrapper rethrows.
//
// Delivery: the client calls back on a goroutine of its own, with the
// results of one server transition in one batch. The binding queues those
// calls (results, auth state, connection state, in order) and delivers the
// queue on the next JS microtask. The Go runtime only hands control back to
// JS when every goroutine is blocked, so a transition's batch is complete by
// then: each onUpdate function gets one call per transition with every
// changed result of the subscriptions it was passed for.
package binding

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/hack-pad/safejs"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/internal/hooks"
	"github.com/goconvex/convex/wasm/internal/jsbridge"
)

// Version is the version of the binding's JS API.
const Version = "0.1.0"

type Value = safejs.Value

// Export builds the API object:
//
//	{
//	  version, clientVersion, protocolVersion,
//	  create(deploymentUrl, options?) → Handle | Error
//	}
//
// options: {logLevel?: "debug"|"info"|"warn"|"error"|"silent" (default "warn"),
// skipDeploymentUrlCheck?: boolean, log?: (level, line) => void (instead of
// the console)}. See newHandle for the Handle.
func Export() (Value, error) {
	api, err := newObject()
	if err != nil {
		return Value{}, err
	}
	create, err := jsbridge.Func(func(_ Value, args []Value) (any, error) {
		url, err := stringArg(args, 0, "deploymentUrl")
		if err != nil {
			return nil, err
		}
		var opts []client.Option
		level := "warn"
		logTo := safejs.Undefined()
		if o := optArg(args, 1); o.Type() == safejs.TypeObject {
			logTo, _ = o.Get("log")
			if s, ok := stringProp(o, "logLevel"); ok {
				level = s
			}
			if boolProp(o, "skipDeploymentUrlCheck") {
				opts = append(opts, client.WithSkipDeploymentURLCheck())
			}
		}
		logger := newConsoleLogger(level, logTo)
		if logger != nil {
			opts = append(opts, client.WithLogger(logger))
		}
		c, err := client.New(url, opts...)
		if err != nil {
			return nil, err
		}
		h, err := newHandle(c, logger)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		return h.obj, nil
	})
	if err != nil {
		return Value{}, err
	}
	for k, v := range map[string]any{
		"version":         Version,
		"clientVersion":   client.Version,
		"protocolVersion": client.ProtocolVersion,
		"create":          create,
	} {
		if err := api.Set(k, v); err != nil {
			return Value{}, err
		}
	}
	return api, nil
}

// handle is one client as JS sees it.
type handle struct {
	c   *client.Client
	obj Value
	log *consoleLogger // nil when silent

	mu       sync.Mutex
	closed   bool
	nextID   int
	subs     map[int]*subscription
	sinks    []*sink // distinct onUpdate functions
	watchers map[*watcher]struct{}
	funcs    []safejs.Func // released on close
	auth     authMode      // the current auth provider's JS side, if any
}

type subscription struct {
	id    int
	sink  *sink
	unsub func()
}

// sink is one distinct onUpdate function and the subscriptions using it.
type sink struct {
	fn   Value
	refs int
}

type watcher struct {
	fn      Value
	stop    func()
	stopped bool
	stopFn  *safejs.Func
}

// authMode is the JS side of a provider: released when replaced.
type authMode interface{ release() }

// newHandle builds the object JS holds for c:
//
//	subscribe(name, argsJSON, onUpdate) → id | Error
//	    onUpdate(batchJSON) gets, once per transition, a JSON array of
//	    {"id": id, "value": <Convex JSON>} or {"id": id, "error": {message,
//	    errorMessage, kind, function, data?: <Convex JSON>, logLines}} for
//	    each changed subscription that was given this same onUpdate function.
//	unsubscribe(id)
//	query(name, argsJSON) / mutation(…) / action(…) → Promise<string>
//	    resolves with the result as Convex JSON; rejects with an Error
//	    carrying errorMessage, kind, function, data (Convex JSON, when the
//	    function threw a ConvexError) and logLines.
//	    mutation(name, argsJSON, onSettled) also calls onSettled() once it
//	    has succeeded or failed, in the same delivery as (right after) the
//	    results of the transition that reflected it: where an optimistic
//	    update is dropped, so no render shows both it and the server's
//	    result.
//	setAuth(fetchAccessToken) where fetchAccessToken({forceRefreshToken})
//	    → Promise<string|null|undefined>: null/undefined is signed out, a
//	    rejection a transient failure (the session is kept and retried).
//	setAuthKit(getAccessToken, {isLoading, signedIn}) and
//	authKitState({isLoading, signedIn}): see authkit.go.
//	clearAuth()
//	onAuthState(cb) / onConnectionState(cb) → stop(): cb(stateJSON) now and
//	    on each change, in order with the query results.
//	authState() / connectionState() → stateJSON
//	close() → Promise<void>
func newHandle(c *client.Client, log *consoleLogger) (*handle, error) {
	obj, err := newObject()
	if err != nil {
		return nil, err
	}
	h := &handle{c: c, obj: obj, log: log, subs: map[int]*subscription{}, watchers: map[*watcher]struct{}{}}
	type method struct {
		name  string
		async bool // returns a Promise; fn runs on its own goroutine
		fn    func(args []Value) (any, error)
	}
	for _, m := range []method{
		{name: "subscribe", fn: h.subscribe},
		{name: "unsubscribe", fn: h.unsubscribe},
		{name: "setAuth", fn: h.setAuth},
		{name: "setAuthKit", fn: h.setAuthKit},
		{name: "authKitState", fn: h.authKitState},
		{name: "clearAuth", fn: h.clearAuth},
		{name: "onAuthState", fn: func(args []Value) (any, error) { return h.watch(args, false) }},
		{name: "onConnectionState", fn: func(args []Value) (any, error) { return h.watch(args, true) }},
		{name: "authState", fn: func([]Value) (any, error) { return authJSON(c.AuthState()), nil }},
		{name: "connectionState", fn: func([]Value) (any, error) { return connectionJSON(c.ConnectionState()), nil }},
		{name: "query", async: true, fn: func(args []Value) (any, error) { return h.call(args, client.KindQuery) }},
		{name: "mutation", async: true, fn: func(args []Value) (any, error) { return h.call(args, client.KindMutation) }},
		{name: "action", async: true, fn: func(args []Value) (any, error) { return h.call(args, client.KindAction) }},
		{name: "close", async: true, fn: func([]Value) (any, error) { return nil, h.close() }},
	} {
		var f safejs.Func
		if m.async {
			f, err = jsbridge.AsyncFunc(m.fn)
		} else {
			fn := m.fn
			f, err = jsbridge.Func(func(_ Value, args []Value) (any, error) {
				if h.isClosed() {
					return nil, client.ErrClosed
				}
				return fn(args)
			})
		}
		if err != nil {
			return nil, err
		}
		h.funcs = append(h.funcs, f)
		if err := obj.Set(m.name, f); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (h *handle) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func (h *handle) subscribe(args []Value) (any, error) {
	name, err := stringArg(args, 0, "name")
	if err != nil {
		return nil, err
	}
	raw, err := argsArg(args, 1)
	if err != nil {
		return nil, err
	}
	fn := optArg(args, 2)
	if fn.Type() != safejs.TypeFunction {
		return nil, errors.New("subscribe: onUpdate must be a function")
	}
	h.mu.Lock()
	h.nextID++
	id := h.nextID
	s := &subscription{id: id, sink: h.sinkFor(fn)}
	h.subs[id] = s
	h.mu.Unlock()

	unsub, err := h.c.OnUpdate(context.Background(), name, raw, func(r *client.Result, err error) {
		enqueue(delivery{h: h, sub: s, entry: updateEntry(id, r, err)})
	})
	if err != nil {
		h.mu.Lock()
		h.dropLocked(s)
		h.mu.Unlock()
		return nil, err
	}
	h.mu.Lock()
	s.unsub = unsub
	_, live := h.subs[id]
	h.mu.Unlock()
	if !live { // unsubscribed while subscribing
		unsub()
	}
	return id, nil
}

// sinkFor returns the sink of fn, adding it when new. Callers hold h.mu.
func (h *handle) sinkFor(fn Value) *sink {
	for _, s := range h.sinks {
		if s.fn.Equal(fn) {
			s.refs++
			return s
		}
	}
	s := &sink{fn: fn, refs: 1}
	h.sinks = append(h.sinks, s)
	return s
}

// dropLocked forgets s. Callers hold h.mu.
func (h *handle) dropLocked(s *subscription) {
	if _, ok := h.subs[s.id]; !ok {
		return
	}
	delete(h.subs, s.id)
	s.sink.refs--
	if s.sink.refs == 0 {
		for i, k := range h.sinks {
			if k == s.sink {
				h.sinks = append(h.sinks[:i], h.sinks[i+1:]...)
				break
			}
		}
	}
}

func (h *handle) unsubscribe(args []Value) (any, error) {
	if len(args) == 0 || args[0].Type() != safejs.TypeNumber {
		return nil, errors.New("unsubscribe: id must be a number")
	}
	n, _ := args[0].Int()
	h.mu.Lock()
	s, ok := h.subs[n]
	if ok {
		h.dropLocked(s)
	}
	h.mu.Unlock()
	if ok && s.unsub != nil {
		s.unsub()
	}
	return nil, nil
}

// call runs a query, mutation or action for a Promise (on its goroutine).
func (h *handle) call(args []Value, kind client.FunctionKind) (any, error) {
	name, err := stringArg(args, 0, "name")
	if err != nil {
		return nil, err
	}
	raw, err := argsArg(args, 1)
	if err != nil {
		return nil, err
	}
	var out values.Raw
	ctx := context.Background()
	switch kind {
	case client.KindQuery:
		err = h.c.Query(ctx, name, raw, &out)
	case client.KindMutation:
		err = h.c.Mutation(ctx, name, raw, &out)
		if onSettled := optArg(args, 2); onSettled.Type() == safejs.TypeFunction {
			// The results of the reflecting transition are queued by now;
			// the settlement goes behind them, in the same flush. (The
			// client's waitForCallbacks, unexported, through package hooks.)
			if wait := hooks.ClientWaitForCallbacks.(func(*client.Client, context.Context) error); wait(h.c, ctx) == nil {
				enqueue(delivery{h: h, settled: onSettled})
			}
		}
	default:
		err = h.c.Action(ctx, name, raw, &out)
	}
	if err != nil {
		return nil, callError{err}
	}
	if len(out) == 0 {
		return "null", nil
	}
	return string(out), nil
}

// callError rejects a call's Promise with an Error carrying the function
// failure's fields.
type callError struct{ err error }

func (e callError) Error() string { return e.err.Error() }
func (e callError) Unwrap() error { return e.err }

func (e callError) JSValue() Value {
	fe, ok := errors.AsType[*client.FunctionError](e.err)
	if !ok {
		return jsbridge.NewError(e.err.Error(), nil)
	}
	props := map[string]any{
		"errorMessage": fe.Message,
		"kind":         fe.Kind.String(),
		"function":     fe.Function,
		"logLines":     stringsToAny(fe.LogLines),
	}
	var data values.Raw
	if client.ErrorData(fe, &data) == nil {
		props["data"] = string(data)
	}
	if errors.Is(fe, client.ErrConnectionLost) {
		props["connectionLost"] = true
	}
	return jsbridge.NewError(fe.Error(), props)
}

func (h *handle) clearAuth([]Value) (any, error) {
	h.setAuthMode(nil)
	h.c.ClearAuth()
	return nil, nil
}

// setAuthMode replaces the JS side of the auth provider.
func (h *handle) setAuthMode(m authMode) {
	h.mu.Lock()
	old := h.auth
	h.auth = m
	h.mu.Unlock()
	if old != nil {
		old.release()
	}
}

func (h *handle) setAuth(args []Value) (any, error) {
	fn := optArg(args, 0)
	if fn.Type() != safejs.TypeFunction {
		return nil, errors.New("setAuth: fetchAccessToken must be a function")
	}
	h.setAuthMode(nil)
	h.c.SetAuth(jsTokenProvider{fn: fn})
	h.setAuthMode(h.watchAuthFor(optArg(args, 1)))
	return nil, nil
}

// watchAuthFor starts delivering auth states to onState (when it is a
// function) from now on: the first state delivered is the one right after
// the provider was set, and the watch stops when the provider is replaced
// or cleared, so a caller never sees a stale state of an earlier provider.
func (h *handle) watchAuthFor(onState Value) authMode {
	if onState.Type() != safejs.TypeFunction {
		return nil
	}
	w := &watcher{fn: onState}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.watchers[w] = struct{}{}
	h.mu.Unlock()
	w.stop = h.c.WatchAuth(func(st client.AuthState) {
		enqueue(delivery{h: h, w: w, state: authJSON(st)})
	})
	return authWatch{h: h, w: w}
}

// authWatch is the auth state watch of one setAuth call.
type authWatch struct {
	h *handle
	w *watcher
}

func (a authWatch) release() { a.h.stopWatcher(a.w) }

// jsTokenProvider calls a ConvexProviderWithAuth-style fetchAccessToken.
type jsTokenProvider struct{ fn Value }

func (p jsTokenProvider) FetchToken(ctx context.Context, force bool) (string, error) {
	v, err := jsbridge.CallAsync(ctx, p.fn, map[string]any{"forceRefreshToken": force})
	if err != nil {
		return "", fmt.Errorf("fetchAccessToken failed: %w", err)
	}
	switch v.Type() {
	case safejs.TypeNull, safejs.TypeUndefined:
		return "", nil // signed out
	case safejs.TypeString:
		s, _ := v.String()
		return s, nil
	}
	return "", fmt.Errorf("fetchAccessToken returned a %s, not a string or null", v.Type())
}

func (h *handle) watch(args []Value, connection bool) (any, error) {
	fn := optArg(args, 0)
	if fn.Type() != safejs.TypeFunction {
		return nil, errors.New("the state callback must be a function")
	}
	w := &watcher{fn: fn}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, client.ErrClosed
	}
	h.watchers[w] = struct{}{}
	h.mu.Unlock()
	if connection {
		w.stop = h.c.WatchConnectionState(func(st client.ConnectionState) {
			enqueue(delivery{h: h, w: w, state: connectionJSON(st)})
		})
	} else {
		w.stop = h.c.WatchAuth(func(st client.AuthState) {
			enqueue(delivery{h: h, w: w, state: authJSON(st)})
		})
	}
	stopFn, err := jsbridge.Func(func(Value, []Value) (any, error) {
		h.stopWatcher(w)
		return nil, nil
	})
	if err != nil {
		h.stopWatcher(w)
		return nil, err
	}
	h.mu.Lock()
	w.stopFn = &stopFn
	h.mu.Unlock()
	return stopFn, nil
}

func (h *handle) stopWatcher(w *watcher) {
	h.mu.Lock()
	if w.stopped {
		h.mu.Unlock()
		return
	}
	w.stopped = true
	delete(h.watchers, w)
	h.mu.Unlock()
	if w.stop != nil {
		w.stop()
	}
	// The stop function stays callable (a no-op) until the client closes:
	// JS may call it again.
}

func (h *handle) close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	auth := h.auth
	h.auth = nil
	var ws []*watcher
	for w := range h.watchers {
		w.stopped = true
		ws = append(ws, w)
	}
	h.watchers = nil
	h.subs = map[int]*subscription{}
	h.sinks = nil
	h.mu.Unlock()
	err := h.c.Close()
	if auth != nil {
		auth.release()
	}
	// The methods and the stop functions handed out are released: the JS
	// wrapper calls none of them after close.
	h.mu.Lock()
	funcs := h.funcs
	h.funcs = nil
	h.mu.Unlock()
	for _, w := range ws {
		if w.stopFn != nil {
			funcs = append(funcs, *w.stopFn)
		}
	}
	for _, f := range funcs {
		f.Release()
	}
	return err
}

// updateEntry encodes one subscription update for a batch.
func updateEntry(id int, r *client.Result, err error) []byte {
	b := make([]byte, 0, 64)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	if err != nil {
		b = append(b, `,"error":`...)
		b = appendErrorJSON(b, err)
		return append(b, '}')
	}
	b = append(b, `,"value":`...)
	if raw := r.Raw(); len(raw) > 0 {
		b = append(b, raw...)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

func appendErrorJSON(b []byte, err error) []byte {
	fe, ok := errors.AsType[*client.FunctionError](err)
	if !ok {
		b = append(b, `{"message":`...)
		b = appendString(b, err.Error())
		return append(b, '}')
	}
	b = append(b, `{"message":`...)
	b = appendString(b, fe.Error())
	b = append(b, `,"errorMessage":`...)
	b = appendString(b, fe.Message)
	b = append(b, `,"kind":`...)
	b = appendString(b, fe.Kind.String())
	b = append(b, `,"function":`...)
	b = appendString(b, fe.Function)
	var data values.Raw
	if client.ErrorData(fe, &data) == nil {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	b = append(b, `,"logLines":[`...)
	for i, l := range fe.LogLines {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, l)
	}
	return append(b, "]}"...)
}

func appendString(b []byte, s string) []byte {
	out, err := values.AppendMarshal(b, s)
	if err != nil { // invalid UTF-8 and the like: say so rather than fail
		return append(b, `"(unencodable string)"`...)
	}
	return out
}

func authJSON(st client.AuthState) string {
	return `{"isLoading":` + strconv.FormatBool(st.IsLoading) +
		`,"isAuthenticated":` + strconv.FormatBool(st.IsAuthenticated) +
		`,"isRefreshing":` + strconv.FormatBool(st.IsRefreshing) + `}`
}

func connectionJSON(st client.ConnectionState) string {
	b := []byte(`{"isWebSocketConnected":`)
	b = strconv.AppendBool(b, st.IsWebSocketConnected)
	b = append(b, `,"hasEverConnected":`...)
	b = strconv.AppendBool(b, st.HasEverConnected)
	b = append(b, `,"connectionCount":`...)
	b = strconv.AppendInt(b, int64(st.ConnectionCount), 10)
	b = append(b, `,"connectionRetries":`...)
	b = strconv.AppendInt(b, int64(st.ConnectionRetries), 10)
	b = append(b, `,"hasInflightRequests":`...)
	b = strconv.AppendBool(b, st.HasInflightRequests())
	b = append(b, `,"inflightMutations":`...)
	b = strconv.AppendInt(b, int64(st.InflightMutations), 10)
	b = append(b, `,"inflightActions":`...)
	b = strconv.AppendInt(b, int64(st.InflightActions), 10)
	b = append(b, `,"timeOfOldestInflightRequest":`...)
	if st.TimeOfOldestInflightRequest.IsZero() {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, st.TimeOfOldestInflightRequest.UnixMilli(), 10)
	}
	b = append(b, `,"lastError":`...)
	if st.LastError == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, st.LastError)
	}
	b = append(b, `,"failed":`...)
	b = strconv.AppendBool(b, st.Failed)
	return string(append(b, '}'))
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
