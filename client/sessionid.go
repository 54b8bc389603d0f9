//go:build !js

package client

import "crypto/rand"

// newSessionID returns the id of a client's session, kept across its
// reconnects.
func newSessionID() string { return rand.Text() }
