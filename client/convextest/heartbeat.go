package convextest

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// The backend's WebSocket heartbeat (crates/local_backend/src/subs/mod.rs):
// a WebSocket-level Ping every HEARTBEAT_INTERVAL, and a connection that has
// sent nothing (no frame, no pong) for more than CLIENT_TIMEOUT is closed
// with 1000 "ClientDisconnected" (crates/errors/src/lib.rs,
// ErrorMetadata::client_disconnect and its close frame).
const (
	heartbeatInterval = 5 * time.Second
	clientTimeout     = 120 * time.Second
	// clientDisconnected is the close reason of a silent connection.
	clientDisconnected = "ClientDisconnected"
)

// heartbeat pings every heartbeatInterval, the first time at once (the
// backend's ticker fires when it starts), until ctx is done; it returns
// true when the peer has been silent for more than clientTimeout at a
// tick. last says when the peer was last heard from.
func heartbeat(ctx context.Context, last func() time.Time, ping func()) (silent bool) {
	t := time.NewTicker(heartbeatInterval)
	defer t.Stop()
	for {
		if time.Since(last()) > clientTimeout {
			return true
		}
		ping()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// heard records that the client sent something.
func (c *conn) heard() { c.lastReceived.Store(time.Now().UnixNano()) }

func (c *conn) lastHeard() time.Time { return time.Unix(0, c.lastReceived.Load()) }

// runHeartbeat pings the client and closes a silent connection. One ping
// is in flight at a time; its pong counts as hearing from the client.
func (c *conn) runHeartbeat() {
	defer c.wg.Done()
	inflight := make(chan struct{}, 1)
	ping := func() {
		select {
		case inflight <- struct{}{}:
		default:
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer func() { <-inflight }()
			if c.ws.Ping(c.ctx) == nil {
				c.heard()
			}
		}()
	}
	if heartbeat(c.ctx, c.lastHeard, ping) {
		c.s.logger.Debug("convextest: closing a silent connection", "conn", c.id)
		c.drop(websocket.StatusNormalClosure, clientDisconnected)
	}
}
