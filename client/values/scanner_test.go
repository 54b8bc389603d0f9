package values

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestNeedsLook checks the eight-bytes-at-a-time test of readString against
// the byte table it skips ahead of: every byte value at every position,
// then random words.
func TestNeedsLook(t *testing.T) {
	word := func(b [8]byte) uint64 { return binary.LittleEndian.Uint64(b[:]) }
	want := func(b [8]byte) bool {
		for _, c := range b {
			if !plainStringByte[c] {
				return true
			}
		}
		return false
	}
	for pos := range 8 {
		for c := range 256 {
			b := [8]byte{'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'}
			b[pos] = byte(c)
			if got := needsLook(word(b)); got != want(b) {
				t.Fatalf("byte %#x at %d: needsLook = %v", c, pos, got)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var b [8]byte
		for i := range b {
			b[i] = byte(0x20 + r.IntN(0x60)) // mostly plain, sometimes '"' or '\\'
			if r.IntN(50) == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		if got := needsLook(word(b)); got != want(b) {
			t.Fatalf("%q: needsLook = %v", b, got)
		}
	}
}
