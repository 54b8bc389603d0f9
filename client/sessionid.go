package client

import "math/rand/v2"

// newSessionID returns the id of a client's session, kept across its
// reconnects: a random (version 4) UUID in its hyphenated form, as the JS
// client's. The backend parses Connect.sessionId as a UUID and answers
// anything else with a FatalError (session_id.parse() in
// crates/convex/sync_types/src/types/json.rs).
//
// The bits come from math/rand/v2, whose generator (ChaCha8) the runtime
// seeds from the system's entropy (crypto.getRandomValues under GOOS=js):
// crypto/rand would add ~50 KB (gzip) of crypto and math/big to the wasm
// build, and a session id is an identifier, not a secret. One
// implementation serves both builds.
func newSessionID() string {
	var u [16]byte
	a, b := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		u[i], u[8+i] = byte(a>>(56-8*i)), byte(b>>(56-8*i))
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant 10
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}
