//go:build !js

package client

import (
	"context"
	"strings"
)

// HTTPComponent calls the functions of one component of the deployment's
// app over the HTTP API (POST /api/function with a componentPath), the
// HTTPClient's form of Component. It is a Caller.
//
// /api/function serves admin keys only, acting as a user or not
// (must_be_admin in crates/local_backend/src/admin.rs; any other caller gets
// 403 BadDeployKey): a call made while the HTTPClient has no SetAdminAuth
// fails at once with an error matching ErrComponentNeedsAdmin, and nothing
// is sent. The endpoint runs a function of any kind, so Query, Mutation and
// Action differ only in the error's prefix; mutations still run one at a
// time with the HTTPClient's others. The path "" is the app itself: its
// calls are the HTTPClient's own.
type HTTPComponent struct {
	h    *HTTPClient
	path string
	err  error
}

// Component returns the caller of the functions of the component at path.
// A path the deployment would refuse makes every call fail with an error
// matching ErrInvalidComponentPath (Err reports it).
func (h *HTTPClient) Component(path string) *HTTPComponent {
	return &HTTPComponent{h: h, path: path, err: checkComponentPath(path)}
}

// Path returns the component's path.
func (k *HTTPComponent) Path() string { return k.path }

// Err returns nil when the deployment accepts the component's path, and
// else the error its calls fail with.
func (k *HTTPComponent) Err() error { return k.err }

var _ Caller = (*HTTPComponent)(nil)

// Query runs a query of the component.
func (k *HTTPComponent) Query(ctx context.Context, name string, args any, out any) error {
	if k.path == "" && k.err == nil {
		return k.h.Query(ctx, name, args, out)
	}
	return k.run(ctx, KindQuery, name, args, out)
}

// Mutation runs a mutation of the component, in turn with the HTTPClient's
// other mutations.
func (k *HTTPComponent) Mutation(ctx context.Context, name string, args any, out any) error {
	if k.path == "" && k.err == nil {
		return k.h.Mutation(ctx, name, args, out)
	}
	if err := k.check(name); err != nil {
		return err
	}
	if err := k.h.lockMutations(ctx); err != nil {
		return err
	}
	defer k.h.unlockMutations()
	return k.run(ctx, KindMutation, name, args, out)
}

// Action runs an action of the component.
func (k *HTTPComponent) Action(ctx context.Context, name string, args any, out any) error {
	if k.path == "" && k.err == nil {
		return k.h.Action(ctx, name, args, out)
	}
	return k.run(ctx, KindAction, name, args, out)
}

func (k *HTTPComponent) check(name string) error {
	if k.err != nil {
		return k.err
	}
	k.h.mu.Lock()
	admin := strings.HasPrefix(k.h.authz, "Convex ")
	k.h.mu.Unlock()
	if !admin {
		return needsAdmin(k.path, name, "needs the HTTPClient's auth to be an admin key (SetAdminAuth)")
	}
	return nil
}

func (k *HTTPComponent) run(ctx context.Context, kind FunctionKind, name string, args any, out any) error {
	if err := k.check(name); err != nil {
		return err
	}
	return k.h.runWith(ctx, kind, "function", name, args, out, func(b []byte) []byte {
		b = append(b, `,"componentPath":`...)
		b, _ = appendJSONString(b, k.path)
		return b
	})
}
