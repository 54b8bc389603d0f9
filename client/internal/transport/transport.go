// Package transport is the client's WebSocket, one implementation per
// platform: coder/websocket natively, and (under GOOS=js) the browser's
// WebSocket within its limits. The client's event loop sees only Conn.
package transport

import (
	"context"
	"fmt"
)

// ReadLimit is the largest frame the client accepts: more than the largest
// frame the backend can send it. The backend puts no limit on a frame
// itself; what bounds one (crates/ of get-convex/convex-backend):
//
//   - A Transition whose estimated size (heap_size) is above 5,000,000 bytes
//     is split into TransitionChunks of at most 5,000,000 bytes of its JSON
//     (MAX_MESSAGE_SIZE in local_backend/src/subs/mod.rs), for npm clients
//     from 1.28, as which this client connects. A chunk's frame is at most
//     twice that (its text escaped as a JSON string); a Transition sent
//     whole is at most about 6 × 5,000,000 bytes (JSON spells a value in at
//     most ~6 times its estimated size: "" for one byte).
//   - Mutation and action responses are never split. A result is at most
//     16 MiB by the backend's measure (FUNCTION_MAX_RESULT_SIZE in
//     common/src/knobs.rs; 24 MiB for system functions,
//     SYSTEM_FUNCTION_MAX_RESULT_SIZE), so at most 6 × 24 MiB of JSON, and
//     its log lines at most 256 lines of 32,768 bytes (MAX_LOG_LINES,
//     MAX_LOG_LINE_LENGTH in isolate/src/environment/helpers/mod.rs), 6 × 8
//     MiB of JSON: 192 MiB in all, in the worst case.
const ReadLimit = 256 << 20

// Conn is an open WebSocket carrying text frames.
type Conn interface {
	// Read returns the next text frame. When the peer closed the socket the
	// error is a *CloseError.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one text frame.
	Write(ctx context.Context, frame []byte) error
	// Close closes the socket with a normal closure and the reason.
	Close(reason string) error
}

// CloseError reports the close frame the peer sent. Code is 1005 when the
// frame carried no status, as browsers report it.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("websocket closed with code %d", e.Code)
	}
	return fmt.Sprintf("websocket closed with code %d: %s", e.Code, e.Reason)
}

// DialOptions configure a dial.
type DialOptions struct {
	// Header is sent with the upgrade request where the platform allows
	// headers (not in browsers).
	Header map[string]string
}
