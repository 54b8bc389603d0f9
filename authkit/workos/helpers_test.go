package workos

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// t0 is the fake clocks' start.
var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is an injectable clock. In auto mode Sleep records the wait
// and advances the clock at once; otherwise Sleep blocks until Advance
// moves the clock past its deadline.
type fakeClock struct {
	mu       sync.Mutex
	t        time.Time
	auto     bool
	slept    []time.Duration
	sleepers []*sleeper
}

type sleeper struct {
	until time.Time
	ch    chan struct{}
}

func newFakeClock(auto bool) *fakeClock { return &fakeClock{t: t0, auto: auto} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	if c.auto || d <= 0 {
		c.t = c.t.Add(max(d, 0))
		c.mu.Unlock()
		return ctx.Err()
	}
	s := &sleeper{until: c.t.Add(d), ch: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.mu.Unlock()
	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		c.sleepers = slices.DeleteFunc(c.sleepers, func(x *sleeper) bool { return x == s })
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the clock and wakes the sleepers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.sleepers = slices.DeleteFunc(c.sleepers, func(s *sleeper) bool {
		if !s.until.After(c.t) {
			close(s.ch)
			return true
		}
		return false
	})
}

func (c *fakeClock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// makeJWT builds an unsigned-looking JWT (the signature is not checked by
// authkit.ParseToken, Session or authkit.Provider).
func makeJWT(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + ".c2ln"
}

// tokenAt mints a token valid from iat for life.
func tokenAt(iat time.Time, life time.Duration, extra map[string]any) string {
	c := map[string]any{
		"iss": "https://api.workos.com/user_management/client_test",
		"sub": "user_1", "sid": "session_1",
		"iat": iat.Unix(), "exp": iat.Add(life).Unix(),
	}
	for k, v := range extra {
		c[k] = v
	}
	return makeJWT(c)
}

// fakeResp is a scripted answer of fakeAPI.
type fakeResp struct {
	status     int
	body       string
	retryAfter string
}

// fakeAPI is a minimal WorkOS authenticate endpoint for the refresh grant:
// single-use refresh tokens, tokens minted on the given clock.
type fakeAPI struct {
	t        testing.TB
	now      func() time.Time
	lifetime time.Duration

	mu         sync.Mutex
	live       map[string]bool // refresh tokens that work
	n          int
	requests   int
	bodies     []refreshRequest
	script     []fakeResp
	fail       func(n int) int // status to answer for request n (1-based), 0 = normal
	sameAccess string          // when set, every success returns this access token
	gate       chan struct{}   // when set, requests wait for it
	entered    chan struct{}   // when set, signalled on each request
	lastAccess string
	issued     []issued
}

type issued struct {
	iat, exp time.Time
	access   string
}

func newFakeAPI(t testing.TB, now func() time.Time, lifetime time.Duration) *fakeAPI {
	return &fakeAPI{t: t, now: now, lifetime: lifetime, live: map[string]bool{}}
}

// grant returns a new live refresh token (what a sign-in would give).
func (f *fakeAPI) grant() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	rt := fmt.Sprintf("rt_%d", f.n)
	f.live[rt] = true
	return rt
}

func (f *fakeAPI) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *fakeAPI) Bodies() []refreshRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bodies)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != authenticatePath {
		http.NotFound(w, r)
		return
	}
	var req refreshRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":"invalid_request"}`, 400)
		return
	}
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.bodies = append(f.bodies, req)
	w.Header().Set("Content-Type", "application/json")
	if len(f.script) > 0 {
		s := f.script[0]
		f.script = f.script[1:]
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		w.WriteHeader(s.status)
		fmt.Fprint(w, s.body)
		return
	}
	if f.fail != nil {
		if st := f.fail(f.requests); st != 0 {
			w.WriteHeader(st)
			fmt.Fprint(w, `{"message":"Service Unavailable"}`)
			return
		}
	}
	if req.GrantType != "refresh_token" || !f.live[req.RefreshToken] {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Refresh token already exchanged."}`)
		return
	}
	delete(f.live, req.RefreshToken)
	f.n++
	rt := fmt.Sprintf("rt_%d", f.n)
	f.live[rt] = true
	now := f.now()
	extra := map[string]any{"jti": fmt.Sprintf("jti_%d", f.n)}
	if req.OrganizationID != "" {
		extra["org_id"] = req.OrganizationID
	}
	access := tokenAt(now, f.lifetime, extra)
	if f.sameAccess != "" {
		access = f.sameAccess
	}
	f.lastAccess = access
	f.issued = append(f.issued, issued{iat: now, exp: now.Add(f.lifetime), access: access})
	resp := map[string]any{
		"user":          map[string]any{"object": "user", "id": "user_1", "email": "ada@example.com", "email_verified": true},
		"access_token":  access,
		"refresh_token": rt,
	}
	if req.OrganizationID != "" {
		resp["organization_id"] = req.OrganizationID
	}
	json.NewEncoder(w).Encode(resp)
}

// handlerTransport serves requests with a handler in-process, without
// sockets (needed inside synctest bubbles).
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// newTestSession returns a Session on fake clock c talking to api through
// a real loopback server, with a live refresh token in a MemoryStore.
func newTestSession(t *testing.T, api *fakeAPI, c *fakeClock, mod ...func(*SessionConfig)) (*Session, Store) {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	store := NewMemoryStore()
	require.NoError(t, store.Save(context.Background(), &StoredSession{RefreshToken: api.grant()}))
	cfg := SessionConfig{Config: Config{ClientID: "client_test", APIBase: srv.URL, HTTPClient: srv.Client()}, Store: store}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := newSession(cfg, clock{now: c.Now, sleep: c.Sleep}, defaultBackoff)
	require.NoError(t, err)
	return s, cfg.Store
}
