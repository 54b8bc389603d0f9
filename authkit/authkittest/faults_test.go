package authkittest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)

	t.Run("status with Retry-After for a count", func(t *testing.T) {
		e.srv.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond, Times: 2})
		for range 2 {
			r := e.refresh(tok.RefreshToken)
			assert.Equal(t, 429, r.status)
			assert.Equal(t, "2", r.header.Get("Retry-After"))
			assert.Equal(t, "Too Many Requests", r.json["message"])
		}
		r := e.refresh(tok.RefreshToken)
		require.Equal(t, http.StatusOK, r.status, "the fault is used up and the token was not spent")
		tok.RefreshToken = r.json["refresh_token"].(string)
	})

	t.Run("custom body until cleared", func(t *testing.T) {
		e.srv.Fault("/user_management/authenticate", authkittest.Fault{Status: 400, Body: `{"error":"invalid_grant","error_description":"Session has already ended."}`})
		for range 3 {
			requireOAuthError(t, e.refresh(tok.RefreshToken), 400, "invalid_grant")
		}
		e.srv.ClearFaults()
		assert.Equal(t, http.StatusOK, e.refresh(tok.RefreshToken).status)
	})

	t.Run("text body and default bodies", func(t *testing.T) {
		e.srv.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 502, Body: "Bad Gateway from the proxy", Times: 1})
		r := e.refresh("x")
		assert.Equal(t, 502, r.status)
		assert.Equal(t, "Bad Gateway from the proxy", string(r.body))
		assert.Contains(t, r.header.Get("Content-Type"), "text/plain")

		e.srv.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 400, Times: 1})
		requireOAuthError(t, e.refresh("x"), 400, "invalid_grant")
	})

	t.Run("pattern and concrete paths", func(t *testing.T) {
		e.srv.Fault(authkittest.RouteJWKS, authkittest.Fault{Status: 503, Times: 1})
		assert.Equal(t, 503, e.get(e.srv.JWKSURL()).status)
		assert.Equal(t, 200, e.get(e.srv.JWKSURL()).status)
		e.srv.Fault("/sso/jwks/"+e.srv.ClientID(), authkittest.Fault{Status: 500, Times: 1})
		assert.Equal(t, 500, e.get(e.srv.JWKSURL()).status)
		assert.Equal(t, 200, e.get(e.srv.JWKSURL()).status)
	})

	t.Run("a zero fault removes the route's fault", func(t *testing.T) {
		e.srv.Fault(authkittest.RouteJWKS, authkittest.Fault{Status: 503})
		e.srv.Fault(authkittest.RouteJWKS, authkittest.Fault{})
		assert.Equal(t, 200, e.get(e.srv.JWKSURL()).status)
	})

	t.Run("faulted responses keep CORS, preflights are not faulted", func(t *testing.T) {
		e.srv.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 503, Times: 2})
		req, err := http.NewRequest(http.MethodOptions, e.srv.URL()+"/user_management/authenticate", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", appOrigin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		assert.Equal(t, http.StatusNoContent, e.do(req).status)
		r := e.postJSON("/user_management/authenticate", map[string]any{}, "Origin", appOrigin)
		assert.Equal(t, 503, r.status)
		assert.Equal(t, appOrigin, r.header.Get("Access-Control-Allow-Origin"))
		e.srv.ClearFaults()
	})

	t.Run("latency then the route, cut short by the client", func(t *testing.T) {
		// A timeout as the SDKs see one: the client gives up first.
		e.srv.Fault(authkittest.RouteJWKS, authkittest.Fault{Latency: time.Hour, Times: 1})
		c, cancel := context.WithTimeout(ctx(t), 200*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(c, http.MethodGet, e.srv.JWKSURL(), nil)
		require.NoError(t, err)
		_, err = e.hc.Do(req)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 200, e.get(e.srv.JWKSURL()).status, "Times: 1 was used")
	})

	t.Run("short latency, then the route answers", func(t *testing.T) {
		e.srv.Fault(authkittest.RouteJWKS, authkittest.Fault{Latency: 10 * time.Millisecond, Times: 1})
		assert.Equal(t, 200, e.get(e.srv.JWKSURL()).status)
	})
}

func TestCloseCutsLatencyShort(t *testing.T) {
	t.Parallel()
	srv := authkittest.NewServer(authkittest.WithSigningKey(sharedKey(t)))
	srv.Fault(authkittest.RouteJWKS, authkittest.Fault{Latency: time.Hour, Status: 500})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	errc := make(chan error, 1)
	go func() {
		res, err := hc.Get(srv.JWKSURL())
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	// Wait until the request is inside the server, then close.
	require.Eventually(t, func() bool { return srv.Requests(authkittest.RouteJWKS) == 1 }, 10*time.Second, 5*time.Millisecond)
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case err := <-errc:
		assert.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not end")
	}
}
