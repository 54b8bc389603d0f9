//go:build js && wasm

package jsbridge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/safejs"
)

// jsFunc compiles a JS function from its parameter names and body.
func jsFunc(t *testing.T, params []string, body string) Value {
	t.Helper()
	ctor, err := safejs.Global().Get("Function")
	if err != nil {
		t.Fatal(err)
	}
	args := make([]any, 0, len(params)+1)
	for _, p := range params {
		args = append(args, p)
	}
	args = append(args, body)
	f, err := ctor.New(args...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func str(t *testing.T, v Value) string {
	t.Helper()
	s, err := v.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAwaitResolved(t *testing.T) {
	p, _ := jsFunc(t, nil, "return new Promise(r => setTimeout(() => r('done'), 10))").Invoke()
	v, err := Await(ctxT(t), p)
	if err != nil || str(t, v) != "done" {
		t.Fatalf("got %v, %v", v, err)
	}
	// A plain value is returned as it is.
	n42, _ := safejs.ValueOf(42)
	v, err = Await(ctxT(t), n42)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := v.Int(); n != 42 {
		t.Fatalf("got %v", n)
	}
}

func TestAwaitRejected(t *testing.T) {
	p, _ := jsFunc(t, nil, "class LoginRequiredError extends Error { constructor(m) { super(m); this.name = 'LoginRequiredError'; this.isTransient = false } }; return Promise.reject(new LoginRequiredError('no session'))").Invoke()
	_, err := Await(ctxT(t), p)
	var je *JSError
	if !errors.As(err, &je) {
		t.Fatalf("want *JSError, got %T %v", err, err)
	}
	if je.Name != "LoginRequiredError" || je.Message != "no session" || je.Bool("isTransient") {
		t.Fatalf("got %+v", je)
	}
	if je.Error() != "js: LoginRequiredError: no session" {
		t.Fatalf("message %q", je.Error())
	}
	// A rejection with a non-Error value.
	p, _ = jsFunc(t, nil, "return Promise.reject('just a string')").Invoke()
	if _, err := Await(ctxT(t), p); err == nil || !strings.Contains(err.Error(), "just a string") {
		t.Fatalf("got %v", err)
	}
}

func TestAwaitContextEnds(t *testing.T) {
	p, _ := jsFunc(t, nil, "return new Promise(() => {})").Invoke()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Await(ctx, p); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

func TestAwaitLateSettleAfterCancel(t *testing.T) {
	// The promise settles after Await gave up: its handlers are still there
	// (no "call to released function") and nothing blocks.
	box, _ := jsFunc(t, nil, "let resolve; const p = new Promise(r => { resolve = r }); return { p, resolve }").Invoke()
	p, _ := box.Get("p")
	resolve, _ := box.Get("resolve")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Await(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if _, err := resolve.Invoke(1); err != nil {
		t.Fatal(err)
	}
	// A promise calls its handlers in the order they were added: once
	// this Await has the value, the first one's handlers have run.
	v, err := Await(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := v.Int(); err != nil || n != 1 {
		t.Fatalf("got %v, %v", n, err)
	}
}

func TestCallAsync(t *testing.T) {
	fetch := jsFunc(t, []string{"o"}, "return Promise.resolve(o.forceRefreshToken ? 'fresh' : 'cached')")
	v, err := CallAsync(ctxT(t), fetch, map[string]any{"forceRefreshToken": true})
	if err != nil || str(t, v) != "fresh" {
		t.Fatalf("got %v, %v", v, err)
	}
	throws := jsFunc(t, nil, "throw new TypeError('sync nope')")
	_, err = CallAsync(ctxT(t), throws)
	var je *JSError
	if !errors.As(err, &je) || je.Name != "TypeError" || je.Message != "sync nope" {
		t.Fatalf("got %T %v", err, err)
	}
	null := jsFunc(t, nil, "return null")
	if v, err := CallAsync(ctxT(t), null); err != nil || !v.IsNull() {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestNewPromise(t *testing.T) {
	p, err := NewPromise(func() (any, error) { return "hi", nil })
	if err != nil {
		t.Fatal(err)
	}
	if v, err := Await(ctxT(t), p); err != nil || str(t, v) != "hi" {
		t.Fatalf("got %v %v", v, err)
	}
	p, _ = NewPromise(func() (any, error) { return nil, errors.New("go said no") })
	_, err = Await(ctxT(t), p)
	var je *JSError
	if !errors.As(err, &je) || je.Name != "Error" || je.Message != "go said no" {
		t.Fatalf("got %v", err)
	}
}

func TestPanicRejectsAndRuntimeSurvives(t *testing.T) {
	p, _ := NewPromise(func() (any, error) { panic("kaboom") })
	_, err := Await(ctxT(t), p)
	if err == nil || !strings.Contains(err.Error(), "panic: kaboom") {
		t.Fatalf("got %v", err)
	}
	// A panic inside a synchronous Func comes back as an Error value.
	f, _ := Func(func(Value, []Value) (any, error) { panic("sync kaboom") })
	defer f.Release()
	r, err := f.Value().Invoke()
	if err != nil {
		t.Fatal(err)
	}
	errCtor, _ := safejs.Global().Get("Error")
	if ok, _ := r.InstanceOf(errCtor); !ok {
		t.Fatalf("want an Error, got %v", r.Type())
	}
	msg, _ := r.Get("message")
	if !strings.Contains(str(t, msg), "sync kaboom") {
		t.Fatalf("message %q", str(t, msg))
	}
	// And the runtime is still alive.
	p, _ = NewPromise(func() (any, error) { return 1, nil })
	if _, err := Await(ctxT(t), p); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncFuncCalledFromJS(t *testing.T) {
	f, err := AsyncFunc(func(args []Value) (any, error) {
		s, _ := args[0].String()
		if s == "fail" {
			return nil, errors.New("go said no")
		}
		// It runs on its own goroutine: it may wait for JS.
		p, _ := jsFunc(t, []string{"s"}, "return new Promise(r => setTimeout(() => r(s + '!'), 5))").Invoke(s)
		v, err := Await(context.Background(), p)
		if err != nil {
			return nil, err
		}
		out, _ := v.String()
		return out + ":" + "7", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	caller := jsFunc(t, []string{"f"}, "return (async () => { const a = await f('hi'); let b; try { await f('fail') } catch (e) { b = e instanceof Error ? 'Error:' + e.message : 'other' } return a + '|' + b })()")
	v, err := CallAsync(ctxT(t), caller, f)
	if err != nil || str(t, v) != "hi!:7|Error:go said no" {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestErrorValueUsesValuer(t *testing.T) {
	v := ErrorValue(valuerErr{})
	code, _ := v.Get("code")
	if str(t, code) != "E42" {
		t.Fatalf("got %v", code)
	}
}

type valuerErr struct{}

func (valuerErr) Error() string { return "custom" }
func (valuerErr) JSValue() Value {
	return NewError("custom", map[string]any{"code": "E42"})
}
