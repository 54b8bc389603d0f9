package client

import (
	"context"
	"time"

	"github.com/goconvex/convex/client/internal/transport"
	"github.com/goconvex/convex/internal/logging"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	logger              Logger
	skipURLCheck        bool
	allowInsecure       bool
	inactivityThreshold time.Duration
	dialTimeout         time.Duration
	http                httpOptions // options of the HTTPClient (none under GOOS=js)
	random              func() float64
	// dial replaces transport.Dial (tests: an in-memory socket, which
	// testing/synctest needs).
	dial func(ctx context.Context, url string, opts transport.DialOptions) (transport.Conn, error)
}

func defaultOptions() options {
	return options{
		logger:              logging.Discard{},
		inactivityThreshold: 60 * time.Second,
		dialTimeout:         30 * time.Second,
	}
}

// WithLogger sets where the client logs: connection trouble at ERROR and
// WARN, reconnects at INFO, and the log lines of functions at the level they
// were logged with. By default nothing is logged. A *slog.Logger will do;
// nil (also a nil *slog.Logger) keeps the default.
func WithLogger(l Logger) Option {
	return func(o *options) {
		if !logging.IsNil(l) {
			o.logger = l
		}
	}
}

// WithSkipDeploymentURLCheck skips the checks on the deployment address (as
// the JS client's skipConvexDeploymentUrlCheck does), except that plain
// http still needs a loopback host or WithInsecureTransport.
func WithSkipDeploymentURLCheck() Option { return func(o *options) { o.skipURLCheck = true } }

// WithInsecureTransport allows plain http:// and ws:// to hosts that are not
// loopback. Tokens then cross the network in clear text: use it only for
// test hosts on a private network.
func WithInsecureTransport() Option { return func(o *options) { o.allowInsecure = true } }

// WithServerInactivityThreshold sets how long the client waits for any
// message from the server before it reconnects (default 60 s, as the JS
// client; the server pings every 15 s).
func WithServerInactivityThreshold(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.inactivityThreshold = d
		}
	}
}
