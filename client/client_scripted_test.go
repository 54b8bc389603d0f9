package client

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
)

func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := New(url, append([]Option{fastBackoff()}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSubscribeAndMutate walks the happy path against a scripted server:
// the upgrade path and header, the first frames, a result, a mutation that
// resolves only once a Transition reaches its ts, with the subscriber
// seeing the new value first.
func TestSubscribeAndMutate(t *testing.T) {
	s := newScriptedServer(t)
	s.holdSockets() // the first ModifyQuerySet carries the query (see subscribed)
	c := newTestClient(t, s.url())
	ctx := ctxT(t)

	sub, err := c.Subscribe(ctx, "messages:list", Args{"channel": "a", "n": values.Int64(5)})
	require.NoError(t, err)
	s.openGate()
	conn := s.accept()
	// The backend takes the client version from the Convex-Client header
	// when there is one, else from the URL (client_version_from_req_parts
	// in crates/common/src/http/mod.rs), and sends TransitionChunks only to
	// npm clients from 1.28 (new_sync_worker_config in
	// crates/local_backend/src/subs/mod.rs). With no header, the URL's npm
	// version makes large Transitions come in chunks, as to the JS client.
	require.Equal(t, "/api/"+ProtocolVersion+"/sync", <-s.paths)
	require.Empty(t, conn.header.Values("Convex-Client"), "a Convex-Client header would turn TransitionChunks off")

	connect := conn.readType("Connect")
	require.Contains(t, connect, `"connectionCount":0,"lastCloseReason":"InitialConnect"`)
	require.NotContains(t, connect, "maxObservedTimestamp")
	require.Equal(t, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{"channel":"a","n":{"$integer":"BQAAAAAAAAA="}}]}]}`, conn.read())

	conn.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryUpdated","queryId":0,"value":[{"body":"first","n":{"$integer":"BQAAAAAAAAA="}}],"logLines":[],"journal":null}`))
	res, err := sub.Next(ctx)
	require.NoError(t, err)
	var msgs []struct {
		Body string       `json:"body"`
		N    values.Int64 `json:"n"`
	}
	require.NoError(t, res.Decode(&msgs))
	require.Equal(t, "first", msgs[0].Body)
	require.Equal(t, values.Int64(5), msgs[0].N)

	done := make(chan error, 1)
	var out string
	go func() { done <- c.Mutation(ctx, "messages:send", Args{"body": "hi"}, &out) }()
	require.Equal(t, `{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{"body":"hi"}]}`, conn.read())
	conn.send(`{"type":"MutationResponse","requestId":0,"success":true,"result":"m2","ts":"` + ts2000 + `","logLines":["[LOG] 'sent'"]}`)
	conn.send(transitionFrame(v(1, 0, ts1000), v(1, 0, "zwcAAAAAAAA="), "")) // ts 1999
	select {
	case err := <-done:
		t.Fatalf("the mutation resolved before a Transition reached its ts: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	conn.send(transitionFrame(v(1, 0, "zwcAAAAAAAA="), v(1, 0, ts2000), `{"type":"QueryUpdated","queryId":0,"value":[{"body":"first","n":{"$integer":"BQAAAAAAAAA="}},{"body":"hi","n":{"$integer":"BgAAAAAAAAA="}}],"logLines":[],"journal":null}`))
	require.NoError(t, <-done)
	require.Equal(t, "m2", out)
	// The subscriber's value changed no later than the mutation resolved.
	res, err = sub.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, res.Decode(&msgs))
	require.Len(t, msgs, 2)
}

// TestFunctionErrors: a failed mutation carries ConvexError data; a failed
// query reaches Next as a *FunctionError and the subscription lives on.
func TestFunctionErrors(t *testing.T) {
	_, c, sub, conn := subscribed(t, "q:x")
	ctx := ctxT(t)

	conn.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryFailed","queryId":0,"errorMessage":"Uncaught Error: boom","logLines":[],"journal":null,"errorData":{"code":"E1"}}`))
	_, err := sub.Next(ctx)
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, KindQuery, fe.Kind)
	require.Equal(t, "[CONVEX Q(q:x)] Uncaught Error: boom", fe.Error())
	require.Equal(t, map[string]any{"code": "E1"}, fe.Data)

	conn.send(transitionFrame(v(1, 0, ts1000), v(1, 0, ts2000), `{"type":"QueryUpdated","queryId":0,"value":7,"logLines":[],"journal":null}`))
	res, err := sub.Next(ctx)
	require.NoError(t, err)
	var n float64
	require.NoError(t, res.Decode(&n))
	require.Equal(t, 7.0, n)

	errc := make(chan error, 1)
	go func() { errc <- c.Mutation(ctx, "messages:send", nil, nil) }()
	conn.readType("Mutation")
	conn.send(`{"type":"MutationResponse","requestId":0,"success":false,"result":"Uncaught ConvexError: nope","ts":null,"logLines":["[ERROR] 'bad'"],"errorData":{"reason":"nope","n":{"$integer":"AwAAAAAAAAA="}}}`)
	err = <-errc
	require.ErrorAs(t, err, &fe)
	require.Equal(t, KindMutation, fe.Kind)
	require.True(t, fe.IsConvexError())
	require.Equal(t, []string{"[ERROR] 'bad'"}, fe.LogLines)
	var data struct {
		Reason string       `json:"reason"`
		N      values.Int64 `json:"n"`
	}
	require.NoError(t, ErrorData(err, &data))
	require.Equal(t, "nope", data.Reason)
	require.Equal(t, values.Int64(3), data.N)
	require.ErrorIs(t, ErrorData(errors.New("plain"), &data), ErrNoErrorData)
}

// TestReconnectResendsAndFailsActions: the server drops the socket with a
// mutation unconfirmed and an action in flight. The action fails with
// ErrConnectionLost; the client reconnects with the same session, the count,
// the close reason and maxObservedTimestamp, and resends the mutation with
// its request id; the mutation then resolves exactly once.
func TestReconnectResendsAndFailsActions(t *testing.T) {
	s := newScriptedServer(t)
	s.holdSockets()
	c := newTestClient(t, s.url())
	ctx := ctxT(t)
	sub, err := c.Subscribe(ctx, "messages:list", nil)
	require.NoError(t, err)
	s.openGate()
	conn := s.accept()
	connect := conn.readType("Connect")
	session := connect[strings.Index(connect, `"sessionId":"`)+13:]
	session = session[:strings.IndexByte(session, '"')]
	conn.readType("ModifyQuerySet")
	conn.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryUpdated","queryId":0,"value":1,"logLines":[],"journal":"j0"}`))
	_, err = sub.Next(ctx)
	require.NoError(t, err)

	mut := make(chan error, 1)
	act := make(chan error, 1)
	go func() { mut <- c.Mutation(ctx, "messages:send", Args{"body": "x"}, nil) }()
	conn.readType("Mutation")
	go func() { act <- c.Action(ctx, "ai:run", nil, nil) }()
	conn.readType("Action")
	conn.send(`{"type":"MutationResponse","requestId":0,"success":true,"result":null,"ts":"` + ts3000 + `","logLines":[]}`)
	conn.close(websocket.StatusInternalError, "InternalServerError")

	err = <-act
	require.ErrorIs(t, err, ErrConnectionLost)
	require.Contains(t, err.Error(), "Connection lost while action was in flight")

	conn2 := s.accept()
	require.Equal(t, `{"connectionCount":1,"lastCloseReason":"InternalServerError","clientTs":`, conn2.readType("Connect")[:len(`{"connectionCount":1,"lastCloseReason":"InternalServerError","clientTs":`)])
	require.Equal(t, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{}],"journal":"j0"}]}`, conn2.read())
	require.Equal(t, `{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{"body":"x"}]}`, conn2.read())
	select {
	case err := <-mut:
		t.Fatalf("mutation settled before a Transition reached its ts: %v", err)
	default:
	}
	conn2.send(`{"type":"MutationResponse","requestId":0,"success":true,"result":null,"ts":"` + ts3000 + `","logLines":[]}`)
	conn2.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts3000), `{"type":"QueryUpdated","queryId":0,"value":2,"logLines":[],"journal":null}`))
	require.NoError(t, <-mut)
	require.NotEmpty(t, session)
	st := c.ConnectionState()
	require.True(t, st.IsWebSocketConnected)
	require.Equal(t, 2, st.ConnectionCount)
	require.Equal(t, 0, st.ConnectionRetries, "everything from before the reconnect is settled")
}

// TestRecoversFromProtocolErrors: where the JS client wedges or stops (a bad
// start version, a FatalError, a malformed frame), this client drops the
// socket, reports the error in the connection state, and reconnects (after
// a FatalError, a bounded number of times: TestFatalErrorsStopTheClient).
func TestRecoversFromProtocolErrors(t *testing.T) {
	for name, frame := range map[string]string{
		"bad start version":  transitionFrame(v(0, 7, ts0), v(0, 8, ts0), ""),
		"fatal error":        `{"type":"FatalError","error":"InternalServerError: something"}`,
		"malformed frame":    `{"type":"Transition",`,
		"chunk out of order": `{"type":"TransitionChunk","chunk":"{","partNumber":1,"totalParts":2,"transitionId":"9"}`,
	} {
		t.Run(name, func(t *testing.T) {
			s, c, sub, conn := subscribed(t, "q:x")
			ctx := ctxT(t)
			conn.send(frame)
			conn.waitClosed()

			conn2 := s.accept()
			conn2.readType("Connect")
			conn2.readType("ModifyQuerySet")
			conn2.send(transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryUpdated","queryId":0,"value":"ok","logLines":[],"journal":null}`))
			res, err := sub.Next(ctx)
			require.NoError(t, err)
			require.Equal(t, `"ok"`, string(res.Raw()))
			require.NotEmpty(t, c.ConnectionState().LastError)
		})
	}
}

// TestTransitionChunks: a Transition split into parts is reassembled.
func TestTransitionChunks(t *testing.T) {
	_, _, sub, conn := subscribed(t, "q:big")
	ctx := ctxT(t)
	big := strings.Repeat("é✓", 500)
	whole := transitionFrame(v(0, 0, ts0), v(1, 0, ts1000), `{"type":"QueryUpdated","queryId":0,"value":"`+big+`","logLines":[],"journal":null}`)
	// Cut on character boundaries, as the server does.
	cut := func(i int) int {
		for !utf8.RuneStart(whole[i]) {
			i++
		}
		return i
	}
	a, b := cut(1000), cut(2003)
	parts := []string{whole[:a], whole[a:b], whole[b:]}
	for i, p := range parts {
		b, _ := jsonString(p)
		conn.send(`{"type":"TransitionChunk","chunk":` + b + `,"partNumber":` + string(rune('0'+i)) + `,"totalParts":3,"transitionId":"x"}`)
	}
	res, err := sub.Next(ctx)
	require.NoError(t, err)
	var got string
	require.NoError(t, res.Decode(&got))
	require.True(t, big == got, "the reassembled value differs")
}

// TestCloseReleasesEverything: Close fails pending calls with ErrClosed, ends
// subscriptions, and leaves no goroutine behind.
func TestCloseReleasesEverything(t *testing.T) {
	s := newScriptedServer(t)
	before := runtime.NumGoroutine()
	c, err := New(s.url(), fastBackoff())
	require.NoError(t, err)
	ctx := ctxT(t)
	sub, err := c.Subscribe(ctx, "q:x", nil)
	require.NoError(t, err)
	conn := s.accept()
	conn.readType("Connect")
	conn.readType("ModifyQuerySet")
	stop := c.WatchConnectionState(func(ConnectionState) {})
	defer stop()
	unsub, err := c.OnUpdate(ctx, "q:y", nil, func(*Result, error) {})
	require.NoError(t, err)
	defer unsub()

	mut := make(chan error, 1)
	go func() { mut <- c.Mutation(ctx, "m:x", nil, nil) }()
	// The query set may change over more than one ModifyQuerySet (an empty
	// one can come first); what matters is that the mutation goes out.
	for f := conn.read(); !strings.Contains(f, `"type":"Mutation"`); f = conn.read() {
		require.Contains(t, f, `"type":"ModifyQuerySet"`)
	}
	next := make(chan error, 1)
	go func() { _, err := sub.Next(ctx); next <- err }()

	require.NoError(t, c.Close())
	require.ErrorIs(t, <-mut, ErrClosed)
	require.ErrorIs(t, <-next, ErrClosed)
	require.ErrorIs(t, c.Query(ctx, "q:x", nil, nil), ErrClosed)
	require.NoError(t, c.Close(), "Close twice is fine")
	conn.waitClosed()

	// Poll by hand: require.Eventually runs its condition on a goroutine of
	// its own, which would count.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(30 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, after, before, "goroutines left after Close")
}

func TestNewRejectsBadAddresses(t *testing.T) {
	for addr, want := range map[string]string{
		"ftp://x":                              `must start with "https://" or "http://"`,
		"happy-animal-123.convex.cloud":        `must start with "https://" or "http://"`,
		"https://happy-animal-123.convex.site": ".convex.site is for HTTP actions",
		"http://example.com":                   "plain http is only allowed for loopback hosts",
		"https://":                             "no host",
	} {
		_, err := New(addr)
		require.ErrorContains(t, err, want, addr)
	}
	for _, addr := range []string{"http://127.0.0.1:3210", "http://localhost:1", "http://[::1]:2", "https://happy-animal-123.convex.cloud"} {
		c, err := New(addr)
		require.NoError(t, err, addr)
		c.Close()
	}
	c, err := New("http://10.1.2.3:3210", WithInsecureTransport())
	require.NoError(t, err)
	c.Close()
}

func TestSyncURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://happy-animal-123.convex.cloud":  "wss://happy-animal-123.convex.cloud/api/" + ProtocolVersion + "/sync",
		"http://127.0.0.1:3210":                  "ws://127.0.0.1:3210/api/" + ProtocolVersion + "/sync",
		"https://happy-animal-123.convex.cloud/": "wss://happy-animal-123.convex.cloud//api/" + ProtocolVersion + "/sync",
		"http://127.0.0.1:3210/prefix":           "ws://127.0.0.1:3210/prefix/api/" + ProtocolVersion + "/sync",
	} {
		got, err := syncURL(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// subscribed starts a scripted server and a client subscribed to one query,
// and reads the socket's first two frames (Connect, ModifyQuerySet).
func subscribed(t *testing.T, query string) (*scriptedServer, *Client, *Subscription, *scriptedConn) {
	t.Helper()
	s := newScriptedServer(t)
	// The socket opens after the subscription reaches the client's loop, so
	// the first ModifyQuerySet carries it (had the socket opened first, an
	// empty one would come first, as from the JS client).
	s.holdSockets()
	c := newTestClient(t, s.url())
	sub, err := c.Subscribe(ctxT(t), query, nil)
	require.NoError(t, err)
	s.openGate()
	conn := s.accept()
	conn.readType("Connect")
	conn.readType("ModifyQuerySet")
	return s, c, sub, conn
}
