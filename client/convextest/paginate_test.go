//go:build !js

package convextest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
)

// newItemsServer registers items:page, a paginated scan of "items" (args
// {paginationOpts, desc?}), and items:add, which inserts {n}.
func newItemsServer(t *testing.T) *Server {
	t.Helper()
	srv := NewServer()
	t.Cleanup(srv.Close)
	srv.Query("items:page", func(ctx *QueryCtx, args map[string]any) (any, error) {
		opts, err := ParsePaginationOptions(args)
		if err != nil {
			return nil, err
		}
		desc, _ := args["desc"].(bool)
		res, err := ctx.DB.Query("items").Order(desc).Paginate(opts)
		if err != nil {
			return nil, err
		}
		if twice, _ := args["twice"].(bool); twice {
			if _, err := ctx.DB.Query("items").Paginate(opts); err != nil {
				return nil, err
			}
		}
		return res.Value(), nil
	})
	srv.Mutation("items:add", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("items", map[string]any{"n": args["n"]})
	})
	return srv
}

func addItems(t *testing.T, srv *Server, ns ...int) {
	t.Helper()
	for _, n := range ns {
		_, err := srv.Run(context.Background(), "items:add", map[string]any{"n": float64(n)})
		require.NoError(t, err)
	}
}

// pageRun is one run of items:page as the sync protocol would run it.
type pageRun struct {
	ns      []float64
	isDone  bool
	cont    string
	split   any
	journal *string
}

func runPage(t *testing.T, srv *Server, opts map[string]any, desc bool, journal *string) (pageRun, error) {
	t.Helper()
	args, err := json.Marshal(map[string]any{"paginationOpts": opts, "desc": desc})
	require.NoError(t, err)
	srv.store.mu.RLock()
	out := srv.runQueryLocked(context.Background(), "items:page", args, nil, journal)
	srv.store.mu.RUnlock()
	if out.failed {
		return pageRun{}, out.cause
	}
	v := decode(t, out.value).(map[string]any)
	var r pageRun
	for _, d := range v["page"].([]any) {
		r.ns = append(r.ns, d.(map[string]any)["n"].(float64))
	}
	r.isDone, r.cont, r.split, r.journal = v["isDone"].(bool), v["continueCursor"].(string), v["splitCursor"], out.journal
	require.NotNil(t, r.journal, "a paginated run leaves a journal")
	assert.Equal(t, r.cont, *r.journal, "the journal is the page's end")
	return r, nil
}

func opts(numItems int, cursor any, endCursor ...string) map[string]any {
	o := map[string]any{"numItems": float64(numItems), "cursor": cursor, "id": 1.0}
	if len(endCursor) > 0 {
		o["endCursor"] = endCursor[0]
	}
	return o
}

func TestPaginatePages(t *testing.T) {
	srv := newItemsServer(t)
	addItems(t, srv, 1, 2, 3, 4, 5)

	first, err := runPage(t, srv, opts(2, nil), false, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, first.ns)
	assert.False(t, first.isDone)

	second, err := runPage(t, srv, opts(2, first.cont), false, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 4}, second.ns)
	last, err := runPage(t, srv, opts(2, second.cont), false, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{5}, last.ns)
	assert.True(t, last.isDone)
	assert.Nil(t, last.split, "no split cursor for a page of one")

	// Re-runs with the journal keep each page's end: a new document lands
	// on the last page, which reaches the end of the table, and nowhere else.
	addItems(t, srv, 6)
	again, err := runPage(t, srv, opts(2, nil), false, first.journal)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	lastAgain, err := runPage(t, srv, opts(2, second.cont), false, last.journal)
	require.NoError(t, err)
	assert.Equal(t, []float64{5, 6}, lastAgain.ns)
	assert.True(t, lastAgain.isDone)
	// Without the journal the first page is run afresh: the same two.
	fresh, err := runPage(t, srv, opts(2, nil), false, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, fresh.ns)

	// A page of exactly the remaining documents is not known to be done;
	// the next one is empty and done.
	exact, err := runPage(t, srv, opts(2, lastAgain.cont), false, nil)
	require.NoError(t, err)
	assert.Empty(t, exact.ns)
	assert.True(t, exact.isDone)
}

func TestPaginateDescendingAndSplit(t *testing.T) {
	srv := newItemsServer(t)
	addItems(t, srv, 1, 2, 3, 4, 5, 6)
	first, err := runPage(t, srv, opts(4, nil), true, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{6, 5, 4, 3}, first.ns)
	require.NotNil(t, first.split)

	// The two halves usePaginatedQuery asks for when it splits a page.
	a, err := runPage(t, srv, opts(4, nil, first.split.(string)), true, nil)
	require.NoError(t, err)
	b, err := runPage(t, srv, opts(4, first.split.(string), first.cont), true, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{6, 5}, a.ns)
	assert.Equal(t, []float64{4, 3}, b.ns)
	assert.Equal(t, first.cont, b.cont)
	assert.False(t, b.isDone)

	rest, err := runPage(t, srv, opts(4, first.cont), true, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{2, 1}, rest.ns)
	assert.True(t, rest.isDone)
}

func TestPaginateRejects(t *testing.T) {
	srv := newItemsServer(t)
	addItems(t, srv, 1, 2, 3)
	asc, err := runPage(t, srv, opts(1, nil), false, nil)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		opts map[string]any
		desc bool
		err  string
	}{
		"garbage cursor":        {opts(1, "not a cursor"), false, "InvalidCursor"},
		"cursor of other order": {opts(1, asc.cont), true, "InvalidCursor: the cursor belongs to a query of table \"items\" in asc order"},
		"end cursor garbage":    {opts(1, nil, "zzz"), false, "InvalidCursor"},
		"no numItems":           {map[string]any{"cursor": nil}, false, "paginationOpts.numItems must be a positive integer"},
		"zero numItems":         {opts(0, nil), false, "paginationOpts.numItems must be a positive integer"},
		"no cursor":             {map[string]any{"numItems": 1.0}, false, "paginationOpts.cursor is required"},
		"number cursor":         {opts(1, 5.0), false, "paginationOpts.cursor must be a string or null"},
	} {
		_, err := runPage(t, srv, tc.opts, tc.desc, nil)
		require.ErrorContains(t, err, tc.err, name)
	}
	// A journal that is not a cursor of this query is ignored.
	bad := "junk"
	r, err := runPage(t, srv, opts(2, nil), false, &bad)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, r.ns)

	args, _ := json.Marshal(map[string]any{"paginationOpts": opts(1, nil), "twice": true})
	srv.store.mu.RLock()
	out := srv.runQueryLocked(context.Background(), "items:page", args, nil, nil)
	srv.store.mu.RUnlock()
	require.True(t, out.failed)
	assert.Contains(t, out.message, "only supports a single paginated query in each function")
}

// TestPaginateJournalOverTheWire: the journal goes out with each result and
// comes back with a re-added query (as after a reconnect), so the page
// keeps its end; a query added without it starts afresh.
func TestPaginateJournalOverTheWire(t *testing.T) {
	srv := newItemsServer(t)
	addItems(t, srv, 1, 2, 3)
	args := `{"paginationOpts":{"numItems":2,"cursor":null,"id":1}}`

	c := dial(t, srv)
	c.connect("00000000-0000-4000-8000-000000000001")
	tr := c.subscribe(0, "items:page", args)
	m := modByID(tr, 0)
	require.NotNil(t, m)
	var journal *string
	require.NoError(t, json.Unmarshal(m.Journal, &journal))
	require.NotNil(t, journal)
	assert.Len(t, decode(t, m.Value).(map[string]any)["page"], 2)

	// A document added past the page's end leaves the page as it was.
	addItems(t, srv, 4)
	tr = c.nextTransition() // items:page re-ran at the new timestamp
	assert.Nil(t, modByID(tr, 0), "unchanged result, same journal: nothing sent")

	c2 := dial(t, srv)
	c2.connect("00000000-0000-4000-8000-000000000002")
	c2.send(&protocol.ModifyQuerySet{BaseVersion: 0, NewVersion: 1, Modifications: []protocol.QuerySetModification{
		{Type: protocol.ModAdd, QueryID: 7, UDFPath: "items:page", Args: json.RawMessage(`{"paginationOpts":{"numItems":1,"cursor":null,"id":1}}`), Journal: m.Journal},
		{Type: protocol.ModAdd, QueryID: 8, UDFPath: "items:page", Args: json.RawMessage(`{"paginationOpts":{"numItems":1,"cursor":null,"id":2}}`)},
	}})
	tr = c2.nextTransition()
	withJournal := decode(t, modByID(tr, 7).Value).(map[string]any)
	without := decode(t, modByID(tr, 8).Value).(map[string]any)
	assert.Len(t, withJournal["page"], 2, "the journal's end, not numItems, bounds the page")
	assert.Equal(t, *journal, withJournal["continueCursor"])
	assert.Len(t, without["page"], 1)
	assert.Equal(t, fmt.Sprintf("%q", *journal), string(modByID(tr, 7).Journal))
}
