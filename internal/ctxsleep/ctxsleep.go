// Package ctxsleep is the wait authkit and authkit/workos share: a timer
// that ends early with the context. Their tests replace it with a fake clock,
// or run it on testing/synctest's.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx is done; it returns ctx.Err() when ctx
// ends first (or is already done and d <= 0), nil otherwise.
func Sleep(ctx context.Context, d time.Duration) error {
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
