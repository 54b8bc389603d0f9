package authkittest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	preflight := func(origin, path string) *response {
		req, err := http.NewRequest(http.MethodOptions, e.srv.URL()+path, nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		return e.do(req)
	}

	for _, path := range []string{"/user_management/authenticate", "/user_management/authorize/device", "/sso/jwks/" + e.srv.ClientID()} {
		t.Run("preflight "+path, func(t *testing.T) {
			r := preflight(appOrigin, path)
			assert.Equal(t, http.StatusNoContent, r.status)
			assert.Equal(t, appOrigin, r.header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "GET, POST, OPTIONS", r.header.Get("Access-Control-Allow-Methods"))
			assert.Equal(t, "content-type, accept, authorization", r.header.Get("Access-Control-Allow-Headers"))
			assert.Equal(t, "true", r.header.Get("Access-Control-Allow-Credentials"))
			assert.Contains(t, r.header.Values("Vary"), "Origin")
		})
	}

	t.Run("preflight from another origin", func(t *testing.T) {
		r := preflight("http://evil.example", "/user_management/authenticate")
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, r.header.Get("Access-Control-Allow-Credentials"))
	})

	t.Run("actual request from an allowed origin", func(t *testing.T) {
		tok, err := e.srv.IssueTokens(ada.ID)
		require.NoError(t, err)
		r := e.postJSON("/user_management/authenticate",
			map[string]any{"grant_type": "refresh_token", "client_id": e.srv.ClientID(), "refresh_token": tok.RefreshToken},
			"Origin", appOrigin)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, appOrigin, r.header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "true", r.header.Get("Access-Control-Allow-Credentials"))
		assert.Contains(t, r.header.Values("Vary"), "Origin")
		// Errors carry the headers too, so browser code can read them.
		bad := e.postJSON("/user_management/authenticate", map[string]any{"grant_type": "refresh_token", "client_id": e.srv.ClientID(), "refresh_token": "x"}, "Origin", appOrigin)
		assert.Equal(t, http.StatusBadRequest, bad.status)
		assert.Equal(t, appOrigin, bad.header.Get("Access-Control-Allow-Origin"))
	})

	t.Run("actual request from another origin", func(t *testing.T) {
		r := e.get("/sso/jwks/"+e.srv.ClientID(), "Origin", "http://evil.example")
		assert.Equal(t, http.StatusOK, r.status)
		assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
	})

	t.Run("no origin", func(t *testing.T) {
		r := e.get("/sso/jwks/" + e.srv.ClientID())
		assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
	})

	t.Run("origin added at run time", func(t *testing.T) {
		e.srv.AllowCORSOrigin("http://localhost:3000/")
		r := preflight("http://localhost:3000", "/user_management/authenticate")
		assert.Equal(t, http.StatusNoContent, r.status)
		assert.Equal(t, "http://localhost:3000", r.header.Get("Access-Control-Allow-Origin"))
	})
}
