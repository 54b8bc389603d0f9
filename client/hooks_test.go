package client_test

import (
	"context"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/internal/hooks"
)

// waitForCallbacks is the client's unexported waitForCallbacks as the wasm
// binding reaches it, through package hooks.
var waitForCallbacks = hooks.ClientWaitForCallbacks.(func(*client.Client, context.Context) error)
