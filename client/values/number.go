package values

import (
	"math"
	"strconv"
)

// maxSafeInt is 2^53: every integer of smaller magnitude is exactly a
// float64.
const maxSafeInt = 1 << 53

// appendNumber appends the finite, non-negative-zero float f the way
// JavaScript's Number::toString (and so JSON.stringify) writes it. bitSize
// 32 picks the shortest digits that round-trip to float32(f).
//
// ECMAScript takes the shortest decimal digits d1…dk and the exponent n with
// f = 0.d1…dk × 10^n, and lays them out as: the digits followed by n−k zeros
// if k ≤ n ≤ 21; d1…dn.dn+1…dk if 0 < n ≤ 21; 0.000d1…dk if −6 < n ≤ 0;
// otherwise d1.d2…dke±(n−1), with no fraction when k = 1.
func appendNumber(dst []byte, f float64, bitSize int) []byte {
	if f == 0 {
		return append(dst, '0')
	}
	if f == math.Trunc(f) && f >= -maxSafeInt && f <= maxSafeInt {
		// For such integers the shortest digits are the integer's own
		// digits (up to trailing zeros), and n ≤ 16 ≤ 21.
		// A float32 holds every integer below 2^24 exactly.
		if bitSize == 64 || math.Abs(f) < 1<<24 {
			return strconv.AppendInt(dst, int64(f), 10)
		}
	}
	var scratch [32]byte
	b := strconv.AppendFloat(scratch[:0], f, 'e', -1, bitSize) // [-]d[.ddd]e±xx
	if b[0] == '-' {
		dst = append(dst, '-')
		b = b[1:]
	}
	e := len(b) - 1
	for b[e] != 'e' {
		e--
	}
	exp := 0
	for _, c := range b[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if b[e+1] == '-' {
		exp = -exp
	}
	// Gather the digits, dropping the decimal point.
	var digitsBuf [24]byte
	digits := append(digitsBuf[:0], b[0])
	if e > 1 {
		digits = append(digits, b[2:e]...)
	}
	k := len(digits)
	n := exp + 1
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		for i := k; i < n; i++ {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		dst = append(dst, digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for i := n; i < 0; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '-')
		}
		dst = strconv.AppendInt(dst, int64(abs(n-1)), 10)
	}
	return dst
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// appendFloat appends f as a Convex float64: a JSON number, or a $float
// object for NaN, ±Inf and -0.
func appendFloat(dst []byte, f float64, bitSize int) []byte {
	if isSpecialFloat(f) {
		return appendSpecialFloat(dst, f)
	}
	return appendNumber(dst, f, bitSize)
}

// formatNumber formats f for an error message, as JS would print it.
func formatNumber(f float64) string {
	switch {
	case f != f:
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return string(appendNumber(nil, f, 64))
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
