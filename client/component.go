//go:build !js

// Calls into components are left out of the browser build (GOOS=js): the
// wasm binding does not make them, and the wasm binary has a size budget.

package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/goconvex/convex/client/internal/core"
	"github.com/goconvex/convex/client/internal/udfpath"
)

var (
	// ErrInvalidComponentPath matches the error of a call through a
	// Component or HTTPComponent whose path the deployment would refuse
	// (names of components joined by "/", each a letter or '_' and then
	// letters, digits and '_', at most 64 bytes). Nothing is sent; the
	// error's text names the rule.
	ErrInvalidComponentPath = errors.New("convex: invalid component path")
	// ErrComponentNeedsAdmin matches the error of a call into a component
	// made without the admin auth the deployment requires for one; nothing
	// is sent. Over the sync protocol (Client) that is SetAdminAuth with no
	// acting-as identity; over HTTP (HTTPClient) SetAdminAuth, acting as a
	// user or not. A Client also ends its calls into components with it
	// when its auth stops being an admin key (see Component).
	ErrComponentNeedsAdmin = errors.New("convex: calling a component's functions needs admin auth")
)

// Component calls the functions of one component of the deployment's app
// (a component the app mounts in convex.config.ts, such as "waitlist", or
// "waitlist/limiter" for one mounted inside it) over the Client's
// connection. It is a Caller, so the typed calls (RunQuery, RunMutation,
// RunAction) take it too.
//
// The deployment runs a component's functions for a deployment admin only:
// over the sync protocol the client must present an admin key without an
// acting-as identity (SetAdminAuth(key, nil)); otherwise the backend fails
// the whole connection (parse_admin_component_path in crates/sync/src/
// worker.rs), which reconnecting would only repeat. So a call into a
// component made without that auth fails at once with an error matching
// ErrComponentNeedsAdmin, and nothing is sent. When the auth changes
// from it (SetAuth, ClearAuth, SetAdminAuth with an acting-as identity),
// the client first ends every call into a component: subscriptions get
// the error (they receive nothing more; close them), mutations and actions
// not answered yet fail with it, a mutation already applied returns its
// result at once; the others may or may not have run, as the error says.
//
// The path "" is the app itself: its calls are the Client's own, sent
// without a component path and with any auth.
type Component struct {
	c    *Client
	path string
	err  error
}

// Component returns the caller of the functions of the component at path.
// A path the deployment would refuse makes every call fail with an error
// matching ErrInvalidComponentPath (Err reports it).
func (c *Client) Component(path string) *Component {
	return &Component{c: c, path: path, err: checkComponentPath(path)}
}

// Path returns the component's path.
func (k *Component) Path() string { return k.path }

// Err returns nil when the deployment accepts the component's path, and
// else the error its calls fail with.
func (k *Component) Err() error { return k.err }

var _ Caller = (*Component)(nil)

func checkComponentPath(path string) error {
	if err := udfpath.CheckComponentPath(path); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidComponentPath, err)
	}
	return nil
}

func needsAdmin(component, name string, how string) error {
	return fmt.Errorf("%w: %s in component %q %s", ErrComponentNeedsAdmin, name, component, how)
}

// Subscribe subscribes to a query of the component, as Client.Subscribe
// does.
func (k *Component) Subscribe(ctx context.Context, name string, args any) (*Subscription, error) {
	sub, err := k.subscribe(ctx, name, args, nil)
	if err != nil {
		return nil, err
	}
	return &Subscription{c: k.c, sub: sub}, nil
}

// OnUpdate subscribes to a query of the component, as Client.OnUpdate
// does.
func (k *Component) OnUpdate(ctx context.Context, name string, args any, fn func(*Result, error)) (unsubscribe func(), err error) {
	if fn == nil {
		return nil, fmt.Errorf("convex: OnUpdate needs a callback")
	}
	sub, err := k.subscribe(ctx, name, args, fn)
	if err != nil {
		return nil, err
	}
	return func() { k.c.unsubscribe(sub) }, nil
}

func (k *Component) subscribe(ctx context.Context, name string, args any, fn func(*Result, error)) (*subscriber, error) {
	if k.err != nil {
		return nil, k.err
	}
	if k.path == "" {
		return k.c.subscribe(ctx, name, args, fn)
	}
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
	if fn == nil {
		sub.notify = make(chan struct{}, 1)
	}
	refused := make(chan error, 1)
	if err := k.c.do(ctx, func(l *loop) { refused <- l.subscribeIn(sub, k.path, canonical, raw) }); err != nil {
		return nil, err
	}
	if err := <-refused; err != nil {
		return nil, err
	}
	return sub, nil
}

// Query runs a query of the component once, as Client.Query does.
func (k *Component) Query(ctx context.Context, name string, args any, out any) error {
	sub, err := k.Subscribe(ctx, name, args)
	if err != nil {
		return err
	}
	return firstResult(ctx, sub, out)
}

// Mutation runs a mutation of the component, as Client.Mutation does.
func (k *Component) Mutation(ctx context.Context, name string, args any, out any) error {
	return k.call(ctx, KindMutation, name, args, out)
}

// Action runs an action of the component, as Client.Action does.
func (k *Component) Action(ctx context.Context, name string, args any, out any) error {
	return k.call(ctx, KindAction, name, args, out)
}

func (k *Component) call(ctx context.Context, kind FunctionKind, name string, args any, out any) error {
	if k.err != nil {
		return k.err
	}
	if k.path == "" {
		return k.c.call(ctx, kind, name, args, out)
	}
	return k.c.callVia(ctx, name, args, out, func(l *loop, raw []byte, ch chan callResult) { l.requestIn(kind, k.path, name, raw, ch) })
}

// subscribeIn is loop.subscribe for a query of a component; it refuses one
// without admin auth.
func (l *loop) subscribeIn(s *subscriber, component, name string, args []byte) error {
	if l.failed != nil {
		return l.failed
	}
	if !l.core.AdminAuth() {
		return needsAdmin(component, name, "needs the client's auth to be an admin key without an acting-as identity (SetAdminAuth(key, nil))")
	}
	l.components = componentCalls{}.leaveAdmin
	s.token = l.core.Subscribe(name, args, component)
	l.subs[s.token] = append(l.subs[s.token], s)
	if qr, ok := l.core.Result(s.token); ok {
		res, err := queryOutcome(l.core.QueryPath(s.token), qr)
		if call := s.deliver(res, err); call != nil {
			l.cb.post(call)
		}
	}
	return nil
}

// requestIn is loop.request for a mutation or action of a component.
func (l *loop) requestIn(kind FunctionKind, component, name string, args []byte, ch chan callResult) {
	if l.failed != nil {
		ch <- callResult{err: l.failed}
		return
	}
	if !l.core.AdminAuth() {
		ch <- callResult{err: needsAdmin(component, name, "needs the client's auth to be an admin key without an acting-as identity (SetAdminAuth(key, nil))")}
		return
	}
	l.components = componentCalls{}.leaveAdmin
	var id uint32
	if kind == KindAction {
		id = l.core.Action(name, args, component, now())
	} else {
		id = l.core.Mutation(name, args, component, now())
	}
	l.pending[id] = &pendingCall{kind: kind, name: name, ch: ch}
}

// componentCalls ends the calls into components when the auth changes.
type componentCalls struct{}

// leaveAdmin runs before the core takes the new auth: the Removes of the
// components' queries go out ahead of the new identity, and no call into a
// component is sent or resent under it.
func (componentCalls) leaveAdmin(l *loop) {
	const why = "was ended: the client's auth stopped being an admin key"
	var batch []func()
	for _, q := range l.core.DropComponentQueries() {
		set := l.subs[q.Token]
		delete(l.subs, q.Token)
		for _, s := range set {
			err := needsAdmin(q.Component, s.function, why)
			if call := s.deliver(nil, err); call != nil {
				batch = append(batch, call)
			}
		}
	}
	l.postBatch(batch)
	for _, d := range l.core.DropComponentRequests() {
		if d.Outcome != nil { // applied: its result is known
			l.settle(core.Completion{RequestID: d.RequestID, Outcome: *d.Outcome})
			continue
		}
		p, ok := l.pending[d.RequestID]
		if !ok {
			continue
		}
		delete(l.pending, d.RequestID)
		how := why + " before it was sent"
		if d.MayHaveRun {
			how = why + " while it was in flight; it may or may not have run"
		}
		p.ch <- callResult{err: needsAdmin(d.Component, p.name, how)}
	}
}
