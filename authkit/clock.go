package authkit

import "github.com/goconvex/convex/internal/ctxsleep"

// sleepCtx waits for d or until ctx is done: the Provider's default sleep
// (providerHooks; tests replace it, or run on testing/synctest's clock).
var sleepCtx = ctxsleep.Sleep
