package core

import (
	"encoding/json"
	"time"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/internal/jwtclaims"
)

// The auth manager follows the JS client's AuthenticationManager
// (docs/auth.md#client-state-machine) with its flaws fixed:
//   - a provider error is transient: the state is kept and the fetch retried
//     with backoff, and the socket never stays paused or stopped for good;
//   - clearing auth cancels scheduled refetches and is transmitted even
//     during a pause;
//   - the proactive refetch leeway shrinks for short-lived tokens (a quarter
//     of the lifetime at most), so they are refreshed before they expire
//     instead of in a tight loop;
//   - a cached token that is confirmed is refreshed when it is about to
//     expire rather than at once, so a page load costs no extra token.

// Limits of the auth manager.
const (
	// AuthLeeway is how long before a token's expiry it is refetched.
	AuthLeeway = 10 * time.Second
	// maxRefreshDelay caps the refetch delay, as the JS client does.
	maxRefreshDelay = 20 * 24 * time.Hour
	// maxConfirmationAttempts bounds re-authentication after the server
	// rejects fresh tokens.
	maxConfirmationAttempts = 2
	minRefreshDelay         = time.Second
	maxFetchRetryDelay      = 30 * time.Second
)

type authPhase int

const (
	authOff        authPhase = iota // no token provider
	authFetching                    // first fetch in flight, socket paused
	authConfirming                  // token sent, waiting for the server
	authScheduled                   // confirmed; a refetch is scheduled
	authRefetching                  // scheduled refetch in flight
	authReauth                      // the server rejected the token; socket stopped
	authIdle                        // confirmed; the provider keeps returning the same token
	authSignedOut                   // the provider has no token
)

// TokenFetch asks the event loop to call the token provider after Delay and
// report the outcome with TokenFetched.
type TokenFetch struct {
	Gen   uint64
	Force bool
	Delay time.Duration
}

// AuthEffects is what the auth manager asks of the event loop.
type AuthEffects struct {
	// Fetch, when set, replaces any fetch already planned.
	Fetch *TokenFetch
	// StopSocket closes the socket without scheduling a reconnect.
	StopSocket bool
	// RestartSocket connects again at once after a StopSocket.
	RestartSocket bool
	// Completed are requests settled on the way (actions lost by a rebuild).
	Completed []Completion
}

// AuthState is the client's auth state, as useConvexAuth reports it.
type AuthState struct {
	// IsLoading is true from SetAuth until the server confirms the first
	// token or the provider reports that there is none.
	IsLoading bool
	// IsAuthenticated is true once the server confirmed a token, until
	// sign-out.
	IsAuthenticated bool
	// IsRefreshing is true while the client re-authenticates after the
	// server rejected a token of an authenticated session.
	IsRefreshing bool
}

// TokenOutcome is the result of one call to the token provider.
type TokenOutcome struct {
	Gen   uint64
	Force bool
	// Token is the JWT; empty with SignedOut or Err.
	Token string
	// SignedOut reports that the provider has no session.
	SignedOut bool
	// Err is a transient failure: the session is kept.
	Err error
}

type authManager struct {
	phase         authPhase
	gen           uint64
	token         string
	fresh         bool // the token came from a forced fetch
	everConfirmed bool // the server confirmed a token of this config
	refreshing    bool
	attempts      int
	fetchFailures int
}

func (a *authManager) fetch(force bool, delay time.Duration) *TokenFetch {
	return &TokenFetch{Gen: a.gen, Force: force, Delay: delay}
}

// StartAuth installs a token provider (docs/auth.md#client-state-machine,
// setConfig in convex-js): it pauses the client and asks for a fetch that
// may return a cached token.
func (c *Core) StartAuth() AuthEffects {
	a := &c.am
	*a = authManager{gen: a.gen + 1, phase: authFetching}
	c.Pause()
	return AuthEffects{Fetch: a.fetch(false, 0)}
}

// ClearAuth removes the token provider and the identity, cancels planned
// fetches, and ends a pause.
func (c *Core) ClearAuth() AuthEffects {
	c.am = authManager{gen: c.am.gen + 1}
	c.setAuth(nil)
	return AuthEffects{Completed: c.Resume()}
}

// SetAdminAuth presents an admin key, acting as a user when impersonating
// is a UserIdentityAttributes object. It replaces any token provider.
func (c *Core) SetAdminAuth(key string, impersonating json.RawMessage) AuthEffects {
	c.am = authManager{gen: c.am.gen + 1}
	c.setAuth(&Auth{TokenType: protocol.TokenAdmin, Value: key, Impersonating: impersonating})
	return AuthEffects{Completed: c.Resume()}
}

// AuthState returns the auth state.
func (c *Core) AuthState() AuthState {
	a := &c.am
	return AuthState{
		IsLoading:       a.phase == authFetching || (a.phase == authConfirming && !a.everConfirmed),
		IsAuthenticated: a.everConfirmed && a.phase != authOff && a.phase != authSignedOut,
		IsRefreshing:    a.refreshing && a.everConfirmed,
	}
}

// TokenFetched applies the outcome of a token fetch made at the manager's
// request at time now. Outcomes of superseded configs are ignored.
func (c *Core) TokenFetched(o TokenOutcome, now time.Time) AuthEffects {
	a := &c.am
	if o.Gen != a.gen {
		return AuthEffects{}
	}
	if o.Err != nil {
		return a.fetchFailed(o.Force)
	}
	a.fetchFailures = 0
	switch a.phase {
	case authFetching:
		if o.SignedOut || o.Token == "" {
			if !o.Force {
				// Like the JS client: no cached token, so ask once for a fresh one.
				return AuthEffects{Fetch: a.fetch(true, 0)}
			}
			return a.signOut(c)
		}
		a.token, a.fresh, a.phase = o.Token, o.Force, authConfirming
		c.setAuth(&Auth{TokenType: protocol.TokenUser, Value: o.Token})
		return AuthEffects{Completed: c.Resume()}
	case authRefetching:
		switch {
		case o.SignedOut || o.Token == "":
			c.setAuth(nil)
			return a.signOut(c)
		case o.Token == a.token:
			a.phase = authIdle
			return AuthEffects{}
		}
		a.token, a.fresh, a.phase = o.Token, true, authConfirming
		c.setAuth(&Auth{TokenType: protocol.TokenUser, Value: o.Token})
		return AuthEffects{}
	case authReauth:
		if o.SignedOut || o.Token == "" || o.Token == a.token {
			c.auth = nil
			eff := a.signOut(c)
			eff.RestartSocket = true
			return eff
		}
		a.token, a.fresh, a.phase = o.Token, true, authConfirming
		c.auth = &Auth{TokenType: protocol.TokenUser, Value: o.Token}
		return AuthEffects{RestartSocket: true}
	}
	return AuthEffects{}
}

// fetchFailed retries a failed fetch with backoff; the state stays as it is.
func (a *authManager) fetchFailed(force bool) AuthEffects {
	delay := min(500*time.Millisecond<<min(a.fetchFailures, 10), maxFetchRetryDelay)
	a.fetchFailures++
	return AuthEffects{Fetch: a.fetch(force, delay)}
}

func (a *authManager) signOut(c *Core) AuthEffects {
	a.phase, a.everConfirmed, a.refreshing, a.token = authSignedOut, false, false, ""
	return AuthEffects{Completed: c.Resume()}
}

// confirmed handles a Transition that accepted the current token.
func (a *authManager) confirmed(c *Core, now time.Time) AuthEffects {
	if a.phase != authConfirming {
		return AuthEffects{}
	}
	a.everConfirmed, a.refreshing, a.attempts = true, false, 0
	delay, ok := refetchDelay(a.token, now)
	if !ok {
		a.phase = authIdle
		return AuthEffects{}
	}
	a.phase = authScheduled
	return AuthEffects{Fetch: a.fetch(true, delay)}
}

// Refetching marks a scheduled refetch as started (the loop calls it when
// the delay of a TokenFetch in the scheduled phase ran out).
func (c *Core) Refetching(gen uint64) {
	if a := &c.am; a.gen == gen && a.phase == authScheduled {
		a.phase = authRefetching
	}
}

// authError handles an AuthError (docs/auth.md#client-state-machine, step 5;
// onAuthError in convex-js).
func (a *authManager) authError(c *Core, m *protocol.AuthError) AuthEffects {
	if !m.AuthUpdateAttempted && a.phase == authConfirming {
		return AuthEffects{} // the server closes the socket; a reconnect re-sends the token
	}
	var base uint32
	if m.BaseVersion != nil {
		base = *m.BaseVersion
	}
	if base+1 < c.identityVersion {
		return AuthEffects{} // about an older identity
	}
	switch a.phase {
	case authOff, authSignedOut, authFetching, authReauth:
		return AuthEffects{}
	}
	if a.phase == authConfirming && a.fresh && a.attempts >= maxConfirmationAttempts {
		c.auth = nil // the server is closing the socket; reconnect without auth
		return a.signOut(c)
	}
	if a.phase == authConfirming && a.fresh {
		a.attempts++
	}
	a.phase, a.refreshing = authReauth, true
	return AuthEffects{StopSocket: true, Fetch: a.fetch(true, 0)}
}

// refetchDelay is when to refetch a token confirmed at now: its lifetime
// less the leeway, or sooner when the client's clock says it expires
// earlier. Tokens without iat and exp, or living 2 s or less, are not
// refetched (as in the JS client).
func refetchDelay(token string, now time.Time) (time.Duration, bool) {
	iat, exp, ok := jwtTimes(token)
	if !ok || exp-iat <= 2 {
		return 0, false
	}
	lifetime := time.Duration(exp-iat) * time.Second
	leeway := min(AuthLeeway, lifetime/4)
	d := lifetime - leeway
	if remaining := time.Unix(exp, 0).Sub(now); remaining > 0 && remaining-leeway < d {
		d = remaining - leeway
	}
	return min(max(d, minRefreshDelay), maxRefreshDelay), true
}

// jwtTimes reads iat and exp from a JWT's payload without verifying it.
func jwtTimes(token string) (iat, exp int64, ok bool) {
	c, err := jwtclaims.Parse(token)
	if err != nil || !c.HasIat || !c.HasExp || c.Iat <= 0 || c.Exp <= 0 {
		return 0, 0, false
	}
	return int64(c.Iat), int64(c.Exp), true
}
