package authkit

import (
	"context"
	"time"
)

// The package reads time through two injectable functions, so tests can
// drive expiry, backoff and the proactive refresh loop without waiting:
//
//	Now   func() time.Time                            // defaults to time.Now
//	Sleep func(ctx context.Context, d time.Duration) error // defaults to a timer; returns ctx.Err() when ctx ends first

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fitsDeadline reports whether waiting d leaves ctx's deadline, if any,
// in the future. Context deadlines are on the real clock, so this one
// reads time.Now, not an injected clock.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}
