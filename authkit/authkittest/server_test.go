package authkittest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	srv := authkittest.NewServer(authkittest.WithSigningKey(sharedKey(t)))
	defer srv.Close()
	assert.Regexp(t, `^client_01[0-9A-Z]{24}$`, srv.ClientID())
	assert.Equal(t, authkittest.DefaultClientID, srv.ClientID())
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, srv.URL())
	assert.Equal(t, "https://api.workos.com/user_management/"+srv.ClientID(), srv.Issuer())

	// The demo user can sign in and gets 300 s tokens.
	tok, err := srv.IssueTokens(authkittest.DemoUser.ID)
	require.NoError(t, err)
	assert.Equal(t, 300*time.Second, time.Until(tok.ExpiresAt).Round(time.Minute))
	assert.Len(t, strings.TrimPrefix(authkittest.DemoUser.ID, "user_"), 26)
}

func TestWithAddr(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	srv := authkittest.NewServer(authkittest.WithSigningKey(sharedKey(t)), authkittest.WithAddr(addr))
	defer srv.Close()
	assert.Equal(t, "http://"+addr, srv.URL())
}

func TestNewServerRejectsBadConfig(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	key := authkittest.WithSigningKey(sharedKey(t))
	tests := map[string][]authkittest.Option{
		"user without email":     {key, authkittest.WithUsers(authkittest.User{ID: "user_1"})},
		"duplicate email":        {key, authkittest.WithUsers(ada, authkittest.User{ID: "user_2", Email: "ADA@example.com"})},
		"unknown auto-approve":   {key, authkittest.WithAutoApprove("user_nobody")},
		"small key":              {authkittest.WithSigningKey(small)},
		"M2M app without secret": {key, authkittest.WithM2MApps(authkittest.M2MApp{ClientID: "client_x"})},
		"address in use":         {key, authkittest.WithAddr("256.0.0.1:1")},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Panics(t, func() { authkittest.NewServer(opts...).Close() })
		})
	}
}

func TestClosedServerRefuses(t *testing.T) {
	t.Parallel()
	srv := authkittest.NewServer(authkittest.WithSigningKey(sharedKey(t)))
	url := srv.JWKSURL()
	srv.Close()
	srv.Close() // idempotent
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	_, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url)
	assert.Error(t, err)
}

// TestNoGoroutineLeak runs real flows, closes the server and checks that
// none of its goroutines (listener, connections, handlers) survive. It is
// not parallel, so other tests' servers are not running.
func TestNoGoroutineLeak(t *testing.T) {
	e := newEnv(t, authkittest.WithAutoApprove(ada.ID))
	verifier, challenge := pkce()
	cb := callbackQuery(t, e.get("/user_management/authorize?"+e.authorizeQuery(challenge).Encode()))
	res := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": cb.Get("code"), "code_verifier": verifier})
	require.Equal(t, http.StatusOK, res.status)
	e.get(e.srv.JWKSURL())
	// A request parked in injected latency when Close comes.
	e.srv.Fault(authkittest.RouteJWKS, authkittest.Fault{Latency: time.Hour})
	go func() {
		if res, err := e.hc.Get(e.srv.JWKSURL()); err == nil {
			res.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return e.srv.Requests(authkittest.RouteJWKS) == 2 }, 10*time.Second, 5*time.Millisecond)

	e.srv.Close()
	e.hc.CloseIdleConnections()
	require.Eventually(t, func() bool {
		leaked := serverGoroutines()
		if leaked != "" {
			t.Logf("still running:\n%s", leaked)
		}
		return leaked == ""
	}, 10*time.Second, 50*time.Millisecond)
}

// serverGoroutines returns the stacks of goroutines that belong to an
// HTTP server or to this package's server code.
func serverGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "TestNoGoroutineLeak") {
			continue
		}
		if strings.Contains(g, "net/http.(*conn).serve") || strings.Contains(g, "net/http.(*Server).Serve") ||
			strings.Contains(g, "authkit/authkittest.(*Server)") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}
