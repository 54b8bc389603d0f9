package convextest

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/testhooks"
)

// Option configures a Server.
type Option func(*options)

type options struct {
	addr         string
	chunkSize    int
	providers    []customjwt.Provider
	adminKey     string
	logger       *slog.Logger
	clock        func() time.Time
	pingInterval time.Duration
	observer     func(Direction, uint64, []byte)
	httpClient   *http.Client
	listener     net.Listener // withListener (listener.go); nil: listen on addr
}

func defaultOptions() options {
	return options{
		addr:         "127.0.0.1:0",
		chunkSize:    protocol.DefaultChunkSize,
		logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		clock:        time.Now,
		pingInterval: 15 * time.Second,
		httpClient:   &http.Client{Timeout: 10 * time.Second},
	}
}

// WithAddr makes the server listen on addr (e.g. "127.0.0.1:3210") instead
// of a free loopback port.
func WithAddr(addr string) Option {
	return func(o *options) { o.addr = addr }
}

// WithChunkSize sets the size above which a Transition is sent as
// TransitionChunks, and the size of each chunk. As on the backend, only
// clients that support chunks get them: npm clients from 1.28.0 on, known by
// their Convex-Client header ("npm-1.48.0") or their sync URL
// (/api/1.48.0/sync); any other client gets whole Transitions. The default is the real
// server's, protocol.DefaultChunkSize (5,000,000 bytes). Chunks are cut on
// UTF-8 character boundaries, so sizes below 4 disable chunking.
func WithChunkSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.chunkSize = n
		}
	}
}

// WithAuth configures the auth providers tokens are validated against, as
// convex/auth.config.ts does for a deployment. Without providers every
// user token is rejected with NoAuthProvider.
func WithAuth(providers ...customjwt.Provider) Option {
	return func(o *options) { o.providers = append(o.providers, providers...) }
}

// WithAdminKey sets the deployment's admin key, accepted by Authenticate
// messages of tokenType Admin and by HTTP "Authorization: Convex <key>"
// headers. Without it admin auth is rejected.
func WithAdminKey(key string) Option {
	return func(o *options) { o.adminKey = key }
}

// WithLogger sets where the server logs (connections, rejected tokens,
// panics in functions). Tokens are never logged. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// withClock sets the clock used to validate tokens (exp, nbf) and to
// decide when a connection's identity has expired. Commit timestamps and
// _creationTime always follow the wall clock. It is not exported: the
// package's tests use it, and the conformance server through package
// testhooks.
func withClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.clock = now
		}
	}
}

func init() {
	testhooks.ConvextestWithClock = func(now func() time.Time) any { return withClock(now) }
}

// WithPingInterval sets how long a connection may stay silent before the
// server sends {"type":"Ping"}. The default is the real server's 15 s.
func WithPingInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.pingInterval = d
		}
	}
}

// Direction tells a frame observer which way a frame went.
type Direction int

// Frame directions.
const (
	// ToServer is a frame the server received from a client.
	ToServer Direction = iota
	// ToClient is a frame the server sent to a client.
	ToClient
)

func (d Direction) String() string {
	if d == ToServer {
		return "client->server"
	}
	return "server->client"
}

// WithFrameObserver calls fn with every WebSocket frame the server receives
// or sends (after chunking), with the id of its connection. fn runs on the
// connections' goroutines, must be safe for concurrent use, must not block,
// and must not keep or change frame.
func WithFrameObserver(fn func(dir Direction, connID uint64, frame []byte)) Option {
	return func(o *options) { o.observer = fn }
}

// WithHTTPClient sets the client used to fetch JWKS URLs (for example one
// that trusts an httptest TLS server). The default has a 10 s timeout.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c != nil {
			o.httpClient = c
		}
	}
}
