//go:build js

package client

import (
	"github.com/goconvex/convex/internal/hooks"
	"github.com/goconvex/convex/internal/logging"
)

// httpOptions is empty under GOOS=js, where there is no HTTPClient: the
// browser build talks to the deployment over the WebSocket only. With no
// HTTPClient, every option given applies to the Client.
type httpOptions struct{}

func (o *options) only(forHTTP bool, _ string) bool { return !forHTTP }

func (o *options) misappliedError() error { return nil }

// Under GOOS=js the wasm binding sets the logger through a hook: the
// client's WithLogger takes a *slog.Logger, and log/slog would add over
// 100 KB to the wasm binary.
func init() {
	hooks.ClientWithLogger = func(l logging.Logger) any {
		return Option(func(o *options) { o.logger = l })
	}
}
