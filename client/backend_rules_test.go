package client

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/udfpath"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/internal/syncbuf"
)

// The client against the rules the Convex backend enforces (its source:
// get-convex/convex-backend, files cited per test). Each scenario runs
// against a scripted server, which shows exactly what goes out.

// logBuffer collects a client's log records, safe for concurrent use.
type logBuffer struct{ syncbuf.Buffer }

func (b *logBuffer) logger() Option {
	return WithLogger(slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// connected starts a scripted server and a client (with opts) subscribed to
// query, and reads the socket's first two frames.
func connected(t *testing.T, query string, opts ...Option) (*scriptedServer, *Client, *Subscription, *scriptedConn) {
	t.Helper()
	s := newScriptedServer(t)
	s.holdSockets()
	c := newTestClient(t, s.url(), opts...)
	sub, err := c.Subscribe(ctxT(t), query, nil)
	require.NoError(t, err)
	s.openGate()
	conn := s.accept()
	conn.readType("Connect")
	conn.readType("ModifyQuerySet")
	return s, c, sub, conn
}

// TestBadFunctionPathsFailLocally: the backend parses udfPath while it
// parses the message (udf_path.rs, module_path.rs, path.rs, identifier.rs
// under crates/convex/sync_types/src/), so a bad path is a FatalError for
// the whole frame. Every call with one fails at once with an error naming
// the rule; nothing is sent and no request is queued.
func TestBadFunctionPathsFailLocally(t *testing.T) {
	s := newScriptedServer(t)
	c := newTestClient(t, s.url())
	conn := s.accept()
	conn.readType("Connect")
	conn.readType("ModifyQuerySet")
	ctx := ctxT(t)

	check := func(err error, path string) {
		t.Helper()
		require.ErrorIs(t, err, ErrInvalidFunctionPath, "%q", path)
		var pe *udfpath.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, path, pe.Path)
		require.Contains(t, err.Error(), path+" is not a valid path to a Convex function. ")
	}
	for _, path := range []string{"messages:li-st", "/messages:list", "messages.ts:list", "a:b:c", "", "messages:", "../x:f", "messages:___", "méssages:list"} {
		_, err := c.Subscribe(ctx, path, nil)
		check(err, path)
		_, err = c.OnUpdate(ctx, path, nil, func(*Result, error) {})
		check(err, path)
		check(c.Query(ctx, path, nil, nil), path)
		check(c.Mutation(ctx, path, nil, nil), path)
		check(c.Action(ctx, path, nil, nil), path)
	}
	st := c.ConnectionState()
	require.Zero(t, st.InflightMutations+st.InflightActions)

	// Nothing went out: the next frames are those of good calls, the
	// mutation with the first request id. Queries go out by their
	// canonical path, as from the JS client.
	done := make(chan error, 1)
	go func() { done <- c.Mutation(ctx, "messages.js:send", nil, nil) }()
	require.Equal(t, `{"type":"Mutation","requestId":0,"udfPath":"messages.js:send","args":[{}]}`, conn.read())
	conn.send(`{"type":"MutationResponse","requestId":0,"success":false,"result":"e","ts":null,"logLines":[]}`)
	require.Error(t, <-done)
	_, err := c.Subscribe(ctx, "folder/messages", nil)
	require.NoError(t, err)
	require.Contains(t, conn.read(), `"udfPath":"folder/messages:default"`)
}

// TestUnknownServerMessagesIgnored: what a newer server may add (a message
// type, a modification type, fields whose values are not Convex JSON) is
// ignored and the socket kept, as the JS client keeps it
// (node_modules/convex/dist/esm/browser/sync/protocol.js parses no unknown
// type); each unknown type is logged once, at DEBUG.
func TestUnknownServerMessagesIgnored(t *testing.T) {
	var logs logBuffer
	_, c, sub, conn := connected(t, "q:x", logs.logger())
	ctx := ctxT(t)

	conn.send(`{"type":"QueryTelemetry","sample":{"$x":[1]}}`)
	conn.send(`{"type":"QueryTelemetry"}`)
	conn.send(`{"type":"Transition","trace":{"$span":1},"startVersion":` + v(0, 0, ts0) + `,"endVersion":` + v(1, 0, ts1000) + `,"modifications":[` +
		`{"type":"QueryMoved","queryId":0,"to":{"$where":1}},` +
		`{"type":"QueryUpdated","queryId":0,"value":"ok","logLines":[],"journal":null,"cost":{"$units":1}}]}`)
	res, err := sub.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, `"ok"`, string(res.Raw()))
	conn.send(`{"type":"Ping","$meta":{"$set":[]}}`)
	conn.send(transitionFrame(v(1, 0, ts1000), v(1, 0, ts2000), `{"type":"QueryMoved","queryId":0},{"type":"QueryUpdated","queryId":0,"value":"ok2","logLines":[],"journal":null}`))
	res, err = sub.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, `"ok2"`, string(res.Raw()), "the same socket carries on")

	st := c.ConnectionState()
	require.Equal(t, 1, st.ConnectionCount)
	require.Empty(t, st.LastError)
	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "ignoring a server message of an unknown type"), out)
	require.Contains(t, out, "level=DEBUG msg=\"convex: ignoring a server message of an unknown type\" type=QueryTelemetry")
	require.Equal(t, 1, strings.Count(out, "ignoring a server modification of an unknown type"), out)
	require.Contains(t, out, "type=QueryMoved")
}

// TestFatalErrorsStopTheClient: the backend sends FatalError for a message
// of the client's it refuses (its deterministic user errors: a malformed
// message, a bad path or acting-as identity, a query set version that does
// not follow) and closes the socket (run_sync_socket in
// crates/local_backend/src/subs/mod.rs; BaseVersionMismatch in
// crates/sync/src/state.rs). A reconnect resends the same state, so the
// client tries maxFatalErrors times, then stops: calls in flight,
// subscriptions and later calls fail with a *FatalError carrying the
// server's text, the connection state says Failed, and it is logged at
// ERROR.
func TestFatalErrorsStopTheClient(t *testing.T) {
	var logs logBuffer
	s, c, sub, conn := connected(t, "q:x", logs.logger())
	ctx := ctxT(t)
	var mu sync.Mutex
	var states []ConnectionState
	stop := c.WatchConnectionState(func(st ConnectionState) {
		mu.Lock()
		states = append(states, st)
		mu.Unlock()
	})
	defer stop()
	unsub, err := c.OnUpdate(ctx, "q:y", nil, func(_ *Result, err error) {})
	require.NoError(t, err)
	defer unsub()
	conn.readType("ModifyQuerySet")
	callbackErr := make(chan error, 1)
	_, err = c.OnUpdate(ctx, "q:z", nil, func(_ *Result, err error) { callbackErr <- err })
	require.NoError(t, err)
	conn.readType("ModifyQuerySet")

	mut := make(chan error, 1)
	go func() { mut <- c.Mutation(ctx, "m:send", Args{"n": 1}, nil) }()
	conn.readType("Mutation")
	const text = "WSMessageInvalidJson: Received Invalid JSON on websocket: bad"
	fatal := `{"type":"FatalError","error":"` + text + `"}`
	for i := range maxFatalErrors {
		conn.send(fatal)
		conn.waitClosed()
		if i == maxFatalErrors-1 {
			break
		}
		require.Contains(t, c.ConnectionState().LastError, text)
		require.False(t, c.ConnectionState().Failed)
		conn = s.accept()
		require.Contains(t, conn.readType("Connect"), `"lastCloseReason":"FatalError"`)
		conn.readType("ModifyQuerySet")
		require.Contains(t, conn.readType("Mutation"), `"requestId":0`, "resent until the client stops")
	}

	var fe *FatalError
	require.ErrorAs(t, <-mut, &fe)
	require.Equal(t, text, fe.Message)
	_, err = sub.Next(ctx)
	require.ErrorAs(t, err, &fe)
	require.ErrorAs(t, <-callbackErr, &fe)
	st := c.ConnectionState()
	require.True(t, st.Failed)
	require.False(t, st.IsWebSocketConnected)
	require.Contains(t, st.LastError, text)
	require.Zero(t, st.InflightMutations)
	require.NoError(t, c.waitForCallbacks(ctx))
	mu.Lock()
	require.True(t, states[len(states)-1].Failed, "watchers see the failure")
	mu.Unlock()
	require.Contains(t, logs.String(), "level=ERROR")
	require.Contains(t, logs.String(), "the client stops")

	// It stays stopped: no socket, no reconnect planned, and calls fail at
	// once.
	idle := make(chan bool, 1)
	require.NoError(t, c.do(ctx, func(l *loop) { idle <- l.sock == nil && l.reconnect == nil }))
	require.True(t, <-idle)
	require.ErrorAs(t, c.Mutation(ctx, "m:send", nil, nil), &fe)
	require.ErrorAs(t, c.Action(ctx, "a:run", nil, nil), &fe)
	require.ErrorAs(t, c.Query(ctx, "q:other", nil, nil), &fe)
	select {
	case <-s.conns:
		t.Fatal("the client connected again after it stopped")
	default:
	}
	require.NoError(t, c.Close())
}

// TestFatalErrorCountResetsOnceSynced: FatalErrors count only in a row; a
// session that syncs past its reconnect in between starts the count over.
func TestFatalErrorCountResetsOnceSynced(t *testing.T) {
	s, c, sub, conn := connected(t, "q:x")
	ctx := ctxT(t)
	fatal := `{"type":"FatalError","error":"BaseVersionMismatch: Base version 2 passed up doesn't match the current version 1"}`
	conn.send(fatal)
	conn.waitClosed()
	conn = s.accept()
	conn.readType("Connect")
	conn.readType("ModifyQuerySet")
	conn.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryUpdated","queryId":0,"value":1,"logLines":[],"journal":null}`))
	_, err := sub.Next(ctx)
	require.NoError(t, err)
	for range maxFatalErrors - 1 {
		conn.send(fatal)
		conn.waitClosed()
		conn = s.accept()
		conn.readType("Connect")
		conn.readType("ModifyQuerySet")
	}
	require.False(t, c.ConnectionState().Failed)
}

// TestErrorDataNullKept: a ConvexError(null) arrives as "errorData":null,
// which the backend keeps apart from no errorData (deserialize_some in
// crates/convex/sync_types/src/types/json.rs), as does the JS client: it is
// a ConvexError whose data is null.
func TestErrorDataNullKept(t *testing.T) {
	_, c, sub, conn := connected(t, "q:x")
	ctx := ctxT(t)
	requireNullData := func(err error) {
		t.Helper()
		var fe *FunctionError
		require.ErrorAs(t, err, &fe)
		require.True(t, fe.IsConvexError())
		require.Nil(t, fe.Data)
		v := any("unset")
		require.NoError(t, ErrorData(err, &v))
		require.Nil(t, v)
	}

	conn.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryFailed","queryId":0,"errorMessage":"Uncaught ConvexError: null","logLines":[],"journal":null,"errorData":null}`))
	_, err := sub.Next(ctx)
	requireNullData(err)

	errc := make(chan error, 1)
	go func() { errc <- c.Mutation(ctx, "m:a", nil, nil) }()
	conn.readType("Mutation")
	conn.send(`{"type":"MutationResponse","requestId":0,"success":false,"result":"Uncaught ConvexError: null","ts":null,"logLines":[],"errorData":null}`)
	requireNullData(<-errc)

	go func() { errc <- c.Action(ctx, "a:a", nil, nil) }()
	conn.readType("Action")
	conn.send(`{"type":"ActionResponse","requestId":1,"success":false,"result":"Uncaught ConvexError: null","logLines":[],"errorData":null}`)
	requireNullData(<-errc)

	go func() { errc <- c.Mutation(ctx, "m:a", nil, nil) }()
	conn.readType("Mutation")
	conn.send(`{"type":"MutationResponse","requestId":2,"success":false,"result":"Uncaught Error: plain","ts":null,"logLines":[]}`)
	err = <-errc
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	require.False(t, fe.IsConvexError())
	require.ErrorIs(t, ErrorData(err, new(any)), ErrNoErrorData)
}

// TestEmptyFieldNames: "" is a valid field name for the backend
// (check_valid_field_name in crates/convex/sync_types/src/identifier.rs):
// a result holding one is delivered, and arguments may carry one.
func TestEmptyFieldNames(t *testing.T) {
	_, c, sub, conn := connected(t, "q:x")
	ctx := ctxT(t)
	conn.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryUpdated","queryId":0,"value":{"":1,"a":{"":"x"}},"logLines":[],"journal":null}`))
	res, err := sub.Next(ctx)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, res.Decode(&got))
	require.Equal(t, map[string]any{"": 1.0, "a": map[string]any{"": "x"}}, got)

	go func() { _ = c.Mutation(ctx, "m:put", Args{"": values.Int64(1)}, nil) }()
	require.Equal(t, `{"type":"Mutation","requestId":0,"udfPath":"m:put","args":[{"":{"$integer":"AQAAAAAAAAA="}}]}`, conn.read())
	require.Equal(t, 1, c.ConnectionState().ConnectionCount)
}

// badIdentities are acting-as identities the backend refuses
// (UserIdentityAttributes' TryFrom<JsonValue> in
// crates/convex/sync_types/src/types/json.rs), with what the error names.
var badIdentities = []struct {
	identity any
	want     string
}{
	{map[string]any{"name": "Ann"}, `it needs "tokenIdentifier", or "issuer" and "subject"`},
	{map[string]any{"issuer": "https://i"}, `it needs "tokenIdentifier", or "issuer" and "subject"`},
	{map[string]any{"issuer": "https://i", "subject": nil}, `it needs "tokenIdentifier", or "issuer" and "subject"`},
	{map[string]any{"tokenIdentifier": 5}, `"tokenIdentifier" must be a string, not a number`},
	{map[string]any{"issuer": "https://i", "subject": "u", "emailVerified": "yes"}, `"emailVerified" must be a boolean, not a string`},
	{map[string]any{"tokenIdentifier": "t", "updatedAt": values.Int64(1)}, `"updatedAt" must be a string, not an int64`},
	{map[string]any{"tokenIdentifier": "t", "phoneNumberVerified": 1}, `"phoneNumberVerified" must be a boolean, not a number`},
	{"u1", "acting-as identity must be an object"},
}

// TestAdminActingAsChecked: an acting-as identity the backend would refuse
// (with a FatalError over the sync protocol) fails SetAdminAuth at once and
// sends nothing; a good one, with custom claims and nulls, goes out.
func TestAdminActingAsChecked(t *testing.T) {
	_, c, _, conn := connected(t, "q:x")
	for _, b := range badIdentities {
		err := c.SetAdminAuth("admin-key", b.identity)
		require.ErrorContains(t, err, b.want, "%v", b.identity)
	}
	require.NoError(t, c.SetAdminAuth("admin-key", map[string]any{"issuer": "https://i", "subject": "u", "emailVerified": true, "name": nil, "team": map[string]any{"id": 1}}))
	require.Equal(t, `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"admin-key","impersonating":{"emailVerified":true,"issuer":"https://i","name":null,"subject":"u","team":{"id":1}}}`, conn.read())
	require.NoError(t, c.SetAdminAuth("admin-key", map[string]string{"tokenIdentifier": "https://i|u"}))
	require.Contains(t, conn.readType("Authenticate"), `"baseVersion":1`)
}
