//go:build !js

package client

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/internal/transport"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/testhooks"
)

// pipeListener is an in-memory net.Listener whose connections are
// net.Pipes: a convextest Server serving it, and a Client dialing it
// (dialOption), run inside a testing/synctest bubble, where every goroutine
// blocked on a pipe is durably blocked and the fake clock moves.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr makes the server's URL a loopback one, which the client accepts
// over plain http.
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3210} }

func (l *pipeListener) dialPipe(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dialOption makes a Client open its WebSockets over the listener's pipes.
func (l *pipeListener) dialOption() Option {
	return func(o *options) {
		o.dial = func(ctx context.Context, url string, _ transport.DialOptions) (transport.Conn, error) {
			hc := &http.Client{Transport: &http.Transport{
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return l.dialPipe(ctx) },
			}}
			ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
			if resp != nil && resp.Body != nil {
				resp.Body.Close()
			}
			if err != nil {
				return nil, err
			}
			ws.SetReadLimit(transport.ReadLimit)
			return pipeWS{ws}, nil
		}
	}
}

// pipeWS is a transport.Conn over a coder/websocket connection, as the
// native transport's.
type pipeWS struct{ c *websocket.Conn }

func (p pipeWS) Read(ctx context.Context) ([]byte, error) {
	for {
		typ, data, err := p.c.Read(ctx)
		if err != nil {
			if ce, ok := errors.AsType[websocket.CloseError](err); ok {
				return nil, &transport.CloseError{Code: int(ce.Code), Reason: ce.Reason}
			}
			return nil, err
		}
		if typ == websocket.MessageText {
			return data, nil
		}
	}
}

func (p pipeWS) Write(ctx context.Context, frame []byte) error {
	return p.c.Write(ctx, websocket.MessageText, frame)
}

func (p pipeWS) Close(reason string) error { return p.c.Close(websocket.StatusNormalClosure, reason) }

// rsaIssuer signs RS256 tokens; the deployment reads its key set inline.
type rsaIssuer struct{ key *rsa.PrivateKey }

func (i rsaIssuer) provider() customjwt.Provider {
	n := base64.RawURLEncoding.EncodeToString(i.key.N.Bytes())
	e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(i.key.E)).Bytes())
	jwks := fmt.Sprintf(`{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"k1","n":%q,"e":%q}]}`, n, e)
	return customjwt.Provider{Issuer: "https://issuer.test/", ApplicationID: "app", JWKS: jwks}
}

// token signs a token issued now (the bubble's clock) that lives lifetime.
func (i rsaIssuer) token(lifetime time.Duration) (string, error) {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "https://issuer.test/", "sub": "alice", "aud": "app", "name": "Alice",
		"iat": now.Unix(), "exp": now.Add(lifetime).Unix(),
	})
	tok.Header["kid"] = "k1"
	return tok.SignedString(i.key)
}

// TestTokenExpiryMidSession: tokens living 4 s; the deployment (convextest:
// customjwt's checks, and an identity that expires mid-session closes the
// connection with an AuthError) rejects expired identities; the client
// refreshes ahead of expiry or re-authenticates, and mutations keep
// working, one every 200 ms, for 10 s: several lifetimes. The client and
// the deployment run in a testing/synctest bubble over in-memory sockets,
// so the 10 s are the fake clock's and the test takes milliseconds.
func TestTokenExpiryMidSession(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	iss := rsaIssuer{key}
	synctest.Test(t, func(t *testing.T) {
		ln := newPipeListener()
		srv := convextest.NewServer(convextest.WithAuth(iss.provider()), testhooks.ConvextestWithListener(ln).(convextest.Option))
		defer srv.Close()
		chat.Register(srv)
		c, err := New(srv.URL(), ln.dialOption())
		require.NoError(t, err)
		defer c.Close()

		var mu sync.Mutex
		fetches, forced := 0, 0
		c.SetAuth(TokenProviderFunc(func(ctx context.Context, force bool) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			fetches++
			if force {
				forced++
			}
			return iss.token(4 * time.Second)
		}))
		var states []AuthState
		stop := c.WatchAuth(func(s AuthState) { mu.Lock(); states = append(states, s); mu.Unlock() })
		defer stop()

		ctx := context.Background()
		start := time.Now()
		sent := 0
		for time.Since(start) < 10*time.Second {
			require.NoError(t, c.Mutation(ctx, "messages:send", Args{"body": fmt.Sprint(sent)}, nil))
			sent++
			time.Sleep(200 * time.Millisecond)
		}
		var msgs []map[string]any
		require.NoError(t, c.Query(ctx, "messages:list", nil, &msgs))
		require.Len(t, msgs, sent)
		require.Equal(t, "Alice", msgs[0]["author"])

		mu.Lock()
		defer mu.Unlock()
		require.GreaterOrEqual(t, forced, 2, "tokens were refreshed")
		require.GreaterOrEqual(t, fetches, 3, "a token for each of the 10 s")
		seenAuth := false
		for _, s := range states {
			seenAuth = seenAuth || s.IsAuthenticated
			if seenAuth {
				require.True(t, s.IsAuthenticated, "never signed out after the first confirmation: %v", states)
			}
		}
		require.True(t, seenAuth)
	})
}
