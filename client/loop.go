package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goconvex/convex/client/internal/core"
	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/internal/transport"
	"github.com/goconvex/convex/internal/logging"
)

// loop is the client's event loop: the one goroutine that owns the sync
// state, the socket and the timers. Callers reach it through Client.do;
// sockets and timers reach it through events.
type loop struct {
	c      *Client
	wsURL  string
	log    logging.Logger
	core   *core.Core
	events chan event
	ctx    context.Context // ended on shutdown
	cancel context.CancelFunc
	wg     sync.WaitGroup // socket goroutines and closers
	cb     *dispatcher

	subs    map[core.QueryToken][]*subscriber // usually one per query
	pending map[uint32]*pendingCall

	sock            *socket // nil while disconnected
	sockSeq         int
	connected       bool // sock is open
	hasConnected    bool
	connectionCount uint32
	lastCloseReason *string
	lastError       string
	backoff         core.Backoff
	reconnect       *time.Timer
	reconnectSeq    int
	assembler       protocol.ChunkAssembler
	lastFrameAt     time.Time
	// fatalErrors counts the FatalErrors since the session last synced past
	// a reconnect; at maxFatalErrors the client stops for good with
	// failed set.
	fatalErrors int
	failed      *FatalError
	// ignored holds the unknown message and modification types already
	// logged (see ignoreOnce).
	ignored map[string]bool

	watchers  map[*stateWatcher]struct{}
	lastState ConnectionState

	provider     TokenProvider
	fetchTimer   *time.Timer
	fetchSeq     int
	authWatchers map[*authWatcher]struct{}
	lastAuth     AuthState

	// snapshots is set by WatchAll (snapshot.go, not in the browser build):
	// it runs after each Transition that changed a result, and when the
	// client fails. snapHub is its *snapshotHub. (Funcs rather than
	// interfaces: fewer bytes of wasm.)
	snapshots func(l *loop)
	snapHub   any
	// components is set by the first call into a component (component.go,
	// not in the browser build).
	components func(l *loop)
}

// leaveAdmin ends the calls into components before the client's identity
// stops being a deployment admin's, which they need.
func (l *loop) leaveAdmin() {
	if l.components != nil {
		l.components(l)
	}
}

type pendingCall struct {
	kind FunctionKind
	name string
	ch   chan callResult
}

type callResult struct {
	value []byte
	err   error
}

type stateWatcher struct {
	fn      func(ConnectionState)
	stopped atomic.Bool
}

func newLoop(c *Client, wsURL string, st *core.Core) *loop {
	ctx, cancel := context.WithCancel(context.Background())
	initial := "InitialConnect"
	return &loop{
		c: c, wsURL: wsURL, log: c.opts.logger, core: st,
		events: make(chan event, 64), ctx: ctx, cancel: cancel, cb: c.cb,
		subs: map[core.QueryToken][]*subscriber{}, pending: map[uint32]*pendingCall{},
		lastCloseReason: &initial, watchers: map[*stateWatcher]struct{}{}, authWatchers: map[*authWatcher]struct{}{},
	}
}

func (l *loop) run() {
	defer close(l.c.done)
	l.connect()
	for {
		select {
		case fn := <-l.c.cmds:
			fn(l)
		case ev := <-l.events:
			ev.handle(l)
		case <-l.c.quit:
			l.shutdown()
			return
		}
		l.flush()
		l.publishState()
		l.publishAuth()
	}
}

// flush sends what the sync state queued.
func (l *loop) flush() {
	msgs := l.core.TakeOutbox()
	if len(msgs) == 0 || l.sock == nil {
		return
	}
	for _, m := range msgs {
		l.sock.out.push(m.AppendJSON(nil))
	}
}

func (l *loop) shutdown() {
	l.stopReconnectTimer()
	if l.fetchTimer != nil {
		l.fetchTimer.Stop()
	}
	if l.sock != nil {
		l.dropSocket("")
	}
	l.cancel()
	for id, p := range l.pending {
		p.ch <- callResult{err: ErrClosed}
		delete(l.pending, id)
	}
	for _, set := range l.subs {
		for _, s := range set {
			s.markClosed()
		}
	}
	l.cb.close() // Close waits for the running callback, unless it is the caller
	l.wg.Wait()
}

// connect opens a new socket in the background, unless the client failed
// for good.
func (l *loop) connect() {
	if l.failed != nil {
		return
	}
	l.sockSeq++
	s := newSocket(l, l.sockSeq)
	l.sock = s
	l.connected = false
	l.wg.Add(1)
	go s.dial(l.wsURL, l.c.opts.dialTimeout)
}

// dropSocket closes the current socket (sending reason in the close frame)
// and forgets it; its goroutines end on their own.
func (l *loop) dropSocket(reason string) {
	s := l.sock
	l.sock = nil
	l.connected = false
	l.assembler.Reset()
	l.core.Closed()
	l.failLostActions()
	s.shutdown(reason)
}

// closeAndReconnect drops the socket for a reason of the client's own and
// schedules a reconnect in the quick class.
func (l *loop) closeAndReconnect(reason string, clientInitiated bool) {
	if l.sock == nil {
		return
	}
	l.lastCloseReason = &reason
	l.dropSocket(reason)
	l.scheduleReconnect(clientInitiated, "")
}

func (l *loop) scheduleReconnect(clientInitiated bool, serverReason string) {
	l.stopReconnectTimer()
	delay := l.backoff.Next(clientInitiated, serverReason, l.random())
	l.log.Info("convex: reconnecting", "in", delay.Round(time.Millisecond), "retries", l.backoff.Retries())
	l.reconnectSeq++
	seq := l.reconnectSeq
	l.reconnect = time.AfterFunc(delay, func() { l.post(reconnectDue{seq: seq}) })
}

func (l *loop) stopReconnectTimer() {
	if l.reconnect != nil {
		l.reconnect.Stop()
		l.reconnect = nil
	}
}

func (l *loop) random() float64 {
	if l.c.opts.random != nil {
		return l.c.opts.random()
	}
	return rand.Float64()
}

// post hands an event to the loop from another goroutine; it gives up when
// the client shuts down.
func (l *loop) post(ev event) {
	select {
	case l.events <- ev:
	case <-l.ctx.Done():
	}
}

func (l *loop) onOpened(s *socket) {
	l.connected = true
	l.hasConnected = true
	l.lastFrameAt = time.Now()
	l.wg.Add(2)
	go s.readLoop()
	go s.writeLoop()
	s.armInactivity(l.c.opts.inactivityThreshold)
	lost := l.core.Opened(core.ConnectMeta{
		ConnectionCount: l.connectionCount,
		LastCloseReason: l.lastCloseReason,
		ClientTS:        time.Now().UnixMilli(),
	})
	for _, done := range lost {
		l.settle(done)
	}
	l.connectionCount++
	l.lastCloseReason = nil
}

// onClosed handles the end of the current socket: a close frame, a read
// error, or a failed dial.
func (l *loop) onClosed(err error) {
	code, reason := 1006, ""
	if ce, ok := errors.AsType[*transport.CloseError](err); ok {
		code, reason = ce.Code, ce.Reason
	}
	if l.lastCloseReason == nil {
		r := reason
		if r == "" {
			r = fmt.Sprintf("closed with code %d", code)
		}
		l.lastCloseReason = &r
	}
	switch code {
	case 1000, 1001, 1005, 4040:
		l.log.Info("convex: connection closed", "code", code, "reason", reason)
	default:
		l.lastError = err.Error()
		l.log.Error("convex: connection lost", "err", err)
	}
	l.dropSocket("")
	l.scheduleReconnect(false, reason)
}

func (l *loop) onFrame(data []byte) {
	l.lastFrameAt = time.Now()
	msg, err := protocol.DecodeServerMessage(data)
	if err != nil {
		l.protocolError("MalformedServerMessage", fmt.Errorf("failed to decode server message: %w", err))
		return
	}
	if m, ok := msg.(*protocol.Unknown); ok {
		l.ignoreOnce("message", m.Type)
		return
	}
	if chunk, ok := msg.(*protocol.TransitionChunk); ok {
		t, err := l.assembler.Add(chunk)
		if err != nil {
			l.protocolError("InvalidTransitionChunk", err)
			return
		}
		if t == nil {
			return
		}
		msg = t
	} else if l.assembler.InProgress() {
		l.log.Warn("convex: discarding partial TransitionChunks", "received", fmt.Sprintf("%T", msg))
		l.assembler.Reset()
	}
	if t, ok := msg.(*protocol.Transition); ok {
		for _, typ := range t.Skipped {
			l.ignoreOnce("modification", typ)
		}
	}
	u, err := l.core.Receive(msg, time.Now())
	if err != nil {
		if fe, ok := errors.AsType[*core.FatalServerError](err); ok {
			l.onFatalError(fe)
		} else {
			l.protocolError("InvalidStartVersion", err)
		}
		return
	}
	l.apply(u)
}

// ignoreOnce notes a message or modification of a type this client does
// not know (a newer server's), which it ignores as the JS client does: at
// DEBUG, once per type (and for at most 64 types).
func (l *loop) ignoreOnce(what, typ string) {
	key := what + ":" + typ
	if l.ignored[key] || len(l.ignored) >= 64 {
		return
	}
	if l.ignored == nil {
		l.ignored = map[string]bool{}
	}
	l.ignored[key] = true
	l.log.Debug("convex: ignoring a server "+what+" of an unknown type", "type", typ)
}

// maxFatalErrors is how many FatalErrors in a row (without the session
// syncing past a reconnect in between) the client takes before it stops.
// The backend sends FatalError for a message of the client's that it
// refuses (a malformed message, a bad function path or acting-as identity,
// a query set version that does not follow; the sync worker's
// deterministic user errors, crates/local_backend/src/subs/mod.rs), then
// closes the socket. A reconnect resends the same state, so the same
// answer is likely: a few tries ride out a passing cause, and then the
// client stops instead of looping forever.
const maxFatalErrors = 3

// onFatalError handles a FatalError: it is logged at ERROR and recorded in
// the connection state; the client reconnects with backoff, and at the
// maxFatalErrors-th in a row it stops for good (fail).
func (l *loop) onFatalError(fe *core.FatalServerError) {
	l.fatalErrors++
	if l.fatalErrors >= maxFatalErrors {
		l.log.Error("convex: the deployment reported a fatal error again; the client stops", "error", fe.Message, "fatalErrors", l.fatalErrors)
		l.fail(&FatalError{Message: fe.Message})
		return
	}
	l.lastError = fe.Error()
	l.log.Error("convex: the deployment reported a fatal error; reconnecting", "error", fe.Message, "fatalErrors", l.fatalErrors, "max", maxFatalErrors)
	l.closeAndReconnect("FatalError", false)
}

// fail stops the client for good: no more sockets, every call in flight
// fails with err, every subscription gets err, and later calls fail with
// it at once. Only Close is left to do.
func (l *loop) fail(err *FatalError) {
	l.failed = err
	l.lastError = err.Error()
	l.stopReconnectTimer()
	if l.fetchTimer != nil {
		l.fetchTimer.Stop()
	}
	l.fetchSeq++ // a fetch in flight is ignored when it ends
	l.core.Abandon()
	for id, p := range l.pending {
		p.ch <- callResult{err: err}
		delete(l.pending, id)
	}
	if l.sock != nil {
		reason := "FatalError"
		l.lastCloseReason = &reason
		l.dropSocket(reason)
	}
	if l.snapshots != nil {
		l.snapshots(l)
	}
	var batch []func()
	for _, set := range l.subs {
		batch = deliverAll(batch, set, nil, err)
	}
	l.postBatch(batch)
}

// protocolError reports a violation the client recovers from by
// reconnecting, where the JS client would wedge or stop.
func (l *loop) protocolError(reason string, err error) {
	l.lastError = err.Error()
	l.log.Error("convex: reconnecting after a protocol error", "err", err)
	l.closeAndReconnect(reason, false)
}

// apply delivers what a server message changed.
func (l *loop) apply(u core.Update) {
	if len(u.Queries) > 0 {
		l.deliverQueries(u.Queries)
		if l.snapshots != nil {
			l.snapshots(l)
		}
	}
	for _, done := range u.Completed {
		l.settle(done)
	}
	if u.AuthError != nil {
		l.log.Warn("convex: the server rejected the identity", "error", u.AuthError.Error, "authUpdateAttempted", u.AuthError.AuthUpdateAttempted)
	}
	l.applyAuth(u.Auth)
	if u.SyncedPastReconnect && l.connected {
		l.backoff.Reset()
		l.fatalErrors = 0
	}
}

func (l *loop) deliverQueries(tokens []core.QueryToken) {
	var batch []func()
	for _, token := range tokens {
		set := l.subs[token]
		if len(set) == 0 {
			continue
		}
		qr, ok := l.core.Result(token)
		if !ok {
			continue
		}
		path := l.core.QueryPath(token)
		logFunctionLines(l.log, KindQuery, path, qr.LogLines)
		res, err := queryOutcome(path, qr)
		batch = deliverAll(batch, set, res, err)
	}
	l.postBatch(batch)
}

// deliverAll appends to batch the callbacks that delivering res (or err) to
// each subscriber in set calls for.
func deliverAll(batch []func(), set []*subscriber, res *Result, err error) []func() {
	for _, s := range set {
		if call := s.deliver(res, err); call != nil {
			batch = append(batch, call)
		}
	}
	return batch
}

// postBatch runs batch on the callback goroutine, in order, as one post.
func (l *loop) postBatch(batch []func()) {
	if len(batch) == 0 {
		return
	}
	l.cb.post(func() {
		for _, fn := range batch {
			fn()
		}
	})
}

func queryOutcome(path string, qr *core.QueryResult) (*Result, error) {
	if qr.Failed {
		return nil, newFunctionError(KindQuery, path, qr.ErrorMessage, qr.ErrorData, qr.LogLines)
	}
	return &Result{function: path, raw: qr.Value, LogLines: qr.LogLines}, nil
}

func (l *loop) settle(done core.Completion) {
	p, ok := l.pending[done.RequestID]
	if !ok {
		return
	}
	delete(l.pending, done.RequestID)
	o := done.Outcome
	logFunctionLines(l.log, p.kind, p.name, o.LogLines)
	if o.Success {
		p.ch <- callResult{value: o.Value}
		return
	}
	fe := newFunctionError(p.kind, p.name, o.ErrorMessage, o.ErrorData, o.LogLines)
	if o.ConnectionLost {
		fe.cause = ErrConnectionLost
	}
	p.ch <- callResult{err: fe}
}

func (l *loop) failLostActions() {
	for _, done := range l.core.ConnectionLost() {
		l.settle(done)
	}
}

func (l *loop) subscribe(s *subscriber, name string, args []byte) {
	s.token = l.core.Subscribe(name, args, "")
	l.subs[s.token] = append(l.subs[s.token], s)
	if l.failed != nil {
		if call := s.deliver(nil, l.failed); call != nil {
			l.cb.post(call)
		}
		return
	}
	if qr, ok := l.core.Result(s.token); ok {
		res, err := queryOutcome(l.core.QueryPath(s.token), qr)
		if call := s.deliver(res, err); call != nil {
			l.cb.post(call)
		}
	}
}

func (l *loop) unsubscribe(s *subscriber) {
	set := l.subs[s.token]
	i := slices.Index(set, s)
	if i < 0 {
		return
	}
	set[i] = set[len(set)-1]
	set[len(set)-1] = nil
	if set = set[:len(set)-1]; len(set) == 0 {
		delete(l.subs, s.token)
	} else {
		l.subs[s.token] = set
	}
	l.core.Unsubscribe(s.token)
}

func (l *loop) request(kind FunctionKind, name string, args []byte, ch chan callResult) {
	if l.failed != nil {
		ch <- callResult{err: l.failed}
		return
	}
	var id uint32
	if kind == KindAction {
		id = l.core.Action(name, args, "", now())
	} else {
		id = l.core.Mutation(name, args, "", now())
	}
	l.pending[id] = &pendingCall{kind: kind, name: name, ch: ch}
}

func (l *loop) connectionState() ConnectionState {
	st := l.core.Requests()
	return ConnectionState{
		IsWebSocketConnected:        l.connected,
		HasEverConnected:            l.hasConnected,
		ConnectionCount:             int(l.connectionCount),
		ConnectionRetries:           l.backoff.Retries(),
		InflightMutations:           st.InflightMutations,
		InflightActions:             st.InflightActions,
		TimeOfOldestInflightRequest: st.OldestInflight,
		LastError:                   l.lastError,
		Failed:                      l.failed != nil,
	}
}

func (l *loop) addWatcher(w *stateWatcher) {
	l.watchers[w] = struct{}{}
	st := l.connectionState()
	l.lastState = st
	l.cb.post(func() {
		if !w.stopped.Load() {
			w.fn(st)
		}
	})
}

func (l *loop) removeWatcher(w *stateWatcher) { delete(l.watchers, w) }

// publishState tells the watchers about a changed connection state.
func (l *loop) publishState() {
	if len(l.watchers) == 0 {
		return
	}
	st := l.connectionState()
	if st == l.lastState {
		return
	}
	l.lastState = st
	for w := range l.watchers {
		l.cb.post(func() {
			if !w.stopped.Load() {
				w.fn(st)
			}
		})
	}
}
