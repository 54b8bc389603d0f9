package values

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/goconvex/convex/client/internal/jsonstr"
)

// decoder is a hand-written scanner for Convex JSON. Its walkers (anyValue
// in decode.go, skipValue in validate.go, typedValue in typed.go) read the
// input once, left to right, and check the Convex rules as they go.
type decoder struct {
	data []byte
	pos  int

	buf     []byte // unescaped text of the last string that had escapes
	escaped bool   // whether the last readString result lives in buf
	spec    []byte // copy of a special object's string, if it had escapes

	vals []any // elements of the arrays being decoded, innermost last
	kvs  []kv  // fields of the objects being decoded, innermost last

	keys map[string]string // interned field names
}

type kv struct {
	k string
	v any
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

func getDecoder(data []byte) *decoder {
	d := decoderPool.Get().(*decoder)
	d.data = data
	d.pos = 0
	return d
}

func putDecoder(d *decoder) {
	d.data = nil
	// The stacks clear what they pop; an error unwinds without popping,
	// and leaves its entries below len.
	clear(d.vals)
	clear(d.kvs)
	d.vals, d.kvs = d.vals[:0], d.kvs[:0]
	if cap(d.buf) > 64<<10 {
		d.buf = nil
	}
	if cap(d.spec) > 64<<10 {
		d.spec = nil
	}
	if cap(d.vals) > 64<<10 {
		d.vals = nil
	}
	if cap(d.kvs) > 64<<10 {
		d.kvs = nil
	}
	decoderPool.Put(d)
}

// intern returns key as a string, sharing one string per distinct short key
// across documents: result sets repeat the same field names many times.
func (d *decoder) intern(key []byte) string {
	const maxKeys, maxLen = 4096, 64
	if len(key) > maxLen {
		return string(key)
	}
	if s, ok := d.keys[string(key)]; ok {
		return s
	}
	s := string(key)
	if d.keys == nil {
		d.keys = make(map[string]string)
	}
	if len(d.keys) < maxKeys {
		d.keys[s] = s
	}
	return s
}

var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func (d *decoder) skipWS() {
	for d.pos < len(d.data) && isSpace[d.data[d.pos]] {
		d.pos++
	}
}

// syntaxError describes the byte at d.pos (or the end of input) as
// unexpected.
func (d *decoder) syntaxError(context string) *Error {
	if d.pos >= len(d.data) {
		return newError("unexpected end of JSON input")
	}
	return newError("invalid character %s %s (offset %d)", quoteChar(d.data[d.pos:]), context, d.pos)
}

// quoteChar quotes the character at the start of b for an error message.
func quoteChar(b []byte) string {
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf(`'\x%02x'`, b[0])
	}
	return strconv.QuoteRune(r)
}

// expectColon consumes the ':' after an object key.
func (d *decoder) expectColon() *Error {
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ':' {
		d.pos++
		return nil
	}
	return d.syntaxError("after object key")
}

// nextKey consumes what follows an object member: ',' and the next key
// (returned with more = true), or '}'.
func (d *decoder) nextKey() (key []byte, more bool, err *Error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, false, d.syntaxError("")
	}
	switch d.data[d.pos] {
	case '}':
		d.pos++
		return nil, false, nil
	case ',':
		d.pos++
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == '"' {
			key, err = d.readString()
			return key, true, err
		}
		return nil, false, d.syntaxError("looking for beginning of object key string")
	}
	return nil, false, d.syntaxError("after object key:value pair")
}

// firstKey consumes '{' and what follows: the first key (with more = true)
// or '}'.
func (d *decoder) firstKey() (key []byte, more bool, err *Error) {
	d.pos++ // '{'
	d.skipWS()
	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '}':
			d.pos++
			return nil, false, nil
		case '"':
			key, err = d.readString()
			return key, true, err
		}
	}
	return nil, false, d.syntaxError("looking for beginning of object key string")
}

// nextElem consumes what follows an array element: ',' (more = true) or
// ']'.
func (d *decoder) nextElem() (more bool, err *Error) {
	d.skipWS()
	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ',':
			d.pos++
			return true, nil
		case ']':
			d.pos++
			return false, nil
		}
	}
	return false, d.syntaxError("after array element")
}

// firstElem consumes '[' and, if the array is empty, ']'.
func (d *decoder) firstElem() (more bool) {
	d.pos++ // '['
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return false
	}
	return true
}

// literal consumes the literal lit (true, false or null).
func (d *decoder) literal(lit string) *Error {
	end := d.pos + len(lit)
	if end <= len(d.data) && string(d.data[d.pos:end]) == lit {
		d.pos = end
		return nil
	}
	// Point at the first byte that differs.
	for i := 0; i < len(lit) && d.pos < len(d.data) && d.data[d.pos] == lit[i]; i++ {
		d.pos++
	}
	return d.syntaxError("in literal " + lit)
}

// plainStringByte marks the bytes that stand for themselves in a JSON
// string.
var plainStringByte = &jsonstr.Plain

// readString consumes a JSON string (d.data[d.pos] is '"') and returns its
// text. The result aliases d.data, or d.buf when the string has escapes (then
// d.escaped is set); it is valid until the next readString.
func (d *decoder) readString() ([]byte, *Error) {
	data := d.data
	start := d.pos + 1
	i := start
	// Eight bytes at a time while none of them needs a look: a quote, a
	// backslash, a control character or a non-ASCII byte.
	for i+8 <= len(data) && !needsLook(binary.LittleEndian.Uint64(data[i:])) {
		i += 8
	}
	for i < len(data) {
		c := data[i]
		if plainStringByte[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			d.pos = i + 1
			d.escaped = false
			return data[start:i], nil
		case c == '\\':
			return d.readEscaped(start, i)
		case c < 0x20:
			d.pos = i
			return nil, d.syntaxError("in string literal")
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			d.pos = i
			return nil, newError("invalid UTF-8 in string (offset %d)", i)
		}
		i += size
	}
	d.pos = i
	return nil, d.syntaxError("")
}

// needsLook reports whether any of the eight bytes in x is '"', '\\', below
// 0x20 or above 0x7f (the SWAR zero-byte and less-than tests are exact about
// whether some byte matches, which is all the caller needs).
func needsLook(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"') // a zero byte where x has '"'
	backslash := x ^ (ones * '\\')
	control := (x - ones*0x20) &^ x // high bit of a byte below 0x20
	isQuote := (quote - ones) &^ quote
	isBackslash := (backslash - ones) &^ backslash
	return (control|isQuote|isBackslash|x)&highs != 0
}

// readEscaped continues readString from the first backslash, at i.
func (d *decoder) readEscaped(start, i int) ([]byte, *Error) {
	data := d.data
	buf := append(d.buf[:0], data[start:i]...)
	for i < len(data) {
		c := data[i]
		if plainStringByte[c] {
			buf = append(buf, c)
			i++
			continue
		}
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = buf
			d.escaped = true
			return buf, nil
		case c == '\\':
			if i+1 >= len(data) {
				d.pos = len(data)
				return nil, d.syntaxError("")
			}
			e := data[i+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, n, err := d.readUnicodeEscape(i)
				if err != nil {
					return nil, err
				}
				buf = utf8.AppendRune(buf, r)
				i += n
				continue
			default:
				d.pos = i + 1
				return nil, d.syntaxError("in string escape code")
			}
			i += 2
		case c < 0x20:
			d.pos = i
			return nil, d.syntaxError("in string literal")
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				d.pos = i
				return nil, newError("invalid UTF-8 in string (offset %d)", i)
			}
			buf = append(buf, data[i:i+size]...)
			i += size
		}
	}
	d.pos = i
	d.buf = buf
	return nil, d.syntaxError("")
}

// readUnicodeEscape decodes the \uXXXX escape at i, and a second one if the
// first is a high surrogate; it returns the rune and the bytes consumed.
// A lone surrogate is an error: it has no UTF-8 form.
func (d *decoder) readUnicodeEscape(i int) (rune, int, *Error) {
	r, err := d.hex4(i + 2)
	if err != nil {
		return 0, 0, err
	}
	if r < 0xd800 || r > 0xdfff {
		return r, 6, nil
	}
	if r <= 0xdbff && i+7 < len(d.data) && d.data[i+6] == '\\' && d.data[i+7] == 'u' {
		r2, err := d.hex4(i + 8)
		if err != nil {
			return 0, 0, err
		}
		if r2 >= 0xdc00 && r2 <= 0xdfff {
			return (r-0xd800)<<10 | (r2 - 0xdc00) + 0x10000, 12, nil
		}
	}
	return 0, 0, newError(`string contains a lone surrogate \u%04x, which is not valid Unicode (offset %d)`, r, i)
}

// hex4 decodes the four hex digits at i.
func (d *decoder) hex4(i int) (rune, *Error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j >= len(d.data) {
			d.pos = j
			return 0, d.syntaxError("")
		}
		c := d.data[j]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			d.pos = j
			return 0, d.syntaxError("in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}

// scanNumber consumes a JSON number and checks its grammar. If exact, the
// number is mant × 10^exp10 (negated if neg) with mant holding every
// significant digit; otherwise the caller must parse the text.
func (d *decoder) scanNumber() (mant uint64, exp10 int, neg, exact bool, err *Error) {
	data := d.data
	i := d.pos
	if i < len(data) && data[i] == '-' {
		neg = true
		i++
	}
	exact = true
	sig := 0 // significant digits in mant
	digit := func(c byte, frac bool) {
		switch {
		case mant == 0 && c == '0':
			if frac {
				exp10--
			}
		case sig < 19:
			mant = mant*10 + uint64(c-'0')
			sig++
			if frac {
				exp10--
			}
		default:
			exact = false
			if !frac {
				exp10++
			}
		}
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			digit(data[i], false)
			i++
		}
	default:
		d.pos = i
		if neg {
			return 0, 0, false, false, d.syntaxError("in numeric literal")
		}
		return 0, 0, false, false, d.syntaxError("looking for beginning of value")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			d.pos = i
			return 0, 0, false, false, d.syntaxError("after decimal point in numeric literal")
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			digit(data[i], true)
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		eneg := false
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			eneg = data[i] == '-'
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			d.pos = i
			return 0, 0, false, false, d.syntaxError("in exponent of numeric literal")
		}
		e := 0
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			if e < 100000 {
				e = e*10 + int(data[i]-'0')
			}
			i++
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	d.pos = i
	return mant, exp10, neg, exact, nil
}

// readNumber consumes a JSON number and returns its float64 value, rounded
// as JSON.parse rounds it: too large becomes ±Inf, too small ±0.
func (d *decoder) readNumber() (float64, *Error) {
	start := d.pos
	mant, exp10, neg, exact, err := d.scanNumber()
	if err != nil {
		return 0, err
	}
	if exact && mant <= maxSafeInt && exp10 >= -22 && exp10 <= 22 {
		// Both operands are exact, so one IEEE operation rounds correctly.
		f := float64(mant)
		if exp10 < 0 {
			f /= pow10[-exp10]
		} else {
			f *= pow10[exp10]
		}
		if neg {
			f = -f
		}
		return f, nil
	}
	f, perr := strconv.ParseFloat(string(d.data[start:d.pos]), 64)
	if perr != nil && perr.(*strconv.NumError).Err != strconv.ErrRange {
		d.pos = start
		return 0, d.syntaxError("in numeric literal")
	}
	return f, nil
}
