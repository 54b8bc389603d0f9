// Package testhooks lets the module's own tests and test programs reach
// what package convextest keeps unexported: the conformance server moves its
// deployment's clock, and the client's tests serve a deployment on an
// in-memory listener. Each hook is set by convextest in an init function.
// Options pass as any, which the caller asserts to convextest.Option: a hook
// typed with it would make an import cycle.
//
// It is apart from package hooks, which the wasm binary links, so that the
// wasm does not link package net.
package testhooks

import (
	"net"
	"time"
)

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
