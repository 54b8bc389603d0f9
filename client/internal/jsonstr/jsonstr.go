// Package jsonstr writes JSON strings exactly as JavaScript's JSON.stringify
// does, so that the values codec and the protocol encoders produce the same
// bytes as the official client: '"', '\\' and the control characters below
// 0x20 are escaped (\b \f \n \r \t, others as \u00xx with lowercase hex),
// nothing else (not <, >, &, U+2028 or U+2029).
package jsonstr

import (
	"strings"
	"unicode/utf8"
)

// Plain marks the bytes that stand for themselves inside a JSON string.
var Plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendChecked appends s as a JSON string. It returns the offset of the
// first invalid UTF-8 byte in s, or -1; on an invalid byte dst holds a
// partial string.
func AppendChecked(dst []byte, s string) ([]byte, int) {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if Plain[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, i
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), -1
}

// Append appends s as a JSON string, replacing invalid UTF-8 with U+FFFD.
func Append(dst []byte, s string) []byte {
	n := len(dst)
	out, bad := AppendChecked(dst, s)
	if bad < 0 {
		return out
	}
	out, _ = AppendChecked(out[:n], strings.ToValidUTF8(s, "\ufffd"))
	return out
}
