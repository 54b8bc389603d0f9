package authkit

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Provider turns a TokenSource into the token provider of a Convex client:
// the Go port of @convex-dev/workos's ConvexProviderWithAuthKit bridge
// (useAuthFromAuthKit), without its flaws (docs/auth.md, "Provider"). Its
// FetchToken method has the shape of client.TokenProvider, and of the
// fetchAccessToken function of ConvexProviderWithAuth.
//
// The source is a workos.Session or workos.ClientCredentialsSource in
// native programs, and authkit-js's getAccessToken (through the wasm
// bridge) in browsers.
//
//   - It holds the last good token and hands it out while it is fresh,
//     without calling the source.
//   - Concurrent fetches share one call to the source.
//   - forceRefresh is honoured: a forced fetch returns a token different
//     from the one last handed out, or an error; never the same string
//     (Convex would take that as "no new token" and stop refreshing, or
//     sign the user out).
//   - Transient failures are retried with backoff and never reported as a
//     sign-out: FetchToken returns an error matching ErrTransient, so the
//     Convex client keeps the session and tries again, or, when the fetch
//     is not forced and the last good token has not expired, that token.
//   - A sign-out reported by the source (an error matching ErrSignedOut)
//     drops the token, makes FetchToken return ("", err) with err matching
//     ErrSignedOut, and calls ProviderConfig.OnSignedOut.
//   - State reports IsLoading and IsAuthenticated with stable meanings (see
//     ProviderState); Watch reports their changes.
//   - With ProviderConfig.ProactiveRefresh a goroutine refreshes the token
//     before it expires, so a Convex client never presents an expired one;
//     Close stops it.
//
// The Provider does not log: State and Watch report every failure
// (LastError), and the source logs its own requests.
//
// A Provider is safe for concurrent use.
type Provider struct {
	src TokenSource
	cfg ProviderConfig
	h   providerHooks

	mu         sync.Mutex
	lastGood   *Token
	lastServed string // the access token last returned by FetchToken
	state      ProviderState
	latched    bool // SignOut: signed out until Resume
	flight     *providerFlight
	watchers   map[int]*watcher
	nextID     int
	pending    bool // a state change not yet delivered to the watchers
	delivering bool // a goroutine is calling watchers

	ctx    context.Context // ends on Close
	cancel context.CancelFunc
	wake   chan struct{} // nudges the refresh loop
	wg     sync.WaitGroup
}

type providerFlight struct {
	done      chan struct{}
	forced    bool
	rejected  string
	deadline  time.Time
	waiters   int
	abandoned bool
	cancel    context.CancelFunc

	tok *Token
	err error
}

// ProviderConfig configures a Provider. The zero value is a Provider that
// fetches on demand only.
type ProviderConfig struct {
	// ProactiveRefresh starts a goroutine that fetches the first token at
	// once and then refreshes each token at exp − buffer (with up to a
	// quarter of the buffer of random jitter, buffer as in
	// Token.RefreshBuffer), retrying transient failures, never more often
	// than MinRefreshInterval. Call Close to stop it.
	ProactiveRefresh bool
	// MinRefreshInterval is the shortest time between two proactive
	// refreshes; 15 s when zero. It is further capped at half the token's
	// lifetime, so that short-lived tokens are still renewed before they
	// expire.
	MinRefreshInterval time.Duration
	// OnSignedOut, when set, is called when the source reports that the
	// session is gone (a refresh token rejected, …), once per sign-out,
	// with the error. It is not called by SignOut.
	OnSignedOut func(error)
}

// providerHooks are what tests replace: the clock, the waits before each
// retry of a transient failure, and the proactive refresh's jitter.
type providerHooks struct {
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	backoff []time.Duration
	jitter  func(max time.Duration) time.Duration
}

// defaultProviderHooks are time.Now, a timer, 250 ms and 500 ms (three
// attempts), and a random jitter.
func defaultProviderHooks() providerHooks {
	return providerHooks{
		now:     time.Now,
		sleep:   sleepCtx,
		backoff: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond},
		jitter: func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		},
	}
}

// NewProvider returns a Provider fetching tokens from src. With
// cfg.ProactiveRefresh it starts its refresh goroutine; call Close when
// done.
func NewProvider(src TokenSource, cfg ProviderConfig) *Provider {
	return newProvider(src, cfg, defaultProviderHooks())
}

func newProvider(src TokenSource, cfg ProviderConfig, h providerHooks) *Provider {
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = 15 * time.Second
	}
	p := &Provider{
		src:      src,
		cfg:      cfg,
		h:        h,
		state:    ProviderState{IsLoading: true},
		watchers: map[int]*watcher{},
		wake:     make(chan struct{}, 1),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if cfg.ProactiveRefresh {
		p.wg.Add(1)
		go p.loop()
	}
	return p
}

// errLatched is the cause of the sign-out reported after SignOut.
var errLatched = errors.New("signed out by the application")

// FetchToken returns an access token for a Convex client: the
// client.TokenProvider method. forceRefresh means the previous token was
// rejected or is about to expire; the result is then a token different
// from the last one returned. The error matches ErrSignedOut when there is
// no session (the client signs out) and ErrTransient otherwise (the client
// keeps the session and retries).
func (p *Provider) FetchToken(ctx context.Context, forceRefresh bool) (string, error) {
	p.mu.Lock()
	if p.latched {
		p.mu.Unlock()
		return "", signedOut(errLatched)
	}
	rejected := p.lastServed
	if t := p.lastGood; t.fresh(p.h.now()) && (!forceRefresh || t.AccessToken != rejected) {
		p.lastServed = t.AccessToken
		p.mu.Unlock()
		return t.AccessToken, nil
	}
	p.mu.Unlock()

	tok, err := p.get(ctx, forceRefresh, rejected)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.latched {
		return "", signedOut(errLatched)
	}
	p.lastServed = tok.AccessToken
	return tok.AccessToken, nil
}

// get joins or starts a fetch from the source and maps its result for a
// caller: forced callers never get rejected; callers that are not forced
// get the last good token after a transient failure while it is valid.
func (p *Provider) get(ctx context.Context, forced bool, rejected string) (*Token, error) {
	p.mu.Lock()
	for {
		f := p.flight
		if f != nil && f.abandoned {
			p.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return p.fallback(forced, rejected, transient(ctx.Err()))
			}
			p.mu.Lock()
			continue
		}
		if f == nil {
			f = p.startFlight(ctx, forced, rejected)
		}
		f.waiters++
		p.mu.Unlock()

		select {
		case <-f.done:
		case <-ctx.Done():
			p.mu.Lock()
			if f.waiters--; f.waiters == 0 {
				f.abandoned = true
				f.cancel()
			}
			p.mu.Unlock()
			return p.fallback(forced, rejected, transient(ctx.Err()))
		}
		if f.err == nil {
			if forced && f.tok.AccessToken == rejected {
				// The shared fetch was not meant to replace our token.
				p.mu.Lock()
				continue
			}
			return f.tok, nil
		}
		if isSignedOut(f.err) {
			return nil, f.err
		}
		return p.fallback(forced, rejected, f.err)
	}
}

// fallback: after a transient failure, the last good token if it is still
// valid and acceptable to the caller, else the error.
func (p *Provider) fallback(forced bool, rejected string, err error) (*Token, error) {
	p.mu.Lock()
	t := p.lastGood
	p.mu.Unlock()
	if t.Valid(p.h.now()) && (!forced || t.AccessToken != rejected) {
		return t, nil
	}
	return nil, err
}

// startFlight starts a fetch on its own goroutine. p.mu is held.
func (p *Provider) startFlight(ctx context.Context, forced bool, rejected string) *providerFlight {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &providerFlight{done: make(chan struct{}), forced: forced, rejected: rejected, cancel: cancel}
	if dl, ok := ctx.Deadline(); ok {
		f.deadline = dl
	}
	p.flight = f
	go p.runFlight(fctx, f)
	return f
}

func (p *Provider) runFlight(ctx context.Context, f *providerFlight) {
	defer f.cancel()
	tok, err := p.fetchWithRetry(ctx, f)

	p.mu.Lock()
	p.flight = nil
	ended := false
	switch {
	case p.latched:
		// SignOut ran meanwhile: drop whatever came back.
		tok, err = nil, signedOut(errLatched)
	case err == nil:
		changed := p.lastGood == nil || p.lastGood.AccessToken != tok.AccessToken
		p.lastGood = tok
		p.state = ProviderState{IsAuthenticated: true}
		if changed {
			p.nudge()
		}
	case isSignedOut(err):
		ended = p.state.IsLoading || p.state.IsAuthenticated
		p.lastGood = nil
		p.state = ProviderState{LastError: err}
		p.nudge()
	default:
		p.state.LastError = err
	}
	f.tok, f.err = tok, err
	p.mu.Unlock()

	if ended {
		if p.cfg.OnSignedOut != nil {
			p.cfg.OnSignedOut(err)
		}
	}
	close(f.done)
	p.notify()
}

// fetchWithRetry calls the source, retrying transient failures.
func (p *Provider) fetchWithRetry(ctx context.Context, f *providerFlight) (*Token, error) {
	for attempt := 0; ; attempt++ {
		tok, err := p.src.Token(ctx, f.forced)
		switch {
		case err == nil && (tok == nil || tok.AccessToken == ""):
			// A source with nothing to give has no session (Convex's null).
			return nil, signedOut(nil)
		case err == nil && f.forced && tok.AccessToken == f.rejected:
			err = transient(errSameToken)
		case err == nil:
			return tok, nil
		case isSignedOut(err):
			return nil, signedOut(err)
		}
		err = transient(err)
		if attempt >= len(p.h.backoff) || ctx.Err() != nil {
			return nil, err
		}
		delay := p.h.backoff[attempt]
		if te, ok := errors.AsType[*TransientError](err); ok && te.RetryAfter > delay {
			if te.RetryAfter > maxRetryAfter {
				return nil, err
			}
			delay = te.RetryAfter
		}
		if !f.deadline.IsZero() && time.Until(f.deadline) <= delay {
			return nil, err
		}
		if p.h.sleep(ctx, delay) != nil {
			return nil, err
		}
	}
}

// SignOut drops the token and reports the user as signed out until
// Resume: FetchToken returns an error matching ErrSignedOut without asking
// the source. It does not end the session at the source (call
// workos.Session.SignOut, or authkit-js's signOut, for that).
func (p *Provider) SignOut() { p.setSignedOut(true) }

// Resume lifts a SignOut, for when the user signed in again at the source
// (in a browser, authkit-react reporting a user): a Provider that had
// settled on "signed out" is loading again until its next fetch, which the
// proactive loop, when on, starts at once.
func (p *Provider) Resume() { p.setSignedOut(false) }

func (p *Provider) setSignedOut(signedOut bool) {
	p.mu.Lock()
	if signedOut {
		p.latched = true
		p.lastGood = nil
		p.lastServed = ""
		p.state = ProviderState{}
	} else {
		p.latched = false
		if !p.state.IsLoading && !p.state.IsAuthenticated {
			p.state = ProviderState{IsLoading: true}
		}
	}
	p.nudge()
	p.mu.Unlock()
	p.notify()
}
