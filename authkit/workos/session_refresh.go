package workos

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/goconvex/convex/authkit"
)

// This file is one refresh of a Session: under the store's lock, the
// store re-read, the refresh token presented once (shared with the other
// Sessions of the process presenting it), and the rotated pair persisted
// before anyone sees it.

// refresh re-reads the store and refreshes the session under the store's lock. ended reports
// that a session present before has just ended.
func (s *Session) refresh(ctx context.Context, f *sessionFlight) (tok *authkit.Token, err error, ended bool) {
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
			s.log.Info("workos: the session was removed from the store")
		}
		return nil, signedOut(errNoSession), had
	}
	if err := s.checkBinding(stored); err != nil {
		s.mu.Unlock()
		return nil, err, false
	}
	s.adoptLocked(stored)
	now := s.now()
	if f.org == "" && fresh(s.cur, now) && (!f.forced || s.cur.AccessToken != f.rejected) {
		t := s.cur
		s.mu.Unlock()
		return t, nil, false
	}
	rt, org := s.refreshToken, s.stored.OrganizationID
	if s.cur != nil && s.cur.OrganizationID != "" {
		org = s.cur.OrganizationID
	}
	if f.org != "" {
		org = f.org
	}
	s.mu.Unlock()

	var lastErr error
	triedStored := false
	for attempt := 0; ; attempt++ {
		s.log.Debug("workos: refreshing the session", "forced", f.forced, "attempt", attempt+1)
		t, err, ended := s.exchange(ctx, rt, org, locked)
		if err == nil || ended || isSignedOut(err) {
			return t, err, ended
		}
		ae, isAPI := errors.AsType[*APIError](err)
		if isAPI && !ae.Transient() && f.org != "" && !refreshTokenRejected(ae) {
			// A switch the server refused for the organization's sake:
			// the refresh token was not used, and the session stays
			// where it was.
			s.log.Info("workos: the organization switch was refused", "status", ae.Status, "code", ae.Code)
			return nil, fmt.Errorf("workos: switching to organization %s: %w", f.org, err), false
		}
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
					if f.org == "" && fresh(s.cur, s.now()) && (!f.forced || s.cur.AccessToken != f.rejected) {
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
				s.log.Error("workos: could not clear the session store", "err", cerr)
			}
			s.log.Info("workos: the refresh token was rejected; signing out", "status", ae.Status, "code", ae.Code)
			s.mu.Lock()
			s.clearLocked()
			s.mu.Unlock()
			return nil, signedOut(ae), true
		}
		lastErr = err
		s.log.Warn("workos: refresh failed", "attempt", attempt+1, "err", err)
		if attempt >= len(s.backoff) || ctx.Err() != nil {
			break
		}
		delay := s.backoff[attempt]
		if isAPI && ae.RetryAfter > 0 {
			if ae.RetryAfter > maxRetryAfter {
				break
			}
			delay = ae.RetryAfter
		}
		if !f.deadline.IsZero() && time.Until(f.deadline) <= delay {
			break
		}
		if s.clk.sleep(ctx, delay) != nil {
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
	if s.cfg.httpClient().Timeout == 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(actx, defaultHTTPClient.Timeout)
		defer cancel()
	}
	return postRefresh(actx, s.cfg.Config, refreshToken, org, s.now)
}

// exchange presents the refresh token rt once and persists the rotated
// pair. With a store that cannot lock, the Sessions of this process that
// present the same token at the same time share one request (the first
// one's), so that none of them gets it rejected as already used; each then
// writes the pair with CompareAndSwap, and whoever finds the store changed
// takes what it holds.
func (s *Session) exchange(ctx context.Context, rt, org string, locked bool) (*authkit.Token, error, bool) {
	if locked {
		resp, err := s.post(ctx, rt, org)
		if err != nil {
			return nil, err, false
		}
		return s.accept(ctx, resp, rt, true)
	}
	key := sha256.Sum256([]byte(s.apiBase + "\x00" + rt + "\x00" + org))
	x, owner := joinExchange(key)
	if owner {
		resp, err := s.post(ctx, rt, org)
		x.resp, x.err = resp, err
		var tok *authkit.Token
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

// accept persists a successful refresh of the refresh token old, then makes
// it current. Under the store's lock (locked) it saves; otherwise it swaps
// only if the store still holds old, and else takes what the store holds.
func (s *Session) accept(ctx context.Context, resp *authenticateResponse, old string, locked bool) (*authkit.Token, error, bool) {
	tok, perr := authkit.ParseToken(resp.AccessToken)
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
		APIBase:              s.apiBase,
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
		s.log.Error("workos: could not persist the rotated refresh token; continuing with it in memory", "err", err)
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
	s.log.Debug("workos: session refreshed", "expires", tok.Expiry)
	return tok, nil, false
}

// adoptWinner handles a CompareAndSwap that found the store changed: ours
// is the pair another Session already stored (it shared our request), or
// someone else rotated or signed out first, and the store wins.
func (s *Session) adoptWinner(ctx context.Context, ours *StoredSession) (*authkit.Token, error, bool) {
	st, err := s.cfg.Store.Load(ctx)
	if err != nil {
		return nil, transient(err), false
	}
	s.mu.Lock()
	if st == nil || st.RefreshToken == "" {
		had := s.refreshToken != ""
		s.clearLocked()
		s.mu.Unlock()
		s.log.Info("workos: the session was removed from the store while refreshing")
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
	t, err := authkit.ParseToken(st.AccessToken)
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
