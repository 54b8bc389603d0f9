package client

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/transport"
)

// memServer accepts the client's sockets in memory (the dial option), so that a
// test can run the client in a testing/synctest bubble on its fake clock:
// every goroutine blocked on a memConn is durably blocked.
type memServer struct{ conns chan *memPeer }

func newMemServer() *memServer { return &memServer{conns: make(chan *memPeer)} }

// option makes the client dial this server.
func (m *memServer) option() Option {
	return func(o *options) { o.dial = m.dial }
}

func (m *memServer) dial(ctx context.Context, _ string, _ transport.DialOptions) (transport.Conn, error) {
	p := &memPeer{toServer: make(chan []byte, 64), toClient: make(chan []byte, 64), done: make(chan struct{})}
	select {
	case m.conns <- p:
		return (*memConn)(p), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// memPeer is the server's end of an in-memory socket; memConn the client's.
type memPeer struct {
	toServer, toClient chan []byte
	done               chan struct{} // closed when either end closes
	once               sync.Once
}

type memConn memPeer

func (c *memConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case f := <-c.toClient:
		return f, nil
	case <-c.done:
		return nil, &transport.CloseError{Code: 1000}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *memConn) Write(ctx context.Context, frame []byte) error {
	select {
	case c.toServer <- frame:
		return nil
	case <-c.done:
		return errors.New("socket closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *memConn) Close(string) error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// read returns the client's next frame; in a bubble a client that never
// sends is a deadlock, which synctest reports.
func (p *memPeer) read(t *testing.T) string {
	t.Helper()
	select {
	case f := <-p.toServer:
		return string(f)
	case <-p.done:
		t.Fatal("the socket closed while a frame was expected")
		return ""
	}
}

func (p *memPeer) readType(t *testing.T, typ string) string {
	t.Helper()
	f := p.read(t)
	require.Contains(t, f, `"type":"`+typ+`"`)
	return f
}

func (p *memPeer) send(t *testing.T, frame string) {
	t.Helper()
	select {
	case p.toClient <- []byte(frame):
	case <-p.done:
		t.Fatal("the client closed the socket")
	}
}

func (p *memPeer) closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// TestInactivityReconnect: a Ping counts as activity; a server silent for
// the threshold is dropped exactly then, and the next Connect says why. On
// synctest's fake clock.
func TestInactivityReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const threshold = time.Second
		srv := newMemServer()
		c, err := New("http://127.0.0.1:1", fastBackoff(), WithServerInactivityThreshold(threshold), srv.option())
		require.NoError(t, err)
		defer c.Close()
		conn := <-srv.conns
		conn.readType(t, "Connect")
		conn.readType(t, "ModifyQuerySet")
		for range 6 { // a Ping every quarter of the threshold keeps it open past it
			time.Sleep(threshold / 4)
			conn.send(t, `{"type":"Ping"}`)
			synctest.Wait()
			require.False(t, conn.closed())
		}
		time.Sleep(threshold - time.Millisecond)
		synctest.Wait()
		require.False(t, conn.closed(), "dropped before the threshold")
		time.Sleep(time.Millisecond)
		synctest.Wait()
		require.True(t, conn.closed(), "dropped once silent for the threshold")

		conn2 := <-srv.conns
		f := conn2.readType(t, "Connect")
		require.True(t, strings.Contains(f, `"lastCloseReason":"InactiveServer"`), f)
	})
}

// TestSubscriptionCloseUnblocksNext: Close on a subscription wakes a Next
// blocked on it and removes the server query.
func TestSubscriptionCloseUnblocksNext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newMemServer()
		c, err := New("http://127.0.0.1:1", fastBackoff(), srv.option())
		require.NoError(t, err)
		defer c.Close()
		ctx := context.Background()
		sub, err := c.Subscribe(ctx, "q:x", nil)
		require.NoError(t, err)
		conn := <-srv.conns // the socket opens after the subscription reached the loop
		conn.readType(t, "Connect")
		require.Contains(t, conn.readType(t, "ModifyQuerySet"), `"udfPath":"q:x"`)

		next := make(chan error, 1)
		go func() { _, err := sub.Next(ctx); next <- err }()
		synctest.Wait() // Next is blocked
		require.NoError(t, sub.Close())
		require.ErrorIs(t, <-next, ErrClosed)
		require.Equal(t, `{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[{"type":"Remove","queryId":0}]}`, conn.read(t))
	})
}
