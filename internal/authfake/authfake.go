// Package authfake holds the test doubles authkit's and authkit/workos's
// tests share: a fake clock that Sleep and Advance move, and unsigned-looking
// WorkOS access tokens. Only tests import it.
package authfake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// T0 is the fake clocks' start.
var T0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// Clock is an injectable clock. In auto mode Sleep records the wait
// and advances the clock at once; otherwise Sleep blocks until Advance
// moves the clock past its deadline.
type Clock struct {
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

// NewClock returns a Clock at T0.
func NewClock(auto bool) *Clock { return &Clock{t: T0, auto: auto} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep records d and waits for it on the clock (at once in auto mode), or
// until ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
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
func (c *Clock) Advance(d time.Duration) {
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

// Sleepers is how many Sleep calls are waiting.
func (c *Clock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// Slept returns the durations Sleep was called with, in order.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// JWT builds an unsigned-looking JWT (the signature is not checked by
// authkit.ParseToken, workos.Session or authkit.Provider).
func JWT(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + ".c2ln"
}

// TokenAt mints a WorkOS access token for user_1 valid from iat for life,
// with extra claims added or replaced.
func TokenAt(iat time.Time, life time.Duration, extra map[string]any) string {
	c := map[string]any{
		"iss": "https://api.workos.com/user_management/client_test",
		"sub": "user_1", "sid": "session_1",
		"iat": iat.Unix(), "exp": iat.Add(life).Unix(),
	}
	for k, v := range extra {
		c[k] = v
	}
	return JWT(c)
}
