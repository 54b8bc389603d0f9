package authkit

import "reflect"

// Logger receives the Provider's log records: a message and alternating keys
// and values, as log/slog takes them. *slog.Logger satisfies it. The
// Provider is part of the WebAssembly build, where importing log/slog would
// add its default handler's encoding/json and time formatting to the binary.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// isNil reports whether l is nil or holds a nil pointer, which would panic
// on its first call.
func isNil(l Logger) bool {
	if l == nil {
		return true
	}
	v := reflect.ValueOf(l)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// discardLogger is the default Logger: it logs nothing.
type discardLogger struct{}

func (discardLogger) Debug(string, ...any) {}
func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}
