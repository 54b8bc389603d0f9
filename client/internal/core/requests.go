package core

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/goconvex/convex/client/internal/protocol"
)

// ConnectionLostMessage is the failure of an action that was in flight when
// its socket closed; the JS client uses the same text.
const ConnectionLostMessage = "Connection lost while action was in flight"

// Outcome is the settled result of a mutation or action.
type Outcome struct {
	Success bool
	// Value is the encoded return value on success.
	Value        []byte
	ErrorMessage string
	// ErrorData is the encoded ConvexError data, nil for other failures.
	ErrorData []byte
	LogLines  []string
	// ConnectionLost marks an action failed because its socket closed.
	ConnectionLost bool
}

// Completion settles one request.
type Completion struct {
	RequestID uint32
	Outcome   Outcome
}

// Flow control. The server queues a connection's mutations and runs them
// one at a time; when more than 1000 are queued it closes the socket with
// 1013 TooManyConcurrentMutations, and likewise with more than 1000 actions
// running (TooManyConcurrentActions) — the real backend's limits, mirrored
// by convextest. A client that wrote every request at once would be closed,
// resend everything on the next socket and be closed again: a reconnect
// storm. So at most these many requests of each kind are sent and
// unanswered on a socket; the others wait in request id order and go out as
// responses arrive. Half the server's limit leaves a wide margin (the
// server also counts the resends it will only deduplicate) and is already
// far more than the round trip needs to keep the server's one-at-a-time
// mutation runner busy.
//
// The two kinds have separate windows, as the server has separate limits: a
// backlog of mutations does not hold actions back, nor the reverse. The
// server runs actions concurrently with the mutation queue, so it gives no
// order between a mutation and an action anyway; mutations among themselves
// (and actions among themselves) are still sent in the order they were
// made.
const (
	// MaxInflightMutations caps the mutations sent on a socket and not
	// answered yet (server limit: 1000 queued).
	MaxInflightMutations = 512
	// MaxInflightActions caps the actions sent on a socket and not
	// answered yet (server limit: 1000 running).
	MaxInflightActions = 512
)

type requestKind int

const (
	mutationKind requestKind = iota
	actionKind
	numKinds
)

// windowSize is the flow-control cap of each kind.
var windowSize = [numKinds]int{mutationKind: MaxInflightMutations, actionKind: MaxInflightActions}

type requestStatus int

const (
	notSent   requestStatus = iota // not sent on the current socket: queued
	requested                      // sent, no response yet
	completed                      // mutation succeeded, awaiting a Transition at its ts
)

type request struct {
	id      uint32
	kind    requestKind
	msg     protocol.ClientMessage // *protocol.Mutation or *protocol.Action
	status  requestStatus
	outcome Outcome
	ts      protocol.TS
	// olderThanRestart marks requests made before the last reconnect.
	olderThanRestart bool
	startedAt        time.Time
	// settled marks a request the manager forgot; order and the send
	// queues skip it until they drop it.
	settled bool
}

func (r *request) isAction() bool { return r.kind == actionKind }

// requests is the request manager (docs/protocol.md#request-manager):
// mutations and actions from creation to settlement, across reconnects, with
// flow control.
type requests struct {
	unsettled map[uint32]*request
	// order holds the unsettled requests in request id order, which is the
	// order they were made (ids only grow); settled entries (dead of them)
	// are dropped lazily.
	order []*request
	dead  int
	// awaitingTS lists the completed mutations, so that a Transition only
	// looks at those, not at every request in flight.
	awaitingTS []uint32
	// older counts the requests with olderThanRestart set.
	older int
	// count counts the unsettled requests per kind, for stats.
	count [numKinds]int

	// queued holds, per kind, the requests waiting for room in the window
	// to be sent on the current socket, in request id order (FIFO).
	queued [numKinds][]*request
	// unanswered holds the requests sent on the current socket that the
	// server has not answered yet, with their kind; inWindow counts them
	// per kind. It is kept apart from unsettled because a resent mutation
	// may settle (its Transition arrives) before the server answers the
	// resend, and the resend occupies the server's queue until then.
	unanswered map[uint32]requestKind
	inWindow   [numKinds]int
}

func newRequests() *requests {
	return &requests{unsettled: map[uint32]*request{}, unanswered: map[uint32]requestKind{}}
}

// add registers a request made at now and queues it for sending; release
// hands it out when the window has room.
func (rs *requests) add(msg protocol.ClientMessage, now time.Time) {
	r := &request{msg: msg, status: notSent, startedAt: now}
	switch m := msg.(type) {
	case *protocol.Mutation:
		r.id, r.kind = m.RequestID, mutationKind
	case *protocol.Action:
		r.id, r.kind = m.RequestID, actionKind
	default:
		panic("core: not a request message")
	}
	rs.unsettled[r.id] = r
	rs.count[r.kind]++
	// Drop the settled entries of order once they are half of it: O(1)
	// amortized whatever order requests settle in. Not in remove, which
	// runs while connectionLost ranges over order.
	if rs.dead > len(rs.order)/2 {
		rs.compact()
	}
	rs.order = append(rs.order, r)
	rs.queued[r.kind] = append(rs.queued[r.kind], r)
}

// release takes queued requests while their kind's window has room, marks
// them sent, and returns their messages in request id order. Only call it
// when they can go out at once: on a ready socket, not paused.
func (rs *requests) release() []protocol.ClientMessage {
	var out []protocol.ClientMessage
	for {
		r := rs.nextReleasable()
		if r == nil {
			return out
		}
		rs.queued[r.kind][0] = nil
		rs.queued[r.kind] = rs.queued[r.kind][1:]
		if r.status == notSent {
			r.status = requested
		}
		rs.unanswered[r.id] = r.kind
		rs.inWindow[r.kind]++
		out = append(out, r.msg)
	}
}

// nextReleasable returns the queued request with the lowest id among the
// kinds whose window has room, or nil. Settled heads are dropped: a resent
// mutation whose Transition arrived needs no resend.
func (rs *requests) nextReleasable() *request {
	var next *request
	for k := range numKinds {
		q := rs.queued[k]
		for len(q) > 0 && q[0].settled {
			q[0] = nil
			q = q[1:]
		}
		rs.queued[k] = q
		if len(q) > 0 && rs.inWindow[k] < windowSize[k] && (next == nil || q[0].id < next.id) {
			next = q[0]
		}
	}
	return next
}

// answered frees the window slot of a request the server answered on the
// current socket.
func (rs *requests) answered(id uint32, kind requestKind) {
	if k, ok := rs.unanswered[id]; ok && k == kind {
		delete(rs.unanswered, id)
		rs.inWindow[kind]--
	}
}

// onMutationResponse handles a MutationResponse. A failure settles at once;
// a success waits for a Transition that reaches its ts. Responses for
// unknown or already completed requests are ignored, as after a resend,
// except that they free their window slot.
func (rs *requests) onMutationResponse(m *protocol.MutationResponse) (Completion, bool) {
	rs.answered(m.RequestID, mutationKind)
	r, ok := rs.unsettled[m.RequestID]
	if !ok || r.status == completed || r.isAction() {
		return Completion{}, false
	}
	if !m.Success {
		rs.remove(m.RequestID)
		return Completion{RequestID: m.RequestID, Outcome: failure(m.Result, m.ErrorData, m.LogLines)}, true
	}
	r.status = completed
	rs.awaitingTS = append(rs.awaitingTS, m.RequestID)
	r.ts = *m.TS
	r.outcome = Outcome{Success: true, Value: m.Result, LogLines: m.LogLines}
	return Completion{}, false
}

// onActionResponse settles an action.
func (rs *requests) onActionResponse(m *protocol.ActionResponse) (Completion, bool) {
	rs.answered(m.RequestID, actionKind)
	r, ok := rs.unsettled[m.RequestID]
	if !ok || !r.isAction() {
		return Completion{}, false
	}
	rs.remove(m.RequestID)
	if !m.Success {
		return Completion{RequestID: m.RequestID, Outcome: failure(m.Result, m.ErrorData, m.LogLines)}, true
	}
	return Completion{RequestID: m.RequestID, Outcome: Outcome{Success: true, Value: m.Result, LogLines: m.LogLines}}, true
}

func failure(result json.RawMessage, data json.RawMessage, logLines []string) Outcome {
	return Outcome{ErrorMessage: protocol.ErrorMessage(result), ErrorData: data, LogLines: logLines}
}

// removeCompleted settles the successful mutations whose ts the state has
// reached, in request id order.
func (rs *requests) removeCompleted(ts protocol.TS) []Completion {
	var ready []int
	waiting := rs.awaitingTS[:0]
	for _, id := range rs.awaitingTS {
		if rs.unsettled[id].ts > ts {
			waiting = append(waiting, id)
		} else {
			ready = append(ready, int(id))
		}
	}
	rs.awaitingTS = waiting
	// Sorted as ints: the wasm build links slices.Sort for int anyway (fmt
	// uses it), and every other element type would add a copy of pdqsort.
	slices.Sort(ready)
	var done []Completion
	for _, id := range ready {
		done = append(done, Completion{RequestID: uint32(id), Outcome: rs.unsettled[uint32(id)].outcome})
		rs.remove(uint32(id))
	}
	return done
}

// remove forgets a settled request.
func (rs *requests) remove(id uint32) {
	r, ok := rs.unsettled[id]
	if !ok {
		return
	}
	if r.olderThanRestart {
		rs.older--
	}
	r.settled = true
	rs.dead++
	rs.count[r.kind]--
	delete(rs.unsettled, id)
}

// compact drops the settled entries of order.
func (rs *requests) compact() {
	live := rs.order[:0]
	for _, r := range rs.order {
		if !r.settled {
			live = append(live, r)
		}
	}
	clear(rs.order[len(live):])
	rs.order = live
	rs.dead = 0
}

// connectionLost fails the actions sent on a socket that closed, with
// ConnectionLostMessage. Queued actions were not sent: they wait for the
// next socket.
func (rs *requests) connectionLost() []Completion {
	var failed []Completion
	for _, r := range rs.order {
		if !r.settled && r.isAction() && r.status == requested {
			rs.remove(r.id)
			failed = append(failed, Completion{RequestID: r.id, Outcome: Outcome{ErrorMessage: ConnectionLostMessage, LogLines: []string{}, ConnectionLost: true}})
		}
	}
	return failed
}

// restart prepares a new socket: it fails the actions still in flight with
// ConnectionLostMessage (none when connectionLost ran at the close), and
// queues, in request id order, every other unsettled request — not-sent
// ones and every unconfirmed mutation with its original request id — with
// an empty window, so that release resends at most a window of each kind.
func (rs *requests) restart() []Completion {
	failed := rs.connectionLost()
	clear(rs.unanswered)
	rs.inWindow = [numKinds]int{}
	rs.compact()
	rs.queued = [numKinds][]*request{}
	for _, r := range rs.order {
		if r.status == requested {
			r.status = notSent
		}
		if !r.olderThanRestart {
			r.olderThanRestart = true
			rs.older++
		}
		rs.queued[r.kind] = append(rs.queued[r.kind], r)
	}
	return failed
}

// abandon forgets every unsettled request, sent or not, and returns their
// ids in request id order: the client stopped for good. The manager is left
// empty, as new.
func (rs *requests) abandon() []uint32 {
	var ids []uint32
	for _, r := range rs.order {
		if !r.settled {
			ids = append(ids, r.id)
		}
	}
	*rs = *newRequests()
	return ids
}

// hasOlderThanRestart reports whether a request from before the last
// reconnect is still unsettled.
func (rs *requests) hasOlderThanRestart() bool { return rs.older > 0 }

// RequestStats summarizes the requests in flight, for the connection state.
type RequestStats struct {
	// InflightMutations and InflightActions count the unsettled requests,
	// including those flow control still holds back.
	InflightMutations int
	InflightActions   int
	// OldestInflight is when the oldest request not yet answered was made;
	// zero when there is none.
	OldestInflight time.Time
}

// stats runs after every event while anyone watches the connection state,
// so it does not walk every request: the counts are kept as requests come
// and go, and the oldest unanswered request is found from the front of
// order (requests are made in id order, with non-decreasing times), past
// settled entries, which it drops for good, and the few mutations that
// await their Transition.
func (rs *requests) stats() RequestStats {
	for len(rs.order) > 0 && rs.order[0].settled {
		rs.order[0] = nil
		rs.order = rs.order[1:]
		rs.dead--
	}
	s := RequestStats{InflightMutations: rs.count[mutationKind], InflightActions: rs.count[actionKind]}
	for _, r := range rs.order {
		if !r.settled && r.status != completed {
			s.OldestInflight = r.startedAt
			break
		}
	}
	return s
}
