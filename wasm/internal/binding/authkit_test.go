//go:build js && wasm

package binding

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/goconvex/convex/authkit"
)

// jsFn compiles `function(params…) { body }` and calls it with args,
// returning what it returns (a JS function, usually).
func jsFn(t *testing.T, params []string, body string, args ...any) Value {
	t.Helper()
	ctor, _ := safejs.Global().Get("Function")
	cargs := make([]any, 0, len(params)+1)
	for _, p := range params {
		cargs = append(cargs, p)
	}
	f, err := ctor.New(append(cargs, body)...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Invoke(args...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func state(t *testing.T, m map[string]any) Value {
	v, err := safejs.ValueOf(m)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func waitAuth(t *testing.T, rec *recorder, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if rec.next(t) == want {
			return
		}
	}
	t.Fatalf("auth state never became %s", want)
}

const (
	stateIn  = `{"isLoading":false,"isAuthenticated":true,"isRefreshing":false}`
	stateOut = `{"isLoading":false,"isAuthenticated":false,"isRefreshing":false}`
)

func TestAuthKitProviderSignsInAndOut(t *testing.T) {
	h := newClient(t)
	helper := env(t, "GOCONVEX_TEST_HELPER_URL")
	calls := jsFn(t, nil, "return []")
	getAccessToken := jsFn(t, []string{"url", "calls"},
		"return async (o) => { calls.push(!!(o && o.forceRefresh)); return (await fetch(url)).text() }",
		helper+"/token?sub=user_kit&name=Kit", calls)
	rec := newRecorder(t)
	method(t, h, "setAuthKit", getAccessToken, state(t, map[string]any{"isLoading": false, "signedIn": true}), rec.fn)
	waitAuth(t, rec, stateIn)
	got, err := await(t, method(t, h, "query", "users:viewer", "{}"))
	if err != nil || !strings.Contains(got, `"name":"Kit"`) {
		t.Fatalf("viewer %s %v", got, err)
	}
	if n, _ := calls.Length(); n == 0 {
		t.Fatal("getAccessToken never called")
	}
	// authkit-react's user went away: the Go provider signs the client out.
	method(t, h, "authKitState", state(t, map[string]any{"isLoading": false, "signedIn": false}))
	waitAuth(t, rec, stateOut)
	got, err = await(t, method(t, h, "query", "users:viewer", "{}"))
	if err != nil || got != "null" {
		t.Fatalf("viewer after sign-out %s %v", got, err)
	}
	method(t, h, "clearAuth")
}

func TestAuthKitLoginRequiredSignsOut(t *testing.T) {
	h := newClient(t)
	getAccessToken := jsFn(t, nil, `class LoginRequiredError extends Error { constructor(m) { super(m); this.name = "LoginRequiredError" } }
		return async () => { throw new LoginRequiredError("No access token available") }`)
	rec := newRecorder(t)
	method(t, h, "setAuthKit", getAccessToken, state(t, map[string]any{"isLoading": false, "signedIn": true}), rec.fn)
	waitAuth(t, rec, stateOut)
}

func TestClassifyAuthKitErrors(t *testing.T) {
	for _, tc := range []struct {
		throw     string
		signedOut bool
	}{
		{`class LoginRequiredError extends Error { constructor() { super("x"); this.name = "LoginRequiredError" } }; throw new LoginRequiredError()`, true},
		{`class NoSessionError extends Error { constructor() { super("x"); this.name = "NoSessionError" } }; throw new NoSessionError()`, true},
		{`const e = new Error("invalid_grant"); e.name = "RefreshError"; e.isTransient = false; throw e`, true},
		{`const e = new Error("503"); e.name = "RefreshError"; e.isTransient = true; throw e`, false},
		{`const e = new Error("lock"); e.name = "RefreshTimeoutError"; e.isTransient = true; throw e`, false},
		// authkit-js 0.20.3's own classes set no name: an instance's name is
		// "Error", its message fixed (@workos-inc/authkit-js dist, src/errors.ts).
		{`class AuthKitError extends Error {}; class LoginRequiredError extends AuthKitError { constructor() { super(...arguments); this.message = "No access token available" } }; throw new LoginRequiredError()`, true},
		{`class AuthKitError extends Error {}; class NoSessionError extends AuthKitError { constructor() { super(...arguments); this.message = "SignOut() called without an active session. Provide a returnTo URL to redirect anyway." } }; throw new NoSessionError()`, true},
		{`throw new Error("something else")`, false},
		{`throw new TypeError("Failed to fetch")`, false},
		{`throw "a string"`, false},
	} {
		fn := jsFn(t, nil, "return async () => { "+tc.throw+" }")
		_, err := jsAuthKitSource{fn: fn}.Token(context.Background(), false)
		if got := errors.Is(err, authkit.ErrSignedOut); got != tc.signedOut {
			t.Errorf("%s: signed out = %v (%v)", tc.throw, got, err)
		}
		if !tc.signedOut && !errors.Is(err, authkit.ErrTransient) {
			t.Errorf("%s: not transient: %v", tc.throw, err)
		}
	}
	// A resolved token is parsed; a malformed one is transient.
	bad := jsFn(t, nil, `return async () => "not.a.jwt"`)
	if _, err := (jsAuthKitSource{fn: bad}).Token(context.Background(), true); !errors.Is(err, authkit.ErrTransient) {
		t.Errorf("malformed token: %v", err)
	}
}
