package core

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
)

// sentIDs takes the outbox and returns the request ids of the Mutation and
// Action messages in it, in order; other messages are dropped.
func sentIDs(c *Core) []uint32 {
	var ids []uint32
	for _, m := range c.TakeOutbox() {
		switch m := m.(type) {
		case *protocol.Mutation:
			ids = append(ids, m.RequestID)
		case *protocol.Action:
			ids = append(ids, m.RequestID)
		}
	}
	return ids
}

// idRange returns the ids from..to-1.
func idRange(from, to uint32) []uint32 {
	var ids []uint32
	for id := from; id < to; id++ {
		ids = append(ids, id)
	}
	return ids
}

func deliver(t *testing.T, c *Core, m protocol.ServerMessage) Update {
	t.Helper()
	u, err := c.Receive(m, t0)
	require.NoError(t, err)
	return u
}

// mutationOK answers mutation id as committed at ts id+1.
func mutationOK(id uint32) *protocol.MutationResponse {
	ts := protocol.TS(id + 1)
	return &protocol.MutationResponse{RequestID: id, Success: true, Result: json.RawMessage(`null`), TS: &ts, LogLines: []string{}}
}

func mutationFailed(id uint32) *protocol.MutationResponse {
	return &protocol.MutationResponse{RequestID: id, Result: json.RawMessage(`"Uncaught Error: no"`), LogLines: []string{}}
}

// reach delivers a Transition from the client's current version to ts.
func reach(t *testing.T, c *Core, ts protocol.TS) Update {
	t.Helper()
	start := c.remote.version
	end := start
	end.TS = ts
	return deliver(t, c, &protocol.Transition{StartVersion: start, EndVersion: end})
}

func makeMutations(c *Core, n int) {
	for range n {
		c.Mutation("m:a", nil, "", t0)
	}
}

// TestFlowControlReleasesInOrder: of 1,500 mutations made on a ready socket
// only a window goes out; each response, success or failure, releases the
// next one in request id order.
func TestFlowControlReleasesInOrder(t *testing.T) {
	const n = 1500
	c := New(session)
	c.Opened(ConnectMeta{})
	c.TakeOutbox()
	makeMutations(c, n)
	require.Equal(t, idRange(0, MaxInflightMutations), sentIDs(c))
	require.Equal(t, RequestStats{InflightMutations: n, OldestInflight: t0}, c.Requests(), "held-back mutations count as in flight")

	next := uint32(MaxInflightMutations)
	failed := 0
	for id := range uint32(n) {
		resp := mutationOK(id)
		if id%3 == 0 {
			resp, failed = mutationFailed(id), failed+1
		}
		u := deliver(t, c, resp)
		if resp.Success {
			require.Empty(t, u.Completed, "a success waits for its Transition")
		} else {
			require.Equal(t, []uint32{id}, completedIDs(u))
		}
		if next < n {
			require.Equal(t, []uint32{next}, sentIDs(c), "the response to %d releases the next mutation", id)
			next++
		} else {
			require.Empty(t, sentIDs(c))
		}
	}
	require.Equal(t, n-failed, c.Requests().InflightMutations)

	u := reach(t, c, n)
	require.Len(t, u.Completed, n-failed)
	require.IsIncreasing(t, completedIDs(u))
	require.Equal(t, RequestStats{}, c.Requests())
}

func completedIDs(u Update) []uint32 {
	var ids []uint32
	for _, done := range u.Completed {
		ids = append(ids, done.RequestID)
	}
	return ids
}

// TestFlowControlAfterReconnect: on a new socket at most a window of the
// outstanding mutations is resent, in request id order and with the same
// ids; the rest follow as responses arrive, each sent once.
func TestFlowControlAfterReconnect(t *testing.T) {
	const n = 1500
	for _, tc := range []struct {
		name string
		// before runs on a fresh client; the socket is closed after it.
		before func(t *testing.T, c *Core)
		// afterOpen runs once the new socket sent its first window.
		afterOpen func(t *testing.T, c *Core)
		// wantSent are all the requests sent on the new socket, in order.
		wantSent []uint32
	}{
		{
			name: "no response yet",
			before: func(t *testing.T, c *Core) {
				c.Opened(ConnectMeta{})
				makeMutations(c, n)
			},
			wantSent: idRange(0, n),
		},
		{
			name: "made while disconnected",
			before: func(t *testing.T, c *Core) {
				makeMutations(c, n)
			},
			wantSent: idRange(0, n),
		},
		{
			name: "answered mutations are resent until a Transition confirms them",
			before: func(t *testing.T, c *Core) {
				c.Opened(ConnectMeta{})
				makeMutations(c, n)
				for id := range uint32(100) {
					deliver(t, c, mutationOK(id))
				}
			},
			wantSent: idRange(0, n),
		},
		{
			name: "a mutation confirmed while held back is not resent",
			before: func(t *testing.T, c *Core) {
				c.Opened(ConnectMeta{})
				makeMutations(c, n)
				for id := range uint32(600) {
					deliver(t, c, mutationOK(id))
				}
			},
			afterOpen: func(t *testing.T, c *Core) {
				u := reach(t, c, 600) // confirms 0..599, of which 512..599 wait in the queue
				require.Equal(t, idRange(0, 600), completedIDs(u))
			},
			wantSent: append(idRange(0, MaxInflightMutations), idRange(600, n)...),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(session)
			tc.before(t, c)
			c.Closed()
			require.Empty(t, c.ConnectionLost())
			c.TakeOutbox()

			c.Opened(ConnectMeta{ConnectionCount: 1})
			unanswered := sentIDs(c)
			require.Equal(t, idRange(0, MaxInflightMutations), unanswered, "one window, from the oldest")
			if tc.afterOpen != nil {
				tc.afterOpen(t, c)
			}
			all := append([]uint32(nil), unanswered...)
			for len(unanswered) > 0 {
				id := unanswered[0]
				unanswered = unanswered[1:]
				deliver(t, c, mutationOK(id)) // a duplicate for one answered before
				released := sentIDs(c)
				unanswered = append(unanswered, released...)
				all = append(all, released...)
				require.LessOrEqual(t, len(unanswered), MaxInflightMutations)
			}
			require.Equal(t, tc.wantSent, all, "each sent once, in id order")

			u := reach(t, c, n)
			require.IsIncreasing(t, completedIDs(u))
			require.True(t, u.SyncedPastReconnect)
			require.Equal(t, RequestStats{}, c.Requests())
		})
	}
}

// TestFlowControlActions: actions have their own window. Those sent fail
// when the socket closes; those held back were never sent and go out on the
// next socket, in id order with the held-back mutations.
func TestFlowControlActions(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	c.TakeOutbox()
	makeMutations(c, MaxInflightMutations+10) // 0..521
	require.Len(t, sentIDs(c), MaxInflightMutations)
	for range MaxInflightActions + 20 { // 522..1053
		c.Action("ai:run", nil, "", t0)
	}
	const firstAction = MaxInflightMutations + 10
	require.Equal(t, idRange(firstAction, firstAction+MaxInflightActions), sentIDs(c), "a mutation backlog does not hold actions back")

	// An answered action releases the next action.
	u := deliver(t, c, &protocol.ActionResponse{RequestID: firstAction, Success: true, Result: json.RawMessage(`1`), LogLines: []string{}})
	require.Equal(t, []uint32{firstAction}, completedIDs(u))
	require.Equal(t, []uint32{firstAction + MaxInflightActions}, sentIDs(c))

	c.Closed()
	lost := c.ConnectionLost()
	require.Equal(t, idRange(firstAction+1, firstAction+MaxInflightActions+1), completedIDs(Update{Completed: lost}), "only the actions sent fail")
	for _, done := range lost {
		require.True(t, done.Outcome.ConnectionLost)
		require.Equal(t, ConnectionLostMessage, done.Outcome.ErrorMessage)
	}
	require.Equal(t, RequestStats{InflightMutations: MaxInflightMutations + 10, InflightActions: 19, OldestInflight: t0}, c.Requests())

	c.Opened(ConnectMeta{ConnectionCount: 1})
	want := append(idRange(0, MaxInflightMutations), idRange(firstAction+MaxInflightActions+1, firstAction+MaxInflightActions+20)...)
	require.Equal(t, want, sentIDs(c), "a window of each kind, mutations then the later actions")
}

// TestFlowControlPause: while paused nothing is sent, not even what a
// response frees room for; Resume sends a window.
func TestFlowControlPause(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	c.TakeOutbox()
	c.Pause()
	makeMutations(c, 600)
	require.Empty(t, sentIDs(c))
	c.Resume()
	require.Equal(t, idRange(0, MaxInflightMutations), sentIDs(c))

	c.Pause()
	deliver(t, c, mutationOK(0))
	deliver(t, c, mutationOK(1))
	require.Empty(t, sentIDs(c))
	c.Resume()
	require.Equal(t, idRange(MaxInflightMutations, MaxInflightMutations+2), sentIDs(c))

	// A socket that opens during a pause resends its window on Resume.
	c.Closed()
	c.Pause()
	c.Opened(ConnectMeta{ConnectionCount: 1})
	require.Empty(t, sentIDs(c))
	c.Resume()
	require.Equal(t, idRange(0, MaxInflightMutations), sentIDs(c), "answered 0 and 1 are resent until confirmed")
}

// TestRequestStatsFollowSettlement: the counts and the oldest unanswered
// request stay right as requests settle out of order.
func TestRequestStatsFollowSettlement(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	m0 := c.Mutation("m:a", nil, "", at(0))
	m1 := c.Mutation("m:a", nil, "", at(1))
	a2 := c.Action("a:a", nil, "", at(2))
	m3 := c.Mutation("m:a", nil, "", at(3))
	require.Equal(t, RequestStats{InflightMutations: 3, InflightActions: 1, OldestInflight: at(0)}, c.Requests())

	deliver(t, c, mutationOK(m0)) // answered, awaiting its Transition: no longer the oldest unanswered
	require.Equal(t, RequestStats{InflightMutations: 3, InflightActions: 1, OldestInflight: at(1)}, c.Requests())
	reach(t, c, protocol.TS(m0+1))
	require.Equal(t, RequestStats{InflightMutations: 2, InflightActions: 1, OldestInflight: at(1)}, c.Requests())

	deliver(t, c, mutationFailed(m3))
	deliver(t, c, &protocol.ActionResponse{RequestID: a2, Success: true, Result: json.RawMessage(`1`), LogLines: []string{}})
	require.Equal(t, RequestStats{InflightMutations: 1, OldestInflight: at(1)}, c.Requests())

	deliver(t, c, mutationFailed(m1))
	require.Equal(t, RequestStats{}, c.Requests())
}

// TestAbandon: a client that stops for good forgets every unsettled
// request, whatever its state (sent, held back by flow control, committed
// and awaiting its Transition, an action), and sends none of them.
func TestAbandon(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	c.TakeOutbox()
	for range MaxInflightMutations + 2 {
		c.Mutation("m:a", nil, "", t0)
	}
	action := c.Action("a:a", nil, "", t0)
	require.Len(t, sentIDs(c), MaxInflightMutations+1, "two mutations wait for room")
	deliver(t, c, mutationOK(0)) // committed, awaiting its Transition; frees a slot
	c.Closed()

	ids := c.Abandon()
	require.Equal(t, append(idRange(0, MaxInflightMutations+2), action), ids)
	require.Equal(t, RequestStats{}, c.Requests())
	require.Empty(t, c.Abandon())
	c.Opened(ConnectMeta{ConnectionCount: 1})
	require.Empty(t, sentIDs(c), "nothing is resent")
	require.Empty(t, reach(t, c, 100).Completed)
}
