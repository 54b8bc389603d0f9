// Package transport is the client's WebSocket, one implementation per
// platform: coder/websocket natively, and (under GOOS=js) the browser's
// WebSocket within its limits. The client's event loop sees only Conn.
package transport

import (
	"context"
	"fmt"
)

// ReadLimit is the largest frame the client accepts. Function results are
// capped at 16 MiB by the server, and a Transition may carry several of
// them when the server does not split it into chunks.
const ReadLimit = 128 << 20

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
