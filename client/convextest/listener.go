package convextest

import (
	"net"

	"github.com/goconvex/convex/internal/testhooks"
)

// withListener makes the Server serve on ln, which it closes on Close,
// instead of listening on a TCP port; its URL is http://<ln.Addr()>.
// Restart then fails. It is not exported: the client's tests reach it
// through package testhooks, to run a deployment over an in-memory listener
// inside a testing/synctest bubble, where a TCP listener would keep the
// fake clock from moving.
func withListener(ln net.Listener) Option {
	return func(o *options) { o.listener = ln }
}

func init() {
	testhooks.ConvextestWithListener = func(ln net.Listener) any { return withListener(ln) }
}
