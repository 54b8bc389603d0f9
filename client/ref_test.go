//go:build !js

package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
)

type sendArgs struct {
	Body string `json:"body"`
}

type refMessage struct {
	ID   string `json:"_id"`
	Body string `json:"body"`
}

type echoArgs struct {
	N     values.Int64 `json:"n"`
	Bytes []byte       `json:"bytes"`
}

var (
	listRef = client.NewQueryRef[struct{}, []refMessage]("messages:list")
	sendRef = client.NewMutationRef[sendArgs, string]("messages.js:send")
	echoRef = client.NewActionRef[echoArgs, echoArgs]("util:echo")
)

func refDeployment(t *testing.T) *convextest.Server {
	srv := convextest.NewServer()
	t.Cleanup(srv.Close)
	srv.Query("messages:list", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return ctx.DB.Query("messages").Collect(), nil
	})
	srv.Mutation("messages:send", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("messages", map[string]any{"body": args["body"]})
	})
	srv.Action("util:echo", func(_ *convextest.ActionCtx, args map[string]any) (any, error) {
		return args, nil
	})
	return srv
}

// The typed calls run through both clients, as the Caller each is: args
// encode as untyped calls' do (int64 and bytes included), results decode
// into the reference's Result.
func TestRefsRunOnBothClients(t *testing.T) {
	srv := refDeployment(t)
	ctx := context.Background()
	c, err := client.New(srv.URL())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	hc, err := client.NewHTTPClient(srv.URL())
	require.NoError(t, err)

	for i, caller := range []client.Caller{c, hc} {
		id, err := client.RunMutation(ctx, caller, sendRef, sendArgs{Body: "hi"})
		require.NoError(t, err)
		msgs, err := client.RunQuery(ctx, caller, listRef, struct{}{})
		require.NoError(t, err)
		require.Len(t, msgs, i+1)
		require.Equal(t, refMessage{ID: id, Body: "hi"}, msgs[i])

		in := echoArgs{N: 1 << 60, Bytes: []byte{0, 1, 2}}
		out, err := client.RunAction(ctx, caller, echoRef, in)
		require.NoError(t, err)
		require.Equal(t, in, out)
	}
}

// callRecorder is a Caller that records the names it is asked to run.
type callRecorder struct{ names []string }

func (r *callRecorder) Query(_ context.Context, name string, _, _ any) error {
	r.names = append(r.names, name)
	return nil
}
func (r *callRecorder) Mutation(ctx context.Context, name string, args, out any) error {
	return r.Query(ctx, name, args, out)
}
func (r *callRecorder) Action(ctx context.Context, name string, args, out any) error {
	return r.Query(ctx, name, args, out)
}

// A reference with a path the backend would refuse is made without a
// panic; Err reports the path's problem, and its calls fail with it
// without reaching the client.
func TestRefInvalidPath(t *testing.T) {
	q := client.NewQueryRef[struct{}, string]("/messages:list")
	m := client.NewMutationRef[struct{}, string]("messages:li-st")
	a := client.NewActionRef[struct{}, string]("")
	for _, err := range []error{q.Err(), m.Err(), a.Err()} {
		require.ErrorIs(t, err, client.ErrInvalidFunctionPath)
	}
	require.Equal(t, "/messages:list", q.Path())

	var rec callRecorder
	ctx := context.Background()
	_, err := client.RunQuery(ctx, &rec, q, struct{}{})
	require.ErrorIs(t, err, client.ErrInvalidFunctionPath)
	_, err = client.RunMutation(ctx, &rec, m, struct{}{})
	require.ErrorIs(t, err, client.ErrInvalidFunctionPath)
	_, err = client.RunAction(ctx, &rec, a, struct{}{})
	require.ErrorIs(t, err, client.ErrInvalidFunctionPath)
	_, err = client.SubscribeTo(ctx, (*client.Client)(nil), q, struct{}{})
	require.ErrorIs(t, err, client.ErrInvalidFunctionPath)
	require.Empty(t, rec.names)

	require.NoError(t, listRef.Err())
	require.NoError(t, sendRef.Err())
}

// A typed subscription's Next returns each result decoded; a result that
// does not decode as Result is an error and the subscription goes on.
func TestSubscribeTo(t *testing.T) {
	srv := refDeployment(t)
	ctx := context.Background()
	c, err := client.New(srv.URL())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })

	sub, err := client.SubscribeTo(ctx, c, listRef, struct{}{})
	require.NoError(t, err)
	defer sub.Close()
	msgs, err := sub.Next(ctx)
	require.NoError(t, err)
	require.Empty(t, msgs)

	_, err = client.RunMutation(ctx, c, sendRef, sendArgs{Body: "one"})
	require.NoError(t, err)
	msgs, err = sub.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "one", msgs[0].Body)
	require.NotNil(t, sub.Untyped())

	// The same query read as the wrong type.
	wrong := client.NewQueryRef[struct{}, map[string]string]("messages:list")
	ws, err := client.SubscribeTo(ctx, c, wrong, struct{}{})
	require.NoError(t, err)
	defer ws.Close()
	_, err = ws.Next(ctx)
	require.ErrorContains(t, err, "failed to decode result of messages:list")
	_, err = client.RunMutation(ctx, c, sendRef, sendArgs{Body: "two"})
	require.NoError(t, err)
	_, err = ws.Next(ctx)
	require.Error(t, err)
	var fe *client.FunctionError
	require.False(t, errors.As(err, &fe))

	require.NoError(t, sub.Close())
	_, err = sub.Next(ctx)
	require.ErrorIs(t, err, client.ErrClosed)
}
