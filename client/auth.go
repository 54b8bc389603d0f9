package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/goconvex/convex/client/internal/core"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/internal/signedout"
)

// TokenProvider supplies the JWTs the client presents to the deployment: the
// Go form of the fetchAccessToken function of the JS ConvexProviderWithAuth.
type TokenProvider interface {
	// FetchToken returns a JWT. forceRefresh asks for a token other than
	// the cached one (the server rejected it, or it is about to expire).
	// ("", nil), or an error matching ErrSignedOut (or with a method
	// SignedOut() bool that returns true), means signed out; any other
	// error is transient: the client keeps the session and tries again.
	FetchToken(ctx context.Context, forceRefresh bool) (string, error)
}

// TokenProviderFunc adapts a function to a TokenProvider.
type TokenProviderFunc func(ctx context.Context, forceRefresh bool) (string, error)

// FetchToken calls f.
func (f TokenProviderFunc) FetchToken(ctx context.Context, forceRefresh bool) (string, error) {
	return f(ctx, forceRefresh)
}

// ErrSignedOut is returned by a TokenProvider (possibly wrapped) when there
// is no signed-in user. authkit's sign-out errors match it with errors.Is.
var ErrSignedOut = signedout.Err

// AuthState is the client's authentication state, as useConvexAuth reports
// it in React.
type AuthState struct {
	// IsLoading is true from SetAuth until the deployment confirms the
	// first token or the provider reports that the user is signed out.
	IsLoading bool
	// IsAuthenticated is true once the deployment accepted a token, until
	// the user is signed out. Transient provider failures do not clear it.
	IsAuthenticated bool
	// IsRefreshing is true while the client re-authenticates an
	// authenticated session after the deployment rejected its token.
	IsRefreshing bool
}

// fetchTimeout bounds one call to the token provider; a call that takes
// longer counts as a transient failure.
const fetchTimeout = 60 * time.Second

// SetAuth makes the client authenticate with tokens from p, replacing any
// previous provider or admin key. Until the first token is fetched, queries
// and mutations are held back, so that they run as the user.
//
// Where the JS client wedges or signs the user out, this client keeps the
// session: a provider error is retried with backoff; a token the server
// rejects is replaced by a forced fetch (a bounded number of times); tokens
// are refetched before they expire.
func (c *Client) SetAuth(p TokenProvider) {
	if p == nil {
		c.ClearAuth()
		return
	}
	_ = c.do(context.Background(), func(l *loop) {
		l.provider = p
		l.leaveAdmin()
		l.applyAuth(l.core.StartAuth())
	})
}

// ClearAuth signs the client out of the deployment and forgets the provider.
func (c *Client) ClearAuth() {
	_ = c.do(context.Background(), func(l *loop) {
		l.provider = nil
		l.leaveAdmin()
		l.applyAuth(l.core.ClearAuth())
	})
}

// SetAdminAuth authenticates with an admin or deploy key, acting as the user
// whose UserIdentityAttributes actingAs holds (nil for none): a map or struct
// with tokenIdentifier, or issuer and subject. The attributes the backend
// knows must have its types (strings; emailVerified and phoneNumberVerified
// booleans); other keys are custom claims. An identity the backend would
// refuse is an error, and the client's auth is left as it was.
func (c *Client) SetAdminAuth(key string, actingAs any) error {
	raw, err := encodeActingAs(actingAs)
	if err != nil {
		return err
	}
	return c.do(context.Background(), func(l *loop) {
		l.provider = nil
		if raw != nil {
			l.leaveAdmin()
		}
		l.applyAuth(l.core.SetAdminAuth(key, raw))
	})
}

// encodeActingAs encodes UserIdentityAttributes for an admin key; nil stays
// nil. An identity the backend would refuse is an error here, at once:
// over the sync protocol the backend answers it with a FatalError, over
// HTTP with 400.
func encodeActingAs(actingAs any) ([]byte, error) {
	if actingAs == nil {
		return nil, nil
	}
	b, err := values.Marshal(actingAs)
	if err != nil {
		return nil, fmt.Errorf("failed to encode acting-as identity: %w", err)
	}
	if b[0] != '{' {
		return nil, fmt.Errorf("convex: acting-as identity must be an object, not %T", actingAs)
	}
	var attrs map[string]any
	if err := values.Unmarshal(b, &attrs); err != nil {
		return nil, fmt.Errorf("failed to encode acting-as identity: %w", err)
	}
	if err := checkActingAs(attrs); err != nil {
		return nil, fmt.Errorf("convex: invalid acting-as identity: %w", err)
	}
	return b, nil
}

// identityBools are the UserIdentityAttributes that must be booleans; the
// other named attributes (identityStrings) must be strings. Either may be
// null, for absent. Any other key is a custom claim, of any type. From
// UserIdentityAttributesJson in the backend's
// crates/convex/sync_types/src/types/json.rs.
var (
	identityBools   = []string{"emailVerified", "phoneNumberVerified"}
	identityStrings = []string{
		"tokenIdentifier", "issuer", "subject", "name", "givenName", "familyName", "nickname",
		"preferredUsername", "profileUrl", "pictureUrl", "websiteUrl", "email", "gender",
		"birthday", "timezone", "language", "phoneNumber", "address", "updatedAt",
	}
)

// checkActingAs applies the backend's rules for UserIdentityAttributes
// (TryFrom<JsonValue> in crates/convex/sync_types/src/types/json.rs): the
// named attributes have their types, and the identity has a
// tokenIdentifier, or an issuer and a subject.
func checkActingAs(attrs map[string]any) error {
	for _, k := range identityStrings {
		if v := attrs[k]; v != nil {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("%q must be a string, not %s", k, convexType(v))
			}
		}
	}
	for _, k := range identityBools {
		if v := attrs[k]; v != nil {
			if _, ok := v.(bool); !ok {
				return fmt.Errorf("%q must be a boolean, not %s", k, convexType(v))
			}
		}
	}
	if attrs["tokenIdentifier"] == nil && (attrs["issuer"] == nil || attrs["subject"] == nil) {
		return errors.New(`it needs "tokenIdentifier", or "issuer" and "subject"`)
	}
	return nil
}

// convexType names the Convex type of a value decoded into any.
func convexType(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case values.Int64:
		return "an int64"
	case string:
		return "a string"
	case []byte:
		return "bytes"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// AuthState returns the authentication state.
func (c *Client) AuthState() AuthState {
	ch := make(chan AuthState, 1)
	if c.do(context.Background(), func(l *loop) { ch <- authState(l.core.AuthState()) }) != nil {
		return AuthState{}
	}
	return <-ch
}

// WatchAuth calls fn with the authentication state now and whenever it
// changes, on the client's callback goroutine. The returned function stops
// the calls.
func (c *Client) WatchAuth(fn func(AuthState)) (stop func()) {
	w := &authWatcher{fn: fn}
	if c.do(context.Background(), func(l *loop) { l.addAuthWatcher(w) }) != nil {
		return func() {}
	}
	return func() {
		w.stopped.Store(true)
		_ = c.do(context.Background(), func(l *loop) { delete(l.authWatchers, w) })
	}
}

func authState(s core.AuthState) AuthState {
	return AuthState{IsLoading: s.IsLoading, IsAuthenticated: s.IsAuthenticated, IsRefreshing: s.IsRefreshing}
}

type authWatcher struct {
	fn      func(AuthState)
	stopped atomic.Bool
}

// isSignedOut reports whether a provider error means "no user".
func isSignedOut(err error) bool {
	if errors.Is(err, ErrSignedOut) {
		return true
	}
	so, ok := errors.AsType[interface {
		error
		SignedOut() bool
	}](err)
	return ok && so.SignedOut()
}

// applyAuth carries out what the auth manager asked for.
func (l *loop) applyAuth(eff core.AuthEffects) {
	for _, done := range eff.Completed {
		l.settle(done)
	}
	if eff.StopSocket && l.sock != nil {
		l.stopReconnectTimer()
		l.dropSocket("")
	}
	if eff.RestartSocket && l.sock == nil {
		l.stopReconnectTimer()
		l.connect()
	}
	if eff.Fetch != nil {
		l.planFetch(*eff.Fetch)
	}
}

// planFetch calls the provider after the fetch's delay, in the background,
// replacing any fetch planned before.
func (l *loop) planFetch(f core.TokenFetch) {
	if l.fetchTimer != nil {
		l.fetchTimer.Stop()
	}
	l.fetchSeq++
	seq, p := l.fetchSeq, l.provider
	if p == nil || l.failed != nil {
		return
	}
	l.fetchTimer = time.AfterFunc(f.Delay, func() { l.post(fetchDue{seq: seq, fetch: f, provider: p}) })
}

type fetchDue struct {
	seq      int
	fetch    core.TokenFetch
	provider TokenProvider
}

type fetchDone struct {
	seq     int
	outcome core.TokenOutcome
}

func (e fetchDue) handle(l *loop) {
	if e.seq != l.fetchSeq {
		return
	}
	l.core.Refetching(e.fetch.Gen)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		o := core.TokenOutcome{Gen: e.fetch.Gen, Force: e.fetch.Force}
		o.Token, o.Err = callProvider(l.ctx, e.provider, e.fetch.Force)
		if o.Err != nil && isSignedOut(o.Err) {
			o.SignedOut, o.Err = true, nil
		}
		if o.Err == nil && o.Token == "" {
			o.SignedOut = true
		}
		l.post(fetchDone{seq: e.seq, outcome: o})
	}()
}

func (e fetchDone) handle(l *loop) {
	if e.seq != l.fetchSeq || l.ctx.Err() != nil {
		return
	}
	if e.outcome.Err != nil {
		l.log.Warn("convex: the token provider failed; retrying", "err", e.outcome.Err)
	}
	l.applyAuth(l.core.TokenFetched(e.outcome, time.Now()))
}

// callProvider calls p with a timeout, turning a panic into an error.
func callProvider(ctx context.Context, p TokenProvider, force bool) (token string, err error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("convex: token provider panicked: %v", r)
		}
	}()
	return p.FetchToken(ctx, force)
}

func (l *loop) addAuthWatcher(w *authWatcher) {
	l.authWatchers[w] = struct{}{}
	st := authState(l.core.AuthState())
	l.cb.post(func() {
		if !w.stopped.Load() {
			w.fn(st)
		}
	})
}

// publishAuth tells the auth watchers about a changed state.
func (l *loop) publishAuth() {
	st := authState(l.core.AuthState())
	if st == l.lastAuth {
		return
	}
	l.lastAuth = st
	for w := range l.authWatchers {
		l.cb.post(func() {
			if !w.stopped.Load() {
				w.fn(st)
			}
		})
	}
}
