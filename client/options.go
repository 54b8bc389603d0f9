package client

import (
	"context"
	"time"

	"github.com/goconvex/convex/client/internal/transport"
	"github.com/goconvex/convex/internal/logging"
)

// Option configures a Client (New) or an HTTPClient (NewHTTPClient).
// WithLogger, WithSkipDeploymentURLCheck and WithInsecureTransport apply to
// both; WithServerInactivityThreshold applies to a Client only and
// WithHTTPClient to an HTTPClient only: New and NewHTTPClient return an
// error naming an option that does not apply to them, rather than ignore it.
type Option func(*options)

type options struct {
	logger        logging.Logger
	skipURLCheck  bool
	allowInsecure bool
	http          httpOptions // the HTTPClient's own (none under GOOS=js)

	inactivityThreshold time.Duration
	dialTimeout         time.Duration
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
// client; the server pings every 15 s). A Client's option only.
func WithServerInactivityThreshold(d time.Duration) Option {
	return func(o *options) {
		if o.only(false, "WithServerInactivityThreshold") && d > 0 {
			o.inactivityThreshold = d
		}
	}
}
