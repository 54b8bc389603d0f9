package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// scriptedServer accepts sync sockets and hands each to the test, which
// reads the client's frames and writes the server's by hand. It is the
// process-edge fake for protocol scenarios that a real deployment cannot be
// made to produce (bad versions, fatal errors, malformed frames).
type scriptedServer struct {
	t     *testing.T
	srv   *httptest.Server
	conns chan *scriptedConn
	paths chan string
	// gate, when set before the client dials, holds every upgrade until
	// it is closed (openGate).
	gate chan struct{}
}

type scriptedConn struct {
	t      *testing.T
	c      *websocket.Conn
	frames chan string
	closed chan error
	header http.Header
}

func newScriptedServer(t *testing.T) *scriptedServer {
	s := &scriptedServer{t: t, conns: make(chan *scriptedConn, 16), paths: make(chan string, 16)}
	validator := newFrameValidator(t) // every frame the client sends must pass the backend's rules
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.gate != nil {
			select {
			case <-s.gate:
			case <-r.Context().Done():
				return
			}
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.SetReadLimit(1 << 24)
		sc := &scriptedConn{t: t, c: c, frames: make(chan string, 256), closed: make(chan error, 1), header: r.Header}
		s.paths <- r.URL.Path
		s.conns <- sc
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				sc.closed <- err
				close(sc.frames)
				return
			}
			validator.check(data)
			sc.frames <- string(data)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scriptedServer) url() string { return s.srv.URL }

// holdSockets makes the server hold the client's sockets until openGate;
// call it before the client dials.
func (s *scriptedServer) holdSockets() { s.gate = make(chan struct{}) }

func (s *scriptedServer) openGate() { close(s.gate) }

// accept waits for the client's next socket.
func (s *scriptedServer) accept() *scriptedConn {
	s.t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(30 * time.Second):
		s.t.Fatal("the client did not connect")
		return nil
	}
}

// read returns the client's next frame.
func (c *scriptedConn) read() string {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatal("the socket closed while a frame was expected")
		}
		return f
	case <-time.After(30 * time.Second):
		c.t.Fatal("no frame from the client")
		return ""
	}
}

// readType returns the client's next frame, which must be of type typ.
func (c *scriptedConn) readType(typ string) string {
	c.t.Helper()
	f := c.read()
	require.Contains(c.t, f, `"type":"`+typ+`"`)
	return f
}

func (c *scriptedConn) send(frame string) {
	c.t.Helper()
	require.NoError(c.t, c.c.Write(context.Background(), websocket.MessageText, []byte(frame)))
}

func (c *scriptedConn) close(code websocket.StatusCode, reason string) {
	_ = c.c.Close(code, reason)
}

// waitClosed waits until the client closed the socket.
func (c *scriptedConn) waitClosed() {
	c.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				return
			}
		case <-deadline:
			c.t.Fatal("the client did not close the socket")
		}
	}
}

// fastBackoff makes reconnect delays short and deterministic in tests.
func fastBackoff() Option {
	return func(o *options) { o.random = func() float64 { return 0 } }
}

func v(qs, id int, ts string) string {
	return `{"querySet":` + strconv.Itoa(qs) + `,"identity":` + strconv.Itoa(id) + `,"ts":"` + ts + `"}`
}

const (
	ts0    = "AAAAAAAAAAA="
	ts1000 = "6AMAAAAAAAA="
	ts2000 = "0AcAAAAAAAA="
	ts3000 = "uAsAAAAAAAA="
)

func transitionFrame(start, end, mods string) string {
	return `{"type":"Transition","startVersion":` + start + `,"endVersion":` + end + `,"modifications":[` + mods + `]}`
}

func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
