package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/chat"
)

// These tests run the client against convextest, the in-memory deployment
// the official JS client is checked against in tests/conformance.

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, srv *convextest.Server) *client.Client {
	t.Helper()
	c, err := client.New(srv.URL())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

type message struct {
	ID     string  `json:"_id"`
	Time   float64 `json:"_creationTime"`
	Body   string  `json:"body"`
	Author string  `json:"author"`
}

// testIssuer signs RS256 tokens and serves its JWKS inline.
type testIssuer struct {
	key *rsa.PrivateKey
	iss string
}

func newTestIssuer(t *testing.T) *testIssuer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return &testIssuer{key: k, iss: "https://issuer.test/"}
}

func (i *testIssuer) provider() customjwt.Provider {
	n := base64.RawURLEncoding.EncodeToString(i.key.N.Bytes())
	e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(i.key.E)).Bytes())
	jwks := fmt.Sprintf(`{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"k1","n":%q,"e":%q}]}`, n, e)
	return customjwt.Provider{Issuer: i.iss, ApplicationID: "app", JWKS: jwks}
}

func (i *testIssuer) token(t *testing.T, sub, name string, lifetime time.Duration) string {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": i.iss, "sub": sub, "aud": "app", "name": name,
		"iat": now.Unix(), "exp": now.Add(lifetime).Unix(),
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(i.key)
	require.NoError(t, err)
	return s
}

// TestChatAgainstConvextest: two clients, one signed in; a message sent by
// one reaches the other's subscription; the sender's subscription has it
// when Mutation returns.
func TestChatAgainstConvextest(t *testing.T) {
	iss := newTestIssuer(t)
	srv := convextest.NewServer(convextest.WithAuth(iss.provider()))
	t.Cleanup(srv.Close)
	chat.Register(srv)
	ctx := ctxFor(t)

	alice := newClient(t, srv)
	alice.SetAuth(client.TokenProviderFunc(func(ctx context.Context, force bool) (string, error) {
		return iss.token(t, "alice", "Alice", time.Hour), nil
	}))
	bob := newClient(t, srv)

	var viewer struct{ Name, Subject, TokenIdentifier string }
	require.NoError(t, alice.Query(ctx, "users:viewer", nil, &viewer))
	require.Equal(t, "Alice", viewer.Name)
	require.Equal(t, "https://issuer.test/|alice", viewer.TokenIdentifier)
	require.Equal(t, client.AuthState{IsAuthenticated: true}, alice.AuthState())

	var anon any = "not nil"
	require.NoError(t, bob.Query(ctx, "users:viewer", nil, &anon))
	require.Nil(t, anon)

	bobSub, err := bob.Subscribe(ctx, "messages:list", nil)
	require.NoError(t, err)
	res, err := bobSub.Next(ctx)
	require.NoError(t, err)
	var msgs []message
	require.NoError(t, res.Decode(&msgs))
	require.Empty(t, msgs)

	aliceSub, err := alice.Subscribe(ctx, "messages:list", client.Args{})
	require.NoError(t, err)
	_, err = aliceSub.Next(ctx)
	require.NoError(t, err)

	var id string
	require.NoError(t, alice.Mutation(ctx, "messages:send", client.Args{"body": "hello"}, &id))
	require.NotEmpty(t, id)
	// Read-your-writes: the sender's subscription already holds the message.
	res, err = aliceSub.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, res.Decode(&msgs))
	require.Len(t, msgs, 1)
	require.Equal(t, id, msgs[0].ID)

	res, err = bobSub.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, res.Decode(&msgs))
	require.Equal(t, []string{"hello"}, []string{msgs[0].Body})
	require.Equal(t, "Alice", msgs[0].Author)

	// Bob is signed out: the mutation fails with the ConvexError data.
	err = bob.Mutation(ctx, "messages:send", client.Args{"body": "hi"}, nil)
	var fe *client.FunctionError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, client.KindMutation, fe.Kind)
	require.Equal(t, "Sign in to send messages.", fe.Data)
	var data string
	require.NoError(t, client.ErrorData(err, &data))
	require.Contains(t, fe.Message, "Uncaught ConvexError: Sign in to send messages.")
}

// TestExactlyOnceAcrossReconnects: the server drops every connection right
// after answering a mutation and before the Transition that confirms it.
// The client resends it with the same request id; it runs once.
func TestExactlyOnceAcrossReconnects(t *testing.T) {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	srv.Mutation("counter:inc", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("events", map[string]any{"n": args["n"]})
	})
	srv.Query("counter:count", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("events").Collect())), nil
	})
	ctx := ctxFor(t)
	c := newClient(t, srv)
	var n float64
	require.NoError(t, c.Query(ctx, "counter:count", nil, &n))

	srv.DropAfterFrames(1) // the MutationResponse goes out, then the socket drops
	require.NoError(t, c.Mutation(ctx, "counter:inc", client.Args{"n": 1}, nil))
	require.Equal(t, 1, srv.ExecutionCount("counter:inc"))
	require.NoError(t, c.Query(ctx, "counter:count", nil, &n))
	require.Equal(t, 1.0, n)
	require.GreaterOrEqual(t, c.ConnectionState().ConnectionCount, 2, "the client reconnected")
}

// TestManyConcurrentMutations: pipelined mutations from many goroutines all
// settle, each applied once, with no race.
func TestManyConcurrentMutations(t *testing.T) {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	chat.Register(srv)
	srv.Mutation("bump:one", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("bumps", args)
	})
	ctx := ctxFor(t)
	c := newClient(t, srv)
	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- c.Mutation(ctx, "bump:one", client.Args{"i": i}, nil) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, n, srv.ExecutionCount("bump:one"))
	st := c.ConnectionState()
	require.Zero(t, st.InflightMutations)
}

// TestWaitForCallbacks: once Mutation has returned, the wasm binding's
// waitForCallbacks returns only after a (slow) OnUpdate callback has seen
// the mutation's write.
func TestWaitForCallbacks(t *testing.T) {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	srv.Query("bump:count", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("bumps").Collect())), nil
	})
	srv.Mutation("bump:one", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("bumps", args)
	})
	ctx := ctxFor(t)
	c := newClient(t, srv)
	var mu sync.Mutex
	var seen []float64
	first := make(chan struct{})
	stop, err := c.OnUpdate(ctx, "bump:count", nil, func(r *client.Result, err error) {
		time.Sleep(50 * time.Millisecond) // a slow subscriber
		var n float64
		if err == nil && r.Decode(&n) == nil {
			mu.Lock()
			seen = append(seen, n)
			if len(seen) == 1 {
				close(first)
			}
			mu.Unlock()
		}
	})
	require.NoError(t, err)
	defer stop()
	<-first
	for i := range 3 {
		require.NoError(t, c.Mutation(ctx, "bump:one", client.Args{"i": i}, nil))
		require.NoError(t, waitForCallbacks(c, ctx))
		mu.Lock()
		last := seen[len(seen)-1]
		mu.Unlock()
		require.Equal(t, float64(i+1), last, "the callback saw mutation %d", i)
	}
	require.NoError(t, c.Close())
	require.ErrorIs(t, waitForCallbacks(c, ctx), client.ErrClosed)
}

// TestLargeResultsAndChunks: a result above the server's chunk threshold
// arrives as TransitionChunks and is reassembled. The server chunks for
// this client because it connects as the backend's chunking clients do
// (no Convex-Client header; npm >= 1.28 in the URL: new_sync_worker_config
// in crates/local_backend/src/subs/mod.rs).
func TestLargeResultsAndChunks(t *testing.T) {
	var chunks atomic.Int64
	srv := convextest.NewServer(convextest.WithChunkSize(4096), convextest.WithFrameObserver(func(dir convextest.Direction, _ uint64, frame []byte) {
		if dir == convextest.ToClient && bytes.HasPrefix(frame, []byte(`{"type":"TransitionChunk"`)) {
			chunks.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	big := strings.Repeat("ü0123456789", 10_000)
	srv.Query("big:get", func(*convextest.QueryCtx, map[string]any) (any, error) { return big, nil })
	c := newClient(t, srv)
	var got string
	require.NoError(t, c.Query(ctxFor(t), "big:get", nil, &got))
	require.True(t, got == big, "the reassembled result differs")
	require.Greater(t, chunks.Load(), int64(1), "the result came in chunks")
}

// TestValuesRoundTrip: int64, bytes and special floats survive args and
// results.
func TestValuesRoundTrip(t *testing.T) {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	srv.Action("echo:it", func(_ *convextest.ActionCtx, args map[string]any) (any, error) { return args, nil })
	c := newClient(t, srv)
	in := map[string]any{"i": values.Int64(-1 << 63), "b": []byte{0, 1, 255}, "nan": math.NaN(), "neg0": math.Copysign(0, -1), "inf": math.Inf(1)}
	var out map[string]any
	require.NoError(t, c.Action(ctxFor(t), "echo:it", in, &out))
	require.Equal(t, values.Int64(-1<<63), out["i"])
	require.Equal(t, []byte{0, 1, 255}, out["b"])
	f := out["nan"].(float64)
	require.True(t, f != f)
	require.True(t, 1/out["neg0"].(float64) < 0)
	require.True(t, out["inf"].(float64) > 1e308)
}

// TestActionFailsWhenConnectionDrops: an action in flight when the socket
// drops fails with ErrConnectionLost and is not run again.
func TestActionFailsWhenConnectionDrops(t *testing.T) {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	started := make(chan struct{})
	release := make(chan struct{})
	srv.Action("slow:run", func(*convextest.ActionCtx, map[string]any) (any, error) {
		close(started)
		<-release
		return "done", nil
	})
	c := newClient(t, srv)
	errc := make(chan error, 1)
	go func() { errc <- c.Action(ctxFor(t), "slow:run", nil, nil) }()
	<-started
	srv.DropConnections()
	err := <-errc
	close(release)
	require.True(t, errors.Is(err, client.ErrConnectionLost), "got %v", err)
	require.Equal(t, 1, srv.ExecutionCount("slow:run"))
}

// TestRestartKeepsData: the deployment restarts on the same address; the
// client reconnects and its subscription carries on with the data kept.
func TestRestartKeepsData(t *testing.T) {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	chat.Register(srv)
	srv.Mutation("seed:msg", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("messages", map[string]any{"body": args["body"], "author": "seed", "authorId": "seed"})
	})
	ctx := ctxFor(t)
	c := newClient(t, srv)
	require.NoError(t, c.Mutation(ctx, "seed:msg", client.Args{"body": "before"}, nil))
	sub, err := c.Subscribe(ctx, "messages:list", nil)
	require.NoError(t, err)
	_, err = sub.Next(ctx)
	require.NoError(t, err)

	require.NoError(t, srv.Restart())
	require.NoError(t, c.Mutation(ctx, "seed:msg", client.Args{"body": "after"}, nil))
	var msgs []message
	for len(msgs) < 2 {
		res, err := sub.Next(ctx)
		require.NoError(t, err)
		require.NoError(t, res.Decode(&msgs))
	}
	require.Equal(t, "before", msgs[0].Body)
	require.Equal(t, "after", msgs[1].Body)
}
