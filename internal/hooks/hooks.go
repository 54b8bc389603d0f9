// Package hooks lets the wasm binding reach what package client keeps
// unexported, because no user needs it: the binding waits for a
// client.Client's callbacks. Package client sets the hook in an init
// function. (Package testhooks holds the hooks of the test support
// packages, which the wasm does not link.)
package hooks

// ClientWaitForCallbacks is (*client.Client).waitForCallbacks, a
// func(*client.Client, context.Context) error, which the caller asserts
// (typed here, it would make an import cycle). It waits until every callback
// the client had scheduled when it was called has returned, or ctx ends:
// the wasm binding settles a mutation's Promise behind the results of the
// transition that reflected it.
var ClientWaitForCallbacks any
