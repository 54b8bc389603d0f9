//go:build js

package client_test

// The client under GOOS=js GOARCH=wasm, over the browser WebSocket
// transport, against a native convextest started by wasm/internal/testenv
// (make test-wasm runs these in node and in Chromium). The other tests of
// this package start servers in-process, which a browser WebSocket cannot
// reach: the lane runs only TestJS*.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
)

func jsEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set: run through wasm/internal/testenv (make test-wasm)", name)
	}
	return v
}

func jsClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(jsEnv(t, "GOCONVEX_TEST_CONVEX_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func jsCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// jsFetch GETs url with the JS fetch (Go's net/http is a fake network under
// node) and returns the body text.
func jsFetch(ctx context.Context, url string) (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	var then, fail, text js.Func
	fail = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- res{err: fmt.Errorf("fetch %s: %s", url, args[0].Call("toString").String())}
		return nil
	})
	text = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- res{s: args[0].String()}
		return nil
	})
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		return args[0].Call("text").Call("then", text, fail)
	})
	defer func() { then.Release(); fail.Release(); text.Release() }()
	js.Global().Call("fetch", url).Call("then", then).Call("catch", fail)
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func TestJSQueryMutationAction(t *testing.T) {
	c := jsClient(t)
	ctx := jsCtx(t)
	args := client.Args{"s": "hé", "n": values.Int64(1 << 60), "b": []byte{0, 1, 2}, "f": 1.5}
	var q, m, a values.Raw
	if err := c.Query(ctx, "testing:echo", args, &q); err != nil {
		t.Fatal(err)
	}
	if err := c.Mutation(ctx, "testing:echoMutation", args, &m); err != nil {
		t.Fatal(err)
	}
	if err := c.Action(ctx, "testing:echoAction", args, &a); err != nil {
		t.Fatal(err)
	}
	if string(q) != string(m) || string(q) != string(a) {
		t.Fatalf("results differ: %s %s %s", q, m, a)
	}
	var back map[string]any
	if err := values.Unmarshal(q, &back); err != nil {
		t.Fatal(err)
	}
	if back["n"] != values.Int64(1<<60) || back["s"] != "hé" || string(back["b"].([]byte)) != "\x00\x01\x02" {
		t.Fatalf("round trip: %v", back)
	}
}

func TestJSFunctionErrors(t *testing.T) {
	c := jsClient(t)
	ctx := jsCtx(t)
	err := c.Mutation(ctx, "testing:failMutation", client.Args{"convexError": true}, nil)
	var fe *client.FunctionError
	if !errors.As(err, &fe) || fe.Kind != client.KindMutation || !fe.IsConvexError() {
		t.Fatalf("got %v", err)
	}
	var data struct {
		Reason string       `json:"reason"`
		N      values.Int64 `json:"n"`
	}
	if err := client.ErrorData(err, &data); err != nil || data.Reason != "nope" || data.N != 3 {
		t.Fatalf("data %+v, %v", data, err)
	}
	err = c.Query(ctx, "testing:fail", nil, nil)
	if !errors.As(err, &fe) || fe.Kind != client.KindQuery || fe.IsConvexError() {
		t.Fatalf("got %v", err)
	}
}

func TestJSSubscriptionFollowsMutations(t *testing.T) {
	c := jsClient(t)
	ctx := jsCtx(t)
	name := fmt.Sprintf("js-sub-%d", time.Now().UnixNano())
	sub, err := c.Subscribe(ctx, "testing:counter", client.Args{"name": name})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for want := 0.0; want <= 3; want++ {
		res, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var v float64
		if err := res.Decode(&v); err != nil || v != want {
			t.Fatalf("got %v (%v), want %v", v, err, want)
		}
		if want < 3 {
			if err := c.Mutation(ctx, "testing:increment", client.Args{"name": name}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestJSOnUpdateCallbacks(t *testing.T) {
	c := jsClient(t)
	ctx := jsCtx(t)
	name := fmt.Sprintf("js-batch-%d", time.Now().UnixNano())
	got := make(chan float64, 16)
	for range 2 {
		stop, err := c.OnUpdate(ctx, "testing:counter", client.Args{"name": name}, func(r *client.Result, err error) {
			var v float64
			if err == nil {
				_ = r.Decode(&v)
			}
			got <- v
		})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
	}
	for range 2 {
		<-got
	}
	if err := c.Mutation(ctx, "testing:increment", client.Args{"name": name}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if v := <-got; v != 1 {
			t.Fatalf("got %v", v)
		}
	}
}

func TestJSAuthWithTokens(t *testing.T) {
	helper := jsEnv(t, "GOCONVEX_TEST_HELPER_URL")
	c := jsClient(t)
	ctx := jsCtx(t)
	var fetches atomic.Int32
	c.SetAuth(client.TokenProviderFunc(func(ctx context.Context, force bool) (string, error) {
		fetches.Add(1)
		return jsFetch(ctx, helper+"/token?sub=wasm_user&name=Wasm%20User&ttl=600")
	}))
	var viewer map[string]any
	if err := c.Query(ctx, "users:viewer", nil, &viewer); err != nil {
		t.Fatal(err)
	}
	if viewer["name"] != "Wasm User" {
		t.Fatalf("viewer %v", viewer)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := c.AuthState(); !st.IsAuthenticated || st.IsLoading; st = c.AuthState() {
		if time.Now().After(deadline) {
			t.Fatalf("auth state %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if fetches.Load() == 0 {
		t.Fatal("the provider was not asked for a token")
	}
	c.ClearAuth()
	// Signed out: the chat's send refuses with a ConvexError.
	err := c.Mutation(ctx, "messages:send", client.Args{"body": "hi"}, nil)
	var fe *client.FunctionError
	if !errors.As(err, &fe) || !fe.IsConvexError() {
		t.Fatalf("send while signed out: %v", err)
	}
}

func TestJSReconnectsAfterDrop(t *testing.T) {
	helper := jsEnv(t, "GOCONVEX_TEST_HELPER_URL")
	c := jsClient(t)
	ctx := jsCtx(t)
	if err := c.Query(ctx, "testing:echo", nil, nil); err != nil {
		t.Fatal(err)
	}
	before := c.ConnectionState().ConnectionCount
	if _, err := jsFetch(ctx, helper+"/control/drop?code=4000&reason=test%20drop"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for st := c.ConnectionState(); st.ConnectionCount <= before || !st.IsWebSocketConnected; st = c.ConnectionState() {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Mutation(ctx, "testing:echoMutation", nil, nil); err != nil {
		t.Fatal(err)
	}
}
