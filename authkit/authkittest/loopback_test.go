package authkittest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

// A native app's loopback redirect may come back on any port (RFC 8252
// §7.3): registered http://127.0.0.1/cli-callback (or with some port), the
// CLI's http://127.0.0.1:<the port it got>/cli-callback is accepted; what
// differs in anything else is not.
func TestAuthorizeLoopbackRedirectAnyPort(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithAutoApprove(ada.ID), authkittest.WithRedirectURIs(
		"http://127.0.0.1/cli-callback",
		"http://[::1]:8000/v6",
		"http://localhost:9000/named",
		"https://app.example.com:8443/tls",
	))
	_, challenge := pkce()
	tests := []struct {
		redirect string
		ok       bool
	}{
		{"http://127.0.0.1:54321/cli-callback", true},
		{"http://127.0.0.1:1/cli-callback", true},
		{"http://127.0.0.1/cli-callback", true},
		{"http://[::1]:61000/v6", true},
		{"http://[::1]/v6", true},
		{"http://127.0.0.1:5174/callback", true},           // the suite's app callback, on another port
		{"http://127.0.0.1:54321/cli-callback?x=1", false}, // the query differs
		{"http://127.0.0.1:54321/cli-callback/", false},    // the path differs
		{"http://127.0.0.1:54321/other", false},
		{"http://127.0.0.2:54321/cli-callback", false},  // another host
		{"http://[::1]:54321/cli-callback", false},      // registered on 127.0.0.1 only
		{"http://127.0.0.1:54321/v6", false},            // registered on ::1 only
		{"https://127.0.0.1:54321/cli-callback", false}, // not http
		{"http://127.0.0.1:0/cli-callback", false},      // not a port
		{"http://127.0.0.1:99999/cli-callback", false},  // not a port
		{"http://u@127.0.0.1:5555/cli-callback", false}, // user info
		{"http://localhost:9001/named", false},          // names get no latitude
		{"https://app.example.com:9443/tls", false},     // nor do other hosts
		{"http://127.0.0.1:54321/cli-callback#f", false},
	}
	for _, tc := range tests {
		t.Run(tc.redirect, func(t *testing.T) {
			q := e.authorizeQuery(challenge)
			q.Set("redirect_uri", tc.redirect)
			r := e.get("/user_management/authorize?" + q.Encode())
			if !tc.ok {
				assert.Equal(t, http.StatusBadRequest, r.status, "refused with a page")
				assert.Empty(t, r.header.Get("Location"))
				return
			}
			require.Equal(t, http.StatusFound, r.status, string(r.body))
			loc, err := url.Parse(r.header.Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, tc.redirect, loc.Scheme+"://"+loc.Host+loc.Path, "back to the port asked for")
			assert.NotEmpty(t, loc.Query().Get("code"))
		})
	}
}
