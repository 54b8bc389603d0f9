//go:build js && wasm

package binding

import (
	"fmt"
	"strings"

	"github.com/hack-pad/safejs"

	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/wasm/internal/jsbridge"
)

func newObject() (Value, error) {
	ctor, err := safejs.Global().Get("Object")
	if err != nil {
		return Value{}, err
	}
	return ctor.New()
}

func optArg(args []Value, i int) Value {
	if i < len(args) {
		return args[i]
	}
	return safejs.Undefined()
}

func stringArg(args []Value, i int, what string) (string, error) {
	v := optArg(args, i)
	if v.Type() != safejs.TypeString {
		return "", fmt.Errorf("%s must be a string, got %s", what, v.Type())
	}
	return v.String()
}

// argsArg reads a function's arguments, a Convex-JSON object string
// (undefined or "" mean {}).
func argsArg(args []Value, i int) (values.Raw, error) {
	v := optArg(args, i)
	switch v.Type() {
	case safejs.TypeUndefined, safejs.TypeNull:
		return values.Raw("{}"), nil
	case safejs.TypeString:
		s, err := v.String()
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return values.Raw("{}"), nil
		}
		return values.Raw(s), nil
	}
	return nil, fmt.Errorf("args must be a Convex-JSON string, got %s", v.Type())
}

func stringProp(o Value, name string) (string, bool) {
	v, err := o.Get(name)
	if err != nil || v.Type() != safejs.TypeString {
		return "", false
	}
	s, err := v.String()
	return s, err == nil
}

func boolProp(o Value, name string) bool {
	v, err := o.Get(name)
	if err != nil || v.Type() != safejs.TypeBoolean {
		return false
	}
	b, _ := v.Bool()
	return b
}

// consoleLogger writes log records to the JS console, one line each
// ("message key=value …") through console.debug, info, warn or error, from
// its level up; or, when to is a function, calls to(level, line) instead
// (create's options.log). It serves as the client's and the Provider's Logger.
type consoleLogger struct {
	min logLevel
	to  Value
}

type logLevel int

const (
	levelDebug logLevel = iota
	levelInfo
	levelWarn
	levelError
)

// newConsoleLogger logs from level up ("debug", "info", "warn" (the
// default), "error") to the console, or to the function to; "silent" (or
// "off") logs nothing and returns nil.
func newConsoleLogger(level string, to Value) *consoleLogger {
	is := func(names ...string) bool {
		for _, n := range names {
			if strings.EqualFold(level, n) { // EqualFold: ToLower adds 6 KB of wasm
				return true
			}
		}
		return false
	}
	min := levelWarn
	switch {
	case is("silent", "off", "none"):
		return nil
	case is("debug"):
		min = levelDebug
	case is("info"):
		min = levelInfo
	case is("error"):
		min = levelError
	}
	return &consoleLogger{min: min, to: to}
}

func (l *consoleLogger) Debug(msg string, args ...any) { l.log(levelDebug, "debug", msg, args) }
func (l *consoleLogger) Info(msg string, args ...any)  { l.log(levelInfo, "info", msg, args) }
func (l *consoleLogger) Warn(msg string, args ...any)  { l.log(levelWarn, "warn", msg, args) }
func (l *consoleLogger) Error(msg string, args ...any) { l.log(levelError, "error", msg, args) }

func (l *consoleLogger) log(level logLevel, method, msg string, args []any) {
	if level < l.min {
		return
	}
	var b strings.Builder
	b.WriteString(msg)
	for i := 0; i < len(args); i += 2 {
		if i+1 < len(args) {
			fmt.Fprintf(&b, " %v=%v", args[i], args[i+1])
		} else {
			fmt.Fprintf(&b, " !BADKEY=%v", args[i])
		}
	}
	if l.to.Type() == safejs.TypeFunction {
		if _, err := l.to.Invoke(method, b.String()); err == nil {
			return
		}
	}
	jsbridge.Log(method, b.String())
}
