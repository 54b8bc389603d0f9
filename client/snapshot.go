//go:build !js

// WatchAll is left out of the browser build (GOOS=js): the wasm binding does
// not use it, and the wasm binary has a size budget.

package client

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/goconvex/convex/client/internal/core"
	"github.com/goconvex/convex/client/values"
)

// Snapshot is the result of every query the client is subscribed to, all
// as of one server timestamp: the end of one Transition of the sync
// protocol. The deployment sends the changes of one commit to every
// subscribed query in one Transition, and the client applies each
// Transition whole, so a Snapshot never holds one query's result after a
// mutation and another's from before it. A Snapshot does not change.
type Snapshot struct {
	ts      uint64
	results map[core.QueryToken]*SnapshotQuery
}

// SnapshotQuery is one query's result in a Snapshot.
type SnapshotQuery struct {
	// Component is the path of the component whose query it is (see
	// Component), "" for the app's own.
	Component string
	// Function is the query's canonical path ("messages:list").
	Function string
	// Args are the query's arguments as Convex JSON.
	Args values.Raw
	// Result is the query's result; nil when it failed.
	Result *Result
	// Err is the query's *FunctionError when it failed.
	Err error
}

// Timestamp returns the deployment's timestamp the results are as of (its
// commit timestamp, nanoseconds since the Unix epoch).
func (s *Snapshot) Timestamp() uint64 { return s.ts }

// Lookup returns the result of sub's query in the snapshot. It reports false
// when the snapshot holds none: the subscription was made after the
// snapshot, or its first result had not arrived yet.
func (s *Snapshot) Lookup(sub *Subscription) (SnapshotQuery, bool) {
	q, ok := s.results[sub.sub.token]
	if !ok {
		return SnapshotQuery{}, false
	}
	return *q, true
}

// Queries returns every query of the snapshot, ordered by component,
// function and arguments. Subscriptions to the same query with the same arguments share
// one entry.
func (s *Snapshot) Queries() []SnapshotQuery {
	out := make([]SnapshotQuery, 0, len(s.results))
	for _, q := range s.results {
		out = append(out, *q)
	}
	slices.SortFunc(out, func(a, b SnapshotQuery) int {
		return cmp.Or(cmp.Compare(a.Component, b.Component), cmp.Compare(a.Function, b.Function), bytes.Compare(a.Args, b.Args))
	})
	return out
}

// Snapshots receives a Snapshot of all subscriptions after each
// Transition that changed a result (convex-rs's watch_all).
type Snapshots struct {
	c *Client

	mu     sync.Mutex // guards the fields below; nextMu serializes Next
	snap   *Snapshot
	err    error
	seq    uint64
	seen   uint64
	closed bool
	notify chan struct{}
	nextMu sync.Mutex
}

// WatchAll returns the Snapshots of the client's subscriptions, those made
// before and after the call: Next returns the snapshot of the last
// Transition on the current connection at once when there is one, and then
// a new Snapshot after each Transition that changed the result of a
// subscribed query (a new result, or a query's first). It is delivered
// before the mutations that Transition settles return, so after Mutation
// returns the next snapshot reflects the mutation's writes. Subscribing and
// unsubscribing do not make a snapshot by themselves.
func (c *Client) WatchAll(ctx context.Context) (*Snapshots, error) {
	w := &Snapshots{c: c, notify: make(chan struct{}, 1)}
	if err := c.do(ctx, func(l *loop) { l.addSnapshots(w) }); err != nil {
		return nil, err
	}
	return w, nil
}

// Next returns the current snapshot the first time when there is one, and
// after that each new one; it blocks until there is one. A slow reader skips
// to the latest snapshot, as Subscription.Next does. After the client
// stopped for good, Next returns its *FatalError; after Close, or the
// client's Close, ErrClosed.
func (w *Snapshots) Next(ctx context.Context) (*Snapshot, error) {
	w.nextMu.Lock()
	defer w.nextMu.Unlock()
	for {
		w.mu.Lock()
		switch {
		case w.closed:
			w.mu.Unlock()
			return nil, ErrClosed
		case w.seq > w.seen:
			w.seen = w.seq
			snap, err := w.snap, w.err
			w.mu.Unlock()
			return snap, err
		}
		w.mu.Unlock()
		select {
		case <-w.notify:
		case <-w.c.quit:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close stops the snapshots and unblocks a pending Next.
func (w *Snapshots) Close() error {
	w.mu.Lock()
	was := w.closed
	w.closed = true
	w.mu.Unlock()
	w.signal()
	if !was {
		_ = w.c.do(context.Background(), func(l *loop) { l.removeSnapshots(w) })
	}
	return nil
}

func (w *Snapshots) deliver(snap *Snapshot, err error) {
	w.mu.Lock()
	w.snap, w.err = snap, err
	w.seq++
	w.mu.Unlock()
	w.signal()
}

func (w *Snapshots) signal() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// snapshotHub holds a client's Snapshots; it lives in the event loop.
type snapshotHub struct {
	watchers map[*Snapshots]struct{}
}

func (l *loop) addSnapshots(w *Snapshots) {
	h, _ := l.snapHub.(*snapshotHub)
	if h == nil {
		h = &snapshotHub{watchers: map[*Snapshots]struct{}{}}
		l.snapHub = h
		l.snapshots = h.publish
	}
	h.watchers[w] = struct{}{}
	switch {
	case l.failed != nil:
		w.deliver(nil, l.failed)
	default:
		if snap := l.snapshot(); snap != nil {
			w.deliver(snap, nil)
		}
	}
}

func (l *loop) removeSnapshots(w *Snapshots) {
	if h, _ := l.snapHub.(*snapshotHub); h != nil {
		delete(h.watchers, w)
	}
}

// publish runs after a Transition changed results, and when the client
// failed for good.
func (h *snapshotHub) publish(l *loop) {
	if len(h.watchers) == 0 {
		return
	}
	var snap *Snapshot
	if l.failed == nil {
		if snap = l.snapshot(); snap == nil {
			return
		}
	}
	for w := range h.watchers {
		if l.failed != nil {
			w.deliver(nil, l.failed)
		} else {
			w.deliver(snap, nil)
		}
	}
}

// snapshot builds the Snapshot of the state the core holds, or nil before
// the first Transition on the current socket.
func (l *loop) snapshot() *Snapshot {
	ts, ok := l.core.StateTS()
	if !ok {
		return nil
	}
	s := &Snapshot{ts: uint64(ts), results: map[core.QueryToken]*SnapshotQuery{}}
	l.core.Results(func(token core.QueryToken, component, path string, args json.RawMessage, qr *core.QueryResult) {
		res, err := queryOutcome(path, qr)
		s.results[token] = &SnapshotQuery{Component: component, Function: path, Args: values.Raw(args), Result: res, Err: err}
	})
	return s
}
