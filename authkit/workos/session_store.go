package workos

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/goconvex/convex/authkit"
)

// This file is what a Session keeps of its store: the current session, its
// binding to the API base that issued it, and the calls that change it
// (Save, SignOut).

// checkBinding refuses a stored session issued by another API base than
// the Session's: its tokens are not sent elsewhere. It reads only
// s.apiBase, fixed when the Session is made, so s.mu need not be held.
func (s *Session) checkBinding(st *StoredSession) error {
	if st.APIBase == "" || sameAPIBase(st.APIBase, s.apiBase) {
		return nil
	}
	return &APIBaseMismatchError{Stored: st.APIBase, Configured: s.apiBase}
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
	return fmt.Sprintf("workos: the stored session was issued by %s, but the configured WorkOS API base is %s: its tokens are not sent there (fix %s, or sign in again against %s)",
		e.Stored, e.Configured, EnvAPIBase, e.Configured)
}

// Save makes st the current session and persists it: what a sign-in flow
// calls with the tokens it obtained. The access token may be empty; the
// next Token call then refreshes.
func (s *Session) Save(ctx context.Context, st *StoredSession) error {
	if st == nil || st.RefreshToken == "" {
		return errors.New("workos: Session.Save needs a refresh token")
	}
	st = st.clone()
	if st.SavedAt.IsZero() {
		st.SavedAt = s.now()
	}
	if err := s.checkBinding(st); err != nil {
		return err
	}
	if st.APIBase == "" {
		st.APIBase = s.apiBase
	}
	if st.OrganizationID == "" && st.AccessToken != "" {
		if t, err := authkit.ParseToken(st.AccessToken); err == nil {
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
		return "", errors.New("workos: no session id to log out")
	}
	q := url.Values{"session_id": {cur.SessionID}}
	if returnTo != "" {
		q.Set("return_to", returnTo)
	}
	return s.apiBase + "/user_management/sessions/logout?" + q.Encode(), nil
}
