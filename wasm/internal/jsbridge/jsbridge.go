//go:build js && wasm

// Package jsbridge is the small layer between Go and JavaScript that safejs
// leaves out: Promises in both directions and panic-safe exported functions.
//
//   - Await waits for a JS promise (or any value) with a context.
//   - NewPromise and AsyncFunc run Go on a goroutine of its own and settle a
//     JS Promise with the outcome.
//   - Func wraps a synchronous Go function for JS.
//
// In all of them a Go panic becomes a rejected Promise or a returned JS
// Error: it never reaches syscall/js, where it would kill the Go runtime
// and leave the page with "Go program has already exited".
//
// The rule of syscall/js still holds: a Go function called by JS runs on
// the JS event loop's turn, so it must not block on anything only JS can
// deliver. Await and CallAsync must therefore not be called from Func
// callbacks; AsyncFunc runs its body on a fresh goroutine for that reason.
package jsbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/hack-pad/safejs"
)

// Value is a JavaScript value.
type Value = safejs.Value

// JSError is a JavaScript value a promise rejected with or a function threw.
type JSError struct {
	// Value is the thrown value itself.
	Value Value
	// Name and Message are the error's name and message when it is an
	// object with those properties ("Error", "TypeError", a custom class).
	Name    string
	Message string
}

func (e *JSError) Error() string {
	switch {
	case e.Name != "" && e.Message != "":
		return "js: " + e.Name + ": " + e.Message
	case e.Message != "":
		return "js: " + e.Message
	case e.Name != "":
		return "js: " + e.Name
	}
	return "js: " + describe(e.Value)
}

// Bool reads a boolean property of the thrown value (false when absent).
func (e *JSError) Bool(prop string) bool {
	if e.Value.Type() != safejs.TypeObject {
		return false
	}
	v, err := e.Value.Get(prop)
	if err != nil {
		return false
	}
	b, _ := v.Truthy()
	return b
}

// newJSError describes a thrown or rejected value.
func newJSError(v Value) *JSError {
	e := &JSError{Value: v}
	if v.Type() == safejs.TypeObject {
		e.Name = stringProp(v, "name")
		e.Message = stringProp(v, "message")
	}
	if e.Name == "" && e.Message == "" && v.Type() == safejs.TypeString {
		e.Message, _ = v.String()
	}
	return e
}

func stringProp(v Value, prop string) string {
	p, err := v.Get(prop)
	if err != nil || p.Type() != safejs.TypeString {
		return ""
	}
	s, _ := p.String()
	return s
}

func describe(v Value) string {
	if v.Type() == safejs.TypeString {
		s, _ := v.String()
		return s
	}
	return v.Type().String()
}

// Valuer is an error that chooses the JS value it rejects or returns as.
type Valuer interface {
	JSValue() Value
}

// ErrorValue turns err into a JS value: the error's own JSValue when it
// has one, the thrown value for a *JSError, else a new Error(err.Error()).
func ErrorValue(err error) Value {
	if v, ok := errors.AsType[interface {
		error
		Valuer
	}](err); ok {
		return v.JSValue()
	}
	if je, ok := errors.AsType[*JSError](err); ok {
		return je.Value
	}
	return NewError(err.Error(), nil)
}

// NewError returns new Error(message) with props set on it. Property values
// are converted as safejs.ValueOf converts them.
func NewError(message string, props map[string]any) Value {
	ctor, err := safejs.Global().Get("Error")
	if err != nil {
		return safejs.Null()
	}
	e, err := ctor.New(message)
	if err != nil {
		return safejs.Null()
	}
	for k, p := range props {
		_ = e.Set(k, p)
	}
	return e
}

// catch runs fn, turning a panic into an error.
func catch[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// Await waits for v to settle when it is a promise (or any thenable) and
// returns its value; a plain value is returned as it is. A rejection is a
// *JSError. When ctx ends first Await returns ctx.Err(); the handlers it
// attached release themselves once the promise settles.
//
// Await must not be called on the goroutine serving a JS callback.
func Await(ctx context.Context, v Value) (Value, error) {
	promise, err := safejs.Global().Get("Promise")
	if err != nil {
		return Value{}, err
	}
	p, err := promise.Call("resolve", v)
	if err != nil {
		return Value{}, newJSErrorFrom(err)
	}
	type outcome struct {
		v   Value
		err error
	}
	ch := make(chan outcome, 1) // a late settle never blocks the JS turn
	var once sync.Once
	var onOK, onErr safejs.Func
	release := func() {
		once.Do(func() {
			onOK.Release()
			onErr.Release()
		})
	}
	onOK, err = safejs.FuncOf(func(_ Value, args []Value) any {
		ch <- outcome{v: arg(args, 0)}
		release()
		return nil
	})
	if err != nil {
		return Value{}, err
	}
	onErr, err = safejs.FuncOf(func(_ Value, args []Value) any {
		ch <- outcome{err: newJSError(arg(args, 0))}
		release()
		return nil
	})
	if err != nil {
		onOK.Release()
		return Value{}, err
	}
	if _, err := p.Call("then", onOK, onErr); err != nil {
		release()
		return Value{}, newJSErrorFrom(err)
	}
	select {
	case o := <-ch:
		return o.v, o.err
	case <-ctx.Done():
		return Value{}, ctx.Err()
	}
}

// CallAsync calls the JS function fn with args and awaits its result: a
// synchronous throw and a rejection both come back as a *JSError.
//
// CallAsync must not be called on the goroutine serving a JS callback.
func CallAsync(ctx context.Context, fn Value, args ...any) (Value, error) {
	r, err := fn.Invoke(args...)
	if err != nil {
		return Value{}, newJSErrorFrom(err)
	}
	return Await(ctx, r)
}

// newJSErrorFrom turns an error of safejs (a JS exception it caught) into a
// *JSError carrying the thrown value when there is one.
func newJSErrorFrom(err error) error {
	if _, ok := errors.AsType[*JSError](err); ok {
		return err
	}
	if thrown, ok := errors.AsType[js.Error](err); ok {
		return newJSError(safejs.Safe(thrown.Value))
	}
	return &JSError{Message: err.Error(), Value: safejs.Null()}
}

func arg(args []Value, i int) Value {
	if i < len(args) {
		return args[i]
	}
	return safejs.Undefined()
}

// NewPromise returns a JS Promise settled by fn, which runs on a goroutine
// of its own: resolved with fn's value, or rejected with ErrorValue(err).
// A panic in fn rejects the promise with an Error "panic: …".
func NewPromise(fn func() (any, error)) (Value, error) {
	promise, err := safejs.Global().Get("Promise")
	if err != nil {
		return Value{}, err
	}
	var resolve, reject Value
	// The executor runs synchronously inside the Promise constructor, so it
	// can be released right after.
	executor, err := safejs.FuncOf(func(_ Value, args []Value) any {
		resolve, reject = arg(args, 0), arg(args, 1)
		return nil
	})
	if err != nil {
		return Value{}, err
	}
	p, err := promise.New(executor)
	executor.Release()
	if err != nil {
		return Value{}, err
	}
	go func() {
		v, err := catch(fn)
		if err != nil {
			_, _ = reject.Invoke(ErrorValue(err))
			return
		}
		if _, err := resolve.Invoke(v); err != nil {
			// v could not be converted to JS: reject instead.
			_, _ = reject.Invoke(NewError(fmt.Sprintf("failed to return a %T to JavaScript: %v", v, err), nil))
		}
	}()
	return p, nil
}

// AsyncFunc wraps fn as a JS function that returns a Promise of fn's
// outcome; fn runs on a goroutine of its own, so it may block and Await.
// The caller owns the returned Func and must Release it when done.
func AsyncFunc(fn func(args []Value) (any, error)) (safejs.Func, error) {
	return safejs.FuncOf(func(_ Value, args []Value) any {
		p, err := NewPromise(func() (any, error) { return fn(args) })
		if err != nil {
			return NewError("goconvex: failed to create a promise: "+err.Error(), nil)
		}
		return p
	})
}

// Func wraps a synchronous fn as a JS function. fn runs on the JS turn and
// must not block. Its value is returned to JS; an error or a panic is
// returned (not thrown: Go cannot throw into JS) as a JS Error value, which
// callers check with instanceof Error. The caller owns the returned Func.
func Func(fn func(this Value, args []Value) (any, error)) (safejs.Func, error) {
	return safejs.FuncOf(func(this Value, args []Value) any {
		v, err := catch(func() (any, error) { return fn(this, args) })
		if err != nil {
			return ErrorValue(err)
		}
		return v
	})
}

// Go runs fn on a new goroutine, logging instead of crashing on a panic.
func Go(fn func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				Log("error", fmt.Sprintf("goconvex: panic in background goroutine: %v", r))
			}
		}()
		fn()
	}()
}

// Log writes msg to the JS console at level ("error", "warn", "info",
// "debug", anything else is "log").
func Log(level, msg string) {
	console, err := safejs.Global().Get("console")
	if err != nil || console.Type() != safejs.TypeObject {
		return
	}
	switch level {
	case "error", "warn", "info", "debug":
	default:
		level = "log"
	}
	_, _ = console.Call(level, msg)
}
