//go:build !js

package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/convextest"
)

// tallyServer has two queries over one table, tally:count (how many items)
// and tally:sum (the sum of their n, each 1), and tally:add, which inserts
// an item: every add changes both queries, which stay equal.
func tallyServer(t *testing.T) *convextest.Server {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	srv.Query("tally:count", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return len(ctx.DB.Query("items").Collect()), nil
	})
	srv.Query("tally:sum", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		sum := 0.0
		for _, d := range ctx.DB.Query("items").Collect() {
			sum += d["n"].(float64)
		}
		return sum, nil
	})
	srv.Query("tally:boom", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return nil, errors.New("boom")
	})
	srv.Mutation("tally:add", func(ctx *convextest.MutationCtx, _ map[string]any) (any, error) {
		return ctx.DB.Insert("items", map[string]any{"n": 1.0})
	})
	return srv
}

func snapshotInt(t *testing.T, snap *Snapshot, sub *Subscription) int {
	t.Helper()
	q, ok := snap.Lookup(sub)
	require.True(t, ok, "the snapshot has no result for %s", sub.sub.function)
	require.NoError(t, q.Err)
	var n int
	require.NoError(t, q.Result.Decode(&n))
	return n
}

// TestWatchAllOneTimestamp: a mutation that changes two queries yields one
// snapshot with both changes, delivered by the time Mutation returns; no
// snapshot ever holds one change without the other. Against convextest,
// which sends both new results in one Transition.
func TestWatchAllOneTimestamp(t *testing.T) {
	srv := tallyServer(t)
	c, err := New(srv.URL())
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	count, err := c.Subscribe(ctx, "tally:count", nil)
	require.NoError(t, err)
	sum, err := c.Subscribe(ctx, "tally:sum", nil)
	require.NoError(t, err)
	for _, s := range []*Subscription{count, sum} {
		_, err := s.Next(ctx)
		require.NoError(t, err)
	}

	w, err := c.WatchAll(ctx)
	require.NoError(t, err)
	defer w.Close()
	// Both results have arrived (possibly in two Transitions): the first
	// snapshot is the current state, at once.
	snap, err := w.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, snapshotInt(t, snap, count))
	require.Equal(t, 0, snapshotInt(t, snap, sum))
	require.Len(t, snap.Queries(), 2)
	lastTS := snap.Timestamp()

	for i := 1; i <= 20; i++ {
		w.mu.Lock()
		before := w.seq
		w.mu.Unlock()
		require.NoError(t, c.Mutation(ctx, "tally:add", nil, nil))
		// The snapshot reflecting the mutation was published before
		// Mutation returned: Next does not wait for it.
		w.mu.Lock()
		published := w.seq - before
		w.mu.Unlock()
		require.Equal(t, uint64(1), published, "add %d: one Transition changed both queries, so exactly one snapshot", i)
		snap, err := w.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, i, snapshotInt(t, snap, count), "add %d", i)
		require.Equal(t, i, snapshotInt(t, snap, sum), "add %d", i)
		require.Greater(t, snap.Timestamp(), lastTS)
		lastTS = snap.Timestamp()
	}

	// Queries lists every query once, ordered; a failed query carries its
	// *FunctionError.
	boom, err := c.Subscribe(ctx, "tally:boom", nil)
	require.NoError(t, err)
	defer boom.Close()
	snap, err = w.Next(ctx)
	require.NoError(t, err)
	qs := snap.Queries()
	require.Len(t, qs, 3)
	require.Equal(t, []string{"tally:boom", "tally:count", "tally:sum"}, []string{qs[0].Function, qs[1].Function, qs[2].Function})
	var fe *FunctionError
	require.ErrorAs(t, qs[0].Err, &fe)
	require.Nil(t, qs[0].Result)
	require.JSONEq(t, "{}", string(qs[1].Args))

	// A subscription closed since is not in the next snapshot.
	require.NoError(t, sum.Close())
	require.NoError(t, c.Mutation(ctx, "tally:add", nil, nil))
	snap, err = w.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 21, snapshotInt(t, snap, count))
	_, ok := snap.Lookup(sum)
	require.False(t, ok)

	// Close unblocks Next.
	next := make(chan error, 1)
	go func() { _, err := w.Next(ctx); next <- err }()
	require.NoError(t, w.Close())
	require.ErrorIs(t, <-next, ErrClosed)
}

// TestWatchAllConcurrentReader: a reader that takes snapshots while
// mutations run never sees the two queries disagree.
func TestWatchAllConcurrentReader(t *testing.T) {
	srv := tallyServer(t)
	c, err := New(srv.URL())
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := c.WatchAll(ctx)
	require.NoError(t, err)
	count, err := c.Subscribe(ctx, "tally:count", nil)
	require.NoError(t, err)
	sum, err := c.Subscribe(ctx, "tally:sum", nil)
	require.NoError(t, err)

	const adds = 50
	done := make(chan error, 1)
	go func() {
		for {
			snap, err := w.Next(ctx)
			if err != nil {
				done <- err
				return
			}
			cq, ok1 := snap.Lookup(count)
			sq, ok2 := snap.Lookup(sum)
			if !ok1 || !ok2 {
				continue // before both first results
			}
			var n, s int
			if err := errors.Join(cq.Result.Decode(&n), sq.Result.Decode(&s)); err != nil {
				done <- err
				return
			}
			if n != s {
				done <- errors.New("a snapshot holds one change without the other")
				return
			}
			if n == adds {
				done <- nil
				return
			}
		}
	}()
	for range adds {
		require.NoError(t, c.Mutation(ctx, "tally:add", nil, nil))
	}
	require.NoError(t, <-done)
}

// TestWatchAllClientClose: closing the client ends Next with ErrClosed, and
// WatchAll on a closed client fails.
func TestWatchAllClientClose(t *testing.T) {
	srv := tallyServer(t)
	c, err := New(srv.URL())
	require.NoError(t, err)
	ctx := context.Background()
	w, err := c.WatchAll(ctx)
	require.NoError(t, err)
	next := make(chan error, 1)
	go func() { _, err := w.Next(ctx); next <- err }()
	require.NoError(t, c.Close())
	require.ErrorIs(t, <-next, ErrClosed)
	_, err = c.WatchAll(ctx)
	require.ErrorIs(t, err, ErrClosed)
}
