//go:build !js

package core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
)

// TestAdminAuth: only an admin key without an acting-as identity, with no
// token provider taking over, counts.
func TestAdminAuth(t *testing.T) {
	c := New(session)
	require.False(t, c.AdminAuth())
	c.SetAdminAuth("key", nil)
	require.True(t, c.AdminAuth())
	c.SetAdminAuth("key", json.RawMessage(`{"subject":"u","issuer":"i"}`))
	require.False(t, c.AdminAuth())
	c.SetAdminAuth("key", nil)
	c.StartAuth() // a user's token is on its way
	require.False(t, c.AdminAuth())
	c.SetAdminAuth("key", nil)
	c.ClearAuth()
	require.False(t, c.AdminAuth())
}

// TestComponentQueryIsAnotherQuery: the same path and arguments in a
// component and in the app are two queries; the Add carries the
// componentPath.
func TestComponentQueryIsAnotherQuery(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{ClientTS: 1})
	frames(c)
	app := c.Subscribe("counter:get", json.RawMessage(`{}`), "")
	comp := c.Subscribe("counter:get", json.RawMessage(`{}`), "waitlist")
	require.NotEqual(t, app, comp)
	require.Equal(t, comp, c.Subscribe("counter.js:get", json.RawMessage(`{}`), "waitlist"))
	require.Equal(t, []string{
		`{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[{"type":"Add","queryId":0,"udfPath":"counter:get","args":[{}]}]}`,
		`{"type":"ModifyQuerySet","baseVersion":2,"newVersion":3,"modifications":[{"type":"Add","queryId":1,"udfPath":"counter:get","args":[{}],"componentPath":"waitlist"}]}`,
	}, frames(c))

	// Dropping the component's queries removes the query whatever its
	// subscriber count, and leaves the app's.
	require.Equal(t, []DroppedQuery{{Token: comp, Component: "waitlist"}}, c.DropComponentQueries())
	require.Equal(t, []string{
		`{"type":"ModifyQuerySet","baseVersion":3,"newVersion":4,"modifications":[{"type":"Remove","queryId":1}]}`,
	}, frames(c))
	require.Empty(t, c.DropComponentQueries())
	require.Equal(t, "counter:get", c.QueryPath(app))

	// After a reconnect only the app's query is re-added.
	c.Closed()
	c.Opened(ConnectMeta{ClientTS: 2})
	require.Equal(t, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"counter:get","args":[{}]}]}`, frames(c)[1])
}

// TestDropComponentRequests: every unsettled call into a component is
// forgotten, with what became of it: never sent, sent without an answer,
// or a mutation that succeeded and waited for its Transition; the app's
// calls stay, and none of the dropped ones is resent after a reconnect.
func TestDropComponentRequests(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{ClientTS: 1})
	frames(c)
	done := c.Mutation("lib:join", json.RawMessage(`{}`), "waitlist", t0) // 0: will succeed
	sent := c.Action("lib:size", json.RawMessage(`{}`), "waitlist", t0)   // 1: sent, unanswered
	c.Mutation("messages:send", json.RawMessage(`{}`), "", t0)            // 2: the app's
	require.Len(t, frames(c), 3)
	deliver(t, c, &protocol.MutationResponse{RequestID: done, Success: true, Result: json.RawMessage(`"id"`), TS: new(protocol.TS(10))})
	c.Closed()
	later := c.Mutation("lib:join", json.RawMessage(`{"n":1}`), "waitlist", t0) // 3: not sent

	dropped := c.DropComponentRequests()
	require.Len(t, dropped, 3)
	require.Equal(t, done, dropped[0].RequestID)
	require.NotNil(t, dropped[0].Outcome)
	require.True(t, dropped[0].Outcome.Success)
	require.Equal(t, `"id"`, string(dropped[0].Outcome.Value))
	require.Equal(t, DroppedRequest{RequestID: sent, Component: "waitlist", MayHaveRun: true}, dropped[1])
	require.Equal(t, DroppedRequest{RequestID: later, Component: "waitlist"}, dropped[2])
	require.Equal(t, 1, c.Requests().InflightMutations)
	require.Equal(t, 0, c.Requests().InflightActions)

	// A Transition past the dropped mutation's ts settles nothing of it.
	c.Opened(ConnectMeta{ClientTS: 2})
	out := frames(c)
	require.Len(t, out, 3, "Connect, the query set, and only the app's mutation: %v", out)
	require.Contains(t, out[2], `"udfPath":"messages:send"`)
	u := receive(t, c, `{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":1,"identity":0,"ts":"ZAAAAAAAAAA="},"modifications":[]}`)
	require.Empty(t, u.Completed)
}
