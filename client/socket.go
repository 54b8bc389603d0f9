package client

import (
	"context"
	"sync"
	"time"

	"github.com/goconvex/convex/client/internal/transport"
)

// socket is one WebSocket connection attempt and, once open, its reader and
// writer goroutines. Its events carry the socket so that the loop can ignore
// those of a socket it already dropped.
type socket struct {
	l      *loop
	id     int
	ctx    context.Context
	cancel context.CancelFunc
	out    frameQueue

	mu         sync.Mutex
	conn       transport.Conn // set once open
	inactivity *time.Timer
}

func newSocket(l *loop, id int) *socket {
	ctx, cancel := context.WithCancel(l.ctx)
	return &socket{l: l, id: id, ctx: ctx, cancel: cancel, out: frameQueue{wake: make(chan struct{}, 1)}}
}

// post hands an event to the loop unless this socket was dropped.
func (s *socket) post(ev event) {
	select {
	case s.l.events <- ev:
	case <-s.ctx.Done():
	}
}

func (s *socket) dial(url string, timeout time.Duration) {
	defer s.l.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, timeout)
	defer cancel()
	// No Convex-Client header, as from the JS client: the backend then
	// takes the client version from the URL (/api/<ProtocolVersion>/sync,
	// an npm version) and splits large Transitions into TransitionChunks,
	// which it does only for npm clients from 1.28 on
	// (new_sync_worker_config in crates/local_backend/src/subs/mod.rs;
	// client_version_from_req_parts in crates/common/src/http/mod.rs). With
	// the header it would send every Transition whole, however large.
	dial := transport.Dial
	if s.l.c.opts.dial != nil {
		dial = s.l.c.opts.dial
	}
	conn, err := dial(ctx, url, transport.DialOptions{})
	if err != nil {
		s.post(socketClosed{s: s, err: err})
		return
	}
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	if s.ctx.Err() != nil { // dropped while dialing
		_ = conn.Close("")
		return
	}
	s.post(socketOpened{s: s})
}

func (s *socket) readLoop() {
	defer s.l.wg.Done()
	for {
		data, err := s.conn.Read(s.ctx)
		if err != nil {
			s.post(socketClosed{s: s, err: err})
			return
		}
		s.post(socketFrame{s: s, data: data})
	}
}

func (s *socket) writeLoop() {
	defer s.l.wg.Done()
	for {
		frames, ok := s.out.wait(s.ctx)
		if !ok {
			return
		}
		for _, f := range frames {
			if err := s.conn.Write(s.ctx, f); err != nil {
				s.post(writeFailed{s: s, err: err})
				return
			}
		}
	}
}

// armInactivity starts the server inactivity timer.
func (s *socket) armInactivity(threshold time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inactivity = time.AfterFunc(threshold, func() { s.post(inactivityCheck{s: s}) })
}

func (s *socket) rearmInactivity(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inactivity != nil {
		s.inactivity.Reset(d)
	}
}

// shutdown closes the socket with reason, in the background; the loop has
// already forgotten it.
func (s *socket) shutdown(reason string) {
	s.mu.Lock()
	conn := s.conn
	if s.inactivity != nil {
		s.inactivity.Stop()
	}
	s.mu.Unlock()
	s.out.close()
	if conn == nil {
		s.cancel()
		return
	}
	s.l.wg.Add(1)
	go func() {
		defer s.l.wg.Done()
		defer s.cancel()
		_ = conn.Close(reason)
	}()
}

// frameQueue is the socket's unbounded outgoing queue: the loop pushes
// without ever blocking, the writer drains it.
type frameQueue struct {
	mu     sync.Mutex
	frames [][]byte
	closed bool
	wake   chan struct{}
}

func (q *frameQueue) push(f []byte) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.frames = append(q.frames, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *frameQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.frames = nil
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// wait returns the queued frames, blocking until there are some; false
// means the queue closed or ctx ended.
func (q *frameQueue) wait(ctx context.Context) ([][]byte, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		if len(q.frames) > 0 {
			f := q.frames
			q.frames = nil
			q.mu.Unlock()
			return f, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// event is something that happened outside the loop.
type event interface{ handle(l *loop) }

type socketOpened struct{ s *socket }
type socketFrame struct {
	s    *socket
	data []byte
}
type socketClosed struct {
	s   *socket
	err error
}
type writeFailed struct {
	s   *socket
	err error
}
type inactivityCheck struct{ s *socket }
type reconnectDue struct{ seq int }

func (e socketOpened) handle(l *loop) {
	if e.s == l.sock {
		l.onOpened(e.s)
	} else {
		e.s.shutdown("")
	}
}

func (e socketFrame) handle(l *loop) {
	if e.s == l.sock {
		l.onFrame(e.data)
	}
}

func (e socketClosed) handle(l *loop) {
	if e.s == l.sock {
		l.onClosed(e.err)
	}
}

func (e writeFailed) handle(l *loop) {
	if e.s == l.sock {
		l.lastError = e.err.Error()
		l.log.Error("convex: failed to send a message, reconnecting", "err", e.err)
		l.closeAndReconnect("FailedToSendMessage", true)
	}
}

func (e inactivityCheck) handle(l *loop) {
	if e.s != l.sock || !l.connected {
		return
	}
	threshold := l.c.opts.inactivityThreshold
	if idle := time.Since(l.lastFrameAt); idle < threshold {
		e.s.rearmInactivity(threshold - idle)
		return
	}
	l.log.Warn("convex: no message from the server, reconnecting", "threshold", threshold)
	l.closeAndReconnect("InactiveServer", true)
}

func (e reconnectDue) handle(l *loop) {
	if e.seq == l.reconnectSeq && l.sock == nil {
		l.reconnect = nil
		l.connect()
	}
}
