package convextest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/goconvex/convex/client/internal/jsonstr"
	"github.com/goconvex/convex/client/internal/protocol"
)

// Per-connection limits of the real server (crates/sync/src/worker.rs:
// OPERATION_QUEUE_BUFFER_SIZE; the action check runs before the new action
// is counted, so 1001 may be in flight).
const (
	maxQueuedMutations     = 1000
	maxActionsInFlight     = 1000
	maxBufferedTransitions = 2
	readLimit              = 16<<20 + 64<<10 // client frames: 16 MiB of arguments + slack
)

// conn is one sync WebSocket. Its sync state is owned by one goroutine (the
// owner, running run), fed through a queue by the reader goroutine, action
// goroutines, fault injection and, for commits, by the committing mutation.
// A writer goroutine sends frames in order; a mutation worker runs the
// connection's mutations one at a time.
type conn struct {
	s      *Server
	id     uint64
	ws     *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	// doomed is set when a fault drops the connection: nothing more is sent.
	doomed atomic.Bool
	// chunks says whether the client gets large Transitions as chunks.
	chunks bool
	// lastReceived is when the client last sent anything (a frame or a
	// pong), in Unix nanoseconds, for the silence timeout.
	lastReceived atomic.Int64

	qmu     sync.Mutex
	inbox   []any
	commits []commitNote // appended while the committer holds the store lock
	wake    chan struct{}

	w         *writer
	mutations chan mutationJob
	wg        sync.WaitGroup // reader, writer, mutation worker, actions

	numQueries atomic.Int32

	// Owner state.
	session  string
	skew     *float64
	version  protocol.StateVersion // last sent end version
	recvQS   uint32
	recvID   uint32
	identity *Identity
	caller   callerKind // who the identity is: a user (or none) or an admin
	idDirty  bool
	queries  map[uint32]*subscription
	removed  []uint32
	dirty    bool
	actions  int
}

type subscription struct {
	id      uint32
	path    string
	args    []byte
	journal *string // from the client's Add, then from each run
	reads   map[string]struct{}
	hash    string
	ran     bool
	stale   bool
	// component is the path of the component whose query it is, "" for
	// the app's.
	component string
}

// commitNote tells a connection about a commit: the tables it wrote, and
// for the connection that ran the mutation, its response.
type commitNote struct {
	tables []string
	resp   *protocol.MutationResponse
}

type mutationJob struct {
	req      *protocol.Mutation
	identity *Identity
	caller   callerKind
	session  string
}

// Inbox events.
type (
	clientEvent struct{ msg protocol.ClientMessage }
	badFrame    struct{ err error }
	binaryFrame struct{}
	readerDone  struct{ err error }
	actionDone  struct {
		requestID uint32
		out       *outcome
	}
	// controlEvent runs on the owner; returning false ends the connection.
	controlEvent struct{ fn func(c *conn) bool }
)

func (s *Server) newConn(ws *websocket.Conn, id uint64) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{
		s:         s,
		id:        id,
		ws:        ws,
		ctx:       ctx,
		cancel:    cancel,
		wake:      make(chan struct{}, 1),
		mutations: make(chan mutationJob, maxQueuedMutations),
		queries:   map[uint32]*subscription{},
	}
	c.w = &writer{c: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	return c
}

func (c *conn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// push queues an event for the owner.
func (c *conn) push(ev any) {
	c.qmu.Lock()
	c.inbox = append(c.inbox, ev)
	c.qmu.Unlock()
	c.poke()
}

// pushCommit queues a commit note. It never blocks: it runs while the
// committer holds the store lock.
func (c *conn) pushCommit(n commitNote) {
	c.qmu.Lock()
	c.commits = append(c.commits, n)
	c.qmu.Unlock()
	c.poke()
}

func (c *conn) takeInbox() []any {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	evs := c.inbox
	c.inbox = nil
	return evs
}

func (c *conn) takeCommits() []commitNote {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	n := c.commits
	c.commits = nil
	return n
}

func (c *conn) hasCommits() bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return len(c.commits) > 0
}

// serve runs the connection until it ends, then releases everything.
func (c *conn) serve() {
	c.ws.SetReadLimit(readLimit)
	c.heard()
	c.wg.Add(4)
	go c.read()
	go c.w.run()
	go c.mutationWorker()
	go c.runHeartbeat()

	graceful := c.run()
	if graceful {
		// Let the writer send the final message and the close frame.
		t := time.NewTimer(6 * time.Second)
		select {
		case <-c.w.done:
		case <-t.C:
		case <-c.s.closing:
		}
		t.Stop()
	}
	c.cancel()
	_ = c.ws.CloseNow()
	c.wg.Wait()
}

// run is the owner loop. It returns true when the connection is closing
// gracefully (the writer has a close frame to send).
func (c *conn) run() bool {
	for {
		select {
		case <-c.ctx.Done():
			return false
		case <-c.w.done:
			return false
		case <-c.wake:
		}
		for _, ev := range c.takeInbox() {
			if cont, graceful := c.handle(ev); !cont {
				return graceful
			}
		}
		if (c.dirty || c.hasCommits()) && c.w.pendingTransitions.Load() < maxBufferedTransitions {
			if !c.transition() {
				return true
			}
		}
	}
}

// handle processes one event. cont=false ends the connection; graceful
// says whether a close frame was queued.
func (c *conn) handle(ev any) (cont, graceful bool) {
	switch ev := ev.(type) {
	case clientEvent:
		return c.handleClient(ev.msg)
	case badFrame:
		// The decoder's error reads as the backend's FatalError.
		c.fatal(ev.err.Error())
		return false, true
	case binaryFrame:
		c.internalError("binary frames are not part of the protocol")
		return false, true
	case readerDone:
		return false, false
	case actionDone:
		c.actions--
		c.w.send(actionResponse(ev.requestID, ev.out))
		// The backend's sync worker follows every response with a
		// Transition.
		c.dirty = true
		return true, false
	case controlEvent:
		if !ev.fn(c) {
			return false, true
		}
		return true, false
	}
	return true, false
}

func (c *conn) handleClient(msg protocol.ClientMessage) (cont, graceful bool) {
	switch m := msg.(type) {
	case *protocol.Connect:
		c.session = m.SessionID
		skew := float64(m.ClientTS - time.Now().UnixMilli())
		c.skew = &skew
		if m.MaxObservedTimestamp != nil {
			// A client that saw a later timestamp talked to a deployment
			// with writes this one lacks (crates/sync/src/worker.rs).
			c.s.store.mu.RLock()
			latest := c.s.store.ts
			c.s.store.mu.RUnlock()
			if *m.MaxObservedTimestamp > latest {
				c.internalError(fmt.Sprintf("Client has observed a timestamp %d ahead of the backend latest known timestamp %d", *m.MaxObservedTimestamp, latest))
				return false, true
			}
		}
	case *protocol.ModifyQuerySet:
		if m.BaseVersion != c.recvQS {
			c.fatal(fmt.Sprintf("Base version %d passed up doesn't match the current version %d", m.BaseVersion, c.recvQS))
			return false, true
		}
		if m.NewVersion <= m.BaseVersion {
			c.internalError(fmt.Sprintf("new query set version %d is not above the base version %d", m.NewVersion, m.BaseVersion))
			return false, true
		}
		for _, mod := range m.Modifications {
			switch mod.Type {
			case protocol.ModAdd:
				if c.queries[mod.QueryID] != nil {
					c.internalError(fmt.Sprintf("query %d is already in the query set", mod.QueryID))
					return false, true
				}
				if c.componentRefused(mod.ComponentPath) {
					return false, true
				}
				c.queries[mod.QueryID] = &subscription{id: mod.QueryID, path: canonicalPath(mod.UDFPath), args: mod.Args, journal: parseJournal(mod.Journal), stale: true, component: mod.ComponentPath}
			case protocol.ModRemove:
				if c.queries[mod.QueryID] == nil {
					c.internalError(fmt.Sprintf("query %d is not in the query set", mod.QueryID))
					return false, true
				}
				delete(c.queries, mod.QueryID)
				c.removed = append(c.removed, mod.QueryID)
			}
		}
		c.numQueries.Store(int32(len(c.queries)))
		c.recvQS = m.NewVersion
		c.dirty = true
	case *protocol.Authenticate:
		var id *Identity
		var err error
		switch m.TokenType {
		case protocol.TokenUser:
			id, err = c.s.verifyJWT(c.ctx, m.Value)
		case protocol.TokenAdmin:
			id, err = c.s.adminIdentity(m.Value, m.Impersonating)
		}
		if err != nil {
			c.s.logger.Debug("convextest: Authenticate rejected", "conn", c.id, "error", err)
			base := c.version.Identity
			c.finish(&protocol.AuthError{Error: err.Error(), BaseVersion: &base, AuthUpdateAttempted: true}, websocket.StatusNoStatusRcvd, "")
			return false, true
		}
		if m.BaseVersion != c.recvID {
			c.internalError(fmt.Sprintf("identity base version %d doesn't match the current version %d", m.BaseVersion, c.recvID))
			return false, true
		}
		c.identity = id
		c.caller = callerUser
		if m.TokenType == protocol.TokenAdmin {
			c.caller = callerAdmin
			if id != nil {
				c.caller = callerActingAs
			}
		}
		// The backend reruns every query under the new identity at once,
		// and fails on a component's query without an admin.
		if c.componentQueriesRefused() {
			return false, true
		}
		c.recvID++
		c.idDirty = true
		c.dirty = true
	case *protocol.Mutation:
		if c.expired() || c.systemForbidden(m.UDFPath, kindMutation) || c.componentRefused(m.ComponentPath) {
			return false, true
		}
		select {
		case c.mutations <- mutationJob{req: m, identity: c.identity, caller: c.caller, session: c.session}:
		default:
			c.finish(nil, websocket.StatusTryAgainLater, "TooManyConcurrentMutations")
			return false, true
		}
	case *protocol.Action:
		if c.expired() || c.systemForbidden(m.UDFPath, kindAction) || c.componentRefused(m.ComponentPath) {
			return false, true
		}
		if c.actions > maxActionsInFlight {
			c.finish(nil, websocket.StatusTryAgainLater, "TooManyInflightActionsForSingleClient")
			return false, true
		}
		c.actions++
		c.wg.Add(1)
		go func(m *protocol.Action, id *Identity, caller callerKind) {
			defer c.wg.Done()
			out := c.s.runAction(withComponent(withCaller(c.ctx, caller), m.ComponentPath), m.UDFPath, m.Args, id)
			if c.ctx.Err() == nil {
				c.push(actionDone{requestID: m.RequestID, out: out})
			}
		}(m, c.identity, c.caller)
	case *protocol.Event:
		c.s.logger.Debug("convextest: client event", "conn", c.id, "type", m.EventType)
	}
	return true, false
}

// systemForbidden refuses a function of a system module to a connection
// that is not an admin's: the backend's sync worker fails with the
// forbidden error, which ends the connection with a FatalError and a
// normal close naming the error's code (crates/local_backend/src/subs/
// mod.rs; close_frame in crates/errors/src/lib.rs). It returns true when
// it did.
func (c *conn) systemForbidden(path string, kind functionKind) bool {
	msg := systemForbidden(path, kind, c.caller)
	if msg == "" {
		return false
	}
	c.s.logger.Debug("convextest: system function refused", "conn", c.id, "function", path)
	c.finish(&protocol.FatalError{Error: msg}, websocket.StatusNormalClosure, systemForbiddenCode)
	return true
}

// expired checks the identity's expiry; when it has passed it queues an
// AuthError(authUpdateAttempted:false) and a close, and returns true.
func (c *conn) expired() bool {
	if !c.identity.expired(c.s.now()) {
		return false
	}
	base := c.version.Identity
	c.finish(&protocol.AuthError{Error: "Convex token identity expired", BaseVersion: &base, AuthUpdateAttempted: false}, websocket.StatusNoStatusRcvd, "")
	return true
}

// finish queues a last message (if any) and a close frame.
func (c *conn) finish(last protocol.ServerMessage, code websocket.StatusCode, reason string) {
	if last != nil {
		c.w.send(last)
	}
	c.w.closeWith(code, reason)
}

// fatal ends the connection with a FatalError, closing without a status
// code as the real server does for bad requests.
func (c *conn) fatal(msg string) {
	c.s.logger.Debug("convextest: fatal error on connection", "conn", c.id, "error", msg)
	c.finish(&protocol.FatalError{Error: msg}, websocket.StatusNoStatusRcvd, "")
}

// internalError ends the connection as the real server does for internal
// errors: close 1011 InternalServerError, no message.
func (c *conn) internalError(detail string) {
	c.s.logger.Debug("convextest: closing connection", "conn", c.id, "reason", detail)
	c.finish(nil, websocket.StatusInternalError, "InternalServerError")
}

// read is the reader goroutine.
func (c *conn) read() {
	defer c.wg.Done()
	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil {
			c.push(readerDone{err: err})
			return
		}
		c.heard()
		c.s.observe(ToServer, c.id, data)
		if typ != websocket.MessageText {
			c.push(binaryFrame{})
			return
		}
		msg, err := protocol.DecodeClientMessage(data)
		if err != nil {
			c.push(badFrame{err: err})
			return
		}
		c.push(clientEvent{msg: msg})
	}
}

// mutationWorker runs the connection's mutations one at a time, in order.
func (c *conn) mutationWorker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case job := <-c.mutations:
			var key *dedupKey
			if job.session != "" {
				key = &dedupKey{session: job.session, request: job.req.RequestID}
			}
			c.s.runMutation(withComponent(withCaller(c.ctx, job.caller), job.req.ComponentPath), job.req.UDFPath, job.req.Args, job.identity, key, func(out *outcome) {
				c.pushCommit(commitNote{resp: mutationResponse(job.req.RequestID, out)})
			})
		}
	}
}

func mutationResponse(id uint32, out *outcome) *protocol.MutationResponse {
	if out.failed {
		return &protocol.MutationResponse{RequestID: id, Result: jsonString(out.message), LogLines: out.logLines, ErrorData: out.errData}
	}
	ts := out.ts
	return &protocol.MutationResponse{RequestID: id, Success: true, Result: out.value, TS: &ts, LogLines: out.logLines}
}

func actionResponse(id uint32, out *outcome) *protocol.ActionResponse {
	if out.failed {
		return &protocol.ActionResponse{RequestID: id, Result: jsonString(out.message), LogLines: out.logLines, ErrorData: out.errData}
	}
	return &protocol.ActionResponse{RequestID: id, Success: true, Result: out.value, LogLines: out.logLines}
}

// kill ends the connection at once, without a close handshake.
func (c *conn) kill() {
	c.doomed.Store(true)
	c.cancel()
	_ = c.ws.CloseNow()
}

// drop ends the connection as a server fault would: no further frame is
// sent, then a close frame with code and reason.
func (c *conn) drop(code websocket.StatusCode, reason string) {
	c.doomed.Store(true)
	c.w.closeFirst(code, reason)
}

var errConnClosed = errors.New("connection closed")

// writer sends a connection's frames in order.
type writer struct {
	c     *conn
	mu    sync.Mutex
	queue []outItem
	wake  chan struct{}
	done  chan struct{}
	// pendingTransitions counts transitions queued but not yet written.
	pendingTransitions atomic.Int32
}

type outItem struct {
	msg   protocol.ServerMessage
	close *closeReq
}

type closeReq struct {
	code   websocket.StatusCode
	reason string
}

func (w *writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) send(m protocol.ServerMessage) {
	if _, ok := m.(*protocol.Transition); ok {
		w.pendingTransitions.Add(1)
	}
	w.mu.Lock()
	w.queue = append(w.queue, outItem{msg: m})
	w.mu.Unlock()
	w.poke()
}

func (w *writer) closeWith(code websocket.StatusCode, reason string) {
	w.mu.Lock()
	w.queue = append(w.queue, outItem{close: &closeReq{code, reason}})
	w.mu.Unlock()
	w.poke()
}

func (w *writer) closeFirst(code websocket.StatusCode, reason string) {
	w.mu.Lock()
	w.queue = append([]outItem{{close: &closeReq{code, reason}}}, w.queue...)
	w.mu.Unlock()
	w.poke()
}

func (w *writer) pop() (outItem, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return outItem{}, false
	}
	it := w.queue[0]
	w.queue[0] = outItem{}
	w.queue = w.queue[1:]
	return it, true
}

func (w *writer) run() {
	c := w.c
	defer c.wg.Done()
	defer close(w.done)
	ping := time.NewTimer(c.s.opts.pingInterval)
	defer ping.Stop()
	for {
		it, ok := w.pop()
		if !ok {
			select {
			case <-c.ctx.Done():
				return
			case <-w.wake:
				continue
			case <-ping.C:
				it = outItem{msg: &protocol.Ping{}}
			}
		}
		if it.close != nil {
			_ = c.ws.Close(it.close.code, it.close.reason)
			return
		}
		err := w.write(it.msg)
		if _, ok := it.msg.(*protocol.Transition); ok {
			w.pendingTransitions.Add(-1)
			c.poke()
		}
		if err != nil {
			return
		}
		ping.Reset(c.s.opts.pingInterval)
	}
}

// write encodes one message (splitting a large Transition into chunks) and
// sends its frames, applying the server's frame faults.
func (w *writer) write(m protocol.ServerMessage) error {
	c := w.c
	if t, ok := m.(*protocol.Transition); ok {
		now := time.Now().UnixNano()
		t.ServerTS = &now
	}
	encoded := m.AppendWire(nil)
	frames := [][]byte{encoded}
	if _, ok := m.(*protocol.Transition); ok && c.chunks {
		if chunks := protocol.SplitTransition(encoded, c.s.opts.chunkSize); chunks != nil {
			frames = frames[:0]
			for _, ch := range chunks {
				frames = append(frames, ch.AppendWire(nil))
			}
		}
	}
	for _, f := range frames {
		if d := c.s.frameDelay(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return errConnClosed
			}
		}
		if c.doomed.Load() || !c.s.admitFrame(c) {
			return nil
		}
		c.s.observe(ToClient, c.id, f)
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		err := c.ws.Write(ctx, websocket.MessageText, f)
		cancel()
		if err != nil {
			return err
		}
		c.s.framesSent.Add(1)
	}
	return nil
}

// jsonString encodes s as a JSON string, as JSON.stringify would.
func jsonString(s string) []byte { return jsonstr.Append(nil, s) }
