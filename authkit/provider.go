package authkit

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/goconvex/convex/internal/logging"
)

// ProviderState is what a UI shows about the session.
type ProviderState struct {
	// IsLoading is true until the first fetch settles: a token arrived, or
	// the source said there is no session. A transient failure does not
	// settle it (whether a session exists is still unknown); LastError
	// then says why.
	IsLoading bool
	// IsAuthenticated means a session is present: the last definitive
	// answer of the source was a token. It stays true through transient
	// failures (a network outage does not sign anyone out) and becomes
	// false only on a sign-out.
	IsAuthenticated bool
	// LastError is the error of the latest failed fetch, nil once a fetch
	// succeeds. With IsAuthenticated set it is a transient outage (it
	// matches ErrTransient); after a sign-out it is the reason (it matches
	// ErrSignedOut).
	LastError error
}

// Provider turns a TokenSource into the token provider of a Convex client:
// the Go port of @convex-dev/workos's ConvexProviderWithAuthKit bridge
// (useAuthFromAuthKit), without its flaws (spec §5.2, §5.3). Its
// FetchToken method has the shape of client.TokenProvider, and of the
// fetchAccessToken function of ConvexProviderWithAuth.
//
// The source is a Session in native programs, and authkit-js's
// getAccessToken (through the wasm bridge) in browsers.
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
//     ErrSignedOut, and calls the OnSignedOut option.
//   - State reports IsLoading and IsAuthenticated with stable meanings (see
//     ProviderState); Watch reports their changes.
//   - With WithProactiveRefresh(true) a goroutine refreshes the token before
//     it expires, so a Convex client never presents an expired one; Close
//     stops it.
//
// A Provider is safe for concurrent use.
type Provider struct {
	src  TokenSource
	opts providerOptions

	mu         sync.Mutex
	lastGood   *Token
	lastServed string // the access token last returned by FetchToken
	state      ProviderState
	latched    bool // SetSignedOut(true): signed out until SetSignedOut(false)
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

type providerOptions struct {
	onSignedOut func(error)
	proactive   bool
	minInterval time.Duration
	backoff     []time.Duration
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
	log         Logger
	jitter      func(max time.Duration) time.Duration
}

// ProviderOption configures a Provider.
type ProviderOption func(*providerOptions)

// WithOnSignedOut sets a function called when the source reports that the
// session is gone (a refresh token rejected, …), once per sign-out, with
// the error. It is not called by SignOut.
func WithOnSignedOut(fn func(error)) ProviderOption {
	return func(o *providerOptions) { o.onSignedOut = fn }
}

// WithProactiveRefresh, when on, starts a goroutine that fetches the first
// token at once and then refreshes each token at exp − buffer (with up to
// a quarter of the buffer of random jitter, buffer as in
// Token.RefreshBuffer), retrying transient failures, never more often than
// the minimum interval (WithMinRefreshInterval). Call Close to stop it.
func WithProactiveRefresh(on bool) ProviderOption {
	return func(o *providerOptions) { o.proactive = on }
}

// WithMinRefreshInterval sets the shortest time between two proactive
// refreshes; 15 s by default. It is further capped at half the token's
// lifetime, so that short-lived tokens are still renewed before they
// expire.
func WithMinRefreshInterval(d time.Duration) ProviderOption {
	return func(o *providerOptions) { o.minInterval = d }
}

// WithRetryBackoff sets the waits before each retry of a transient failure
// of the source; 250 ms and 500 ms (three attempts) by default. An empty
// list disables retries.
func WithRetryBackoff(waits ...time.Duration) ProviderOption {
	return func(o *providerOptions) { o.backoff = slices.Clone(waits) }
}

// WithClock replaces the clock: now reads it (time.Now by default) and
// sleep waits on it, returning ctx.Err() early when ctx ends (a timer by
// default). Either may be nil to keep the default.
func WithClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) ProviderOption {
	return func(o *providerOptions) {
		if now != nil {
			o.now = now
		}
		if sleep != nil {
			o.sleep = sleep
		}
	}
}

// WithLogger sets where the Provider logs (never a token); nowhere by
// default. A *slog.Logger will do; nil (also a nil *slog.Logger) keeps
// the default.
func WithLogger(l Logger) ProviderOption {
	return func(o *providerOptions) {
		if !logging.IsNil(l) {
			o.log = l
		}
	}
}

// NewProvider returns a Provider fetching tokens from src. With
// WithProactiveRefresh(true) it starts its refresh goroutine; call Close
// when done.
func NewProvider(src TokenSource, opts ...ProviderOption) *Provider {
	o := providerOptions{
		minInterval: 15 * time.Second,
		backoff:     []time.Duration{250 * time.Millisecond, 500 * time.Millisecond},
		now:         time.Now,
		sleep:       sleepCtx,
		jitter: func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		},
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = logging.Discard{}
	}
	p := &Provider{
		src:      src,
		opts:     o,
		state:    ProviderState{IsLoading: true},
		watchers: map[int]*watcher{},
		wake:     make(chan struct{}, 1),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if o.proactive {
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
	if t := p.lastGood; t.fresh(p.opts.now()) && (!forceRefresh || t.AccessToken != rejected) {
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
	if t.Valid(p.opts.now()) && (!forced || t.AccessToken != rejected) {
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
		p.opts.log.Info("authkit: signed out", "err", err)
		if p.opts.onSignedOut != nil {
			p.opts.onSignedOut(err)
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
		p.opts.log.Warn("authkit: token fetch failed", "attempt", attempt+1, "forced", f.forced, "err", err)
		if attempt >= len(p.opts.backoff) || ctx.Err() != nil {
			return nil, err
		}
		delay := p.opts.backoff[attempt]
		if te, ok := errors.AsType[*TransientError](err); ok && te.RetryAfter > delay {
			if te.RetryAfter > maxRetryAfter {
				return nil, err
			}
			delay = te.RetryAfter
		}
		if !f.deadline.IsZero() && time.Until(f.deadline) <= delay {
			return nil, err
		}
		if p.opts.sleep(ctx, delay) != nil {
			return nil, err
		}
	}
}

// State returns the current state.
func (p *Provider) State() ProviderState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Watch calls fn with the current state, then after every change until
// stop is called. Calls to watchers are made one at a time, in order, and
// always carry the latest state (a quick succession of changes may be
// reported once). When no other delivery is under way, fn gets the
// current state before Watch returns. fn runs on the goroutine that made
// the change and must not block for long; it may call any method of the
// Provider.
func (p *Provider) Watch(fn func(ProviderState)) (stop func()) {
	p.mu.Lock()
	id := p.nextID
	p.nextID++
	p.watchers[id] = &watcher{fn: fn}
	p.mu.Unlock()
	p.notify()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.watchers, id)
			p.mu.Unlock()
		})
	}
}

type watcher struct {
	fn   func(ProviderState)
	sent bool
	last ProviderState
}

// notify delivers the current state to every watcher that has not seen
// it. One goroutine delivers at a time; a notify during a delivery (from
// another goroutine, or from a watcher) is picked up by the delivering
// goroutine before it stops.
func (p *Provider) notify() {
	p.mu.Lock()
	p.pending = true
	if p.delivering {
		p.mu.Unlock()
		return
	}
	p.delivering = true
	for p.pending {
		p.pending = false
		st := p.state
		ids := make([]int, 0, len(p.watchers))
		for id, w := range p.watchers {
			if !w.sent || w.last != st {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			w, ok := p.watchers[id]
			if !ok {
				continue // stopped meanwhile
			}
			w.sent, w.last = true, st
			p.mu.Unlock()
			w.fn(st)
			p.mu.Lock()
			if p.state != st {
				p.pending = true
			}
		}
	}
	p.delivering = false
	p.mu.Unlock()
}

// SignOut drops the token and reports the user as signed out until
// SetSignedOut(false): FetchToken returns an error matching ErrSignedOut
// without asking the source. It does not end the session at the source
// (call Session.SignOut, or authkit-js's signOut, for that).
func (p *Provider) SignOut() { p.SetSignedOut(true) }

// SetSignedOut tells the Provider what the application knows about the
// session, for browsers where authkit-react's user says it: true is
// SignOut; false lifts a SignOut, and when the Provider had settled on
// "signed out" it becomes loading again until the next fetch (which the
// proactive loop, when on, starts at once).
func (p *Provider) SetSignedOut(signedOut bool) {
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

// Close stops the proactive refresh goroutine, if any, and waits for it.
// FetchToken keeps working after Close.
func (p *Provider) Close() error {
	p.cancel()
	p.wg.Wait()
	return nil
}

// nudge wakes the refresh loop to look at the state again. p.mu is held.
func (p *Provider) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// loop is the proactive refresh goroutine (spec §5.4 step 7).
func (p *Provider) loop() {
	defer p.wg.Done()
	var (
		lastAttempt time.Time
		jitterFor   string
		jitter      time.Duration
	)
	for {
		p.mu.Lock()
		tok, latched, loading := p.lastGood, p.latched, p.state.IsLoading
		p.mu.Unlock()

		if latched || (tok == nil && !loading) {
			// Nothing to refresh until a token arrives or the application
			// says the user is back.
			select {
			case <-p.wake:
				continue
			case <-p.ctx.Done():
				return
			}
		}

		interval := p.opts.minInterval
		var at time.Time
		if tok == nil {
			// The first fetch, or a retry of it.
			if !lastAttempt.IsZero() {
				at = lastAttempt.Add(interval)
			}
		} else {
			if life := tok.Lifetime(); life > 0 {
				interval = min(interval, life/2)
			}
			if jitterFor != tok.AccessToken {
				jitterFor, jitter = tok.AccessToken, p.opts.jitter(tok.RefreshBuffer()/4)
			}
			at = tok.RefreshAt().Add(-jitter)
			if !lastAttempt.IsZero() && at.Before(lastAttempt.Add(interval)) {
				at = lastAttempt.Add(interval)
			}
		}
		if d := at.Sub(p.opts.now()); !at.IsZero() && d > 0 {
			switch p.wait(d) {
			case waitClosed:
				return
			case waitWoken:
				continue
			}
		}

		lastAttempt = p.opts.now()
		if tok == nil {
			_, _ = p.get(p.ctx, false, "")
			continue
		}
		p.mu.Lock()
		current := p.lastGood != nil && p.lastGood.AccessToken == tok.AccessToken && !p.latched
		p.mu.Unlock()
		if current {
			p.opts.log.Debug("authkit: proactive refresh")
			_, _ = p.get(p.ctx, true, tok.AccessToken)
		}
		if p.ctx.Err() != nil {
			return
		}
	}
}

type waitResult int

const (
	waitElapsed waitResult = iota
	waitWoken
	waitClosed
)

// wait sleeps for d on the Provider's clock, or until nudged or closed.
func (p *Provider) wait(d time.Duration) waitResult {
	sctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	slept := make(chan error, 1)
	go func() { slept <- p.opts.sleep(sctx, d) }()
	select {
	case err := <-slept:
		if err != nil {
			return waitClosed
		}
		return waitElapsed
	case <-p.wake:
		cancel()
		<-slept
		return waitWoken
	case <-p.ctx.Done():
		cancel()
		<-slept
		return waitClosed
	}
}

// withJitter replaces the jitter function (tests).
func withJitter(fn func(max time.Duration) time.Duration) ProviderOption {
	return func(o *providerOptions) { o.jitter = fn }
}
