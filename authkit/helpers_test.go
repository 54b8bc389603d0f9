package authkit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sync"
	"time"
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
// ParseToken, Session or Provider).
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

// hooks are the Provider's default hooks on c's clock, changed by mods.
func (c *fakeClock) hooks(mods ...func(*providerHooks)) providerHooks {
	h := defaultProviderHooks()
	h.now, h.sleep = c.Now, c.Sleep
	for _, m := range mods {
		m(&h)
	}
	return h
}

// withBackoff sets the waits before retries; none disables retries.
func withBackoff(waits ...time.Duration) func(*providerHooks) {
	return func(h *providerHooks) { h.backoff = waits }
}

// withoutJitter makes proactive refreshes happen exactly when due.
func withoutJitter(h *providerHooks) { h.jitter = func(time.Duration) time.Duration { return 0 } }
