//go:build js

package client

import "github.com/goconvex/convex/internal/logging"

// httpOptions is empty under GOOS=js, where there is no HTTPClient: the
// browser build talks to the deployment over the WebSocket only. With no
// HTTPClient, every option given applies to the Client.
type httpOptions struct{}

func (o *options) apply(_ bool, opts []Option) error {
	for _, opt := range opts {
		opt(o)
	}
	return nil
}

func (o *options) only(forHTTP bool, _ string) bool { return !forHTTP }

// WithLogger sets where the client logs, as the native build's WithLogger
// does. Under GOOS=js it takes any logger with the Debug, Info, Warn and
// Error methods of a *slog.Logger (a *slog.Logger among them), so that the
// wasm binary links log/slog, over 100 KB of gzip, only if its user does:
// the browser binding passes a logger that writes to the JS console.
func WithLogger(l logging.Logger) Option {
	return func(o *options) {
		if !logging.IsNil(l) {
			o.logger = l
		}
	}
}
