// Package logging is the interface the client logs through, which
// *slog.Logger satisfies. client.WithLogger takes a *slog.Logger natively;
// the client's core and its GOOS=js build do not import log/slog, whose
// default handler would add over 100 KB of gzip (encoding/json and time
// formatting among it) to the wasm binary.
package logging

import "reflect"

// Logger receives log records: a message and alternating keys and values,
// as log/slog takes them.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// Discard is the Logger that logs nothing, the default.
type Discard struct{}

func (Discard) Debug(string, ...any) {}
func (Discard) Info(string, ...any)  {}
func (Discard) Warn(string, ...any)  {}
func (Discard) Error(string, ...any) {}

// IsNil reports whether l is nil or holds a nil pointer (a nil
// *slog.Logger, say), which would panic on its first call.
func IsNil(l Logger) bool {
	if l == nil {
		return true
	}
	v := reflect.ValueOf(l)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
