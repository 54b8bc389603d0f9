package authkit

import (
	"context"
	"time"
)

// sleepCtx waits for d or until ctx is done: the Provider's default sleep
// (providerHooks; tests replace it, or run on testing/synctest's clock).
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
