package authkit

import (
	"time"

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

// clockHooks are the Provider's default hooks on c's clock, changed by mods.
func clockHooks(c *fakeClock, mods ...func(*providerHooks)) providerHooks {
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
