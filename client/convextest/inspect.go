package convextest

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/goconvex/convex/client/internal/jsonstr"
	"github.com/goconvex/convex/client/values"
)

// LogLevel is the level of a function's log line, the console method a JS
// function would have called.
type LogLevel string

// Log levels, as they appear in log lines ("[LOG] 'hello'").
const (
	LevelLog   LogLevel = "LOG"
	LevelInfo  LogLevel = "INFO"
	LevelWarn  LogLevel = "WARN"
	LevelError LogLevel = "ERROR"
	LevelDebug LogLevel = "DEBUG"
)

// maxLogLine is the real server's MAX_LOG_LINE_LENGTH.
const maxLogLine = 32768

// formatLogLine renders a console call the way Convex's runtime does: each
// argument through object-inspect (strings single-quoted), joined by spaces,
// prefixed with the level.
func formatLogLine(level LogLevel, args []any) string {
	var b strings.Builder
	b.WriteString("[")
	b.WriteString(string(level))
	b.WriteString("]")
	for _, a := range args {
		b.WriteByte(' ')
		inspect(&b, canonical(a))
	}
	line := b.String()
	if len(line) > maxLogLine {
		cut := maxLogLine
		for cut > 0 && !isRuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + " (truncated due to length)"
	}
	return line
}

func isRuneStart(c byte) bool { return c&0xC0 != 0x80 }

// canonical converts a Go value to the forms values.Unmarshal produces into
// an any, so the formatters only deal with those. Values the codec cannot
// take are returned unchanged.
func canonical(v any) any {
	switch v := v.(type) {
	case nil, bool, float64, string, values.Int64, []byte, error:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case float32:
		return float64(v)
	case uint:
		return float64(v)
	case uint64:
		return float64(v)
	case uint32:
		return float64(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = canonical(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = canonical(e)
		}
		return out
	}
	data, err := values.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := values.Unmarshal(data, &out); err != nil {
		return v
	}
	return out
}

var plainKey = regexp.MustCompile(`^[\w$]+$`)

// inspect writes v as object-inspect (the formatter behind console.log in
// Convex functions) does, on one line.
func inspect(b *strings.Builder, v any) { inspectForm.write(b, v) }

var inspectForm = &textForm{
	spaced: true,
	key: func(b *strings.Builder, k string) {
		if plainKey.MatchString(k) {
			b.WriteString(k)
		} else {
			inspectString(b, k)
		}
	},
	scalar: func(b *strings.Builder, v any) {
		switch v := v.(type) {
		case nil:
			b.WriteString("null")
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case float64:
			if v == 0 && math.Signbit(v) {
				b.WriteString("-0")
			} else {
				b.WriteString(jsNumber(v))
			}
		case values.Int64:
			b.WriteString(strconv.FormatInt(int64(v), 10))
			b.WriteByte('n')
		case string:
			inspectString(b, v)
		case []byte:
			b.WriteString("ArrayBuffer [ArrayBuffer] {}")
		case error:
			b.WriteString("[Error: ")
			b.WriteString(v.Error())
			b.WriteString("]")
		case values.CommitTsPlaceholder:
			b.WriteString("CommitTsPlaceholder {}")
		default:
			fmt.Fprintf(b, "%v", v)
		}
	},
}

// textForm is one of the textual forms of a Convex value this package
// writes (object-inspect's, JSON.stringify's for ConvexError messages, the
// HTTP API's clean export): they share the walk over arrays and objects,
// whose keys go in sorted order, and differ in scalars, keys and spacing.
type textForm struct {
	// spaced is object-inspect's "[ a, b ]" and "{ k: v }"; else JSON's
	// "[a,b]" and {"k":v}. Empty ones are [] and {} either way.
	spaced bool
	key    func(b *strings.Builder, k string)
	scalar func(b *strings.Builder, v any) // any value but []any and map[string]any
}

func (f *textForm) write(b *strings.Builder, v any) {
	open, sep, colon := "", ",", ":"
	if f.spaced {
		open, sep, colon = " ", ", ", ": "
	}
	switch v := v.(type) {
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[" + open)
		for i, e := range v {
			if i > 0 {
				b.WriteString(sep)
			}
			f.write(b, e)
		}
		b.WriteString(open + "]")
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{" + open)
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b.WriteString(sep)
			}
			f.key(b, k)
			b.WriteString(colon)
			f.write(b, v[k])
		}
		b.WriteString(open + "}")
	default:
		f.scalar(b, v)
	}
}

// inspectString writes s single-quoted, escaped as object-inspect does.
func inspectString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\x%02X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('\'')
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsNumber formats f as JavaScript's Number.prototype.toString does.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest round-trip digits and the decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expStr)
	n := exp + 1 // position of the decimal point relative to digits
	k := len(digits)
	var out string
	switch {
	case k <= n && n <= 21:
		out = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		out = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		out = "0." + strings.Repeat("0", -n) + digits
	default:
		m := digits[:1]
		if k > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if n-1 < 0 {
			es = "-"
		}
		out = m + "e" + es + strconv.Itoa(abs(n-1))
	}
	return sign + out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// convexErrorMessage is the message of `new ConvexError(data)` in JS: data
// itself when it is a string, else JSON.stringify of it with bigints written
// as "<n>n" (convex/values' stringifyValueForError).
func convexErrorMessage(data any) string {
	if s, ok := data.(string); ok {
		return s
	}
	var b strings.Builder
	stringifyForError(&b, canonical(data))
	return b.String()
}

func stringifyForError(b *strings.Builder, v any) { errorForm.write(b, v) }

var errorForm = &textForm{
	key: writeJSONString,
	scalar: func(b *strings.Builder, v any) {
		switch v := v.(type) {
		case nil:
			b.WriteString("null")
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				b.WriteString("null")
			} else {
				b.WriteString(jsNumber(v))
			}
		case values.Int64:
			writeJSONString(b, strconv.FormatInt(int64(v), 10)+"n")
		case string:
			writeJSONString(b, v)
		case []byte, error:
			b.WriteString("{}")
		default:
			writeJSONString(b, fmt.Sprint(v))
		}
	},
}

// writeJSONString writes s as JSON.stringify would (the escaping the
// client's encoders share; invalid UTF-8 becomes U+FFFD).
func writeJSONString(b *strings.Builder, s string) {
	b.Write(jsonstr.Append(nil, s))
}
