package workos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/internal/authfake"
)

// t0 is the fake clocks' start.
var t0 = authfake.T0

// fakeClock is the shared fake clock (internal/authfake).
type fakeClock = authfake.Clock

func newFakeClock(auto bool) *fakeClock { return authfake.NewClock(auto) }

var (
	makeJWT = authfake.JWT     // an unsigned-looking JWT
	tokenAt = authfake.TokenAt // a token valid from iat for life
)

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
