// Package logging is the logger seam the client and authkit share. Neither
// imports log/slog: in a WebAssembly build that package's default handler
// adds encoding/json and time formatting to the binary. Their Logger is
// this interface, which *slog.Logger satisfies.
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
