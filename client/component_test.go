//go:build !js

package client

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/convextest"
)

const componentsKey = "prod:components|secret"

// frameLog records the frames a convextest server receives.
type frameLog struct {
	mu     sync.Mutex
	frames []string
}

func (f *frameLog) observe(dir convextest.Direction, _ uint64, frame []byte) {
	if dir == convextest.ToServer {
		f.mu.Lock()
		f.frames = append(f.frames, string(frame))
		f.mu.Unlock()
	}
}

func (f *frameLog) indexes(substr string) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for i, fr := range f.frames {
		if strings.Contains(fr, substr) {
			out = append(out, i)
		}
	}
	return out
}

func (f *frameLog) count(substr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, fr := range f.frames {
		n += strings.Count(fr, substr)
	}
	return n
}

// componentServer: "counter:get" in the app (always 0) and in the component
// "waitlist" (its entries), waitlist's "lib:join" (a mutation) and
// "lib:size" (an action running its own component's counter:get).
func componentServer(t *testing.T, frames *frameLog) *convextest.Server {
	opts := []convextest.Option{convextest.WithAdminKey(componentsKey)}
	if frames != nil {
		opts = append(opts, convextest.WithFrameObserver(frames.observe))
	}
	srv := convextest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.Query("counter:get", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) { return 0, nil })
	w := srv.Component("waitlist")
	w.Query("counter:get", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return len(ctx.DB.Query("waitlist").Collect()), nil
	})
	w.Mutation("lib:join", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("waitlist", map[string]any{"name": args["name"]})
	})
	w.Action("lib:size", func(ctx *convextest.ActionCtx, _ map[string]any) (any, error) {
		return ctx.RunQuery("counter:get", nil)
	})
	return srv
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestComponentCalls: with an admin key a Component subscribes to, queries
// and calls the component's functions; its query is not the app's query of
// the same path and arguments; typed calls take it.
func TestComponentCalls(t *testing.T) {
	srv := componentServer(t, nil)
	c, err := New(srv.URL())
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	require.NoError(t, c.SetAdminAuth(componentsKey, nil))
	w := c.Component("waitlist")
	require.NoError(t, w.Err())
	require.Equal(t, "waitlist", w.Path())

	appSub, err := c.Subscribe(ctx, "counter:get", nil)
	require.NoError(t, err)
	compSub, err := w.Subscribe(ctx, "counter:get", nil)
	require.NoError(t, err)
	var n int
	next := func(s *Subscription) int {
		t.Helper()
		res, err := s.Next(ctx)
		require.NoError(t, err)
		require.NoError(t, res.Decode(&n))
		return n
	}
	require.Equal(t, 0, next(appSub))
	require.Equal(t, 0, next(compSub))
	// A snapshot tells the two apart.
	all, err := c.WatchAll(ctx)
	require.NoError(t, err)
	snap, err := all.Next(ctx)
	require.NoError(t, err)
	qs := snap.Queries()
	require.Len(t, qs, 2)
	require.Equal(t, []string{"", "waitlist"}, []string{qs[0].Component, qs[1].Component})
	require.Equal(t, "counter:get", qs[1].Function)
	require.NoError(t, all.Close())

	var id string
	require.NoError(t, w.Mutation(ctx, "lib:join", Args{"name": "ada"}, &id))
	require.NotEmpty(t, id)
	require.Equal(t, 1, next(compSub), "the mutation's write is visible when Mutation returns")
	size, err := RunAction(ctx, w, NewActionRef[Args, int]("lib:size"), Args{})
	require.NoError(t, err)
	require.Equal(t, 1, size)
	count, err := RunQuery(ctx, w, NewQueryRef[Args, int]("counter:get"), Args{})
	require.NoError(t, err)
	require.Equal(t, 1, count)
	require.NoError(t, c.Query(ctx, "counter:get", nil, &n))
	require.Equal(t, 0, n, "the app's counter:get")

	// OnUpdate in a component.
	got := make(chan int, 4)
	stop, err := w.OnUpdate(ctx, "counter:get", nil, func(r *Result, err error) {
		var v int
		if err == nil && r.Decode(&v) == nil {
			got <- v
		}
	})
	require.NoError(t, err)
	defer stop()
	require.Equal(t, 1, <-got)

	// A missing function of the component fails as the deployment says.
	err = w.Mutation(ctx, "lib:nope", nil, nil)
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	require.Contains(t, fe.Message, "Could not find public function for 'lib:nope' in 'waitlist'.")

	// The root path is the app itself, for any auth.
	c.ClearAuth()
	require.NoError(t, c.Component("").Query(ctx, "counter:get", nil, &n))
	require.Equal(t, 0, n)
}

// TestComponentRefusedLocally: without a deployment admin's auth (none, a
// user's, an admin acting as a user) and with a path the deployment would
// refuse, calls fail at once and nothing with a componentPath is sent; the
// connection stays up.
func TestComponentRefusedLocally(t *testing.T) {
	frames := &frameLog{}
	srv := componentServer(t, frames)
	c, err := New(srv.URL())
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	require.NoError(t, c.Query(ctx, "counter:get", nil, nil)) // connected

	calls := func(k *Component) []error {
		_, subErr := k.Subscribe(ctx, "counter:get", nil)
		_, onErr := k.OnUpdate(ctx, "counter:get", nil, func(*Result, error) {})
		return []error{
			subErr, onErr,
			k.Query(ctx, "counter:get", nil, nil),
			k.Mutation(ctx, "lib:join", nil, nil),
			k.Action(ctx, "lib:size", nil, nil),
		}
	}
	for _, auth := range []string{"none", "acting as a user"} {
		if auth == "acting as a user" {
			require.NoError(t, c.SetAdminAuth(componentsKey, map[string]any{"subject": "u", "issuer": "https://i.test"}))
		}
		for i, err := range calls(c.Component("waitlist")) {
			require.ErrorIs(t, err, ErrComponentNeedsAdmin, "%s, call %d", auth, i)
		}
	}
	require.NoError(t, c.SetAdminAuth(componentsKey, nil))
	for _, bad := range []string{"wait-list", "/waitlist", "a//b", "1x", strings.Repeat("x", 65)} {
		k := c.Component(bad)
		require.ErrorIs(t, k.Err(), ErrInvalidComponentPath, bad)
		for i, err := range calls(k) {
			require.ErrorIs(t, err, ErrInvalidComponentPath, "%s, call %d", bad, i)
		}
	}
	require.NoError(t, c.Query(ctx, "counter:get", nil, nil))
	require.Zero(t, frames.count(`"componentPath"`), "nothing into a component was sent")
	st := c.ConnectionState()
	require.Equal(t, 1, st.ConnectionCount)
	require.Empty(t, st.LastError)
}

// TestComponentCallsEndWhenAuthLeavesAdmin: when the auth stops being a
// deployment admin's, the component's subscriptions fail with
// ErrComponentNeedsAdmin and their Removes go out before the new identity,
// so the deployment (which closes a connection holding a component's query
// under another identity) keeps the connection; the app's subscription
// lives on.
func TestComponentCallsEndWhenAuthLeavesAdmin(t *testing.T) {
	for _, leave := range []struct {
		name string
		do   func(c *Client)
	}{
		{"ClearAuth", func(c *Client) { c.ClearAuth() }},
		{"SetAdminAuth acting as a user", func(c *Client) {
			require.NoError(t, c.SetAdminAuth(componentsKey, map[string]any{"subject": "u", "issuer": "https://i.test"}))
		}},
		{"SetAuth", func(c *Client) {
			c.SetAuth(TokenProviderFunc(func(context.Context, bool) (string, error) { return "", nil }))
		}},
	} {
		t.Run(leave.name, func(t *testing.T) {
			frames := &frameLog{}
			srv := componentServer(t, frames)
			c, err := New(srv.URL())
			require.NoError(t, err)
			defer c.Close()
			ctx := testCtx(t)
			require.NoError(t, c.SetAdminAuth(componentsKey, nil))
			w := c.Component("waitlist")
			compSub, err := w.Subscribe(ctx, "counter:get", nil)
			require.NoError(t, err)
			_, err = compSub.Next(ctx)
			require.NoError(t, err)
			appSub, err := c.Subscribe(ctx, "counter:get", nil)
			require.NoError(t, err)
			_, err = appSub.Next(ctx)
			require.NoError(t, err)

			leave.do(c)
			_, err = compSub.Next(ctx)
			require.ErrorIs(t, err, ErrComponentNeedsAdmin)
			require.NoError(t, compSub.Close())
			require.ErrorIs(t, w.Mutation(ctx, "lib:join", nil, nil), ErrComponentNeedsAdmin)

			// A new query's answer comes after the deployment took the
			// Remove and the new identity: the connection is still the
			// first one.
			require.NoError(t, c.Query(ctx, "counter:get", Args{"fresh": true}, nil))
			require.Equal(t, 1, c.ConnectionState().ConnectionCount)
			require.Empty(t, c.ConnectionState().LastError)
			remove, auths := frames.indexes(`"type":"Remove","queryId":0`), frames.indexes(`"type":"Authenticate"`)
			require.Len(t, remove, 1)
			for _, a := range auths[1:] {
				require.Greater(t, a, remove[0], "the Remove goes out before the new identity")
			}
		})
	}
}

// TestHTTPComponent: over HTTP a component's functions run for an admin key
// (acting as a user too, as /api/function allows); without one, or with a
// bad path, nothing is sent.
func TestHTTPComponent(t *testing.T) {
	srv := componentServer(t, nil)
	rec := &apiRecorder{}
	h, err := NewHTTPClient(srv.URL(), WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, err)
	ctx := testCtx(t)
	w := h.Component("waitlist")

	require.ErrorIs(t, w.Query(ctx, "counter:get", nil, nil), ErrComponentNeedsAdmin)
	require.ErrorIs(t, w.Mutation(ctx, "lib:join", nil, nil), ErrComponentNeedsAdmin)
	require.ErrorIs(t, w.Action(ctx, "lib:size", nil, nil), ErrComponentNeedsAdmin)
	h.SetAuth("a.user.token")
	require.ErrorIs(t, w.Query(ctx, "counter:get", nil, nil), ErrComponentNeedsAdmin)
	require.ErrorIs(t, h.Component("wait-list").Query(ctx, "counter:get", nil, nil), ErrInvalidComponentPath)
	require.Empty(t, rec.take())

	for _, actingAs := range []any{nil, map[string]any{"subject": "u", "issuer": "https://i.test"}} {
		require.NoError(t, h.SetAdminAuth(componentsKey, actingAs))
		var before, after, size int
		require.NoError(t, w.Query(ctx, "counter:get", nil, &before))
		require.NoError(t, w.Mutation(ctx, "lib:join", Args{"name": "ada"}, nil))
		require.NoError(t, w.Query(ctx, "counter:get", nil, &after))
		require.Equal(t, before+1, after)
		size, err = RunAction(ctx, w, NewActionRef[Args, int]("lib:size"), Args{})
		require.NoError(t, err)
		require.Equal(t, after, size)
		reqs := rec.take()
		require.Len(t, reqs, 4)
		for _, r := range reqs {
			require.Equal(t, "/api/function", r.path)
			require.Equal(t, "waitlist", r.body["componentPath"])
		}
	}
	var n int
	require.NoError(t, h.Component("").Query(ctx, "counter:get", nil, &n))
	require.Equal(t, 0, n)
	require.Equal(t, []string{"/api/query"}, paths(rec.take()))

	var fe *FunctionError
	require.ErrorAs(t, w.Query(ctx, "counter:nope", nil, nil), &fe)
	require.Contains(t, fe.Message, "Could not find function for 'counter:nope' in 'waitlist'.")
}
