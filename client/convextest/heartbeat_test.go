//go:build !js

package convextest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The backend's heartbeat (crates/local_backend/src/subs/mod.rs): a ping
// every 5 s starting at once, and a socket silent for more than 120 s is
// closed at the next tick.
func TestHeartbeatClosesASilentClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		pings := 0
		silent := heartbeat(t.Context(), func() time.Time { return start }, func() { pings++ })
		require.True(t, silent)
		assert.Equal(t, 125*time.Second, time.Since(start), "the first tick after 120 s of silence")
		assert.Equal(t, 25, pings, "a ping at 0 s, 5 s, …, 120 s")
	})
}

func TestHeartbeatKeepsAClientThatAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		last := time.Now()
		pings := 0
		silent := heartbeat(ctx, func() time.Time { return last }, func() {
			pings++
			last = time.Now() // the pong
		})
		assert.False(t, silent)
		assert.Equal(t, 721, pings, "every 5 s for an hour, and one at once")
	})
}

// TestServerPingsAtOnce reads the first frame of a sync socket with a raw
// WebSocket handshake: a WebSocket-level Ping (opcode 9), sent as soon as
// the socket opens.
func TestServerPingsAtOnce(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	conn, err := net.DialTimeout("tcp", srv.Addr(), waitTimeout)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(waitTimeout)))
	_, err = io.WriteString(conn, "GET /api/1.48.0/sync HTTP/1.1\r\nHost: "+srv.Addr()+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	head := make([]byte, 2)
	_, err = io.ReadFull(br, head)
	require.NoError(t, err)
	assert.Equal(t, byte(0x89), head[0], "FIN and opcode 9 (Ping): %x", head)
	assert.True(t, strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"))
}
