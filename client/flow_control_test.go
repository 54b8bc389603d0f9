package client_test

import (
	"bytes"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/internal/core"
)

// mutationFrames watches a convextest server's frames: the Mutation frames
// it reads, the MutationResponse frames it writes, and the connections.
type mutationFrames struct {
	sent, answered atomic.Int64
	maxUnanswered  atomic.Int64

	mu       sync.Mutex
	conns    map[uint64]bool
	ids      []uint32 // request ids of the Mutation frames, as read
	badFrame bool     // a Mutation frame without a readable requestId
}

var requestIDField = regexp.MustCompile(`"requestId":(\d+)`)

func (f *mutationFrames) observe(dir convextest.Direction, conn uint64, frame []byte) {
	f.mu.Lock()
	f.conns[conn] = true
	f.mu.Unlock()
	switch {
	case dir == convextest.ToClient && bytes.Contains(frame, []byte(`"type":"MutationResponse"`)):
		f.answered.Add(1)
	case dir == convextest.ToServer && bytes.Contains(frame, []byte(`"type":"Mutation"`)):
		// The server observes a response before writing it, so by the time
		// it reads a mutation the client sent in reply to a response, that
		// response is counted: this never overestimates the client's
		// window.
		n := f.sent.Add(1) - f.answered.Load()
		for m := f.maxUnanswered.Load(); n > m && !f.maxUnanswered.CompareAndSwap(m, n); m = f.maxUnanswered.Load() {
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		m := requestIDField.FindSubmatch(frame)
		if m == nil {
			f.badFrame = true
			return
		}
		id, err := strconv.ParseUint(string(m[1]), 10, 32)
		f.badFrame = f.badFrame || err != nil
		f.ids = append(f.ids, uint32(id))
	}
}

// TestPipelinedMutationsOverTheServerLimit: 3,000 mutations made at once,
// three times what convextest (like the real server) queues per connection
// before closing it with 1013 TooManyConcurrentMutations. Flow control keeps
// at most core.MaxInflightMutations unanswered, so they all run, once each,
// in the order they were made, over the one connection.
func TestPipelinedMutationsOverTheServerLimit(t *testing.T) {
	const n = 3000
	frames := &mutationFrames{conns: map[uint64]bool{}}
	srv := convextest.NewServer(convextest.WithFrameObserver(frames.observe))
	t.Cleanup(srv.Close)
	// The first mutation to run waits until the client has made all n and
	// sent what it may, so that they pile up as in a benchmark whatever the
	// machine's speed.
	gate := make(chan struct{})
	var gated atomic.Bool
	srv.Mutation("bump:one", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		if gated.CompareAndSwap(false, true) {
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return ctx.DB.Insert("bumps", args)
	})
	ctx := ctxFor(t)
	c := newClient(t, srv)
	openGate := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(openGate) // when the test fails before opening it

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- c.Mutation(ctx, "bump:one", client.Args{"i": i}, nil) })
	}
	// No response comes before the gate opens: the server reads one full
	// window of mutations, and no more.
	require.Eventually(t, func() bool {
		return c.ConnectionState().InflightMutations == n && frames.sent.Load() >= core.MaxInflightMutations
	}, 10*time.Second, time.Millisecond)
	openGate()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	require.Equal(t, n, srv.ExecutionCount("bump:one"))
	seen := map[float64]int{}
	require.NoError(t, srv.Read(func(db *convextest.DatabaseReader) error {
		for _, doc := range db.Query("bumps").Collect() {
			seen[doc["i"].(float64)]++
		}
		return nil
	}))
	require.Len(t, seen, n)
	for i, count := range seen {
		require.Equal(t, 1, count, "mutation %v", i)
	}

	st := c.ConnectionState()
	require.Equal(t, 1, st.ConnectionCount, "the server never closed the connection")
	require.Empty(t, st.LastError)
	require.Zero(t, st.InflightMutations)
	frames.mu.Lock()
	defer frames.mu.Unlock()
	require.Len(t, frames.conns, 1)
	require.False(t, frames.badFrame)
	require.Len(t, frames.ids, n, "no mutation was sent twice")
	require.IsIncreasing(t, frames.ids, "mutations are sent in the order they were made")
	require.Equal(t, int64(core.MaxInflightMutations), frames.maxUnanswered.Load(), "a full window in flight, never more")
}
