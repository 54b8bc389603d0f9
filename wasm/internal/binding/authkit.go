//go:build js && wasm

package binding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hack-pad/safejs"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/wasm/internal/jsbridge"
)

// setAuthKit(getAccessToken, {isLoading, signedIn}, onState?) authenticates
// with AuthKit. The token lifecycle runs in Go: an authkit.Provider (last
// good token, single-flight fetches, forced refreshes that really refresh,
// transient failures kept apart from sign-outs, proactive refresh before
// expiry) over authkit-react's getAccessToken. isLoading and signedIn (its
// user !== null) come from authkit-react; authKitState keeps them current.
func (h *handle) setAuthKit(args []Value) (any, error) {
	fn := optArg(args, 0)
	if fn.Type() != safejs.TypeFunction {
		return nil, errors.New("setAuthKit: getAccessToken must be a function")
	}
	src := jsAuthKitSource{fn: fn, log: h.log}
	m := &authKitMode{h: h, p: authkit.NewProvider(src, authkit.ProviderConfig{ProactiveRefresh: true})}
	h.setAuthMode(nil)
	h.c.SetAuth(m.p)
	m.watch = h.watchAuthFor(optArg(args, 2))
	h.setAuthMode(m)
	m.apply(optArg(args, 1))
	return nil, nil
}

// authKitState({isLoading, signedIn}) forwards authkit-react's state to the
// current AuthKit provider.
func (h *handle) authKitState(args []Value) (any, error) {
	h.mu.Lock()
	m, ok := h.auth.(*authKitMode)
	h.mu.Unlock()
	if ok {
		m.apply(optArg(args, 0))
	}
	return nil, nil
}

// authKitMode is the AuthKit provider of one setAuthKit call.
type authKitMode struct {
	h     *handle
	p     *authkit.Provider
	watch authMode

	mu        sync.Mutex
	signedOut bool // authkit-react has no user: the client is signed out
}

// apply takes authkit-react's state: once it settled without a user the
// provider stops fetching and the client signs out; a user again resumes.
// While it is loading nothing is known, and nothing changes.
func (m *authKitMode) apply(st Value) {
	if st.Type() != safejs.TypeObject || boolProp(st, "isLoading") {
		return
	}
	signedOut := !boolProp(st, "signedIn")
	m.mu.Lock()
	changed := signedOut != m.signedOut
	m.signedOut = signedOut
	m.mu.Unlock()
	if !changed {
		return
	}
	if signedOut {
		m.p.SignOut()
		m.h.c.ClearAuth()
	} else {
		m.p.Resume()
		m.h.c.SetAuth(m.p)
	}
}

func (m *authKitMode) release() {
	if m.watch != nil {
		m.watch.release()
	}
	// Close waits for the refresh goroutine, which may be awaiting JS: never
	// on the JS turn.
	go func() { _ = m.p.Close() }()
}

// jsAuthKitSource is the authkit.TokenSource over authkit-react's
// getAccessToken({forceRefresh}). It logs its failures (the Provider does
// not log): a sign-out at INFO, anything else at WARN.
type jsAuthKitSource struct {
	fn  Value
	log *consoleLogger // nil when silent
}

func (s jsAuthKitSource) Token(ctx context.Context, force bool) (*authkit.Token, error) {
	v, err := jsbridge.CallAsync(ctx, s.fn, map[string]any{"forceRefresh": force})
	if err != nil {
		err = classifyAuthKitError(err)
		if s.log != nil {
			if errors.Is(err, authkit.ErrSignedOut) {
				s.log.Info("authkit: signed out", "err", err)
			} else {
				s.log.Warn("authkit: token fetch failed", "forced", force, "err", err)
			}
		}
		return nil, err
	}
	if v.Type() != safejs.TypeString {
		return nil, &authkit.TransientError{Err: fmt.Errorf("getAccessToken resolved with a %s, not a string", v.Type())}
	}
	raw, _ := v.String()
	if raw == "" {
		return nil, &authkit.SignedOutError{}
	}
	tok, err := authkit.ParseToken(raw)
	if err != nil {
		return nil, &authkit.TransientError{Err: err}
	}
	return tok, nil
}

// Messages authkit-js 0.20 gives its LoginRequiredError and NoSessionError.
// Those classes set no name (an instance's name is "Error"), so the message
// is what tells them apart (@workos-inc/authkit-js, src/errors.ts).
const (
	loginRequiredMessage = "No access token available"
	noSessionMessage     = "SignOut() called without an active session."
)

// classifyAuthKitError sorts a getAccessToken rejection (authkit-js 0.20):
// LoginRequiredError and NoSessionError, and a RefreshError it marks
// isTransient: false, mean the session is gone; anything else (a network
// TypeError, RefreshTimeoutError, a transient RefreshError, a cancelled
// wait) is transient and the session is kept.
func classifyAuthKitError(err error) error {
	if je, ok := errors.AsType[*jsbridge.JSError](err); ok && sessionGone(je) {
		return &authkit.SignedOutError{Err: err}
	}
	return &authkit.TransientError{Err: fmt.Errorf("getAccessToken failed: %w", err)}
}

// sessionGone reports whether a thrown authkit-js error means there is no
// session left to get a token from.
func sessionGone(je *jsbridge.JSError) bool {
	switch {
	case je.Name == "LoginRequiredError", je.Name == "NoSessionError":
		return true
	case strings.HasSuffix(je.Name, "RefreshError"):
		return isFalse(je, "isTransient")
	case je.Name == "Error":
		return je.Message == loginRequiredMessage || strings.HasPrefix(je.Message, noSessionMessage)
	}
	return false
}

// isFalse reports whether the thrown object has prop === false.
func isFalse(je *jsbridge.JSError, prop string) bool {
	if je.Value.Type() != safejs.TypeObject {
		return false
	}
	v, err := je.Value.Get(prop)
	if err != nil || v.Type() != safejs.TypeBoolean {
		return false
	}
	b, _ := v.Bool()
	return !b
}
