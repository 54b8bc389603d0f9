package client

import (
	"context"
	"fmt"
	"time"

	"github.com/goconvex/convex/client/internal/core"
	"github.com/goconvex/convex/internal/hooks"
)

// Client is a connection to a Convex deployment over the sync protocol: it
// keeps one WebSocket open (reconnecting with backoff when it drops),
// subscribes to queries, and runs mutations and actions. A Client is safe
// for concurrent use; one goroutine of its own owns its state.
type Client struct {
	address string
	opts    options
	cmds    chan func(*loop)
	quit    chan struct{}
	done    chan struct{}
	closing chan struct{}
	cb      *dispatcher // runs the callbacks
}

// New returns a client for the deployment at address (for example
// "https://happy-animal-123.convex.cloud"). It connects in the background;
// calls made before the socket opens are sent when it does. Plain http is
// accepted only for loopback hosts, unless WithInsecureTransport is given.
func New(address string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	if err := o.apply(false, opts); err != nil {
		return nil, err
	}
	if err := checkDeploymentURL(address, o.skipURLCheck, o.allowInsecure); err != nil {
		return nil, err
	}
	wsURL, err := syncURL(address)
	if err != nil {
		return nil, err
	}
	c := &Client{
		address: address,
		opts:    o,
		cmds:    make(chan func(*loop)),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		closing: make(chan struct{}),
		cb:      newDispatcher(),
	}
	l := newLoop(c, wsURL, core.New(newSessionID()))
	go l.run()
	return c, nil
}

// Close closes the connection, fails calls in flight with ErrClosed, ends
// every subscription, drops the callbacks not yet started (none starts
// after Close returns), and waits for the client's goroutines to exit.
//
// A callback (OnUpdate, WatchAuth, WatchConnectionState) may call Close.
// Close then returns once all of the above is done except that it cannot
// wait for the callback that called it: the callback goroutine exits when
// that callback returns.
func (c *Client) Close() error {
	select {
	case <-c.closing:
	default:
		close(c.closing)
		close(c.quit)
	}
	<-c.done
	c.cb.wait()
	return nil
}

// do runs fn on the event loop.
func (c *Client) do(ctx context.Context, fn func(*loop)) error {
	select {
	case c.cmds <- fn:
		return nil
	case <-c.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Subscribe subscribes to a query. The subscription's Next returns the
// current result, then each change. Subscriptions to the same query with
// the same arguments share one server query.
func (c *Client) Subscribe(ctx context.Context, name string, args any) (*Subscription, error) {
	sub, err := c.subscribe(ctx, name, args, nil)
	if err != nil {
		return nil, err
	}
	return &Subscription{c: c, sub: sub}, nil
}

// OnUpdate subscribes to a query and calls fn with each new result, or with
// a *FunctionError when the query fails. Calls are made in order, on a
// goroutine of the client's that is shared by all callbacks; results of one
// server transition are delivered in one batch. A callback slower than the
// results skips to the latest, as Next does: while a call to fn waits for
// its turn, a newer result replaces the one it carries. fn may call the
// client, Close included. The returned function unsubscribes.
func (c *Client) OnUpdate(ctx context.Context, name string, args any, fn func(*Result, error)) (unsubscribe func(), err error) {
	if fn == nil {
		return nil, fmt.Errorf("convex: OnUpdate needs a callback")
	}
	sub, err := c.subscribe(ctx, name, args, fn)
	if err != nil {
		return nil, err
	}
	return func() { c.unsubscribe(sub) }, nil
}

func (c *Client) subscribe(ctx context.Context, name string, args any, fn func(*Result, error)) (*subscriber, error) {
	path, err := checkPath(name)
	if err != nil {
		return nil, err
	}
	raw, err := encodeArgs(args)
	if err != nil {
		return nil, fmt.Errorf("failed to subscribe to %s: %w", name, err)
	}
	canonical := path.Canonical()
	sub := &subscriber{function: canonical, callback: fn}
	if fn == nil { // only Subscription.Next waits on it
		sub.notify = make(chan struct{}, 1)
	}
	if err := c.do(ctx, func(l *loop) { l.subscribe(sub, canonical, raw) }); err != nil {
		return nil, err
	}
	return sub, nil
}

func (c *Client) unsubscribe(sub *subscriber) {
	if !sub.markClosed() {
		return
	}
	_ = c.do(context.Background(), func(l *loop) { l.unsubscribe(sub) })
}

// Query runs a query once over the socket and decodes its result into out
// (which may be nil). It resolves with the first result, as the JS client's
// query() does; a result already held by a subscription is returned at once.
func (c *Client) Query(ctx context.Context, name string, args any, out any) error {
	sub, err := c.Subscribe(ctx, name, args)
	if err != nil {
		return err
	}
	return firstResult(ctx, sub, out)
}

// firstResult decodes sub's first result into out and closes sub.
func firstResult(ctx context.Context, sub *Subscription, out any) error {
	defer sub.Close()
	res, err := sub.Next(ctx)
	if err != nil {
		return err
	}
	return decodeInto(sub.sub.function, res.raw, out)
}

// Mutation runs a mutation and decodes its return value into out (which may
// be nil). It returns once the mutation's writes are visible to this
// client's subscriptions. Across reconnects the mutation is applied exactly
// once. When ctx ends first, Mutation returns ctx.Err() but the mutation
// may still be applied.
func (c *Client) Mutation(ctx context.Context, name string, args any, out any) error {
	return c.call(ctx, KindMutation, name, args, out)
}

// Action runs an action and decodes its return value into out (which may be
// nil). An action in flight when the connection drops fails with an error
// matching ErrConnectionLost; it is not resent.
func (c *Client) Action(ctx context.Context, name string, args any, out any) error {
	return c.call(ctx, KindAction, name, args, out)
}

func (c *Client) call(ctx context.Context, kind FunctionKind, name string, args any, out any) error {
	return c.callVia(ctx, name, args, out, func(l *loop, raw []byte, ch chan callResult) { l.request(kind, name, raw, ch) })
}

// callVia checks name and encodes args, has the loop send the request
// with send, and decodes the outcome into out: Client.call and
// Component.call, which differ only in how the loop sends.
func (c *Client) callVia(ctx context.Context, name string, args any, out any, send func(l *loop, raw []byte, ch chan callResult)) error {
	if _, err := checkPath(name); err != nil {
		return err
	}
	raw, err := encodeArgs(args)
	if err != nil {
		return fmt.Errorf("failed to call %s: %w", name, err)
	}
	ch := make(chan callResult, 1)
	if err := c.do(ctx, func(l *loop) { send(l, raw, ch) }); err != nil {
		return err
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		return decodeInto(name, r.value, out)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func init() {
	hooks.ClientWaitForCallbacks = (*Client).waitForCallbacks
}

// waitForCallbacks waits until every callback the client had scheduled when
// it was called (OnUpdate results, WatchAuth and WatchConnectionState
// states) has returned, or ctx ends. After Mutation returns it makes sure
// that OnUpdate callbacks have seen the transition that reflected the
// mutation, as they had in convex's client when its mutation resolved.
// Called from a callback it would wait for that callback until ctx ends.
// The wasm binding reaches it through package hooks.
func (c *Client) waitForCallbacks(ctx context.Context) error {
	done := make(chan struct{})
	if err := c.do(ctx, func(l *loop) { l.cb.post(func() { close(done) }) }); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-c.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ConnectionState returns the current connection state.
func (c *Client) ConnectionState() ConnectionState {
	ch := make(chan ConnectionState, 1)
	if err := c.do(context.Background(), func(l *loop) { ch <- l.connectionState() }); err != nil {
		return ConnectionState{}
	}
	return <-ch
}

// WatchConnectionState calls fn with the connection state now and whenever
// it changes, on the client's callback goroutine. The returned function
// stops the calls.
func (c *Client) WatchConnectionState(fn func(ConnectionState)) (stop func()) {
	w := &stateWatcher{fn: fn}
	if err := c.do(context.Background(), func(l *loop) { l.addWatcher(w) }); err != nil {
		return func() {}
	}
	return func() {
		w.stopped.Store(true)
		_ = c.do(context.Background(), func(l *loop) { l.removeWatcher(w) })
	}
}

// now is the clock of the client's requests.
func now() time.Time { return time.Now() }
