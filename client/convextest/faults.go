package convextest

import (
	"time"

	"github.com/coder/websocket"

	"github.com/goconvex/convex/client/internal/protocol"
)

// DropConnections drops every connection as a server fault would: no
// further frame is sent and each socket closes with code 1011 and reason
// "InternalServerError" (the JS client then reconnects after its ~1 s
// backoff). It returns at once; poll Connections to see them go.
func (s *Server) DropConnections() {
	s.DropConnectionsWith(int(websocket.StatusInternalError), "InternalServerError")
}

// DropConnectionsWith drops every connection with the given close code and
// reason (for example 1013 "SubscriptionsWorkerFullError" to exercise a
// client's overload backoff).
func (s *Server) DropConnectionsWith(code int, reason string) {
	for _, c := range s.snapshotConns() {
		c.drop(websocket.StatusCode(code), reason)
	}
}

// DropAfterFrames arms a one-shot fault: after n more frames have been sent
// (over all connections), every connection is dropped as DropConnections
// does, and frame n+1 is never sent. DropAfterFrames(1) right before a
// client's mutation drops the connection after the MutationResponse but
// before the Transition that would confirm it. A negative n disarms it.
func (s *Server) DropAfterFrames(n int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if n < 0 {
		s.dropAfter = -1
	} else {
		s.dropAfter = int64(n)
	}
}

// admitFrame counts a frame against DropAfterFrames; false means the frame
// must not be sent (the connections are being dropped).
func (s *Server) admitFrame(_ *conn) bool {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	switch {
	case s.dropAfter < 0:
		return true
	case s.dropAfter > 0:
		s.dropAfter--
		return true
	}
	s.dropAfter = -1
	s.DropConnections()
	return false
}

// DelayFrames delays every outgoing frame by d (0 turns the delay off).
func (s *Server) DelayFrames(d time.Duration) {
	s.delay.Store(int64(max(d, 0)))
}

func (s *Server) frameDelay() time.Duration { return time.Duration(s.delay.Load()) }

// RefuseConnections makes sync WebSocket upgrades fail with HTTP 503 for
// the next d (existing connections are not affected; 0 stops refusing).
func (s *Server) RefuseConnections(d time.Duration) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.refuseUntil = time.Now().Add(d)
}

func (s *Server) refusing() bool {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return time.Now().Before(s.refuseUntil)
}

// InjectAuthError sends every live connection an AuthError with the given
// message (baseVersion: the connection's last transitioned identity
// version) and closes it without a status code, as the real server does
// when it rejects an identity.
func (s *Server) InjectAuthError(message string, authUpdateAttempted bool) {
	s.control(func(c *conn) bool {
		base := c.version.Identity
		c.finish(&protocol.AuthError{Error: message, BaseVersion: &base, AuthUpdateAttempted: authUpdateAttempted}, websocket.StatusNoStatusRcvd, "")
		return false
	})
}

// InjectFatalError sends every live connection a FatalError with the given
// message and closes it. The JS client treats a FatalError as terminal: it
// never reconnects.
func (s *Server) InjectFatalError(message string) {
	s.control(func(c *conn) bool {
		c.fatal(message)
		return false
	})
}

// control runs fn on every connection's owner goroutine.
func (s *Server) control(fn func(c *conn) bool) {
	for _, c := range s.snapshotConns() {
		c.push(controlEvent{fn: fn})
	}
}

// Connections returns the number of open sync connections.
func (s *Server) Connections() int {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return len(s.conns)
}

// Subscriptions returns the number of queries subscribed over all
// connections (each connection's query set, after its last ModifyQuerySet).
func (s *Server) Subscriptions() int {
	n := 0
	for _, c := range s.snapshotConns() {
		n += int(c.numQueries.Load())
	}
	return n
}

// ExecutionCount returns how many times the function name has run (every
// query run and re-run, every mutation run — a deduplicated resend does not
// run — and every action run).
func (s *Server) ExecutionCount(name string) int {
	s.execMu.Lock()
	defer s.execMu.Unlock()
	return s.execs[canonicalPath(name)]
}

// FramesSent returns the number of frames sent to clients since the
// server started.
func (s *Server) FramesSent() int64 { return s.framesSent.Load() }
