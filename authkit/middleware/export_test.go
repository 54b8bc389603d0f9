package middleware

import "time"

// NewWithClock is New reading the clock now: the external tests drive
// token expiry with authkittest's clock.
func NewWithClock(cfg Config, now func() time.Time) (*Middleware, error) {
	return newMiddleware(cfg, now)
}
