package transport

import "testing"

// TestReadLimitCoversTheBackendsLargestFrame: ReadLimit is above the
// largest frame the backend can send to this client (see ReadLimit for the
// reasoning), from the backend's own limits.
func TestReadLimitCoversTheBackendsLargestFrame(t *testing.T) {
	const (
		// MAX_MESSAGE_SIZE in crates/local_backend/src/subs/mod.rs: the
		// estimated size above which a Transition is chunked, and the
		// size of a chunk.
		maxMessageSize = 5_000_000
		// SYSTEM_FUNCTION_MAX_RESULT_SIZE in crates/common/src/knobs.rs
		// (FUNCTION_MAX_RESULT_SIZE, 16 MiB, for the others).
		maxResultSize = 24 << 20
		// MAX_LOG_LINES × MAX_LOG_LINE_LENGTH in
		// crates/isolate/src/environment/helpers/mod.rs.
		maxLogBytes = 256 * 32768
		// JSON spells one byte of a value in at most 6 ("\u0001").
		jsonPerByte = 6
		envelope    = 64 << 10
	)
	for name, frame := range map[string]int{
		"TransitionChunk":             2*maxMessageSize + envelope,
		"Transition sent whole":       jsonPerByte*maxMessageSize + envelope,
		"Mutation or action response": jsonPerByte*(maxResultSize+maxLogBytes) + envelope,
	} {
		if ReadLimit < frame {
			t.Errorf("ReadLimit %d is below the largest %s the backend can send: %d", ReadLimit, name, frame)
		}
	}
}
