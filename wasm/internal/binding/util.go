//go:build js && wasm

package binding

import (
	"context"
	"fmt"
	"log/slog"
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

// consoleLogger logs to the JS console from level up ("debug", "info",
// "warn", "error"); "silent" (or "off") logs nothing and returns nil.
func consoleLogger(level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "silent", "off", "none":
		return nil
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelWarn
	}
	return slog.New(&consoleHandler{level: l})
}

// consoleHandler writes each record as one line ("message key=value …") to
// console.error, console.warn, console.info or console.debug. It formats by
// itself rather than through slog.TextHandler, which would add its
// formatting code to the wasm binary.
type consoleHandler struct {
	level  slog.Level
	prefix string // group prefix of later attributes, "a.b."
	attrs  string // preformatted attributes of WithAttrs
}

func (h *consoleHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	level := "debug"
	switch {
	case r.Level >= slog.LevelError:
		level = "error"
	case r.Level >= slog.LevelWarn:
		level = "warn"
	case r.Level >= slog.LevelInfo:
		level = "info"
	}
	jsbridge.Log(level, b.String())
	return nil
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			appendAttr(b, prefix, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.String())
}

func (h *consoleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.prefix, a)
	}
	c.attrs = b.String()
	return &c
}

func (h *consoleHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix += name + "."
	return &c
}
