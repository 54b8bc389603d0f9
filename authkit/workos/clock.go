package workos

import (
	"context"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/internal/ctxsleep"
)

// clock is how the package reads and waits on time: time.Now and a timer,
// which tests replace (unexported constructors take one; testing/synctest
// virtualizes the default).
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error // returns ctx.Err() when ctx ends first
}

// realClock is the wall clock.
var realClock = clock{now: time.Now, sleep: sleepCtx}

// sleepCtx waits for d or until ctx is done.
var sleepCtx = ctxsleep.Sleep

// fitsDeadline reports whether waiting d leaves ctx's deadline, if any,
// in the future. Context deadlines are on the real clock, so this one
// reads time.Now, not an injected clock.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// fresh reports whether t is valid and not yet due for a refresh at now.
func fresh(t *authkit.Token, now time.Time) bool { return t != nil && now.Before(t.RefreshAt()) }
