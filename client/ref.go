package client

import "context"

// ref is what the three reference types hold: the path as written and,
// for a path the backend would refuse, the error their calls fail with.
type ref struct {
	path string
	err  error
}

func newRef(path string) ref {
	_, err := checkPath(path)
	return ref{path: path, err: err}
}

// QueryRef is a reference to a query that takes Args and returns Result.
//
// A function reference names a Convex function together with the Go types
// of its arguments and result, so that the compiler checks every call:
//
//	var listMessages = client.NewQueryRef[ListArgs, []Message]("messages:list")
//	msgs, err := client.RunQuery(ctx, c, listMessages, ListArgs{Channel: "general"})
//
// goconvex gen writes one reference per function of a deployment, with the
// Go types of the functions' validators. The references are values: copy
// them freely. Methods cannot have type parameters in Go, so the typed
// calls are functions: RunQuery, RunMutation and RunAction take a Caller
// (a *Client or an *HTTPClient), SubscribeTo a *Client.
//
// A reference holds its path as written; a path the backend would refuse
// does not panic when the reference is made (generated code makes them in
// package variables): Err reports it, and every call through the reference
// fails with an error matching ErrInvalidFunctionPath, as an untyped call
// with that path would, without sending anything.
type QueryRef[Args, Result any] struct{ ref }

// MutationRef is a reference to a mutation that takes Args and returns
// Result.
type MutationRef[Args, Result any] struct{ ref }

// ActionRef is a reference to an action that takes Args and returns Result.
type ActionRef[Args, Result any] struct{ ref }

// NewQueryRef returns a reference to the query at path ("messages:list",
// "folder/module:function").
func NewQueryRef[Args, Result any](path string) QueryRef[Args, Result] {
	return QueryRef[Args, Result]{newRef(path)}
}

// NewMutationRef returns a reference to the mutation at path.
func NewMutationRef[Args, Result any](path string) MutationRef[Args, Result] {
	return MutationRef[Args, Result]{newRef(path)}
}

// NewActionRef returns a reference to the action at path.
func NewActionRef[Args, Result any](path string) ActionRef[Args, Result] {
	return ActionRef[Args, Result]{newRef(path)}
}

// Path returns the function's path as the reference was made with it.
func (r QueryRef[Args, Result]) Path() string { return r.path }

// Err returns nil when the backend accepts the reference's path, and else
// the error, matching ErrInvalidFunctionPath, that its calls fail with.
func (r QueryRef[Args, Result]) Err() error { return r.err }

// Path returns the function's path as the reference was made with it.
func (r MutationRef[Args, Result]) Path() string { return r.path }

// Err returns nil when the backend accepts the reference's path, and else
// the error, matching ErrInvalidFunctionPath, that its calls fail with.
func (r MutationRef[Args, Result]) Err() error { return r.err }

// Path returns the function's path as the reference was made with it.
func (r ActionRef[Args, Result]) Path() string { return r.path }

// Err returns nil when the backend accepts the reference's path, and else
// the error, matching ErrInvalidFunctionPath, that its calls fail with.
func (r ActionRef[Args, Result]) Err() error { return r.err }

// Caller runs functions by name: *Client and *HTTPClient are Callers. The
// typed calls (RunQuery, RunMutation, RunAction) go through it, so they
// keep each client's behaviour: a Client's mutations apply exactly once
// across reconnects and return once their writes are visible, an
// HTTPClient's run one at a time.
type Caller interface {
	Query(ctx context.Context, name string, args any, out any) error
	Mutation(ctx context.Context, name string, args any, out any) error
	Action(ctx context.Context, name string, args any, out any) error
}

var _ Caller = (*Client)(nil)

// RunQuery runs the query ref names once with args and returns its result.
// Args are encoded as an untyped call's are (a struct through its json
// tags, a map, client.Args); the result is decoded into a new Result.
func RunQuery[Args, Result any](ctx context.Context, c Caller, ref QueryRef[Args, Result], args Args) (Result, error) {
	var out Result
	if ref.err != nil {
		return out, ref.err
	}
	err := c.Query(ctx, ref.path, args, &out)
	return out, err
}

// RunMutation runs the mutation ref names with args and returns its result,
// as Client.Mutation and HTTPClient.Mutation do.
func RunMutation[Args, Result any](ctx context.Context, c Caller, ref MutationRef[Args, Result], args Args) (Result, error) {
	var out Result
	if ref.err != nil {
		return out, ref.err
	}
	err := c.Mutation(ctx, ref.path, args, &out)
	return out, err
}

// RunAction runs the action ref names with args and returns its result, as
// Client.Action and HTTPClient.Action do.
func RunAction[Args, Result any](ctx context.Context, c Caller, ref ActionRef[Args, Result], args Args) (Result, error) {
	var out Result
	if ref.err != nil {
		return out, ref.err
	}
	err := c.Action(ctx, ref.path, args, &out)
	return out, err
}

// TypedSubscription receives the results of one query as they change,
// decoded as Result. It is a Subscription whose Next decodes.
type TypedSubscription[Result any] struct {
	sub *Subscription
}

// SubscribeTo subscribes to the query ref names with args, as
// Client.Subscribe does.
func SubscribeTo[Args, Result any](ctx context.Context, c *Client, ref QueryRef[Args, Result], args Args) (*TypedSubscription[Result], error) {
	if ref.err != nil {
		return nil, ref.err
	}
	sub, err := c.Subscribe(ctx, ref.path, args)
	if err != nil {
		return nil, err
	}
	return &TypedSubscription[Result]{sub: sub}, nil
}

// Next returns the query's current result the first time, and after that
// each new result, as Subscription.Next does, decoded into a new Result. A
// failed query is returned as a *FunctionError, a result that does not
// decode as Result as an error naming the query; either way the
// subscription stays alive.
func (s *TypedSubscription[Result]) Next(ctx context.Context) (Result, error) {
	var out Result
	res, err := s.sub.Next(ctx)
	if err != nil {
		return out, err
	}
	err = res.Decode(&out)
	return out, err
}

// Untyped returns the underlying Subscription, whose Next gives each
// result's log lines and Convex JSON.
func (s *TypedSubscription[Result]) Untyped() *Subscription { return s.sub }

// Close ends the subscription and unblocks a pending Next.
func (s *TypedSubscription[Result]) Close() error { return s.sub.Close() }
