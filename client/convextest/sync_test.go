//go:build !js

package convextest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/values"
)

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"messages:list":    "messages:list",
		"messages.js:list": "messages:list",
		"messages":         "messages:default",
		"messages.js":      "messages:default",
		"dir/file:fn":      "dir/file:fn",
		"dir/file.js:fn":   "dir/file:fn",
		"a:b:c":            "a:b:c",
	} {
		assert.Equal(t, want, canonicalPath(in), in)
	}
}

func TestSubscribeMutateAndVersionChain(t *testing.T) {
	srv := newMessagesServer(t)
	c := dial(t, srv)
	c.connect("session-1")

	tr := c.subscribe(0, "messages:list", `{"channel":"a"}`)
	require.Len(t, tr.Modifications, 1)
	m := tr.Modifications[0]
	assert.Equal(t, protocol.QueryUpdated, m.Type)
	assert.JSONEq(t, `[]`, string(m.Value))
	assert.Equal(t, "null", string(m.Journal))
	assert.Equal(t, uint32(1), tr.EndVersion.QuerySet)
	assert.NotZero(t, tr.EndVersion.TS, "the first transition carries the latest ts")
	assert.NotNil(t, tr.ClientClockSkew, "Connect's clientTs gives a clock skew")

	// The same query under a non-canonical name.
	tr = c.subscribe(1, "messages.js:list", `{"channel":"a"}`)
	require.Len(t, tr.Modifications, 1)
	assert.Equal(t, protocol.QueryUpdated, tr.Modifications[0].Type)

	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"channel":"a","body":"hi"}`)})
	resp := c.nextMutationResponse()
	require.True(t, resp.Success, "%s", resp.Result)
	require.NotNil(t, resp.TS)
	assert.Equal(t, []string{"[LOG] 'sending' 'hi'"}, resp.LogLines)
	tr = c.nextTransition()
	assert.GreaterOrEqual(t, tr.EndVersion.TS, *resp.TS, "the transition after a mutation reaches its commit ts")
	require.Len(t, tr.Modifications, 2)
	assert.JSONEq(t, `["hi"]`, string(tr.Modifications[0].Value))
	assert.Equal(t, uint32(0), tr.Modifications[0].QueryID)
	assert.Equal(t, uint32(1), tr.Modifications[1].QueryID)

	// A write to another table does not re-run these queries: no
	// transition, so the next one is the answer to the next mutation.
	c.send(&protocol.Mutation{RequestID: 1, UDFPath: "other:add"})
	resp = c.nextMutationResponse()
	require.True(t, resp.Success)
	tr = c.nextTransition()
	assert.Empty(t, tr.Modifications)
	assert.GreaterOrEqual(t, tr.EndVersion.TS, *resp.TS)

	// An empty ModifyQuerySet still moves the query set version.
	c.send(&protocol.ModifyQuerySet{BaseVersion: 2, NewVersion: 3})
	tr = c.nextTransition()
	assert.Equal(t, uint32(3), tr.EndVersion.QuerySet)
	assert.Empty(t, tr.Modifications)
}

func TestTwoClientsSeeEachOthersWrites(t *testing.T) {
	srv := newMessagesServer(t)
	a, b := dial(t, srv), dial(t, srv)
	a.subscribe(0, "messages:list", `{"channel":"x"}`)
	b.subscribe(0, "messages:list", `{"channel":"x"}`)
	eventually(t, func() bool { return srv.Connections() == 2 }, "two connections")

	a.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"channel":"x","body":"from a"}`)})
	resp := a.nextMutationResponse()
	require.True(t, resp.Success)
	trA := a.nextTransition()
	trB := b.nextTransition()
	assert.JSONEq(t, `["from a"]`, string(trA.Modifications[0].Value))
	assert.JSONEq(t, `["from a"]`, string(trB.Modifications[0].Value))
	assert.Equal(t, trA.EndVersion.TS, trB.EndVersion.TS)
}

func TestMutationResponseComesFirstUnderLoad(t *testing.T) {
	// Another client's commits must never make a client see a Transition
	// covering its mutation before the mutation's response.
	srv := newMessagesServer(t)
	a, b := dial(t, srv), dial(t, srv)
	a.subscribe(0, "messages:list", `{}`)
	b.subscribe(0, "messages:list", `{}`)
	const n = 30
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			m := &protocol.Mutation{RequestID: uint32(i), UDFPath: "messages:send", Args: json.RawMessage(`{"body":"b"}`)}
			if err := b.ws.Write(t.Context(), websocket.MessageText, m.AppendJSON(nil)); err != nil {
				t.Errorf("write: %v", err)
				return
			}
		}
	}()
	defer wg.Wait()
	for i := range n {
		a.send(&protocol.Mutation{RequestID: uint32(i), UDFPath: "messages:send", Args: json.RawMessage(`{"body":"a"}`)})
	}
	pending := map[uint32]protocol.TS{}
	responded := 0
	for responded < n {
		switch m := a.next().(type) {
		case *protocol.MutationResponse:
			require.True(t, m.Success)
			pending[m.RequestID] = *m.TS
			responded++
		case *protocol.Transition:
			for id, ts := range pending {
				if m.EndVersion.TS >= ts {
					delete(pending, id)
				}
			}
		}
	}
	for len(pending) > 0 {
		tr := a.nextTransition()
		for id, ts := range pending {
			if tr.EndVersion.TS >= ts {
				delete(pending, id)
			}
		}
	}
}

func TestMutationsRunInOrderActionsConcurrently(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	var order []float64
	srv.Mutation("m:record", func(ctx *MutationCtx, args map[string]any) (any, error) {
		order = append(order, args["i"].(float64)) // serialized: no race
		return nil, nil
	})
	release := make(chan struct{})
	var started atomic.Int32
	srv.Action("a:wait", func(ctx *ActionCtx, args map[string]any) (any, error) {
		started.Add(1)
		select {
		case <-release:
			return "released", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	srv.Action("a:release", func(ctx *ActionCtx, args map[string]any) (any, error) {
		close(release)
		return "ok", nil
	})
	c := dial(t, srv)
	for i := range 20 {
		c.send(&protocol.Mutation{RequestID: uint32(i), UDFPath: "m:record", Args: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
	}
	// The first action blocks until the second runs: they must overlap.
	c.send(&protocol.Action{RequestID: 100, UDFPath: "a:wait"})
	eventually(t, func() bool { return started.Load() == 1 }, "first action started")
	c.send(&protocol.Action{RequestID: 101, UDFPath: "a:release"})
	actions := map[uint32]string{}
	var mutIDs []uint32
	for len(actions) < 2 || len(mutIDs) < 20 {
		switch m := c.next().(type) {
		case *protocol.ActionResponse:
			require.True(t, m.Success)
			actions[m.RequestID] = decode(t, m.Result).(string)
		case *protocol.MutationResponse:
			mutIDs = append(mutIDs, m.RequestID)
		}
	}
	assert.Equal(t, map[uint32]string{100: "released", 101: "ok"}, actions)
	for i := range 20 {
		assert.Equal(t, uint32(i), mutIDs[i], "mutation responses come in request order")
		assert.Equal(t, float64(i), order[i], "mutations run in arrival order")
	}
}

func TestMutationDedupAcrossConnections(t *testing.T) {
	srv := newMessagesServer(t)
	a := dial(t, srv)
	a.connect("session-dedup")
	a.send(&protocol.Mutation{RequestID: 7, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"once"}`)})
	first := a.nextMutationResponse()
	require.True(t, first.Success)

	// The client reconnects and resends the same request id.
	b := dial(t, srv)
	b.connect("session-dedup")
	b.send(&protocol.Mutation{RequestID: 7, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"once"}`)})
	second := b.nextMutationResponse()
	require.True(t, second.Success)
	assert.Equal(t, string(first.Result), string(second.Result), "the stored result")
	assert.Equal(t, *first.TS, *second.TS, "the original commit ts")
	assert.Equal(t, first.LogLines, second.LogLines)
	tr := b.nextTransition()
	assert.GreaterOrEqual(t, tr.EndVersion.TS, *second.TS)
	assert.Equal(t, 1, srv.ExecutionCount("messages:send"))

	// Another session with the same request id is a different mutation;
	// so is a connection without a session.
	c := dial(t, srv)
	c.connect("other-session")
	c.send(&protocol.Mutation{RequestID: 7, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"twice"}`)})
	require.True(t, c.nextMutationResponse().Success)
	d := dial(t, srv)
	d.send(&protocol.Mutation{RequestID: 7, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"thrice"}`)})
	require.True(t, d.nextMutationResponse().Success)
	assert.Equal(t, 3, srv.ExecutionCount("messages:send"))
	got, err := srv.Run(t.Context(), "messages:list", nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"once", "twice", "thrice"}, got)
}

func TestFailedMutationsAreNotDeduplicated(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	var calls atomic.Int32
	srv.Mutation("m:flaky", func(ctx *MutationCtx, args map[string]any) (any, error) {
		if calls.Add(1) == 1 {
			_, err := ctx.DB.Insert("t", map[string]any{"x": 1})
			require.NoError(t, err)
			return nil, fmt.Errorf("transient")
		}
		return "ok", nil
	})
	c := dial(t, srv)
	c.connect("s")
	c.send(&protocol.Mutation{RequestID: 1, UDFPath: "m:flaky"})
	r := c.nextMutationResponse()
	require.False(t, r.Success)
	assert.Nil(t, r.TS)
	assert.Empty(t, c.nextTransition().Modifications, "a failed mutation is followed by a Transition too")
	c.send(&protocol.Mutation{RequestID: 1, UDFPath: "m:flaky"})
	r = c.nextMutationResponse()
	require.True(t, r.Success)
	assert.Equal(t, int32(2), calls.Load())
	require.NoError(t, srv.Read(func(db *DatabaseReader) error {
		assert.Empty(t, db.Query("t").Collect(), "the failed mutation's insert was rolled back")
		return nil
	}))
}

func TestFunctionErrors(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	srv.Query("q:convexError", func(ctx *QueryCtx, args map[string]any) (any, error) {
		ctx.Log(LevelWarn, "about to fail")
		return nil, ConvexError{Data: map[string]any{"code": "E1", "n": values.Int64(3)}}
	})
	srv.Query("q:plain", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return nil, fmt.Errorf("boom")
	})
	srv.Query("q:panic", func(ctx *QueryCtx, args map[string]any) (any, error) {
		panic("kaboom")
	})
	srv.Mutation("m:convexError", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return nil, &ConvexError{Data: "nope"}
	})
	srv.Mutation("m:panic", func(ctx *MutationCtx, args map[string]any) (any, error) {
		_, _ = ctx.DB.Insert("t", map[string]any{"a": 1})
		var m map[string]int
		m["x"] = 1 // nil map write
		return nil, nil
	})
	srv.Action("a:convexError", func(ctx *ActionCtx, args map[string]any) (any, error) {
		return nil, ConvexError{Data: []any{1.5, values.Int64(-1)}}
	})
	c := dial(t, srv)
	c.send(&protocol.ModifyQuerySet{BaseVersion: 0, NewVersion: 1, Modifications: []protocol.QuerySetModification{
		{Type: protocol.ModAdd, QueryID: 0, UDFPath: "q:convexError", Args: json.RawMessage(`{}`)},
		{Type: protocol.ModAdd, QueryID: 1, UDFPath: "q:plain", Args: json.RawMessage(`{}`)},
		{Type: protocol.ModAdd, QueryID: 2, UDFPath: "q:panic", Args: json.RawMessage(`{}`)},
		{Type: protocol.ModAdd, QueryID: 3, UDFPath: "q:missing", Args: json.RawMessage(`{}`)},
		{Type: protocol.ModAdd, QueryID: 4, UDFPath: "m:convexError", Args: json.RawMessage(`{}`)},
	}})
	tr := c.nextTransition()
	require.Len(t, tr.Modifications, 5)
	for i, m := range tr.Modifications {
		assert.Equal(t, protocol.QueryFailed, m.Type)
		assert.Equal(t, uint32(i), m.QueryID)
		assert.Regexp(t, `^\[Request ID: [0-9a-f]{16}\] Server Error\n`, m.ErrorMessage)
	}
	assert.True(t, strings.HasSuffix(tr.Modifications[0].ErrorMessage, "\nUncaught ConvexError: {\"code\":\"E1\",\"n\":\"3n\"}"), tr.Modifications[0].ErrorMessage)
	assert.JSONEq(t, `{"code":"E1","n":{"$integer":"AwAAAAAAAAA="}}`, string(tr.Modifications[0].ErrorData))
	assert.Equal(t, []string{"[WARN] 'about to fail'"}, tr.Modifications[0].LogLines)
	assert.True(t, strings.HasSuffix(tr.Modifications[1].ErrorMessage, "\nUncaught Error: boom"))
	assert.Nil(t, tr.Modifications[1].ErrorData)
	assert.True(t, strings.HasSuffix(tr.Modifications[2].ErrorMessage, "\nUncaught Error: kaboom"))
	assert.True(t, strings.HasSuffix(tr.Modifications[3].ErrorMessage, "\nCould not find public function for 'q:missing'."))
	assert.True(t, strings.HasSuffix(tr.Modifications[4].ErrorMessage, "\nTrying to execute m:convexError as Query, but it is defined as Mutation."))

	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "m:convexError"})
	r := c.nextMutationResponse()
	assert.False(t, r.Success)
	assert.True(t, strings.HasSuffix(protocol.ErrorMessage(r.Result), "\nUncaught ConvexError: nope"))
	assert.JSONEq(t, `"nope"`, string(r.ErrorData))
	assert.Contains(t, string(r.AppendWire(nil)), `"ts":null`)
	assert.Empty(t, c.nextTransition().Modifications, "every response is followed by a Transition (crates/sync/src/worker.rs)")

	c.send(&protocol.Mutation{RequestID: 1, UDFPath: "m:panic"})
	r = c.nextMutationResponse()
	assert.False(t, r.Success)
	assert.Contains(t, protocol.ErrorMessage(r.Result), "Uncaught Error: assignment to entry in nil map")
	c.nextTransition()

	c.send(&protocol.Action{RequestID: 2, UDFPath: "a:convexError"})
	ar, ok := c.next().(*protocol.ActionResponse)
	require.True(t, ok)
	assert.False(t, ar.Success)
	assert.JSONEq(t, `[1.5,{"$integer":"//////////8="}]`, string(ar.ErrorData))
	assert.True(t, strings.HasSuffix(protocol.ErrorMessage(ar.Result), "\nUncaught ConvexError: [1.5,\"-1n\"]"))
	assert.Empty(t, c.nextTransition().Modifications, "an action response is followed by a Transition")

	c.send(&protocol.Action{RequestID: 3, UDFPath: "a:nothere"})
	ar, ok = c.next().(*protocol.ActionResponse)
	require.True(t, ok)
	assert.Contains(t, protocol.ErrorMessage(ar.Result), "Could not find public function for 'a:nothere'.")

	// The server is still healthy and the panicking mutation left nothing.
	require.NoError(t, srv.Read(func(db *DatabaseReader) error {
		assert.Empty(t, db.Query("t").Collect())
		return nil
	}))
}

func TestUnchangedResultsAreNotResent(t *testing.T) {
	srv := newMessagesServer(t)
	srv.Query("messages:count", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("messages").Collect()) / 100), nil // stays 0
	})
	c := dial(t, srv)
	c.subscribe(0, "messages:count", `{}`)
	c.subscribe(1, "messages:list", `{}`)
	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
	c.nextMutationResponse()
	tr := c.nextTransition()
	require.Len(t, tr.Modifications, 1, "only the changed result")
	assert.Equal(t, uint32(1), tr.Modifications[0].QueryID)
	assert.Equal(t, 2, srv.ExecutionCount("messages:count"), "it re-ran, but its hash did not change")
}

func TestUnsubscribe(t *testing.T) {
	srv := newMessagesServer(t)
	c := dial(t, srv)
	c.subscribe(0, "messages:list", `{}`)
	c.subscribe(1, "other:count", `{}`)
	eventually(t, func() bool { return srv.Subscriptions() == 2 }, "two subscriptions")
	c.send(&protocol.ModifyQuerySet{BaseVersion: 2, NewVersion: 3, Modifications: []protocol.QuerySetModification{{Type: protocol.ModRemove, QueryID: 0}}})
	tr := c.nextTransition()
	require.Len(t, tr.Modifications, 1)
	assert.Equal(t, protocol.StateModification{Type: protocol.QueryRemoved, QueryID: 0}, tr.Modifications[0])
	assert.Equal(t, 1, srv.Subscriptions())

	// The removed query no longer re-runs.
	runs := srv.ExecutionCount("messages:list")
	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
	c.nextMutationResponse()
	c.nextTransition()
	assert.Equal(t, runs, srv.ExecutionCount("messages:list"))
}

func TestBadQuerySetVersionsAndMessages(t *testing.T) {
	srv := newMessagesServer(t)
	tests := []struct {
		name       string
		frames     []string
		wantFatal  string
		wantStatus websocket.StatusCode
	}{
		{
			name:       "base version mismatch",
			frames:     []string{`{"type":"ModifyQuerySet","baseVersion":2,"newVersion":3,"modifications":[]}`},
			wantFatal:  "Base version 2 passed up doesn't match the current version 0",
			wantStatus: websocket.StatusNoStatusRcvd,
		},
		{
			name:       "invalid JSON",
			frames:     []string{`{"type":`},
			wantFatal:  "Received Invalid JSON on websocket: ",
			wantStatus: websocket.StatusNoStatusRcvd,
		},
		{
			name:       "unknown message type",
			frames:     []string{`{"type":"Bogus"}`},
			wantFatal:  "Received Invalid JSON on websocket: ",
			wantStatus: websocket.StatusNoStatusRcvd,
		},
		{
			name:       "new version not above base",
			frames:     []string{`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":0,"modifications":[]}`},
			wantStatus: websocket.StatusInternalError,
		},
		{
			name: "remove an unknown query",
			frames: []string{
				`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Remove","queryId":5}]}`,
			},
			wantStatus: websocket.StatusInternalError,
		},
		{
			name: "authenticate with a wrong base version",
			frames: []string{
				`{"type":"Authenticate","baseVersion":3,"tokenType":"None"}`,
			},
			wantStatus: websocket.StatusInternalError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, srv)
			for _, f := range tt.frames {
				c.sendRaw(f)
			}
			if tt.wantFatal != "" {
				fe, ok := c.next().(*protocol.FatalError)
				require.True(t, ok)
				assert.True(t, strings.HasPrefix(fe.Error, tt.wantFatal), fe.Error)
			}
			assert.Equal(t, tt.wantStatus, c.expectClose())
			if tt.wantStatus == websocket.StatusInternalError {
				assert.Equal(t, "InternalServerError", c.closeReason())
			}
		})
	}
}

func TestNoConnectNeeded(t *testing.T) {
	// The JS client with expectAuth and a late setAuth never sends Connect.
	srv := newMessagesServer(t)
	c := dial(t, srv)
	c.send(&protocol.Authenticate{BaseVersion: 0, TokenType: protocol.TokenNone})
	tr := c.nextTransition()
	assert.Equal(t, uint32(1), tr.EndVersion.Identity)
	assert.Nil(t, tr.ClientClockSkew)
	tr = c.subscribe(0, "messages:list", `{}`)
	assert.Len(t, tr.Modifications, 1)
	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
	require.True(t, c.nextMutationResponse().Success)
	c.nextTransition()
}

func TestPing(t *testing.T) {
	srv := newMessagesServer(t, WithPingInterval(30*time.Millisecond))
	c := dial(t, srv)
	for range 2 {
		msg, err := protocol.DecodeServerMessage(c.nextFrame())
		require.NoError(t, err)
		assert.IsType(t, &protocol.Ping{}, msg)
	}
	assert.Equal(t, `{"type":"Ping"}`, string((&protocol.Ping{}).AppendWire(nil)))
}

func TestTransitionChunks(t *testing.T) {
	srv := NewServer(WithChunkSize(1000))
	t.Cleanup(srv.Close)
	srv.Query("big:value", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return strings.Repeat("é", int(args["n"].(float64))), nil
	})
	c := dial(t, srv)
	tr := c.subscribe(0, "big:value", `{"n":3000}`)
	assert.GreaterOrEqual(t, c.chunkFrames, 6, "a 6 kB transition goes out in 1000-byte chunks")
	assert.Equal(t, strings.Repeat("é", 3000), decode(t, tr.Modifications[0].Value))
	before := c.chunkFrames
	tr = c.subscribe(1, "big:value", `{"n":10}`)
	assert.Equal(t, before, c.chunkFrames, "a small transition is sent whole")
	assert.Len(t, tr.Modifications, 1)
}
