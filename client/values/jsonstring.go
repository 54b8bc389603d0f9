package values

import "unicode/utf8"

// appendString appends s as a JSON string escaped exactly as JSON.stringify
// escapes it: '"', '\\' and the control characters below 0x20 (\b \f \n \r
// \t, others as \u00xx with lowercase hex), nothing else. It returns the
// offset of the first invalid UTF-8 byte, or -1.
func appendStringChecked(dst []byte, s string) ([]byte, int) {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainStringByte[c] {
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

// appendString appends s, known to be valid UTF-8, as a JSON string.
func appendString(dst []byte, s string) []byte {
	dst, _ = appendStringChecked(dst, s)
	return dst
}
