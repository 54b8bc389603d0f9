package client_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
)

// counterServer is a deployment with one counter: count:get reads it and
// count:bump adds one.
func counterServer(t *testing.T) *convextest.Server {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	srv.Query("count:get", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("bumps").Collect())), nil
	})
	srv.Mutation("count:bump", func(ctx *convextest.MutationCtx, _ map[string]any) (any, error) {
		return ctx.DB.Insert("bumps", map[string]any{})
	})
	return srv
}

// closedWithin fails the test unless closed is closed before the generous
// deadline: a hang detector, not a speed check.
func closedWithin(t *testing.T, closed <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s never returned", what)
	}
}

// TestCloseFromCallback: Close called from each kind of callback returns,
// and later calls on the client fail with ErrClosed.
func TestCloseFromCallback(t *testing.T) {
	for _, kind := range []string{"OnUpdate", "WatchAuth", "WatchConnectionState"} {
		t.Run(kind, func(t *testing.T) {
			srv := counterServer(t)
			c, err := client.New(srv.URL())
			require.NoError(t, err)
			ctx := ctxFor(t)
			returned := make(chan struct{})
			var once sync.Once
			closeIt := func() {
				once.Do(func() {
					require.NoError(t, c.Close())
					close(returned)
				})
			}
			switch kind {
			case "OnUpdate":
				_, err := c.OnUpdate(ctx, "count:get", nil, func(*client.Result, error) { closeIt() })
				require.NoError(t, err)
			case "WatchAuth":
				c.WatchAuth(func(client.AuthState) { closeIt() })
			case "WatchConnectionState":
				c.WatchConnectionState(func(client.ConnectionState) { closeIt() })
			}
			closedWithin(t, returned, "Close from a "+kind+" callback")
			require.ErrorIs(t, c.Mutation(ctx, "count:bump", nil, nil), client.ErrClosed)
			require.NoError(t, c.Close(), "Close again, from the test")
		})
	}
}

// TestCloseWaitsForRunningCallback: Close from another goroutine still
// waits for the callback that is running, and no callback starts after it.
func TestCloseWaitsForRunningCallback(t *testing.T) {
	srv := counterServer(t)
	c, err := client.New(srv.URL())
	require.NoError(t, err)
	ctx := ctxFor(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	calls, running := 0, false
	_, err = c.OnUpdate(ctx, "count:get", nil, func(*client.Result, error) {
		mu.Lock()
		calls++
		running = true
		first := calls == 1
		mu.Unlock()
		if first {
			close(entered)
			<-release
		}
		mu.Lock()
		running = false
		mu.Unlock()
	})
	require.NoError(t, err)
	<-entered
	require.NoError(t, c.Mutation(ctx, "count:bump", nil, nil)) // queues a second call
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	// The client's socket goes as Close begins; Close itself must still
	// be waiting for the callback.
	require.Eventually(t, func() bool { return srv.Connections() == 0 }, 20*time.Second, time.Millisecond)
	select {
	case <-closed:
		t.Fatal("Close returned while a callback was running")
	default:
	}
	close(release)
	closedWithin(t, closed, "Close")
	mu.Lock()
	defer mu.Unlock()
	require.False(t, running)
	require.Equal(t, 1, calls, "the queued call was dropped")
}

// TestOnUpdateCoalesces: while a callback is busy, new results replace the
// one waiting for it instead of queueing: it then sees only the latest.
func TestOnUpdateCoalesces(t *testing.T) {
	srv := counterServer(t)
	c := newClient(t, srv)
	ctx := ctxFor(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var seen []float64
	_, err := c.OnUpdate(ctx, "count:get", nil, func(r *client.Result, err error) {
		var n float64
		require.NoError(t, err)
		require.NoError(t, r.Decode(&n))
		mu.Lock()
		seen = append(seen, n)
		first := len(seen) == 1
		mu.Unlock()
		if first {
			close(entered)
			<-release
		}
	})
	require.NoError(t, err)
	<-entered
	const n = 50
	for range n {
		// Each returns once its transition reached the client.
		require.NoError(t, c.Mutation(ctx, "count:bump", nil, nil))
	}
	close(release)
	require.NoError(t, waitForCallbacks(c, ctx))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []float64{0, n}, seen, fmt.Sprintf("%d calls", len(seen)))
}
