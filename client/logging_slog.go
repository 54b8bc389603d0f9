//go:build !js

package client

import "log/slog"

// WithLogger sets where a Client or an HTTPClient logs: connection trouble
// at ERROR and WARN, reconnects at INFO, and the log lines of functions at
// the level they were logged with. By default nothing is logged; nil keeps
// that default.
//
// GOOS=js builds have no WithLogger: log/slog would add over 100 KB to the
// wasm binary, and the browser binding logs to the JS console itself.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}
