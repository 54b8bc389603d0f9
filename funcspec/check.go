package funcspec

import (
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/goconvex/convex/client/values"
)

// This file checks values against validators as the backend does when a
// function runs (Validator::check_value in crates/common/src/schemas/
// validator.rs of get-convex/convex-backend), with its error texts: the
// ValidationError variants' messages, the "Path: " context, and the
// values and validators written as the backend's Display impls write them
// (crates/value/src/lib.rs, object.rs, array.rs, bytes.rs, utils.rs).

// TableOf tells which table a document id belongs to; ok is false when id
// is not the id of a document of the deployment. Check calls it for the
// strings that v.id validators meet.
type TableOf func(id string) (table string, ok bool)

// ValidationError is a value that does not conform to a validator. Its
// Error text is the backend's.
type ValidationError struct {
	msg  string
	path []string // context, innermost first
	tail string   // the text after the context
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.msg)
	if len(e.path) > 0 {
		b.WriteString("Path: ")
		for i := len(e.path) - 1; i >= 0; i-- {
			b.WriteString(e.path[i])
		}
	}
	b.WriteString(e.tail)
	return b.String()
}

func (e *ValidationError) within(ctx string) *ValidationError {
	e.path = append(e.path, ctx)
	return e
}

// maxCommitTs is the value a pending commit timestamp is checked as
// (MAX_COMMIT_TS, crates/value/src/pending.rs).
const maxCommitTs = values.Int64(math.MaxInt64)

// Check reports whether value, a Convex value in the form values.Unmarshal
// gives into an any (nil, bool, float64, values.Int64, string, []byte,
// []any, map[string]any), conforms to v, and if not, why, in the
// backend's words ("Object is missing the required field `body`. …").
// tables resolves document ids for v.id validators; with nil, a string
// passes any v.id. A values.CommitTsPlaceholder is checked as the int64 it
// becomes at commit.
func (v *Validator) Check(value any, tables TableOf) error {
	if err := v.check(value, tables); err != nil {
		return err
	}
	return nil
}

func (v *Validator) check(value any, tables TableOf) *ValidationError {
	if _, ok := value.(values.CommitTsPlaceholder); ok {
		value = maxCommitTs
	}
	noMatch := func() *ValidationError {
		return &ValidationError{msg: "Value does not match validator.\n", tail: "\nValue: " + displayValue(value) + "\nValidator: " + v.String()}
	}
	switch v.Type {
	case TypeAny:
		return nil
	case TypeID:
		s, ok := value.(string)
		if !ok {
			return noMatch()
		}
		if tables == nil {
			return nil
		}
		table, ok := tables(s)
		if !ok {
			return noMatch()
		}
		if table != v.TableName {
			return &ValidationError{msg: "Found ID \"" + s + "\" from table `" + table + "`, which does not match the table name in validator `v.id(\"" + v.TableName + "\")`."}
		}
		return nil
	case TypeNull:
		if value == nil {
			return nil
		}
	case TypeNumber:
		if _, ok := value.(float64); ok {
			return nil
		}
	case TypeBigint, TypeCommitTs:
		if _, ok := value.(values.Int64); ok {
			return nil
		}
	case TypeBoolean:
		if _, ok := value.(bool); ok {
			return nil
		}
	case TypeString:
		if _, ok := value.(string); ok {
			return nil
		}
	case TypeBytes:
		if _, ok := value.([]byte); ok {
			return nil
		}
	case TypeLiteral:
		if !literalEquals(v.Literal, value) {
			return &ValidationError{msg: fmt.Sprintf("`%s` does not match literal validator `v.literal(%s)`.", displayValue(value), displayLiteral(v.Literal))}
		}
		return nil
	case TypeArray:
		list, ok := value.([]any)
		if !ok {
			return noMatch()
		}
		for i, e := range list {
			if err := v.Element.check(e, tables); err != nil {
				return err.within("[" + strconv.Itoa(i) + "]")
			}
		}
		return nil
	case TypeRecord:
		obj, ok := value.(map[string]any)
		if !ok {
			return noMatch()
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if err := v.Keys.check(k, tables); err != nil {
				return err.within(".keys()")
			}
			if err := v.Values.check(obj[k], tables); err != nil {
				return err.within(".values()")
			}
		}
		return nil
	case TypeObject:
		obj, ok := value.(map[string]any)
		if !ok {
			return noMatch()
		}
		for _, f := range v.Fields {
			fv, present := obj[f.Name]
			if present {
				if err := f.Validator.check(fv, tables); err != nil {
					return err.within("." + f.Name)
				}
			} else if !f.Optional {
				return &ValidationError{
					msg:  fmt.Sprintf("Object is missing the required field `%s`. Consider wrapping the field validator in `v.optional(...)` if this is expected.\n", f.Name),
					tail: "\nObject: " + displayValue(obj) + "\nValidator: " + v.String(),
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if !v.hasField(k) {
				return &ValidationError{
					msg:  fmt.Sprintf("Object contains extra field `%s` that is not in the validator.\n", k),
					tail: "\nObject: " + displayValue(obj) + "\nValidator: " + v.String(),
				}
			}
		}
		return nil
	case TypeUnion:
		if len(v.Members) == 1 {
			return v.Members[0].check(value, tables)
		}
		for _, m := range v.Members {
			if m.check(value, tables) == nil {
				return nil
			}
		}
	}
	return noMatch()
}

func (v *Validator) hasField(name string) bool {
	i := sort.Search(len(v.Fields), func(i int) bool { return v.Fields[i].Name >= name })
	return i < len(v.Fields) && v.Fields[i].Name == name
}

// literalEquals compares a value with a literal as ConvexValue's equality
// does: same type, same value (floats by their total order: -0 is not 0).
func literalEquals(lit values.Raw, value any) bool {
	var want any
	if values.Unmarshal(lit, &want) != nil {
		return false
	}
	switch w := want.(type) {
	case float64:
		got, ok := value.(float64)
		return ok && math.Float64bits(got) == math.Float64bits(w)
	case values.Int64, string, bool:
		return want == value
	}
	return false
}

// String returns the validator as the backend writes it in error messages
// (Display for Validator, crates/common/src/schemas/validator.rs):
// v.object({body: v.string(), n: v.optional(v.float64())}).
func (v *Validator) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func (v *Validator) write(b *strings.Builder) {
	switch v.Type {
	case TypeID:
		b.WriteString(`v.id("` + v.TableName + `")`)
	case TypeNull:
		b.WriteString("v.null()")
	case TypeNumber:
		b.WriteString("v.float64()")
	case TypeBigint:
		b.WriteString("v.int64()")
	case TypeCommitTs:
		b.WriteString("v.commitTs()")
	case TypeBoolean:
		b.WriteString("v.boolean()")
	case TypeString:
		b.WriteString("v.string()")
	case TypeBytes:
		b.WriteString("v.bytes()")
	case TypeAny:
		b.WriteString("v.any()")
	case TypeLiteral:
		b.WriteString("v.literal(" + displayLiteral(v.Literal) + ")")
	case TypeArray:
		b.WriteString("v.array(")
		v.Element.write(b)
		b.WriteString(")")
	case TypeRecord:
		b.WriteString("v.record(")
		v.Keys.write(b)
		b.WriteString(", ")
		v.Values.write(b)
		b.WriteString(")")
	case TypeObject:
		b.WriteString("v.object({")
		for i, f := range v.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name + ": ")
			if f.Optional {
				b.WriteString("v.optional(")
				f.Validator.write(b)
				b.WriteString(")")
			} else {
				f.Validator.write(b)
			}
		}
		b.WriteString("})")
	case TypeUnion:
		b.WriteString("v.union(")
		for i, m := range v.Members {
			if i > 0 {
				b.WriteString(", ")
			}
			m.write(b)
		}
		b.WriteString(")")
	default:
		b.WriteString("v.<" + v.Type + ">")
	}
}

// displayLiteral writes a literal as LiteralValidator's Display does: the
// value's JSON as serde_json writes it, "<bigint>" for an int64 and
// "<number>" for a float JSON cannot hold.
func displayLiteral(lit values.Raw) string {
	var x any
	if values.Unmarshal(lit, &x) != nil {
		return string(lit)
	}
	switch x := x.(type) {
	case values.Int64:
		return "<bigint>"
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "<number>"
		}
		return ryuFloat(x)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return serdeJSONString(x)
	}
	return string(lit)
}

// displayValue writes a value as ConvexValue's Display does.
func displayValue(value any) string {
	var b strings.Builder
	writeValue(&b, value)
	return b.String()
}

func writeValue(b *strings.Builder, value any) {
	switch x := value.(type) {
	case nil:
		b.WriteString("null")
	case values.Int64:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case values.CommitTsPlaceholder:
		b.WriteString(strconv.FormatInt(int64(maxCommitTs), 10))
	case float64:
		b.WriteString(rustDebugFloat(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		b.WriteString(rustDebugString(x))
	case []byte:
		b.WriteString(`b"` + base64.StdEncoding.EncodeToString(x) + `"`)
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, e)
		}
		b.WriteString("]")
	case map[string]any:
		b.WriteString("{")
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": ")
			writeValue(b, x[k])
		}
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

// shortest returns the shortest decimal digits of |x| (finite, not 0)
// and the position of the decimal point: |x| = 0.digits × 10^point.
func shortest(x float64) (digits string, point int) {
	s := strconv.FormatFloat(math.Abs(x), 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	return strings.Replace(mant, ".", "", 1), e + 1
}

// rustDebugFloat writes a float64 as Rust's {:?} does: the shortest
// digits, at least one after the point ("1.0"), in exponent form outside
// [1e-4, 1e16) ("1e16", "1.5e-7"); "NaN", "inf", "-inf".
func rustDebugFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return shortestFloat(x, -4)
}

// ryuFloat writes a finite float64 as serde_json does (ryu): like
// rustDebugFloat, but in exponent form only from 1e16 up and below 1e-5.
func ryuFloat(x float64) string {
	return shortestFloat(x, -5)
}

// shortestFloat writes a finite x with its shortest digits and at least one
// after the point, in exponent form from 1e16 up and where the decimal
// point of 0.digits × 10^point is at expFrom or below (-4: below 1e-4).
func shortestFloat(x float64, expFrom int) string {
	if x == 0 {
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if x < 0 {
		sign = "-"
	}
	digits, point := shortest(x)
	if point > 16 || point <= expFrom {
		return sign + expForm(digits, point)
	}
	return sign + pointForm(digits, point)
}

// pointForm writes 0.digits × 10^point in positional notation, with at
// least one digit after the point.
func pointForm(digits string, point int) string {
	switch {
	case point <= 0:
		return "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		return digits + strings.Repeat("0", point-len(digits)) + ".0"
	}
	return digits[:point] + "." + digits[point:]
}

// expForm writes 0.digits × 10^point as d[.ddd]e<exp>.
func expForm(digits string, point int) string {
	m := digits[:1]
	if len(digits) > 1 {
		m += "." + digits[1:]
	}
	return m + "e" + strconv.Itoa(point-1)
}

// rustDebugString quotes s as Rust's {:?} does for a str: \" \\ \n \r \t
// \0 escaped, other control characters, invisible format characters and
// combining marks as \u{hex}.
func rustDebugString(s string) string {
	return quoteString(s, rustEscapes, func(r rune) bool {
		return !unicode.IsGraphic(r) || unicode.In(r, unicode.Mn, unicode.Me)
	}, `\u{%x}`)
}

// serdeJSONString quotes s as serde_json does: \" \\ and the short
// escapes, other control characters as \u00xx, the rest as is.
func serdeJSONString(s string) string {
	return quoteString(s, serdeEscapes, func(r rune) bool { return r < 0x20 }, `\u%04x`)
}

var (
	rustEscapes  = map[rune]string{'"': `\"`, '\\': `\\`, '\n': `\n`, '\r': `\r`, '\t': `\t`, 0: `\0`}
	serdeEscapes = map[rune]string{'"': `\"`, '\\': `\\`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`}
)

// quoteString puts s in double quotes, writing a rune of short as its
// escape, another rune for which hex is true in hexForm (a format of its
// code point), and the rest as is.
func quoteString(s string, short map[rune]string, hex func(rune) bool, hexForm string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if e, ok := short[r]; ok {
			b.WriteString(e)
		} else if hex(r) {
			fmt.Fprintf(&b, hexForm, r)
		} else {
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
