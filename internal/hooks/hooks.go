// Package hooks lets the wasm binding reach what package client keeps
// unexported, because no user needs it: the binding waits for a
// client.Client's callbacks. The hook is set by package client in an init
// function. The client passes as any, which the hook asserts: a hook typed
// with *client.Client would make an import cycle. (Package testhooks holds
// the hooks of the test support packages, which the wasm does not link.)
package hooks

import "context"

// Set by package client.
var (
	// ClientWaitForCallbacks waits until every callback the *client.Client
	// c had scheduled when it was called has returned, or ctx ends. The
	// wasm binding settles a mutation's Promise behind the results of the
	// transition that reflected it.
	ClientWaitForCallbacks func(c any, ctx context.Context) error
)
