package workos

import (
	"context"
	"errors"
	"github.com/goconvex/convex/authkit"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionRefreshesAndCaches(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	s, store := newTestSession(t, api, c)
	ctx := context.Background()

	tok, err := s.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, "user_1", tok.Subject)
	assert.Equal(t, "session_1", tok.SessionID)
	assert.Equal(t, c.Now().Add(5*time.Minute), tok.Expiry)
	assert.Equal(t, 1, api.Requests())

	// Cached while fresh: no request.
	c.Advance(4 * time.Minute)
	tok2, err := s.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, tok2.AccessToken)
	assert.Equal(t, 1, api.Requests())

	// Within the buffer (30 s = 10 % of 5 min): refreshed.
	c.Advance(35 * time.Second)
	tok3, err := s.Token(ctx, false)
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, tok3.AccessToken)
	assert.Equal(t, 2, api.Requests())

	st, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, tok3.AccessToken, st.AccessToken)
	assert.Equal(t, "ada@example.com", st.User.Email)
	assert.Equal(t, "ada@example.com", s.User().Email)

	b := api.Bodies()
	assert.Equal(t, "refresh_token", b[1].GrantType)
	assert.Equal(t, "client_test", b[1].ClientID)
	assert.Equal(t, "", b[1].ClientSecret)
	assert.Equal(t, st.RefreshToken != b[1].RefreshToken, true, "rotated")
}

// blockingStore holds Save until released, to show that Token does not
// return before the rotation is persisted.
type blockingStore struct {
	*MemoryStore
	saving  chan struct{}
	release chan struct{}
}

func (b *blockingStore) Save(ctx context.Context, s *StoredSession) error {
	b.saving <- struct{}{}
	<-b.release
	return b.MemoryStore.Save(ctx, s)
}

func TestSessionRotationPersistedBeforeReturn(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	bs := &blockingStore{MemoryStore: NewMemoryStore(), saving: make(chan struct{}, 1), release: make(chan struct{})}
	s, _ := newTestSession(t, api, c, func(cfg *SessionConfig) {
		require.NoError(t, bs.MemoryStore.Save(context.Background(), &StoredSession{RefreshToken: api.grant()}))
		cfg.Store = bs
	})

	type result struct {
		tok *authkit.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := s.Token(context.Background(), false)
		done <- result{tok, err}
	}()
	<-bs.saving
	select {
	case <-done:
		t.Fatal("Token returned before the new refresh token was saved")
	case <-time.After(20 * time.Millisecond):
	}
	close(bs.release)
	r := <-done
	require.NoError(t, r.err)
	st, _ := bs.MemoryStore.Load(context.Background())
	assert.Equal(t, r.tok.AccessToken, st.AccessToken)
	assert.True(t, api.live[st.RefreshToken], "the stored refresh token is the live one")
}

func TestSessionSingleFlight(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	api.gate = make(chan struct{})
	s, _ := newTestSession(t, api, c)

	const n = 50
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := s.Token(context.Background(), i%2 == 0) // forced and not
			errs[i] = err
			if tok != nil {
				toks[i] = tok.AccessToken
			}
		}()
	}
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.flight != nil && s.flight.waiters == n
	}, 5*time.Second, time.Millisecond)
	close(api.gate)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, toks[0], toks[i])
	}
	assert.Equal(t, 1, api.Requests())
}

func TestSessionRetryAfter(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	api.script = []fakeResp{{status: 429, body: `{"error":"too_many_requests"}`, retryAfter: "7"}}
	s, _ := newTestSession(t, api, c)

	_, err := s.Token(context.Background(), false)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{7 * time.Second}, c.Slept())
	assert.Equal(t, 2, api.Requests())
}

func TestSessionRetryAfterTooLong(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	api.script = []fakeResp{{status: 429, body: `{"error":"too_many_requests"}`, retryAfter: "120"}}
	s, _ := newTestSession(t, api, c)

	_, err := s.Token(context.Background(), false)
	require.ErrorIs(t, err, authkit.ErrTransient)
	var te *authkit.TransientError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 120*time.Second, te.RetryAfter)
	assert.Empty(t, c.Slept(), "a Retry-After over 60 s is not waited for")
	assert.Equal(t, 1, api.Requests())
}

func TestSessionTransientThenCached(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	s, _ := newTestSession(t, api, c)
	ctx := context.Background()
	first, err := s.Token(ctx, false)
	require.NoError(t, err)

	// Every request fails from now on.
	api.fail = func(int) int { return 503 }
	c.Advance(4*time.Minute + 40*time.Second) // inside the buffer, not expired
	tok, err := s.Token(ctx, false)
	require.NoError(t, err, "not forced: the cached token is returned while valid")
	assert.Equal(t, first.AccessToken, tok.AccessToken)
	assert.Equal(t, 1+4, api.Requests(), "one attempt and three retries")
	assert.Equal(t, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}, c.Slept())

	// Forced: authkit.ErrTransient, never the same token, never a sign-out.
	_, err = s.Token(ctx, true)
	require.ErrorIs(t, err, authkit.ErrTransient)
	assert.False(t, isSignedOut(err))
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.Status)

	// Expired: authkit.ErrTransient even when not forced.
	c.Advance(time.Minute)
	_, err = s.Token(ctx, false)
	require.ErrorIs(t, err, authkit.ErrTransient)

	// The network comes back: the same refresh token still works.
	api.fail = nil
	tok, err = s.Token(ctx, false)
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, tok.AccessToken)
}

func TestSessionClassification(t *testing.T) {
	for _, tc := range []struct {
		name      string
		resp      fakeResp
		signedOut bool
	}{
		{"invalid_grant", fakeResp{status: 400, body: `{"error":"invalid_grant","error_description":"Refresh token already exchanged."}`}, true},
		{"401", fakeResp{status: 401, body: `{"message":"Unauthorized"}`}, true},
		{"sso_required", fakeResp{status: 403, body: `{"error":"sso_required"}`}, true},
		{"mfa_enrollment", fakeResp{status: 403, body: `{"code":"mfa_enrollment","message":"…"}`}, true},
		{"404 html", fakeResp{status: 404, body: `<html>`}, true},
		{"408", fakeResp{status: 408}, false},
		{"429", fakeResp{status: 429, body: `{"error":"too_many_requests"}`}, false},
		{"500", fakeResp{status: 500, body: `oops`}, false},
		{"502", fakeResp{status: 502}, false},
		{"503", fakeResp{status: 503}, false},
		{"504", fakeResp{status: 504}, false},
		{"200 not json", fakeResp{status: 200, body: `<html>`}, false},
		{"200 no tokens", fakeResp{status: 200, body: `{"user":{}}`}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClock(true)
			api := newFakeAPI(t, c.Now, 5*time.Minute)
			api.script = []fakeResp{tc.resp, tc.resp, tc.resp, tc.resp}
			var calls atomic.Int32
			s, store := newTestSession(t, api, c, func(cfg *SessionConfig) {
				cfg.OnSignedOut = func(error) { calls.Add(1) }
			})
			_, err := s.Token(context.Background(), false)
			require.Error(t, err)
			st, _ := store.Load(context.Background())
			if tc.signedOut {
				assert.ErrorIs(t, err, authkit.ErrSignedOut)
				assert.True(t, isSignedOut(err))
				assert.Nil(t, st, "store cleared")
				assert.Equal(t, int32(1), calls.Load())
				assert.Equal(t, 1, api.Requests(), "terminal errors are not retried")
			} else {
				assert.ErrorIs(t, err, authkit.ErrTransient)
				assert.False(t, isSignedOut(err))
				assert.NotNil(t, st, "store kept")
				assert.Equal(t, int32(0), calls.Load())
				assert.Equal(t, 4, api.Requests())
			}
		})
	}
}

func TestSessionNetworkErrorIsTransient(t *testing.T) {
	c := newFakeClock(true)
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // connection refused from now on
	store := NewMemoryStore()
	require.NoError(t, store.Save(context.Background(), &StoredSession{RefreshToken: "rt"}))
	s, err := newSession(SessionConfig{Config: Config{ClientID: "client_test", APIBase: base}, Store: store}, clock{now: c.Now, sleep: c.Sleep}, defaultBackoff)
	require.NoError(t, err)
	_, err = s.Token(context.Background(), false)
	require.ErrorIs(t, err, authkit.ErrTransient)
	st, _ := store.Load(context.Background())
	assert.Equal(t, "rt", st.RefreshToken)
}

func TestSessionSignedOut(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	var got []error
	var mu sync.Mutex
	s, store := newTestSession(t, api, c, func(cfg *SessionConfig) {
		cfg.OnSignedOut = func(err error) { mu.Lock(); got = append(got, err); mu.Unlock() }
	})
	ctx := context.Background()
	_, err := s.Token(ctx, false)
	require.NoError(t, err)

	api.mu.Lock()
	clear(api.live) // the session ended at WorkOS
	api.mu.Unlock()
	_, err = s.Token(ctx, true)
	require.ErrorIs(t, err, authkit.ErrSignedOut)
	var so interface{ SignedOut() bool }
	require.ErrorAs(t, err, &so)
	assert.True(t, so.SignedOut())
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "invalid_grant", ae.Code)
	st, _ := store.Load(ctx)
	assert.Nil(t, st)
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0], authkit.ErrSignedOut)

	// Later calls: signed out without a request, and no second callback.
	n := api.Requests()
	_, err = s.Token(ctx, false)
	require.ErrorIs(t, err, authkit.ErrSignedOut)
	assert.Equal(t, n, api.Requests())
	assert.Len(t, got, 1)

	// A new sign-in brings it back.
	require.NoError(t, s.Save(ctx, &StoredSession{RefreshToken: api.grant()}))
	_, err = s.Token(ctx, false)
	require.NoError(t, err)
}

func TestSessionForcedSameTokenIsTransient(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	s, store := newTestSession(t, api, c)
	ctx := context.Background()
	first, err := s.Token(ctx, false)
	require.NoError(t, err)

	api.sameAccess = first.AccessToken
	_, err = s.Token(ctx, true)
	require.ErrorIs(t, err, authkit.ErrTransient)
	assert.ErrorIs(t, err, errSameToken)
	// The rotated refresh token was kept all the same.
	st, _ := store.Load(ctx)
	api.mu.Lock()
	assert.True(t, api.live[st.RefreshToken])
	api.mu.Unlock()

	// Not forced, the same token is fine.
	tok, err := s.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, tok.AccessToken)
}

func TestSessionOrganizationAndSecret(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	s, store := newTestSession(t, api, c, func(cfg *SessionConfig) { cfg.APIKey = "sk_test_1" })
	ctx := context.Background()
	require.NoError(t, store.Save(ctx, &StoredSession{RefreshToken: api.grant(), OrganizationID: "org_1"}))
	tok, err := s.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, "org_1", tok.OrganizationID)
	_, err = s.Token(ctx, true)
	require.NoError(t, err)
	for _, b := range api.Bodies() {
		assert.Equal(t, "org_1", b.OrganizationID)
		assert.Equal(t, "sk_test_1", b.ClientSecret)
	}
}

func TestSessionDeadlineBoundsRetries(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	api.fail = func(int) int { return 503 }
	s, _ := newTestSession(t, api, c)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	_, err := s.Token(ctx, false)
	require.ErrorIs(t, err, authkit.ErrTransient)
	// The fake sleeps take no real time: 250 ms fits in the 400 ms left,
	// 500 ms does not.
	assert.Equal(t, []time.Duration{250 * time.Millisecond}, c.Slept())
	assert.Equal(t, 2, api.Requests())
}

func TestSessionAbandonedRefreshIsPersisted(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	api.gate = make(chan struct{})
	api.entered = make(chan struct{}, 1)
	s, store := newTestSession(t, api, c)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := s.Token(ctx, false); errc <- err }()
	<-api.entered
	cancel()
	err := <-errc
	require.ErrorIs(t, err, authkit.ErrTransient)
	require.ErrorIs(t, err, context.Canceled)

	close(api.gate) // WorkOS answers after the caller left
	require.Eventually(t, func() bool {
		st, _ := store.Load(context.Background())
		api.mu.Lock()
		defer api.mu.Unlock()
		return st != nil && api.live[st.RefreshToken] && st.AccessToken != ""
	}, 5*time.Second, time.Millisecond)
	// And the next call uses it without a request.
	n := api.Requests()
	_, err = s.Token(context.Background(), false)
	require.NoError(t, err)
	assert.Equal(t, n, api.Requests())
}

func TestSessionEmptyStore(t *testing.T) {
	var called bool
	s, err := NewSession(SessionConfig{Config: Config{ClientID: "client_x"}, Store: NewMemoryStore(), OnSignedOut: func(error) { called = true }})
	require.NoError(t, err)
	_, err = s.Token(context.Background(), false)
	require.ErrorIs(t, err, authkit.ErrSignedOut)
	assert.False(t, called, "no session to lose: no callback")
	_, err = s.LogoutURL("")
	assert.Error(t, err)
}

func TestSessionStoreClearedElsewhere(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	var called atomic.Int32
	s, store := newTestSession(t, api, c, func(cfg *SessionConfig) { cfg.OnSignedOut = func(error) { called.Add(1) } })
	_, err := s.Token(context.Background(), false)
	require.NoError(t, err)
	require.NoError(t, store.Clear(context.Background())) // another process signed out
	_, err = s.Token(context.Background(), true)
	require.ErrorIs(t, err, authkit.ErrSignedOut)
	assert.Equal(t, int32(1), called.Load())
}

func TestSessionSaveSignOutLogoutURL(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	s, store := newTestSession(t, api, c)
	ctx := context.Background()
	access := tokenAt(c.Now(), 5*time.Minute, map[string]any{"org_id": "org_9", "sid": "session_9"})
	require.NoError(t, s.Save(ctx, &StoredSession{RefreshToken: api.grant(), AccessToken: access}))
	tok, err := s.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, access, tok.AccessToken, "a fresh saved access token is used as is")
	assert.Equal(t, 0, api.Requests())
	st, _ := store.Load(ctx)
	assert.Equal(t, "org_9", st.OrganizationID)

	u, err := s.LogoutURL("https://app.example.com/")
	require.NoError(t, err)
	assert.Equal(t, s.cfg.APIBase+"/user_management/sessions/logout?return_to=https%3A%2F%2Fapp.example.com%2F&session_id=session_9", u)

	require.NoError(t, s.SignOut(ctx))
	st, _ = store.Load(ctx)
	assert.Nil(t, st)
	_, err = s.Token(ctx, false)
	require.ErrorIs(t, err, authkit.ErrSignedOut)
	assert.Error(t, s.Save(ctx, &StoredSession{}))
}

func TestNewSessionValidates(t *testing.T) {
	_, err := NewSession(SessionConfig{Store: NewMemoryStore()})
	assert.ErrorContains(t, err, "ClientID")
	_, err = NewSession(SessionConfig{Config: Config{ClientID: "client_x"}})
	assert.ErrorContains(t, err, "Store")
	_, err = NewSession(SessionConfig{Config: Config{ClientID: "client_x", APIBase: "api.workos.com"}, Store: NewMemoryStore()})
	assert.ErrorContains(t, err, "APIBase")
}

// Two Sessions on one store (two processes sharing a file, or two
// components of one program) rotate the refresh token once and adopt each
// other's tokens.
func TestSessionsShareFileStore(t *testing.T) {
	t.Run("one FileStore", func(t *testing.T) { testSessionsShareFileStore(t, true) })
	t.Run("a FileStore each", func(t *testing.T) { testSessionsShareFileStore(t, false) })
}

func testSessionsShareFileStore(t *testing.T, shared bool) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	srv := httptest.NewServer(api)
	defer srv.Close()
	path := t.TempDir() + "/s/session.json"
	ctx := context.Background()
	require.NoError(t, NewFileStore(path).Save(ctx, &StoredSession{RefreshToken: api.grant()}))

	one := NewFileStore(path)
	mk := func() *Session {
		store := one
		if !shared {
			store = NewFileStore(path)
		}
		s, err := newSession(SessionConfig{Config: Config{ClientID: "client_test", APIBase: srv.URL, HTTPClient: srv.Client()}, Store: store}, clock{now: c.Now, sleep: c.Sleep}, defaultBackoff)
		require.NoError(t, err)
		return s
	}
	a, b := mk(), mk()

	ta, err := a.Token(ctx, false)
	require.NoError(t, err)
	tb, err := b.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, ta.AccessToken, tb.AccessToken, "b adopted a's token")
	assert.Equal(t, 1, api.Requests())

	// Both due at once: one rotation between them.
	c.Advance(4*time.Minute + 45*time.Second)
	var wg sync.WaitGroup
	var ra, rb *authkit.Token
	var ea, eb error
	wg.Add(2)
	go func() { defer wg.Done(); ra, ea = a.Token(ctx, false) }()
	go func() { defer wg.Done(); rb, eb = b.Token(ctx, false) }()
	wg.Wait()
	require.NoError(t, ea)
	require.NoError(t, eb)
	assert.Equal(t, ra.AccessToken, rb.AccessToken)
	assert.Equal(t, 2, api.Requests())

	// A forced refresh on b rotates; a then adopts b's token when forced
	// to replace the one it holds.
	tb2, err := b.Token(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, 3, api.Requests())
	ta2, err := a.Token(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, tb2.AccessToken, ta2.AccessToken)
	assert.Equal(t, 3, api.Requests(), "no second network call")

	// Every stored refresh token is the live one: no lost rotation.
	st, err := NewFileStore(path).Load(ctx)
	require.NoError(t, err)
	api.mu.Lock()
	assert.True(t, api.live[st.RefreshToken])
	api.mu.Unlock()
}

func TestParseRetryAfter(t *testing.T) {
	now := t0
	assert.Equal(t, 5*time.Second, parseRetryAfter("5", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("-1", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("soon", now))
	assert.Equal(t, 30*time.Second, parseRetryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
}

func TestAPIErrorShapes(t *testing.T) {
	e := parseAPIError(400, http.Header{}, []byte(`{"error":"invalid_grant","error_description":"gone"}`), t0)
	assert.Equal(t, "invalid_grant", e.Code)
	assert.Equal(t, "gone", e.Description)
	assert.False(t, e.Transient())
	e = parseAPIError(403, http.Header{}, []byte(`{"code":"mfa_enrollment","message":"enrol"}`), t0)
	assert.Equal(t, "mfa_enrollment", e.Code)
	assert.Equal(t, "workos: HTTP 403 mfa_enrollment: enrol", e.Error())
	e = parseAPIError(503, http.Header{"Retry-After": {"3"}}, []byte(`<html>`), t0)
	assert.True(t, e.Transient())
	assert.Equal(t, 3*time.Second, e.RetryAfter)
	assert.True(t, errors.Is(transient(e), authkit.ErrTransient))
	assert.Equal(t, 3*time.Second, transient(e).(*authkit.TransientError).RetryAfter)
}

// plainStore hides MemoryStore's Locker, like a keychain store would.
type plainStore struct{ m *MemoryStore }

func (p plainStore) Load(ctx context.Context) (*StoredSession, error) { return p.m.Load(ctx) }
func (p plainStore) Save(ctx context.Context, s *StoredSession) error { return p.m.Save(ctx, s) }
func (p plainStore) Clear(ctx context.Context) error                  { return p.m.Clear(ctx) }
func (p plainStore) CompareAndSwap(ctx context.Context, old string, s *StoredSession) error {
	return p.m.CompareAndSwap(ctx, old, s)
}

// Without a lock, another process may rotate the refresh token between our
// read and our request: the rejection is then not a sign-out, the newer
// token in the store is used.
func TestSessionLockLessStoreRotatedElsewhere(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	api.gate = make(chan struct{})
	api.entered = make(chan struct{}, 2)
	mem := NewMemoryStore()
	var ended atomic.Int32
	s, _ := newTestSession(t, api, c, func(cfg *SessionConfig) {
		require.NoError(t, mem.Save(context.Background(), &StoredSession{RefreshToken: api.grant()}))
		cfg.Store = plainStore{mem}
		cfg.OnSignedOut = func(error) { ended.Add(1) }
	})
	ctx := context.Background()

	errc := make(chan error, 1)
	go func() { _, err := s.Token(ctx, false); errc <- err }()
	<-api.entered
	// Meanwhile another process rotates: the token we sent is dead, the
	// store holds its successor.
	api.mu.Lock()
	clear(api.live)
	api.mu.Unlock()
	require.NoError(t, mem.Save(ctx, &StoredSession{RefreshToken: api.grant()}))
	close(api.gate)

	require.NoError(t, <-errc)
	assert.Equal(t, 2, api.Requests())
	assert.Equal(t, int32(0), ended.Load())
	st, _ := mem.Load(ctx)
	api.mu.Lock()
	assert.True(t, api.live[st.RefreshToken])
	api.mu.Unlock()
}
