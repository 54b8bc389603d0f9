package core

import (
	"cmp"
	"encoding/json"
	"maps"
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

type requestStatus int

const (
	notSent   requestStatus = iota // no ready socket when it was made
	requested                      // sent, no response yet
	completed                      // mutation succeeded, awaiting a Transition at its ts
)

type request struct {
	msg     protocol.ClientMessage // *protocol.Mutation or *protocol.Action
	status  requestStatus
	outcome Outcome
	ts      protocol.TS
	// olderThanRestart marks requests made before the last reconnect.
	olderThanRestart bool
	startedAt        time.Time
}

func (r *request) isAction() bool { _, ok := r.msg.(*protocol.Action); return ok }

// requests is the request manager (spec §7): mutations and actions from
// creation to settlement, across reconnects.
type requests struct {
	inflight map[uint32]*request
	// awaitingTS lists the completed mutations, so that a Transition only
	// looks at those, not at every request in flight.
	awaitingTS []uint32
	// older counts the requests with olderThanRestart set.
	older int
}

func newRequests() *requests { return &requests{inflight: map[uint32]*request{}} }

// add registers a request made at now; sent says whether it went out on a
// ready socket.
func (rs *requests) add(msg protocol.ClientMessage, sent bool, now time.Time) {
	r := &request{msg: msg, status: notSent, startedAt: now}
	if sent {
		r.status = requested
	}
	rs.inflight[requestID(msg)] = r
}

func requestID(msg protocol.ClientMessage) uint32 {
	switch m := msg.(type) {
	case *protocol.Mutation:
		return m.RequestID
	case *protocol.Action:
		return m.RequestID
	}
	panic("core: not a request message")
}

// onMutationResponse handles a MutationResponse. A failure settles at once;
// a success waits for a Transition that reaches its ts. Responses for
// unknown or already completed requests are ignored, as after a resend.
func (rs *requests) onMutationResponse(m *protocol.MutationResponse) (Completion, bool) {
	r, ok := rs.inflight[m.RequestID]
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
	r, ok := rs.inflight[m.RequestID]
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
	var done []Completion
	waiting := rs.awaitingTS[:0]
	for _, id := range rs.awaitingTS {
		r := rs.inflight[id]
		if r.ts > ts {
			waiting = append(waiting, id)
			continue
		}
		rs.remove(id)
		done = append(done, Completion{RequestID: id, Outcome: r.outcome})
	}
	rs.awaitingTS = waiting
	slices.SortFunc(done, func(a, b Completion) int { return cmp.Compare(a.RequestID, b.RequestID) })
	return done
}

// remove forgets a settled request.
func (rs *requests) remove(id uint32) {
	if r, ok := rs.inflight[id]; ok {
		if r.olderThanRestart {
			rs.older--
		}
		delete(rs.inflight, id)
	}
}

// connectionLost fails the actions sent on a socket that closed, with
// ConnectionLostMessage.
func (rs *requests) connectionLost() []Completion {
	var failed []Completion
	for _, id := range rs.sortedIDs() {
		if r := rs.inflight[id]; r.isAction() && r.status == requested {
			rs.remove(id)
			failed = append(failed, Completion{RequestID: id, Outcome: Outcome{ErrorMessage: ConnectionLostMessage, LogLines: []string{}, ConnectionLost: true}})
		}
	}
	return failed
}

// restart prepares a new socket: it returns the messages to resend in
// request id order (not-sent requests, and every unconfirmed mutation with
// its original request id), and the actions still in flight, which fail
// with ConnectionLostMessage (none when connectionLost ran at the close).
func (rs *requests) restart() ([]protocol.ClientMessage, []Completion) {
	failed := rs.connectionLost()
	var resend []protocol.ClientMessage
	for _, id := range rs.sortedIDs() {
		r := rs.inflight[id]
		if r.status == notSent {
			r.status = requested
		}
		if !r.olderThanRestart {
			r.olderThanRestart = true
			rs.older++
		}
		resend = append(resend, r.msg)
	}
	return resend, failed
}

// sendNotSent returns the requests not sent yet and marks them sent (after
// a pause on a socket that stayed open).
func (rs *requests) sendNotSent() []protocol.ClientMessage {
	var out []protocol.ClientMessage
	for _, id := range rs.sortedIDs() {
		if r := rs.inflight[id]; r.status == notSent {
			r.status = requested
			out = append(out, r.msg)
		}
	}
	return out
}

// hasOlderThanRestart reports whether a request from before the last
// reconnect is still unsettled.
func (rs *requests) hasOlderThanRestart() bool { return rs.older > 0 }

func (rs *requests) sortedIDs() []uint32 { return slices.Sorted(maps.Keys(rs.inflight)) }

// RequestStats summarizes the requests in flight, for the connection state.
type RequestStats struct {
	InflightMutations int
	InflightActions   int
	// OldestInflight is when the oldest request not yet answered was made;
	// zero when there is none.
	OldestInflight time.Time
}

func (rs *requests) stats() RequestStats {
	var s RequestStats
	for _, r := range rs.inflight {
		if r.isAction() {
			s.InflightActions++
		} else {
			s.InflightMutations++
		}
		if r.status != completed && (s.OldestInflight.IsZero() || r.startedAt.Before(s.OldestInflight)) {
			s.OldestInflight = r.startedAt
		}
	}
	return s
}
