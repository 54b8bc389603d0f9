package values

import (
	"encoding/base64"
	"encoding/binary"
	"math"
)

// Convex writes base64 with the standard alphabet and padding. It reads the
// standard and the URL-safe alphabets, even mixed, as convex/values does,
// and requires the length to be a multiple of 4.

// b64Rev maps a base64 character of either alphabet to its 6-bit value;
// 0xff marks every other byte, including '='.
var b64Rev = func() (t [256]byte) {
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(std); i++ {
		t[std[i]] = byte(i)
	}
	t['-'] = 62
	t['_'] = 63
	return t
}()

// b64Len checks the shape of s and returns the number of bytes it decodes
// to and the number of padding characters.
func b64Len(s []byte) (n, pads int, err *Error) {
	if len(s)%4 != 0 {
		return 0, 0, newError("invalid base64 string %q: length must be a multiple of 4", shorten(string(s)))
	}
	if len(s) > 0 && s[len(s)-1] == '=' {
		pads++
		if s[len(s)-2] == '=' {
			pads++
		}
	}
	return len(s)/4*3 - pads, pads, nil
}

// b64Decode checks every character of s (whose shape b64Len accepted) and,
// if dst is not nil, decodes s into dst, which must have the length b64Len
// returned. Bits below the last whole byte are ignored, as convex/values
// ignores them.
func b64Decode(dst, s []byte, pads int) *Error {
	body := s[:len(s)-pads]
	var acc uint32
	var bits uint
	j := 0
	for i, c := range body {
		v := b64Rev[c]
		if v == 0xff {
			return newError("invalid base64 string %q: invalid character %q at offset %d", shorten(string(s)), invalidChar(string(s[i:])), i)
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			if dst != nil {
				dst[j] = byte(acc >> bits)
			}
			j++
		}
	}
	return nil
}

// decodeBytes decodes the string of a $bytes object. If validateOnly, it
// checks s and returns nil bytes.
func decodeBytes(s []byte, validateOnly bool) ([]byte, *Error) {
	n, pads, err := b64Len(s)
	if err != nil {
		return nil, err
	}
	if validateOnly {
		return nil, b64Decode(nil, s, pads)
	}
	out := make([]byte, n)
	if err := b64Decode(out, s, pads); err != nil {
		return nil, err
	}
	return out, nil
}

// decode8 decodes the string of an $integer or $float object, which must
// hold exactly 8 bytes, as a little-endian uint64.
func decode8(s []byte, tag string) (uint64, *Error) {
	n, pads, err := b64Len(s)
	if err != nil {
		return 0, err
	}
	if n != 8 {
		return 0, newError("received %d bytes, expected 8 for %s", n, tag)
	}
	var b [8]byte
	if err := b64Decode(b[:], s, pads); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// appendBytes appends {"$bytes":"..."}.
func appendBytes(dst, b []byte) []byte {
	dst = append(dst, `{"$bytes":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, `"}`...)
}

// append8 appends {"<tag>":"<base64 of u, little-endian>"}, tag being
// $integer or $float.
func append8(dst []byte, tag string, u uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], u)
	dst = append(dst, `{"`...)
	dst = append(dst, tag...)
	dst = append(dst, `":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, b[:])
	return append(dst, `"}`...)
}

// appendInt64 appends v as a Convex int64.
func appendInt64(dst []byte, v int64) []byte {
	return append8(dst, "$integer", uint64(v))
}

// canonicalNaN is the NaN that JS writes for every NaN.
const canonicalNaN = 0x7ff8000000000000

// appendSpecialFloat appends NaN, ±Inf or -0 as a $float object.
func appendSpecialFloat(dst []byte, f float64) []byte {
	u := math.Float64bits(f)
	if f != f {
		u = canonicalNaN
	}
	return append8(dst, "$float", u)
}

// isSpecialFloat reports whether f must be encoded as a $float: NaN, ±Inf
// or -0.
func isSpecialFloat(f float64) bool {
	return f != f || math.IsInf(f, 0) || (f == 0 && math.Signbit(f))
}
