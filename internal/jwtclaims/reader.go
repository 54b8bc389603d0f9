package jwtclaims

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of skipped claims, so a hostile payload cannot
// recurse deeply.
const maxDepth = 64

// reader is a JSON reader (RFC 8259) over one buffer. Where a claim appears
// twice the last one wins, as with JSON.parse.
type reader struct {
	data []byte
	pos  int
}

func (r *reader) fail(what string) error {
	return malformed("payload is not a JSON object: " + what + " at offset " + strconv.Itoa(r.pos))
}

func (r *reader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, 0 at the end.
func (r *reader) peek() byte {
	r.ws()
	if r.pos >= len(r.data) {
		return 0
	}
	return r.data[r.pos]
}

// object reads an object, calling field for each key with the reader at its
// value; field must consume the value.
func (r *reader) object(field func(key string) error) error {
	if r.peek() != '{' {
		return r.fail("expected an object")
	}
	r.pos++
	if r.peek() == '}' {
		r.pos++
		return nil
	}
	for {
		if r.peek() != '"' {
			return r.fail("expected a key")
		}
		key, err := r.str()
		if err != nil {
			return err
		}
		if r.peek() != ':' {
			return r.fail("expected ':'")
		}
		r.pos++
		if err := field(key); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return nil
		default:
			return r.fail("expected ',' or '}'")
		}
	}
}

// number stores a number value in *f and sets *ok; any other value clears
// both.
func (r *reader) number(f *float64, ok *bool) error {
	*f, *ok = 0, false
	if c := r.peek(); c != '-' && (c < '0' || c > '9') {
		return r.skip(1)
	}
	start := r.pos
	if err := r.scanNumber(); err != nil {
		return err
	}
	v, err := strconv.ParseFloat(string(r.data[start:r.pos]), 64)
	if err != nil {
		// Only a magnitude beyond float64 gets here: not a usable date.
		return nil
	}
	*f, *ok = v, true
	return nil
}

// string stores a string value in *s; any other value clears it.
func (r *reader) string(s *string) error {
	*s = ""
	if r.peek() != '"' {
		return r.skip(1)
	}
	v, err := r.str()
	*s = v
	return err
}

// skip consumes one value at nesting depth.
func (r *reader) skip(depth int) error {
	switch c := r.peek(); {
	case c == '"':
		_, err := r.str()
		return err
	case c == '{' || c == '[':
		if depth > maxDepth {
			return r.fail("nesting too deep")
		}
		if c == '{' {
			return r.object(func(string) error { return r.skip(depth + 1) })
		}
		r.pos++
		if r.peek() == ']' {
			r.pos++
			return nil
		}
		for {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
			switch r.peek() {
			case ',':
				r.pos++
			case ']':
				r.pos++
				return nil
			default:
				return r.fail("expected ',' or ']'")
			}
		}
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	default:
		return r.scanNumber()
	}
}

func (r *reader) literal(lit string) error {
	if len(r.data)-r.pos < len(lit) || string(r.data[r.pos:r.pos+len(lit)]) != lit {
		return r.fail("invalid literal")
	}
	r.pos += len(lit)
	return nil
}

// scanNumber consumes a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *reader) scanNumber() error {
	d := r.data
	i := r.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return r.fail("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return r.fail("invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return r.fail("invalid number")
		}
	}
	r.pos = i
	return nil
}

// str reads a string at r.pos (its opening quote), decoding escapes.
// Invalid UTF-8 and lone surrogates become U+FFFD, as in encoding/json.
func (r *reader) str() (string, error) {
	d := r.data
	r.pos++ // opening quote
	var out []byte
	start := r.pos
	for r.pos < len(d) {
		c := d[r.pos]
		switch {
		case c == '"':
			s := string(append(out, d[start:r.pos]...))
			r.pos++
			return s, nil
		case c < 0x20:
			return "", r.fail("control character in string")
		case c == '\\':
			out = append(out, d[start:r.pos]...)
			n, err := r.escape(&out)
			if err != nil {
				return "", err
			}
			r.pos += n
			start = r.pos
		case c >= utf8.RuneSelf:
			if ru, size := utf8.DecodeRune(d[r.pos:]); ru == utf8.RuneError && size == 1 {
				out = append(out, d[start:r.pos]...)
				out = utf8.AppendRune(out, utf8.RuneError)
				r.pos++
				start = r.pos
			} else {
				r.pos += size
			}
		default:
			r.pos++
		}
	}
	return "", r.fail("unterminated string")
}

// escape decodes the escape at r.pos into out and returns its length.
func (r *reader) escape(out *[]byte) (int, error) {
	d := r.data[r.pos:]
	if len(d) < 2 {
		return 0, r.fail("unterminated string")
	}
	if ch := simpleEscape(d[1]); ch != 0 {
		*out = append(*out, ch)
		return 2, nil
	}
	if d[1] != 'u' {
		return 0, r.fail("invalid escape")
	}
	ru, ok := hex4(d[2:])
	if !ok {
		return 0, r.fail("invalid \\u escape")
	}
	n := 6
	if utf16.IsSurrogate(ru) {
		lo, ok := rune(0), false
		if len(d) >= 12 && d[6] == '\\' && d[7] == 'u' {
			lo, ok = hex4(d[8:])
		}
		if dec := utf16.DecodeRune(ru, lo); ok && dec != utf8.RuneError {
			ru, n = dec, 12
		} else {
			ru = utf8.RuneError
		}
	}
	*out = utf8.AppendRune(*out, ru)
	return n, nil
}

func simpleEscape(c byte) byte {
	switch c {
	case '"', '\\', '/':
		return c
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return 0
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}
