package protocol

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// DefaultChunkSize is the size above which the real server splits a
// Transition into TransitionChunks, and the size of each chunk.
const DefaultChunkSize = 5_000_000

// SplitTransition splits an encoded Transition into chunks of at most size
// bytes, cut on UTF-8 character boundaries, as the real server does. The
// transition id is the decimal length of the whole encoding. An encoding of
// at most size bytes yields nil: send it whole.
func SplitTransition(encoded []byte, size int) []*TransitionChunk {
	if len(encoded) <= size || size < utf8.UTFMax {
		return nil
	}
	id := strconv.Itoa(len(encoded))
	var parts []string
	for rest := encoded; len(rest) > 0; {
		n := min(size, len(rest))
		for n < len(rest) && n > 0 && !utf8.RuneStart(rest[n]) {
			n--
		}
		parts = append(parts, string(rest[:n]))
		rest = rest[n:]
	}
	chunks := make([]*TransitionChunk, len(parts))
	for i, p := range parts {
		chunks[i] = &TransitionChunk{Chunk: p, PartNumber: uint32(i), TotalParts: uint32(len(parts)), TransitionID: id}
	}
	return chunks
}

// ChunkAssembler reassembles TransitionChunks. Parts must arrive in order
// 0..TotalParts-1 with the same TotalParts and TransitionID, as the JS client
// requires. The zero value is ready to use.
type ChunkAssembler struct {
	parts []string
	total uint32
	id    string
}

// Add takes the next chunk. When the last part arrives it returns the
// decoded Transition; before that it returns nil. A chunk out of order, or a
// reassembled message that is not a Transition, is an error and clears the
// buffer.
func (a *ChunkAssembler) Add(c *TransitionChunk) (*Transition, error) {
	if c.TotalParts == 0 || c.PartNumber >= c.TotalParts {
		a.Reset()
		return nil, fmt.Errorf("invalid TransitionChunk: part %d of %d", c.PartNumber, c.TotalParts)
	}
	if len(a.parts) > 0 && (c.TotalParts != a.total || c.TransitionID != a.id) {
		a.Reset()
		return nil, fmt.Errorf("invalid TransitionChunk: part of transition %q (%d parts) arrived while %q (%d parts) was in progress", c.TransitionID, c.TotalParts, a.id, a.total)
	}
	if want := uint32(len(a.parts)); c.PartNumber != want {
		a.Reset()
		return nil, fmt.Errorf("TransitionChunk received out of order: expected part %d, got %d", want, c.PartNumber)
	}
	a.parts = append(a.parts, c.Chunk)
	a.total, a.id = c.TotalParts, c.TransitionID
	if uint32(len(a.parts)) < a.total {
		return nil, nil
	}
	var n int
	for _, p := range a.parts {
		n += len(p)
	}
	whole := make([]byte, 0, n)
	for _, p := range a.parts {
		whole = append(whole, p...)
	}
	a.Reset()
	msg, err := DecodeServerMessage(whole)
	if err != nil {
		return nil, fmt.Errorf("failed to decode reassembled transition: %w", err)
	}
	t, ok := msg.(*Transition)
	if !ok {
		return nil, fmt.Errorf("reassembled TransitionChunks hold a %T, not a Transition", msg)
	}
	return t, nil
}

// InProgress reports whether some parts are buffered.
func (a *ChunkAssembler) InProgress() bool { return len(a.parts) > 0 }

// Reset discards buffered parts.
func (a *ChunkAssembler) Reset() { a.parts, a.total, a.id = nil, 0, "" }
