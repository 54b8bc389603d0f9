//go:build !js

package client

import "log/slog"

// WithLogger sets where a Client or an HTTPClient logs: connection trouble
// at ERROR and WARN, reconnects at INFO, and the log lines of functions at
// the level they were logged with. By default nothing is logged; nil keeps
// that default.
//
// Under GOOS=js, WithLogger takes any logger with these four methods of a
// *slog.Logger, so that the wasm binary need not link log/slog.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}
