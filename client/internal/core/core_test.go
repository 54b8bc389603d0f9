package core

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
)

const session = "ad4fce15-7c42-4dec-b4b1-a2378c6880d2"

var t0 = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func strp(s string) *string { return &s }

// frames encodes the outbox as the wire frames it would send.
func frames(c *Core) []string {
	var out []string
	for _, m := range c.TakeOutbox() {
		out = append(out, string(m.AppendJSON(nil)))
	}
	return out
}

func mustDecode(t *testing.T, frame string) protocol.ServerMessage {
	t.Helper()
	m, err := protocol.DecodeServerMessage([]byte(frame))
	require.NoError(t, err)
	return m
}

func receive(t *testing.T, c *Core, frame string) Update {
	t.Helper()
	u, err := c.Receive(mustDecode(t, frame), t0)
	require.NoError(t, err)
	return u
}

const jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImZha2Uta2lkIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjk5OTkiLCJzdWIiOiJ1c2VyXzAxVEVTVCIsImF1ZCI6ImNsaWVudF9URVNUIiwiaWF0IjoxNzk1NzExMjExLCJleHAiOjE3OTU3MTQ4MTEsIm4iOjF9.ZmFrZS1zaWduYXR1cmU"

// TestCaptureScenario replays a recorded session of the official client
// (docs/protocol.md#connection-lifecycle): setAuth, onUpdate and mutation all
// called before the socket opened. The official client sent exactly these
// four frames; ours must match byte for byte.
func TestCaptureScenario(t *testing.T) {
	c := New(session)
	c.setAuth(&Auth{TokenType: protocol.TokenUser, Value: jwt})
	c.Subscribe("messages:list", json.RawMessage(`{"channel":"a","n":{"$integer":"BQAAAAAAAAA="}}`), "")
	c.Mutation("messages:send", json.RawMessage(`{"body":"hi","channel":"a","n":{"$integer":"BwAAAAAAAAA="}}`), "", t0)
	require.Empty(t, frames(c), "nothing is sent before the socket opens")

	lost := c.Opened(ConnectMeta{ConnectionCount: 0, LastCloseReason: strp("InitialConnect"), ClientTS: 1795711212140})
	require.Empty(t, lost)
	require.Equal(t, []string{
		`{"connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":1795711212140,"type":"Connect","sessionId":"ad4fce15-7c42-4dec-b4b1-a2378c6880d2"}`,
		`{"type":"Authenticate","baseVersion":0,"tokenType":"User","value":"` + jwt + `"}`,
		`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{"channel":"a","n":{"$integer":"BQAAAAAAAAA="}}]}]}`,
		`{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{"body":"hi","channel":"a","n":{"$integer":"BwAAAAAAAAA="}}]}`,
	}, frames(c))
}

// TestLateScenario: the socket is open before anything is asked
// (toolchain.md §4.2, late.mjs): an empty ModifyQuerySet 0→1 after Connect,
// then one ModifyQuerySet per new query, Remove on the last unsubscribe.
func TestLateScenario(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{LastCloseReason: strp("InitialConnect"), ClientTS: 1})
	require.Equal(t, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[]}`, frames(c)[1])

	a := c.Subscribe("messages:list", json.RawMessage(`{}`), "")
	b := c.Subscribe("messages.js:list", json.RawMessage(`{}`), "") // same canonical query
	require.Equal(t, a, b)
	c.Subscribe("users:viewer", json.RawMessage(`{}`), "")
	c.Subscribe("messages", json.RawMessage(`{"x":1}`), "")
	require.Equal(t, []string{
		`{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{}]}]}`,
		`{"type":"ModifyQuerySet","baseVersion":2,"newVersion":3,"modifications":[{"type":"Add","queryId":1,"udfPath":"users:viewer","args":[{}]}]}`,
		`{"type":"ModifyQuerySet","baseVersion":3,"newVersion":4,"modifications":[{"type":"Add","queryId":2,"udfPath":"messages:default","args":[{"x":1}]}]}`,
	}, frames(c))

	c.Unsubscribe(a) // one of two subscribers: nothing to send
	require.Empty(t, frames(c))
	c.Unsubscribe(a)
	require.Equal(t, []string{`{"type":"ModifyQuerySet","baseVersion":4,"newVersion":5,"modifications":[{"type":"Remove","queryId":0}]}`}, frames(c))

	c.Mutation("m:a", nil, "", t0)
	c.Action("ai:run", json.RawMessage(`{"q":1}`), "", t0)
	require.Equal(t, []string{
		`{"type":"Mutation","requestId":0,"udfPath":"m:a","args":[{}]}`,
		`{"type":"Action","requestId":1,"udfPath":"ai:run","args":[{"q":1}]}`,
	}, frames(c))

	c.setAuth(&Auth{TokenType: protocol.TokenUser, Value: "t1"})
	c.setAuth(nil)
	require.Equal(t, []string{
		`{"type":"Authenticate","baseVersion":0,"tokenType":"User","value":"t1"}`,
		`{"type":"Authenticate","tokenType":"None","baseVersion":1}`,
	}, frames(c))
}

func transition(start, end protocol.StateVersion, mods string) string {
	s, _ := json.Marshal(start)
	e, _ := json.Marshal(end)
	return `{"type":"Transition","startVersion":` + string(s) + `,"endVersion":` + string(e) + `,"modifications":[` + mods + `]}`
}

func v(qs, id uint32, ts protocol.TS) protocol.StateVersion {
	return protocol.StateVersion{QuerySet: qs, Identity: id, TS: ts}
}

// TestTransitionsAndMutationResolution follows toolchain.md §4.3: results
// arrive with Transitions; a mutation resolves only on a Transition at or
// past its commit ts; a failed one resolves at once.
func TestTransitionsAndMutationResolution(t *testing.T) {
	c := New(session)
	c.setAuth(&Auth{TokenType: protocol.TokenUser, Value: jwt})
	tok := c.Subscribe("messages:list", json.RawMessage(`{}`), "")
	c.Opened(ConnectMeta{})
	frames(c)

	u := receive(t, c, transition(v(0, 0, 0), v(0, 1, 0), ""))
	require.True(t, u.AuthConfirmed)
	require.False(t, u.SyncedPastReconnect, "the query has no result yet")

	u = receive(t, c, transition(v(0, 1, 0), v(1, 1, 1000), `{"type":"QueryUpdated","queryId":0,"value":[1],"logLines":["[LOG] 'x'"],"journal":null}`))
	require.Equal(t, []QueryToken{tok}, u.Queries)
	require.True(t, u.SyncedPastReconnect)
	r, ok := c.Result(tok)
	require.True(t, ok)
	require.Equal(t, `[1]`, string(r.Value))
	require.Equal(t, []string{"[LOG] 'x'"}, r.LogLines)

	id := c.Mutation("messages:send", nil, "", t0)
	frames(c)
	u = receive(t, c, `{"type":"MutationResponse","requestId":0,"success":true,"result":{"id":"m2"},"ts":"0AcAAAAAAAA=","logLines":[]}`) // ts 2000
	require.Empty(t, u.Completed, "success waits for a Transition at its ts")
	require.Equal(t, 1, c.Requests().InflightMutations)

	u = receive(t, c, transition(v(1, 1, 1000), v(1, 1, 1999), ""))
	require.Empty(t, u.Completed, "a Transition short of the commit ts does not resolve it")
	u = receive(t, c, transition(v(1, 1, 1999), v(1, 1, 2000), `{"type":"QueryUpdated","queryId":0,"value":[1,2],"logLines":[],"journal":"j1"}`))
	require.Equal(t, []QueryToken{tok}, u.Queries)
	require.Equal(t, []Completion{{RequestID: id, Outcome: Outcome{Success: true, Value: []byte(`{"id":"m2"}`), LogLines: []string{}}}}, u.Completed)

	// A failure resolves at once, with its ConvexError data.
	id = c.Mutation("messages:send", nil, "", t0)
	u = receive(t, c, `{"type":"MutationResponse","requestId":1,"success":false,"result":"Uncaught ConvexError: nope","ts":null,"logLines":["[ERROR] 'bad'"],"errorData":{"reason":"nope"}}`)
	require.Equal(t, []Completion{{RequestID: id, Outcome: Outcome{ErrorMessage: "Uncaught ConvexError: nope", ErrorData: []byte(`{"reason":"nope"}`), LogLines: []string{"[ERROR] 'bad'"}}}}, u.Completed)

	// A covering Transition that arrives before the response: the mutation
	// waits for the next Transition, as the JS client does.
	id = c.Mutation("messages:send", nil, "", t0)
	receive(t, c, transition(v(1, 1, 2000), v(1, 1, 3000), ""))
	u = receive(t, c, `{"type":"MutationResponse","requestId":2,"success":true,"result":null,"ts":"uAsAAAAAAAA=","logLines":[]}`) // ts 3000
	require.Empty(t, u.Completed)
	u = receive(t, c, transition(v(1, 1, 3000), v(1, 1, 3000), ""))
	require.Len(t, u.Completed, 1)
	require.Equal(t, id, u.Completed[0].RequestID)

	// Results for unknown request ids are ignored.
	u = receive(t, c, `{"type":"ActionResponse","requestId":99,"success":true,"result":1,"logLines":[]}`)
	require.Empty(t, u.Completed)

	// A query failure is stored as such.
	receive(t, c, transition(v(1, 1, 3000), v(1, 1, 3000), `{"type":"QueryFailed","queryId":0,"errorMessage":"Uncaught Error: boom","logLines":[],"journal":null,"errorData":{"code":"E1"}}`))
	r, _ = c.Result(tok)
	require.True(t, r.Failed)
	require.Equal(t, "Uncaught Error: boom", r.ErrorMessage)
	require.Equal(t, `{"code":"E1"}`, string(r.ErrorData))
}

func TestInvalidStartVersion(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	_, err := c.Receive(mustDecode(t, transition(v(0, 7, 0), v(0, 8, 0), "")), t0)
	var sv *StartVersionError
	require.ErrorAs(t, err, &sv)
	require.EqualError(t, err, "invalid start version: 0:0:7, transitioning from 0:0:0")

	_, err = c.Receive(mustDecode(t, `{"type":"FatalError","error":"InternalServerError: something"}`), t0)
	var fe *FatalServerError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "InternalServerError: something", fe.Message)
}

// TestReconnect follows the reconnect capture of toolchain.md §4.3: the new
// socket sends Connect with the same session id, the count, the close reason
// and maxObservedTimestamp; Authenticate at base 0; the query set with the
// journal the server sent; and every unconfirmed mutation with its request
// id, including one that already got its response. Actions in flight fail.
func TestReconnect(t *testing.T) {
	c := New(session)
	c.setAuth(&Auth{TokenType: protocol.TokenUser, Value: "tok"})
	c.Subscribe("messages:list", json.RawMessage(`{"channel":"a"}`), "")
	c.Opened(ConnectMeta{LastCloseReason: strp("InitialConnect")})
	receive(t, c, transition(v(0, 0, 0), v(1, 1, 1000), `{"type":"QueryUpdated","queryId":0,"value":1,"logLines":[],"journal":null}`))
	c.Mutation("messages:send", json.RawMessage(`{"body":"a"}`), "", t0) // 0: will get its response
	c.Mutation("messages:send", json.RawMessage(`{"body":"b"}`), "", t0) // 1: no response yet
	c.Action("ai:run", nil, "", t0)                                      // 2: in flight
	receive(t, c, `{"type":"MutationResponse","requestId":0,"success":true,"result":"r0","ts":"6PNC8qOl6xg=","logLines":[]}`)
	frames(c)

	c.Closed()
	lost := c.ConnectionLost()
	require.Equal(t, []Completion{{RequestID: 2, Outcome: Outcome{ErrorMessage: ConnectionLostMessage, LogLines: []string{}, ConnectionLost: true}}}, lost)
	c.Action("ai:run", json.RawMessage(`{"late":true}`), "", t0) // 3: made while disconnected: sent on open
	require.Empty(t, frames(c))

	c.Opened(ConnectMeta{ConnectionCount: 1, LastCloseReason: strp("InternalServerError"), ClientTS: 1795711253643})
	require.Equal(t, []string{
		`{"connectionCount":1,"lastCloseReason":"InternalServerError","clientTs":1795711253643,"type":"Connect","sessionId":"` + session + `","maxObservedTimestamp":"6PNC8qOl6xg="}`,
		`{"type":"Authenticate","baseVersion":0,"tokenType":"User","value":"tok"}`,
		`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{"channel":"a"}],"journal":null}]}`,
		`{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{"body":"a"}]}`,
		`{"type":"Mutation","requestId":1,"udfPath":"messages:send","args":[{"body":"b"}]}`,
		`{"type":"Action","requestId":3,"udfPath":"ai:run","args":[{"late":true}]}`,
	}, frames(c))

	// The server dedups request 0 and answers it again: ignored. Request 1
	// runs now. Both resolve at the first Transition covering their ts.
	u := receive(t, c, `{"type":"MutationResponse","requestId":0,"success":true,"result":"dup","ts":"6PNC8qOl6xg=","logLines":[]}`)
	require.Empty(t, u.Completed)
	receive(t, c, `{"type":"MutationResponse","requestId":1,"success":true,"result":"r1","ts":"6fNC8qOl6xg=","logLines":[]}`)
	u = receive(t, c, transition(v(0, 0, 0), v(1, 1, 1795711000000001001), `{"type":"QueryUpdated","queryId":0,"value":2,"logLines":[],"journal":null}`))
	require.Len(t, u.Completed, 2)
	require.Equal(t, "\"r0\"", string(u.Completed[0].Outcome.Value), "the original result, not the duplicate's")
	require.Equal(t, "\"r1\"", string(u.Completed[1].Outcome.Value))
	require.False(t, u.SyncedPastReconnect, "action 3 is from before the reconnect")
	u = receive(t, c, `{"type":"ActionResponse","requestId":3,"success":true,"result":null,"logLines":[]}`)
	require.True(t, u.SyncedPastReconnect)
}

func TestBackoff(t *testing.T) {
	var b Backoff
	mid := 0.5 // no jitter
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 16, 16} {
		require.Equal(t, want*time.Second, b.Next(false, "", mid), "retry %d", i)
	}
	b.Reset()
	require.Equal(t, 3*time.Second, b.Next(false, "SubscriptionsWorkerFullError: too many", mid))
	require.Equal(t, 6*time.Second, b.Next(false, "TooManyConcurrentRequests", mid))
	b.Reset()
	require.Equal(t, time.Second, b.Next(false, "InternalServerError", mid))
	b.Reset()
	require.Equal(t, 100*time.Millisecond, b.Next(true, "", mid))
	require.Equal(t, 200*time.Millisecond, b.Next(true, "", mid))
	require.Equal(t, 2, b.Retries())
	// ±50% jitter.
	b.Reset()
	require.Equal(t, 500*time.Millisecond, b.Next(false, "", 0))
	b.Reset()
	require.Equal(t, 1499*time.Millisecond, b.Next(false, "", 0.999).Round(time.Millisecond))
	for range 100 {
		b.Next(false, "", 0.5)
	}
	require.Equal(t, 16*time.Second, b.Next(false, "", 0.5), "no overflow after many retries")
}

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"messages:list":    "messages:list",
		"messages.js:list": "messages:list",
		"messages":         "messages:default",
		"dir/file:fn":      "dir/file:fn",
		"dir/file.js:fn":   "dir/file:fn",
		"a:b:c":            "a:b:c", // refused by the client before it gets here
		"messages.js":      "messages:default",
	} {
		require.Equal(t, want, canonicalPath(in), in)
	}
}

func TestAdminAuthAndIdentityConfirmation(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	frames(c)
	c.setAuth(&Auth{TokenType: protocol.TokenAdmin, Value: "key", Impersonating: json.RawMessage(`{"subject":"u1","issuer":"https://i"}`)})
	require.Equal(t, []string{`{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"key","impersonating":{"subject":"u1","issuer":"https://i"}}`}, frames(c))
	u := receive(t, c, transition(v(0, 0, 0), v(1, 1, 5), ""))
	require.True(t, u.AuthConfirmed)
	// A transition that does not move identity confirms nothing.
	u = receive(t, c, transition(v(1, 1, 5), v(1, 1, 6), ""))
	require.False(t, u.AuthConfirmed)
	u = receive(t, c, `{"type":"AuthError","error":"bad","baseVersion":1,"authUpdateAttempted":true}`)
	require.Equal(t, "bad", u.AuthError.Error)
}
