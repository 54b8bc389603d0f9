//go:build js && wasm

package binding

// These tests drive the API object exactly as JS does (through JS calls),
// against a native convextest started by wasm/internal/testenv. make
// test-wasm runs them under node and in Chromium.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/goconvex/convex/wasm/internal/jsbridge"
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set: run through wasm/internal/testenv (make test-wasm)", name)
	}
	return v
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func method(t *testing.T, obj Value, name string, args ...any) Value {
	t.Helper()
	v, err := obj.Call(name, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if isError(v) {
		msg, _ := v.Get("message")
		s, _ := msg.String()
		t.Fatalf("%s returned an Error: %s", name, s)
	}
	return v
}

func isError(v Value) bool {
	ctor, _ := safejs.Global().Get("Error")
	ok, _ := v.InstanceOf(ctor)
	return ok
}

func await(t *testing.T, p Value) (string, error) {
	t.Helper()
	v, err := jsbridge.Await(ctxT(t), p)
	if err != nil {
		return "", err
	}
	if v.Type() != safejs.TypeString {
		return "", fmt.Errorf("resolved with a %s", v.Type())
	}
	return v.String()
}

func newClient(t *testing.T) Value {
	t.Helper()
	api, err := Export()
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := safejs.ValueOf(map[string]any{"logLevel": "error"})
	h := method(t, api, "create", env(t, "GOCONVEX_TEST_CONVEX_URL"), opts)
	t.Cleanup(func() {
		p, err := h.Call("close")
		if err == nil {
			_, _ = jsbridge.Await(context.Background(), p)
		}
	})
	return h
}

// recorder is a JS callback that records its string argument.
type recorder struct {
	fn safejs.Func
	ch chan string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{ch: make(chan string, 100)}
	f, err := safejs.FuncOf(func(_ Value, args []Value) any {
		s, _ := args[0].String()
		r.ch <- s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.fn = f
	t.Cleanup(f.Release)
	return r
}

func (r *recorder) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-r.ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no callback within 10 s")
		return ""
	}
}

// none checks that no call arrives within d.
func (r *recorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case s := <-r.ch:
		t.Fatalf("unexpected call: %s", s)
	case <-time.After(d):
	}
}

type entry struct {
	ID    int             `json:"id"`
	Value json.RawMessage `json:"value"`
	Error *struct {
		Message      string          `json:"message"`
		ErrorMessage string          `json:"errorMessage"`
		Kind         string          `json:"kind"`
		Function     string          `json:"function"`
		Data         json.RawMessage `json:"data"`
	} `json:"error"`
}

func parseBatch(t *testing.T, s string) []entry {
	t.Helper()
	var es []entry
	if err := json.Unmarshal([]byte(s), &es); err != nil {
		t.Fatalf("batch %q: %v", s, err)
	}
	return es
}

func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()) }

func TestValuesRoundTrip(t *testing.T) {
	h := newClient(t)
	args := `{"b":{"$bytes":"AAEC"},"f":1.5,"n":{"$integer":"AAAAAAAAABA="},"s":"hé ✓"}`
	for _, m := range []string{"query", "mutation", "action"} {
		name := map[string]string{"query": "testing:echo", "mutation": "testing:echoMutation", "action": "testing:echoAction"}[m]
		got, err := await(t, method(t, h, m, name, args))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if got != args {
			t.Fatalf("%s: got %s, want %s", m, got, args)
		}
	}
	// undefined args are {}.
	if got, err := await(t, method(t, h, "query", "testing:echo")); err != nil || got != "{}" {
		t.Fatalf("got %s %v", got, err)
	}
}

func TestCallErrorsCarryFields(t *testing.T) {
	h := newClient(t)
	_, err := await(t, method(t, h, "mutation", "testing:failMutation", `{"convexError":true}`))
	var je *jsbridge.JSError
	if !errors.As(err, &je) || je.Name != "Error" {
		t.Fatalf("got %T %v", err, err)
	}
	get := func(k string) string {
		v, _ := je.Value.Get(k)
		if v.Type() != safejs.TypeString {
			return "<" + v.Type().String() + ">"
		}
		s, _ := v.String()
		return s
	}
	if get("kind") != "mutation" || get("function") != "testing:failMutation" ||
		get("data") != `{"n":{"$integer":"AwAAAAAAAAA="},"reason":"nope"}` ||
		!strings.HasPrefix(je.Message, "[CONVEX M(testing:failMutation)] ") {
		t.Fatalf("kind=%s function=%s data=%s message=%q", get("kind"), get("function"), get("data"), je.Message)
	}
	_, err = await(t, method(t, h, "query", "testing:fail", "{}"))
	if !errors.As(err, &je) || !strings.Contains(je.Message, "boom") {
		t.Fatalf("got %v", err)
	}
	if v, _ := je.Value.Get("data"); !v.IsUndefined() {
		t.Fatal("a plain error carries data")
	}
	// Bad arguments reject too.
	if _, err := await(t, method(t, h, "query", "testing:echo", "[1]")); err == nil {
		t.Fatal("array args accepted")
	}
}

func TestSubscribeBatchesOneCallPerTransition(t *testing.T) {
	h := newClient(t)
	rec := newRecorder(t)
	name := uniq("batch")
	args := fmt.Sprintf(`{"name":%q}`, name)
	id1 := method(t, h, "subscribe", "testing:counter", args, rec.fn)
	id2 := method(t, h, "subscribe", "testing:counter", args, rec.fn)
	seen := map[int]string{}
	for len(seen) < 2 {
		for _, e := range parseBatch(t, rec.next(t)) {
			seen[e.ID] = string(e.Value)
		}
	}
	a, _ := id1.Int()
	b, _ := id2.Int()
	if seen[a] != "0" || seen[b] != "0" {
		t.Fatalf("initial %v", seen)
	}
	if _, err := await(t, method(t, h, "mutation", "testing:increment", args)); err != nil {
		t.Fatal(err)
	}
	// One call, both subscriptions.
	es := parseBatch(t, rec.next(t))
	if len(es) != 2 || string(es[0].Value) != "1" || string(es[1].Value) != "1" || es[0].ID == es[1].ID {
		t.Fatalf("batch %+v", es)
	}
	rec.none(t, 100*time.Millisecond)

	// After unsubscribe the other one still updates, alone.
	method(t, h, "unsubscribe", id1)
	if _, err := await(t, method(t, h, "mutation", "testing:increment", args)); err != nil {
		t.Fatal(err)
	}
	es = parseBatch(t, rec.next(t))
	if len(es) != 1 || es[0].ID != b || string(es[0].Value) != "2" {
		t.Fatalf("batch %+v", es)
	}
}

func TestSubscriptionErrors(t *testing.T) {
	h := newClient(t)
	rec := newRecorder(t)
	method(t, h, "subscribe", "testing:fail", `{"convexError":true}`, rec.fn)
	es := parseBatch(t, rec.next(t))
	if len(es) != 1 || es[0].Error == nil {
		t.Fatalf("batch %+v", es)
	}
	e := es[0].Error
	if e.Kind != "query" || e.Function != "testing:fail" || string(e.Data) != `{"n":{"$integer":"AwAAAAAAAAA="},"reason":"nope"}` {
		t.Fatalf("error %+v", e)
	}
	// Bad input is an Error value, not a throw.
	v, err := h.Call("subscribe", "testing:echo", "{}", "not a function")
	if err != nil || !isError(v) {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestAuthCallbacks(t *testing.T) {
	h := newClient(t)
	helper := env(t, "GOCONVEX_TEST_HELPER_URL")
	auth := newRecorder(t)
	stop := method(t, h, "onAuthState", auth.fn)
	if got := auth.next(t); got != `{"isLoading":false,"isAuthenticated":false,"isRefreshing":false}` {
		t.Fatalf("initial %s", got)
	}
	// fetchAccessToken: a real JS async function, as ConvexProviderWithAuth's.
	ctor, _ := safejs.Global().Get("Function")
	fetchToken, err := ctor.New("url", "calls", `return async ({forceRefreshToken}) => { calls.push(forceRefreshToken); const r = await fetch(url); return r.text() }`)
	if err != nil {
		t.Fatal(err)
	}
	arrayCtor, _ := safejs.Global().Get("Array")
	calls, _ := arrayCtor.New()
	fn, err := fetchToken.Invoke(helper+"/token?sub=u1&name=Ada", calls)
	if err != nil {
		t.Fatal(err)
	}
	method(t, h, "setAuth", fn)
	for {
		st := auth.next(t)
		if st == `{"isLoading":false,"isAuthenticated":true,"isRefreshing":false}` {
			break
		}
		if !strings.Contains(st, `"isLoading":true`) {
			t.Fatalf("state %s", st)
		}
	}
	got, err := await(t, method(t, h, "query", "users:viewer", "{}"))
	if err != nil || !strings.Contains(got, `"name":"Ada"`) {
		t.Fatalf("viewer %s %v", got, err)
	}
	if n, _ := calls.Length(); n == 0 {
		t.Fatal("fetchAccessToken not called")
	}

	// null means signed out.
	nullFn, _ := ctor.New(`return async () => null`)
	signedOut, _ := nullFn.Invoke()
	method(t, h, "setAuth", signedOut)
	for {
		st := auth.next(t)
		if st == `{"isLoading":false,"isAuthenticated":false,"isRefreshing":false}` {
			break
		}
	}
	method(t, stop, "call")
	method(t, h, "clearAuth")
	auth.none(t, 100*time.Millisecond)
}

func TestTransientTokenFailureKeepsRetrying(t *testing.T) {
	h := newClient(t)
	helper := env(t, "GOCONVEX_TEST_HELPER_URL")
	ctor, _ := safejs.Global().Get("Function")
	// Rejects twice (a network blip), then returns a token.
	mk, _ := ctor.New("url", `let n = 0; return async () => { if (n++ < 2) throw new TypeError('Failed to fetch'); return (await fetch(url)).text() }`)
	fn, _ := mk.Invoke(helper + "/token?sub=u2&name=Bea")
	auth := newRecorder(t)
	method(t, h, "onAuthState", auth.fn)
	method(t, h, "setAuth", fn)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if auth.next(t) == `{"isLoading":false,"isAuthenticated":true,"isRefreshing":false}` {
			return
		}
	}
	t.Fatal("not authenticated after transient failures")
}

func TestConnectionStateCallback(t *testing.T) {
	h := newClient(t)
	rec := newRecorder(t)
	method(t, h, "onConnectionState", rec.fn)
	for {
		var st map[string]any
		if err := json.Unmarshal([]byte(rec.next(t)), &st); err != nil {
			t.Fatal(err)
		}
		if st["isWebSocketConnected"] == true {
			if _, ok := st["timeOfOldestInflightRequest"]; !ok {
				t.Fatalf("state %v", st)
			}
			break
		}
	}
	s := method(t, h, "connectionState")
	if str, _ := s.String(); !strings.Contains(str, `"hasEverConnected":true`) {
		t.Fatalf("connectionState() = %s", str)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	api, err := Export()
	if err != nil {
		t.Fatal(err)
	}
	h := method(t, api, "create", env(t, "GOCONVEX_TEST_CONVEX_URL"))
	rec := newRecorder(t)
	method(t, h, "subscribe", "testing:echo", "{}", rec.fn)
	rec.next(t)
	if _, err := jsbridge.Await(ctxT(t), method(t, h, "close")); err != nil {
		t.Fatal(err)
	}
	rec.none(t, 50*time.Millisecond)
	// A bad URL is an Error value from create.
	v, err := api.Call("create", "not a url")
	if err != nil || !isError(v) {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestManyClientsConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		h := newClient(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				v, err := h.Call("mutation", "testing:echoMutation", fmt.Sprintf(`{"i":%d,"j":%d}`, i, j))
				if err != nil {
					errs <- err
					return
				}
				got, err := jsbridge.Await(context.Background(), v)
				if err != nil {
					errs <- err
					return
				}
				if s, _ := got.String(); s != fmt.Sprintf(`{"i":%d,"j":%d}`, i, j) {
					errs <- fmt.Errorf("got %s", s)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestConsoleLoggerLevels(t *testing.T) {
	for level, want := range map[string]logLevel{
		"debug": levelDebug, "DEBUG": levelDebug, "info": levelInfo, "Info": levelInfo,
		"warn": levelWarn, "": levelWarn, "verbose": levelWarn, "error": levelError, "ERROR": levelError,
	} {
		l := newConsoleLogger(level, safejs.Undefined())
		if l == nil || l.min != want {
			t.Errorf("newConsoleLogger(%q) = %+v, want level %d", level, l, want)
		}
	}
	for _, level := range []string{"silent", "SILENT", "off", "none"} {
		if l := newConsoleLogger(level, safejs.Undefined()); l != nil {
			t.Errorf("newConsoleLogger(%q) = %+v, want nil (silent)", level, l)
		}
	}
}

// TestLoggerToFunction: with create's options.log, the lines from the
// logger's level up go to that function as (level, line), not the console.
func TestLoggerToFunction(t *testing.T) {
	var got []string
	fn, err := safejs.FuncOf(func(_ Value, args []Value) any {
		level, _ := args[0].String()
		line, _ := args[1].String()
		got = append(got, level+"|"+line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Release()
	l := newConsoleLogger("info", fn.Value())
	l.Debug("hidden")
	l.Info("convex: reconnecting", "in", "1s")
	l.Error("convex: connection lost", "err", "EOF")
	want := []string{"info|convex: reconnecting in=1s", "error|convex: connection lost err=EOF"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestMutationSettlesAfterItsTransition: onSettled comes once, right after
// the results of the transition that reflected the mutation, in the same
// flush (where the JS client drops optimistic updates); also on failure.
func TestMutationSettlesAfterItsTransition(t *testing.T) {
	h := newClient(t)
	rec := newRecorder(t)
	settled, err := safejs.FuncOf(func(Value, []Value) any {
		rec.ch <- "settled"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(settled.Release)
	args := fmt.Sprintf(`{"name":%q}`, uniq("settle"))
	method(t, h, "subscribe", "testing:counter", args, rec.fn)
	if es := parseBatch(t, rec.next(t)); len(es) != 1 || string(es[0].Value) != "0" {
		t.Fatalf("initial %+v", es)
	}
	for want := 1; want <= 3; want++ {
		if _, err := await(t, method(t, h, "mutation", "testing:increment", args, settled)); err != nil {
			t.Fatal(err)
		}
		if es := parseBatch(t, rec.next(t)); len(es) != 1 || string(es[0].Value) != fmt.Sprint(want) {
			t.Fatalf("update %d: %+v", want, es)
		}
		if got := rec.next(t); got != "settled" {
			t.Fatalf("after update %d: %q, want settled", want, got)
		}
	}
	if _, err := await(t, method(t, h, "mutation", "testing:failMutation", `{}`, settled)); err == nil {
		t.Fatal("testing:failMutation succeeded")
	}
	if got := rec.next(t); got != "settled" {
		t.Fatalf("after a failure: %q, want settled", got)
	}
	rec.none(t, 100*time.Millisecond)
}

// TestBadFunctionPathFailsAtOnce: a path the backend would refuse (its
// udfPath parser: crates/convex/sync_types/src/udf_path.rs) fails the call
// in the binding at once, with the rule in the message; nothing is sent.
func TestBadFunctionPathFailsAtOnce(t *testing.T) {
	h := newClient(t)
	r := newRecorder(t)
	v, err := h.Call("subscribe", "testing:1bad", "{}", r.fn)
	if err != nil || !isError(v) {
		t.Fatalf("subscribe returned %v %v, want an Error", v, err)
	}
	msg, _ := v.Get("message")
	if s, _ := msg.String(); !strings.Contains(s, `testing:1bad is not a valid path to a Convex function. Function name "1bad" must start with a letter or an underscore.`) {
		t.Fatalf("subscribe: %q", s)
	}
	for _, m := range []string{"query", "mutation", "action"} {
		_, err := await(t, method(t, h, m, "/testing:echo", "{}"))
		if err == nil || !strings.Contains(err.Error(), "/testing:echo is not a valid path to a Convex function. Module paths must be relative.") {
			t.Fatalf("%s: %v", m, err)
		}
	}
	st, _ := method(t, h, "connectionState").String()
	if !strings.Contains(st, `"inflightMutations":0,"inflightActions":0`) || !strings.Contains(st, `"failed":false`) {
		t.Fatalf("connection state %s", st)
	}
}
