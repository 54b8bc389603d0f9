package client

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSessionIDIsUUIDv4: the backend parses Connect.sessionId as a UUID
// (session_id.parse() into SessionId(Uuid) in
// crates/convex/sync_types/src/types/json.rs) and answers anything else
// with a FatalError. The id is a random version 4 UUID, hyphenated, as the
// JS client's.
func TestSessionIDIsUUIDv4(t *testing.T) {
	uuidV4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newSessionID()
		require.Regexp(t, uuidV4, id)
		require.False(t, seen[id], "repeated session id %s", id)
		seen[id] = true
	}
}
