package middleware_test

import (
	"github.com/goconvex/convex/customjwt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/middleware"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/internal/iron"
)

// A returnTo that a browser would resolve to another site never becomes a
// Location, after sign-in or after sign-out; a local one comes back cleaned.
func TestReturnToOpenRedirect(t *testing.T) {
	w := newMwWeb(t, nil)
	evil := []string{
		"/./%5Cevil.example/x", `/\evil.example/x`, `/./\evil.example`, "/%5C%5Cevil.example",
		"//evil.example/x", "/%2F/evil.example", "https://evil.example/", "javascript:alert(1)",
		"/%09/evil.example", "/\t/evil.example", "/%0A/evil.example", "\\\\evil.example", "evil.example",
		"/a/../..//evil.example",
	}
	for _, to := range evil {
		w.jar = map[string]string{}
		r := w.signIn(to)
		require.Equal(t, http.StatusTemporaryRedirect, r.StatusCode, to)
		loc := r.Header.Get("Location")
		assertLocal(t, loc, to)

		r = w.do("POST", "/auth/sign-out?returnTo="+url.QueryEscape(to), mwSameOrigin)
		require.Equal(t, http.StatusSeeOther, r.StatusCode, to)
		logout, err := url.Parse(r.Header.Get("Location"))
		require.NoError(t, err)
		back, err := url.Parse(logout.Query().Get("return_to"))
		require.NoError(t, err, to)
		assert.Equal(t, "app.test", back.Host, to)
		assertLocal(t, back.RequestURI(), to)

		// Without a session: the Location itself.
		r = w.do("POST", "/auth/sign-out?returnTo="+url.QueryEscape(to), mwSameOrigin)
		assertLocal(t, r.Header.Get("Location"), to)
	}
	for to, want := range map[string]string{
		"/./private?x=1#f": "/private?x=1#f",
		"/a/../b/":         "/b/",
		"/c%20d":           "/c%20d",
	} {
		w.jar = map[string]string{}
		r := w.signIn(to)
		assert.Equal(t, want, r.Header.Get("Location"), to)
	}
}

// assertLocal checks that a browser following loc stays on the site.
func assertLocal(t *testing.T, loc, from string) {
	t.Helper()
	assert.True(t, strings.HasPrefix(loc, "/"), "%q → %q", from, loc)
	assert.False(t, strings.HasPrefix(loc, "//"), "%q → %q", from, loc)
	assert.NotContains(t, loc, `\`, "%q → %q", from, loc)
	base, _ := url.Parse(mwOrigin + "/")
	ref, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, "app.test", base.ResolveReference(ref).Host, "%q → %q", from, loc)
}

// UnauthenticatedPaths match the cleaned path: "/public/../secret.txt" is
// "/secret.txt" to the file server behind, so it needs a session.
func TestPublicPathsMatchCleanedPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "public"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "public", "a.txt"), []byte("public"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("secret"), 0o644))
	m, err := middleware.New(middleware.Config{
		WorkOS:               workos.Config{ClientID: "client_x"},
		RedirectURI:          mwCallback,
		CookiePassword:       mwCookiePW,
		UnauthenticatedPaths: []string{"/public/*"},
	})
	require.NoError(t, err)
	h := m.Handler(http.FileServer(http.Dir(dir)))
	get := func(target string) *http.Response {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = target // as a client that does not clean sends it
		req.RequestURI = target
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	r := get("/public/a.txt")
	assert.Equal(t, http.StatusOK, r.StatusCode)
	for _, p := range []string{"/public/../secret.txt", "/public/./../secret.txt", "/public/..//secret.txt"} {
		r := get(p)
		b, _ := io.ReadAll(r.Body)
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, p)
		assert.NotContains(t, string(b), "secret\n", p)
		assert.NotEqual(t, "secret", string(b), p)
	}
}

// Sign-out is POST only, from the app's own pages: a link, an image or
// another site's form cannot sign anyone out.
func TestSignOutNeedsSameOriginPost(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	for _, c := range []struct {
		method string
		hdr    map[string]string
		want   int
	}{
		{"GET", nil, http.StatusMethodNotAllowed},
		{"GET", mwSameOrigin, http.StatusMethodNotAllowed},
		{"POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"POST", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"POST", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"POST", map[string]string{"Origin": "null"}, http.StatusForbidden},
	} {
		r := w.do(c.method, "/auth/sign-out", c.hdr)
		assert.Equal(t, c.want, r.StatusCode, "%s %v", c.method, c.hdr)
		assert.False(t, mwDeletesSession(r), "%s %v", c.method, c.hdr)
	}
	r := w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusOK, r.StatusCode, "still signed in")

	r = w.do("POST", "/auth/sign-out", mwSameOrigin)
	assert.Equal(t, http.StatusSeeOther, r.StatusCode)
	assert.True(t, mwDeletesSession(r))
}

// The session cookie's seal expires with the cookie; a seal without an
// expiry is refused.
func TestSessionSealExpires(t *testing.T) {
	w := newMwWeb(t, nil, func(c *middleware.Config) { c.CookieMaxAge = time.Hour })
	w.signIn("/")
	sealed := w.jar[middleware.DefaultCookieName]
	exp, ok := iron.Expiry(sealed)
	require.True(t, ok, "the seal carries an expiry")
	assert.WithinDuration(t, w.clk.Now().Add(time.Hour), exp, 2*time.Second)

	// A copy kept past the cookie's life does not open.
	w.clk.Advance(time.Hour + iron.TimestampSkew + time.Second)
	r := w.doWith(map[string]string{middleware.DefaultCookieName: sealed}, "GET", "/private", mwHTML, false)
	assert.Equal(t, http.StatusFound, r.StatusCode)
	assert.True(t, mwDeletesSession(r))

	// A seal without an expiry (ttl 0) does not open either.
	s := w.session()
	forever, err := iron.Seal(mwCookiePW, map[string]any{"accessToken": s.AccessToken, "refreshToken": s.RefreshToken, "user": map[string]any{"id": authkittest.DemoUser.ID}}, 0)
	require.NoError(t, err)
	r = w.doWith(map[string]string{middleware.DefaultCookieName: forever}, "GET", "/private", mwHTML, false)
	assert.Equal(t, http.StatusFound, r.StatusCode)
	assert.True(t, mwDeletesSession(r))
}

// Plain http is refused for hosts that are not loopback: the API base
// (refresh tokens go there) and the redirect URI (the session cookie).
func TestMiddlewareRefusesPlainHTTP(t *testing.T) {
	for _, c := range []struct{ base, redirect string }{
		{"http://api.workos.example", "https://app.test/callback"},
		{"https://api.workos.com", "http://app.test/callback"},
	} {
		_, err := middleware.New(middleware.Config{WorkOS: workos.Config{ClientID: "client_x", APIBase: c.base}, RedirectURI: c.redirect, CookiePassword: mwCookiePW})
		var ce *workos.ConfigError
		require.ErrorAs(t, err, &ce, c)
		assert.Contains(t, ce.Problem, "plain http")
	}
	for _, base := range []string{"http://127.0.0.1:3211", "http://localhost:3211", "http://[::1]:3211", "http://127.9.9.9"} {
		_, err := middleware.New(middleware.Config{WorkOS: workos.Config{ClientID: "client_x", APIBase: base}, RedirectURI: "http://localhost:3000/callback", CookiePassword: mwCookiePW})
		assert.NoError(t, err, base)
	}
}

// mwErrors counts the ERROR and WARN records of the middleware's log.
func mwLevels(w *mwWeb, level string) int { return strings.Count(w.logs.String(), "level="+level) }

// When the Verifier cannot accept WorkOS's tokens (its configuration: an
// issuer it does not know, an audience the tokens lack, a key set it
// cannot fetch), no request turns into a refresh: 10 requests, 0 refresh
// grants at WorkOS, one loud log record naming the reason and the fix, and
// a 5xx that says so.
func TestMiddlewareConfigFailureIsNoRefreshStorm(t *testing.T) {
	for _, c := range []struct {
		name   string
		opts   []authkittest.Option
		fault  bool // the key set cannot be fetched
		reason customjwt.Reason
		status int
		level  string
	}{
		{"custom auth domain issuer", []authkittest.Option{authkittest.WithIssuerMode("https://auth.example.com")}, false, customjwt.ReasonNoAuthProvider, http.StatusInternalServerError, "ERROR"},
		{"legacy issuer without aud", []authkittest.Option{authkittest.WithIssuerMode("https://api.workos.com/")}, false, customjwt.ReasonInvalidAudience, http.StatusInternalServerError, "ERROR"},
		{"key set never fetched", nil, true, customjwt.ReasonJWKSUnavailable, http.StatusServiceUnavailable, "WARN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newMwWeb(t, c.opts)
			r := w.signIn("/")
			require.Equal(t, http.StatusTemporaryRedirect, r.StatusCode, mwBody(r))
			if c.fault {
				w.ak.Fault(authkittest.RouteJWKS, authkittest.Fault{Status: 500})
			}
			grants := w.ak.Requests(authkittest.RouteAuthenticate)
			rt := w.session().RefreshToken
			for i := range 10 {
				path := []string{"/private", "/auth/token", "/auth/session"}[i%3]
				r := w.do("GET", path, nil)
				assert.Equal(t, c.status, r.StatusCode, "%s #%d", path, i)
				assert.False(t, mwDeletesSession(r), "the session is kept")
			}
			assert.Equal(t, grants, w.ak.Requests(authkittest.RouteAuthenticate), "no refresh grant")
			assert.Equal(t, rt, w.session().RefreshToken)
			assert.Equal(t, 1, mwLevels(w, c.level), w.logs.String())
			assert.Contains(t, w.logs.String(), "reason="+string(c.reason))
			assert.Contains(t, w.logs.String(), "fix=")
			r = w.do("GET", "/auth/token", nil)
			if c.status == http.StatusInternalServerError {
				assert.Contains(t, mwBody(r), "auth_misconfigured")
			}
			// The public pages still load.
			r = w.do("GET", "/", mwHTML)
			assert.Equal(t, http.StatusOK, r.StatusCode)
		})
	}
}

// A refreshed token is verified before it is served. When the Verifier's
// key set is not the issuer's, the expired cookie token is refreshed once;
// the new token fails too, is not served, and no request after that
// refreshes again.
func TestMiddlewareRefreshedTokenIsVerified(t *testing.T) {
	other := authkittest.NewServer() // same client id and issuer, other keys
	t.Cleanup(other.Close)
	w := newMwWeb(t, nil, func(c *middleware.Config) {
		c.Verifier = customjwt.NewVerifier(customjwt.Config{Providers: workos.Config{ClientID: c.WorkOS.ClientID, APIBase: other.URL()}.ConvexProviders()})
	})
	r := w.signIn("/")
	require.Equal(t, http.StatusTemporaryRedirect, r.StatusCode)
	grants := w.ak.Requests(authkittest.RouteAuthenticate)
	for i := range 10 {
		r := w.do("GET", "/auth/token", nil)
		assert.Equal(t, http.StatusInternalServerError, r.StatusCode, "#%d", i)
		assert.NotContains(t, mwBody(r), w.session().AccessToken, "#%d: an unverified token was served", i)
	}
	assert.Equal(t, grants+1, w.ak.Requests(authkittest.RouteAuthenticate), "one refresh, then none")
	assert.Equal(t, 1, mwLevels(w, "ERROR"), w.logs.String())
}
