//go:build !js

package authkit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// SessionConfig configures a Session. ClientID and Store are required.
type SessionConfig struct {
	// ClientID is the WorkOS environment's client id (client_…).
	ClientID string
	// ClientSecret is the API key (sk_…), for confidential clients only
	// (server-side programs). Public clients (CLIs, desktop apps) leave it
	// empty.
	ClientSecret string
	// APIBase is the WorkOS API, DefaultAPIBase when empty: https, or http
	// on a loopback host. Point it at a custom authentication domain or a
	// local issuer (authkittest). A stored session is bound to the API
	// base that issued it (StoredSession.APIBase): with another one, Token
	// and Save fail with an *APIBaseMismatchError and send nothing.
	APIBase string
	// Store holds the refresh token. Sessions of one process sharing a
	// Store share each refresh; a Store that also implements Locker
	// (MemoryStore, FileStore) lets Sessions of several processes share
	// it without presenting the refresh token twice. Any Store is safe:
	// see its contract (CompareAndSwap).
	Store Store
	// HTTPClient sends the requests; a client with a 30 s timeout when
	// nil.
	HTTPClient *http.Client
	// Now reads the clock; time.Now when nil.
	Now func() time.Time
	// Sleep waits between retries; a timer when nil. It must return early
	// with ctx.Err() when ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
	// Backoff lists the waits before each retry of a transient failure;
	// nil means 250 ms, 500 ms, 1 s (four attempts in all). A non-nil empty
	// slice disables retries.
	Backoff []time.Duration
	// OnSignedOut, when set, is called once when the session ends: the
	// refresh token was rejected (the error is an *APIError), or another
	// process sharing the store signed out. It is not called by SignOut.
	// It runs on the goroutine that did the refresh, before the waiting
	// Token calls return; it must not block for long.
	OnSignedOut func(error)
	// Logger receives debug and warning records (never a token); nothing
	// is logged when nil.
	Logger *slog.Logger
}

// Session is a TokenSource backed by a WorkOS refresh token: the Go side of
// spec §5.4. It hands out the cached access token while it is fresh,
// refreshes it with the refresh_token grant of POST
// /user_management/authenticate when it is due (or when forced), and
// persists every rotated refresh token to its Store before returning.
//
// Concurrent calls share one refresh. Transient failures (network errors,
// timeouts, 408, 429, 5xx) are retried with backoff, honouring Retry-After
// up to 60 s; when they persist, a call that is not forced gets the cached
// token while it has not expired, and otherwise an error matching
// ErrTransient: the session is kept. A rejected refresh token (invalid_grant,
// 401, any other 4xx) ends the session: the store is cleared, OnSignedOut
// is called, and Token returns an error matching ErrSignedOut.
//
// Once an HTTP request has been sent it is allowed to finish even if every
// caller has given up (bounded by the HTTP client's timeout), and its
// result is persisted: a refresh token that WorkOS rotated is never lost
// to a caller's deadline.
//
// A Session is safe for concurrent use.
type Session struct {
	cfg   SessionConfig
	log   *slog.Logger
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu           sync.Mutex
	loaded       bool           // the store has been read once
	cur          *Token         // last good access token
	refreshToken string         // current refresh token; "" = no session
	stored       *StoredSession // what was last loaded or saved
	flight       *sessionFlight // the refresh in progress
}

// sessionFlight is one refresh shared by every caller waiting for it.
type sessionFlight struct {
	done      chan struct{}
	forced    bool
	rejected  string    // the access token a forced refresh replaces
	deadline  time.Time // the starter's deadline, zero for none
	waiters   int
	abandoned bool               // every waiter left; cancel was called
	cancel    context.CancelFunc // called when the last waiter leaves

	tok *Token
	err error
}

const defaultHTTPTimeout = 30 * time.Second

var defaultBackoff = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}

// errNoSession is the cause when the store holds no session.
var errNoSession = errors.New("no session in the store")

// NewSession returns a Session. It reads nothing until the first Token
// call.
func NewSession(cfg SessionConfig) (*Session, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("authkit: SessionConfig.ClientID is required")
	}
	if cfg.Store == nil {
		return nil, errors.New("authkit: SessionConfig.Store is required")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	if err := checkHTTPS(cfg.APIBase); err != nil {
		return nil, fmt.Errorf("authkit: SessionConfig.APIBase: %w", err)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if cfg.Backoff == nil {
		cfg.Backoff = defaultBackoff
	}
	s := &Session{cfg: cfg, log: cfg.Logger, now: cfg.Now, sleep: cfg.Sleep}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	return s, nil
}

// Token returns an access token, refreshing it when it is due (within
// max(10 s, 10 % of its lifetime) of expiry) or when forceRefresh is set.
// A forced call never returns the current token: it gets a new one, or an
// error. See Session for the error semantics.
func (s *Session) Token(ctx context.Context, forceRefresh bool) (*Token, error) {
	s.mu.Lock()
	var rejected string
	if s.cur != nil {
		rejected = s.cur.AccessToken
	}
	if !forceRefresh && s.loaded && s.refreshToken != "" && s.cur.fresh(s.now()) {
		t := *s.cur
		s.mu.Unlock()
		return &t, nil
	}
	for {
		f := s.flight
		if f != nil && f.abandoned {
			// Every caller of that refresh gave up; let it finish (it may
			// still persist a rotation) and start our own.
			s.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return s.fallback(forceRefresh, transient(ctx.Err()))
			}
			s.mu.Lock()
			continue
		}
		if f == nil {
			f = s.startFlight(ctx, forceRefresh, rejected)
		}
		f.waiters++
		s.mu.Unlock()

		select {
		case <-f.done:
		case <-ctx.Done():
			s.mu.Lock()
			if f.waiters--; f.waiters == 0 {
				f.abandoned = true
				f.cancel()
			}
			s.mu.Unlock()
			return s.fallback(forceRefresh, transient(ctx.Err()))
		}

		if f.err == nil {
			if forceRefresh && f.tok.AccessToken == rejected {
				if !f.forced || f.rejected != rejected {
					// We joined a refresh that was not meant to replace
					// our token, and it kept it: run our own.
					s.mu.Lock()
					continue
				}
				return nil, transient(errSameToken)
			}
			t := *f.tok
			return &t, nil
		}
		if isSignedOut(f.err) {
			return nil, f.err
		}
		return s.fallback(forceRefresh, f.err)
	}
}

// fallback implements spec §5.4 step 4's end: after a transient failure a
// call that is not forced gets the cached token while it has not expired.
func (s *Session) fallback(forced bool, err error) (*Token, error) {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	if !forced && cur.Valid(s.now()) {
		s.log.Warn("authkit: no new token, using the cached one until it expires", "err", err)
		t := *cur
		return &t, nil
	}
	return nil, err
}

// startFlight starts a refresh on its own goroutine. s.mu is held.
func (s *Session) startFlight(ctx context.Context, forced bool, rejected string) *sessionFlight {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &sessionFlight{done: make(chan struct{}), forced: forced, rejected: rejected, cancel: cancel}
	if dl, ok := ctx.Deadline(); ok {
		f.deadline = dl
	}
	s.flight = f
	go func() {
		defer cancel()
		tok, err, ended := s.refresh(fctx, f)
		s.mu.Lock()
		f.tok, f.err = tok, err
		s.flight = nil
		s.mu.Unlock()
		if ended && s.cfg.OnSignedOut != nil {
			s.cfg.OnSignedOut(err)
		}
		close(f.done)
	}()
	return f
}

// refresh runs spec §5.4 steps 2–5 under the store's lock. ended reports
// that a session present before has just ended.
func (s *Session) refresh(ctx context.Context, f *sessionFlight) (tok *Token, err error, ended bool) {
	l, locked := s.cfg.Store.(Locker)
	if locked {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return nil, transient(fmt.Errorf("locking the session store: %w", err)), false
		}
		defer unlock()
	}

	// Re-read the store: another process (or Session) may have rotated
	// the refresh token, or signed out.
	stored, err := s.cfg.Store.Load(ctx)
	if err != nil {
		return nil, transient(err), false
	}
	s.mu.Lock()
	if stored == nil || stored.RefreshToken == "" {
		had := s.refreshToken != ""
		s.clearLocked()
		s.mu.Unlock()
		if had {
			s.log.Info("authkit: the session was removed from the store")
		}
		return nil, signedOut(errNoSession), had
	}
	if err := s.checkBinding(stored); err != nil {
		s.mu.Unlock()
		return nil, err, false
	}
	s.adoptLocked(stored)
	now := s.now()
	if s.cur.fresh(now) && (!f.forced || s.cur.AccessToken != f.rejected) {
		t := s.cur
		s.mu.Unlock()
		return t, nil, false
	}
	rt, org := s.refreshToken, s.stored.OrganizationID
	if s.cur != nil && s.cur.OrganizationID != "" {
		org = s.cur.OrganizationID
	}
	s.mu.Unlock()

	var lastErr error
	triedStored := false
	for attempt := 0; ; attempt++ {
		s.log.Debug("authkit: refreshing the session", "forced", f.forced, "attempt", attempt+1)
		t, err, ended := s.exchange(ctx, rt, org, locked)
		if err == nil || ended || isSignedOut(err) {
			return t, err, ended
		}
		ae, isAPI := errors.AsType[*APIError](err)
		if isAPI && !ae.Transient() {
			// With a store that cannot lock, another process may have
			// rotated the token under us: then the store holds a newer one
			// and the session is not over. Try that one, once. The store
			// is cleared only if it still holds the rejected token.
			var cerr error
			if locked {
				cerr = s.cfg.Store.Clear(context.WithoutCancel(ctx))
			} else {
				cerr = s.cfg.Store.CompareAndSwap(context.WithoutCancel(ctx), rt, nil)
			}
			if errors.Is(cerr, ErrStoreChanged) && !triedStored {
				st, lerr := s.cfg.Store.Load(context.WithoutCancel(ctx))
				if lerr == nil && st != nil && st.RefreshToken != "" && st.RefreshToken != rt {
					triedStored = true
					s.mu.Lock()
					if berr := s.checkBinding(st); berr != nil {
						s.mu.Unlock()
						return nil, berr, false
					}
					s.adoptLocked(st)
					rt = s.refreshToken
					if s.cur.fresh(s.now()) && (!f.forced || s.cur.AccessToken != f.rejected) {
						t := s.cur
						s.mu.Unlock()
						return t, nil, false
					}
					s.mu.Unlock()
					attempt--
					continue
				}
			}
			if cerr != nil && !errors.Is(cerr, ErrStoreChanged) {
				s.log.Error("authkit: could not clear the session store", "err", cerr)
			}
			s.log.Info("authkit: the refresh token was rejected; signing out", "status", ae.Status, "code", ae.Code)
			s.mu.Lock()
			s.clearLocked()
			s.mu.Unlock()
			return nil, signedOut(ae), true
		}
		lastErr = err
		s.log.Warn("authkit: refresh failed", "attempt", attempt+1, "err", err)
		if attempt >= len(s.cfg.Backoff) || ctx.Err() != nil {
			break
		}
		delay := s.cfg.Backoff[attempt]
		if isAPI && ae.RetryAfter > 0 {
			if ae.RetryAfter > maxRetryAfter {
				break
			}
			delay = ae.RetryAfter
		}
		if !f.deadline.IsZero() && time.Until(f.deadline) <= delay {
			break
		}
		if s.sleep(ctx, delay) != nil {
			break
		}
	}
	return nil, transient(lastErr), false
}

// post sends one refresh request. The request is detached from ctx's
// cancellation (so a rotation WorkOS performed is never dropped half-way)
// but bounded by the HTTP client's timeout, or 30 s.
func (s *Session) post(ctx context.Context, refreshToken, org string) (*authenticateResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	actx := context.WithoutCancel(ctx)
	if s.cfg.HTTPClient.Timeout == 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(actx, defaultHTTPTimeout)
		defer cancel()
	}
	return postAuthenticate(actx, s.cfg.HTTPClient, s.cfg.APIBase, refreshRequest{
		ClientID:       s.cfg.ClientID,
		GrantType:      "refresh_token",
		RefreshToken:   refreshToken,
		OrganizationID: org,
		ClientSecret:   s.cfg.ClientSecret,
	}, s.now)
}

// exchange presents the refresh token rt once and persists the rotated
// pair. With a store that cannot lock, the Sessions of this process that
// present the same token at the same time share one request (the first
// one's), so that none of them gets it rejected as already used; each then
// writes the pair with CompareAndSwap, and whoever finds the store changed
// takes what it holds.
func (s *Session) exchange(ctx context.Context, rt, org string, locked bool) (*Token, error, bool) {
	if locked {
		resp, err := s.post(ctx, rt, org)
		if err != nil {
			return nil, err, false
		}
		return s.accept(ctx, resp, rt, true)
	}
	key := sha256.Sum256([]byte(s.cfg.APIBase + "\x00" + rt))
	x, owner := joinExchange(key)
	if owner {
		resp, err := s.post(ctx, rt, org)
		x.resp, x.err = resp, err
		var tok *Token
		var ended bool
		if err == nil {
			// Persisted before the others are released: one that read
			// the store after this finds the new token there.
			tok, err, ended = s.accept(ctx, resp, rt, false)
		}
		finishExchange(key, x)
		return tok, err, ended
	}
	select {
	case <-x.done:
	case <-ctx.Done():
		return nil, ctx.Err(), false
	}
	if x.err != nil {
		return nil, x.err, false
	}
	return s.accept(ctx, x.resp, rt, false)
}

// An exchange is one presentation of a refresh token, shared by the
// Sessions of the process presenting it at the same time.
type sharedExchange struct {
	done chan struct{}
	resp *authenticateResponse
	err  error
}

var (
	exchangesMu sync.Mutex
	exchanges   = map[[32]byte]*sharedExchange{}
)

// joinExchange returns the exchange in flight for key, or starts one
// (owner true).
func joinExchange(key [32]byte) (x *sharedExchange, owner bool) {
	exchangesMu.Lock()
	defer exchangesMu.Unlock()
	if x, ok := exchanges[key]; ok {
		return x, false
	}
	x = &sharedExchange{done: make(chan struct{})}
	exchanges[key] = x
	return x, true
}

// finishExchange releases the exchange's waiters and forgets it.
func finishExchange(key [32]byte, x *sharedExchange) {
	exchangesMu.Lock()
	delete(exchanges, key)
	exchangesMu.Unlock()
	close(x.done)
}

// checkBinding refuses a stored session issued by another API base than
// the Session's: its tokens are not sent elsewhere. s.mu is held.
func (s *Session) checkBinding(st *StoredSession) error {
	if st.APIBase == "" || sameAPIBase(st.APIBase, s.cfg.APIBase) {
		return nil
	}
	return &APIBaseMismatchError{Stored: st.APIBase, Configured: s.cfg.APIBase}
}

func sameAPIBase(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// APIBaseMismatchError is returned when the stored session was issued by
// another WorkOS API base than the one the Session is configured with (a
// WORKOS_API_BASE changed, or set by an untrusted .env file): its refresh
// and access tokens are not sent there. The session is kept; sign in again
// against the new API base, or fix the configuration.
type APIBaseMismatchError struct {
	// Stored is the API base that issued the stored session.
	Stored string
	// Configured is the Session's API base.
	Configured string
}

// Error names both API bases.
func (e *APIBaseMismatchError) Error() string {
	return fmt.Sprintf("authkit: the stored session was issued by %s, but the configured WorkOS API base is %s: its tokens are not sent there (fix %s, or sign in again against %s)",
		e.Stored, e.Configured, EnvAPIBase, e.Configured)
}

// accept persists a successful refresh of the refresh token old, then makes
// it current. Under the store's lock (locked) it saves; otherwise it swaps
// only if the store still holds old, and else takes what the store holds.
func (s *Session) accept(ctx context.Context, resp *authenticateResponse, old string, locked bool) (*Token, error, bool) {
	tok, perr := ParseToken(resp.AccessToken)
	s.mu.Lock()
	prev := s.stored
	s.mu.Unlock()
	ss := &StoredSession{
		RefreshToken:         resp.RefreshToken,
		AccessToken:          resp.AccessToken,
		OrganizationID:       resp.OrganizationID,
		User:                 resp.User,
		AuthenticationMethod: resp.AuthenticationMethod,
		Impersonator:         resp.Impersonator,
		SavedAt:              s.now(),
		APIBase:              s.cfg.APIBase,
	}
	if perr != nil {
		ss.AccessToken = ""
	} else if ss.OrganizationID == "" {
		ss.OrganizationID = tok.OrganizationID
	}
	if prev != nil {
		if ss.User == nil {
			ss.User = prev.User
		}
		if ss.AuthenticationMethod == "" {
			ss.AuthenticationMethod = prev.AuthenticationMethod
		}
		ss.ConvexURLs = slices.Clone(prev.ConvexURLs)
	}
	// Persist before anyone sees the new token. The save must not be cut
	// short by callers giving up: WorkOS has already retired the old
	// refresh token.
	wctx := context.WithoutCancel(ctx)
	var err error
	if locked {
		err = s.cfg.Store.Save(wctx, ss)
	} else {
		err = s.cfg.Store.CompareAndSwap(wctx, old, ss)
	}
	if errors.Is(err, ErrStoreChanged) {
		return s.adoptWinner(wctx, ss)
	}
	if err != nil {
		s.log.Error("authkit: could not persist the rotated refresh token; continuing with it in memory", "err", err)
	}
	s.mu.Lock()
	s.refreshToken = ss.RefreshToken
	s.stored = ss
	if perr == nil {
		s.cur = tok
	}
	s.mu.Unlock()
	if perr != nil {
		return nil, transient(errMalformedResponse{"access_token: " + perr.Error()}), false
	}
	s.log.Debug("authkit: session refreshed", "expires", tok.Expiry)
	return tok, nil, false
}

// adoptWinner handles a CompareAndSwap that found the store changed: ours
// is the pair another Session already stored (it shared our request), or
// someone else rotated or signed out first, and the store wins.
func (s *Session) adoptWinner(ctx context.Context, ours *StoredSession) (*Token, error, bool) {
	st, err := s.cfg.Store.Load(ctx)
	if err != nil {
		return nil, transient(err), false
	}
	s.mu.Lock()
	if st == nil || st.RefreshToken == "" {
		had := s.refreshToken != ""
		s.clearLocked()
		s.mu.Unlock()
		s.log.Info("authkit: the session was removed from the store while refreshing")
		return nil, signedOut(errNoSession), had
	}
	if st.RefreshToken == ours.RefreshToken && st.AccessToken == "" {
		st.AccessToken = ours.AccessToken
	}
	if err := s.checkBinding(st); err != nil {
		s.mu.Unlock()
		return nil, err, false
	}
	s.adoptLocked(st)
	cur := s.cur
	s.mu.Unlock()
	if cur == nil || !cur.Valid(s.now()) {
		return nil, transient(ErrStoreChanged), false
	}
	t := *cur
	return &t, nil, false
}

// adoptLocked takes the stored session as current: its refresh token
// always (the store is authoritative under its lock), its access token
// unless ours is newer. s.mu is held.
func (s *Session) adoptLocked(st *StoredSession) {
	s.loaded = true
	s.refreshToken = st.RefreshToken
	s.stored = st
	if st.AccessToken == "" || (s.cur != nil && st.AccessToken == s.cur.AccessToken) {
		return
	}
	t, err := ParseToken(st.AccessToken)
	if err != nil {
		return
	}
	// The store is written in rotation order under its lock, so its token
	// is the latest unless it expires earlier than ours (a store restored
	// from a backup, say).
	if s.cur == nil || !t.Expiry.Before(s.cur.Expiry) {
		s.cur = t
	}
}

func (s *Session) clearLocked() {
	s.loaded = true
	s.cur = nil
	s.refreshToken = ""
	s.stored = nil
}

// Save makes st the current session and persists it: what a sign-in flow
// calls with the tokens it obtained. The access token may be empty; the
// next Token call then refreshes.
func (s *Session) Save(ctx context.Context, st *StoredSession) error {
	if st == nil || st.RefreshToken == "" {
		return errors.New("authkit: Session.Save needs a refresh token")
	}
	st = st.clone()
	if st.SavedAt.IsZero() {
		st.SavedAt = s.now()
	}
	if st.APIBase == "" {
		st.APIBase = s.cfg.APIBase
	} else if !sameAPIBase(st.APIBase, s.cfg.APIBase) {
		return &APIBaseMismatchError{Stored: st.APIBase, Configured: s.cfg.APIBase}
	}
	if st.OrganizationID == "" && st.AccessToken != "" {
		if t, err := ParseToken(st.AccessToken); err == nil {
			st.OrganizationID = t.OrganizationID
		}
	}
	unlock, err := s.lockStore(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.cfg.Store.Save(ctx, st); err != nil {
		return err
	}
	s.mu.Lock()
	s.cur = nil
	s.adoptLocked(st)
	s.mu.Unlock()
	return nil
}

// SignOut forgets the session locally: it clears the store and the cached
// tokens. It does not end the session at WorkOS (send the browser to
// LogoutURL for that) and does not call OnSignedOut.
func (s *Session) SignOut(ctx context.Context) error {
	unlock, err := s.lockStore(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	s.mu.Lock()
	s.clearLocked()
	s.mu.Unlock()
	return s.cfg.Store.Clear(ctx)
}

func (s *Session) lockStore(ctx context.Context) (func(), error) {
	if l, ok := s.cfg.Store.(Locker); ok {
		return l.Lock(ctx)
	}
	return func() {}, nil
}

// User returns the signed-in user as last loaded or refreshed, or nil.
func (s *Session) User() *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored == nil || s.stored.User == nil {
		return nil
	}
	return s.stored.clone().User
}

// LogoutURL returns the WorkOS URL that ends the current session (GET
// /user_management/sessions/logout with the token's sid), redirecting to
// returnTo when it is set (it must be in the environment's allowlist). It
// fails when no access token with a sid is cached.
func (s *Session) LogoutURL(returnTo string) (string, error) {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	if cur == nil || cur.SessionID == "" {
		return "", errors.New("authkit: no session id to log out")
	}
	q := url.Values{"session_id": {cur.SessionID}}
	if returnTo != "" {
		q.Set("return_to", returnTo)
	}
	return strings.TrimRight(s.cfg.APIBase, "/") + "/user_management/sessions/logout?" + q.Encode(), nil
}
