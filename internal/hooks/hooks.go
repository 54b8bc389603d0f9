// Package hooks lets the module's own programs and tests reach what its
// public packages keep unexported, because no user needs it: the wasm
// binding waits for a client.Client's callbacks; the conformance server
// moves its deployment's clock; the client's tests serve a deployment on an
// in-memory listener. Each hook is set by the package that owns it, in an
// init function, so it is set once that package is imported. Values of the
// owner's types pass as any, which the caller asserts: a hook typed with
// them would make an import cycle.
package hooks

import (
	"context"
	"net"
	"time"
)

// Set by package client.
var (
	// ClientWaitForCallbacks waits until every callback the *client.Client
	// c had scheduled when it was called has returned, or ctx ends. The
	// wasm binding settles a mutation's Promise behind the results of the
	// transition that reflected it.
	ClientWaitForCallbacks func(c any, ctx context.Context) error
)

// Set by package convextest.
var (
	// ConvextestWithClock returns a convextest.Option (as any) that sets the
	// clock a Server validates tokens (exp, nbf) and expires identities by.
	// The conformance server moves it to expire a token mid-session.
	ConvextestWithClock func(now func() time.Time) any

	// ConvextestWithListener returns a convextest.Option (as any) that
	// makes a Server serve on ln instead of a TCP port: an in-memory
	// listener lets the client's tests run a deployment inside a
	// testing/synctest bubble.
	ConvextestWithListener func(ln net.Listener) any
)
