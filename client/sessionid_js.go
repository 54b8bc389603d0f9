//go:build js

package client

import (
	"fmt"
	"math/rand/v2"
)

// newSessionID returns the id of a client's session, kept across its
// reconnects: a random UUID, as the JS client's. Under GOOS=js it comes from
// math/rand/v2 (ChaCha8, seeded by the runtime from crypto.getRandomValues)
// instead of crypto/rand, which would add ~50 KB (gzip) of crypto and
// math/big to the wasm build; a session id is an identifier, not a secret.
func newSessionID() string {
	a, b := rand.Uint64(), rand.Uint64()
	a = a&^(0xf<<12) | 4<<12   // version 4
	b = b&^(0x3<<62) | 0x2<<62 // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}
