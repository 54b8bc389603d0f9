package workos

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/goconvex/convex/authkit"
)

// SessionConfig configures a Session: the WorkOS environment (Config,
// whose ClientID is required) and the Store.
type SessionConfig struct {
	// Config is the WorkOS environment. Its APIKey, when set, is sent as
	// client_secret (confidential clients: server-side programs); CLIs
	// and desktop apps leave it empty. A stored session is bound to the
	// API base that issued it (StoredSession.APIBase): with another one,
	// Token and Save fail with an *APIBaseMismatchError and send nothing.
	Config
	// Store holds the refresh token. Required. Sessions of one process
	// sharing a Store share each refresh; a Store that also implements
	// Locker (MemoryStore, FileStore) lets Sessions of several processes
	// share it without presenting the refresh token twice. Any Store is
	// safe: see its contract (CompareAndSwap).
	Store Store
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

// Session is an authkit.TokenSource backed by a WorkOS refresh token
// (docs/auth.md, "Refresh tokens"). It hands out the cached access token while it is fresh,
// refreshes it with the refresh_token grant of POST
// /user_management/authenticate when it is due (or when forced), and
// persists every rotated refresh token to its Store before returning.
//
// Concurrent calls share one refresh. Transient failures (network errors,
// timeouts, 408, 429, 5xx) are retried with backoff, honouring Retry-After
// up to 60 s; when they persist, a call that is not forced gets the cached
// token while it has not expired, and otherwise an error matching
// authkit.ErrTransient: the session is kept. A rejected refresh token
// (invalid_grant, 401, any other 4xx) ends the session: the store is
// cleared, OnSignedOut is called, and Token returns an error matching
// authkit.ErrSignedOut.
//
// Once an HTTP request has been sent it is allowed to finish even if every
// caller has given up (bounded by the HTTP client's timeout), and its
// result is persisted: a refresh token that WorkOS rotated is never lost
// to a caller's deadline.
//
// A Session is safe for concurrent use.
type Session struct {
	cfg     SessionConfig
	apiBase string // cfg's, without trailing slashes
	log     *slog.Logger
	clk     clock
	backoff []time.Duration // the waits before each retry of a transient failure

	mu           sync.Mutex
	loaded       bool           // the store has been read once
	cur          *authkit.Token // last good access token
	refreshToken string         // current refresh token; "" = no session
	stored       *StoredSession // what was last loaded or saved
	flight       *sessionFlight // the refresh in progress
}

// sessionFlight is one refresh shared by every caller waiting for it.
type sessionFlight struct {
	done      chan struct{}
	forced    bool
	rejected  string    // the access token a forced refresh replaces
	org       string    // a switch (SwitchOrganization): the organization to refresh into
	deadline  time.Time // the starter's deadline, zero for none
	waiters   int
	abandoned bool               // every waiter left; cancel was called
	cancel    context.CancelFunc // called when the last waiter leaves

	tok *authkit.Token
	err error
}

// defaultBackoff: a transient failure is retried after 250 ms, 500 ms and
// 1 s (four attempts in all).
var defaultBackoff = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}

// NewSession returns a Session. It reads nothing until the first Token
// call.
func NewSession(cfg SessionConfig) (*Session, error) {
	return newSession(cfg, realClock, defaultBackoff)
}

func newSession(cfg SessionConfig, clk clock, backoff []time.Duration) (*Session, error) {
	if err := cfg.checkAPI(); err != nil {
		return nil, err
	}
	if cfg.Store == nil {
		return nil, errors.New("workos: SessionConfig.Store is required")
	}
	s := &Session{cfg: cfg, apiBase: cfg.apiBase(), log: cfg.Logger, clk: clk, backoff: backoff}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func (s *Session) now() time.Time { return s.clk.now() }

// Token returns an access token, refreshing it when it is due (within
// max(10 s, 10 % of its lifetime) of expiry) or when forceRefresh is set.
// A forced call never returns the current token: it gets a new one, or an
// error. See Session for the error semantics.
func (s *Session) Token(ctx context.Context, forceRefresh bool) (*authkit.Token, error) {
	s.mu.Lock()
	var rejected string
	if s.cur != nil {
		rejected = s.cur.AccessToken
	}
	if !forceRefresh && s.loaded && s.refreshToken != "" && fresh(s.cur, s.now()) {
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
			f = s.startFlight(ctx, forceRefresh, rejected, "")
		}
		if err := s.join(ctx, f); err != nil {
			return s.fallback(forceRefresh, transient(err))
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

// fallback: after a transient failure a call that is not forced gets the cached token while it has not expired.
func (s *Session) fallback(forced bool, err error) (*authkit.Token, error) {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	if !forced && cur.Valid(s.now()) {
		s.log.Warn("workos: no new token, using the cached one until it expires", "err", err)
		t := *cur
		return &t, nil
	}
	return nil, err
}

// startFlight starts a refresh on its own goroutine, into org when it is
// not empty (a switch). s.mu is held.
// join waits for flight f as one of its waiters. s.mu is held on entry and
// not on return. When ctx ends first it leaves f, cancelling the refresh if
// no one else waits for it (abandoned: it may still persist a rotation),
// and returns ctx.Err().
func (s *Session) join(ctx context.Context, f *sessionFlight) error {
	f.waiters++
	s.mu.Unlock()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		if f.waiters--; f.waiters == 0 {
			f.abandoned = true
			f.cancel()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

func (s *Session) startFlight(ctx context.Context, forced bool, rejected, org string) *sessionFlight {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &sessionFlight{done: make(chan struct{}), forced: forced, rejected: rejected, org: org, cancel: cancel}
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

// isSignedOut reports whether err means the session is gone.
func isSignedOut(err error) bool { return errors.Is(err, authkit.ErrSignedOut) }
