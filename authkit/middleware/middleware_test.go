package middleware_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/middleware"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/internal/iron"
)

const (
	mwOrigin   = "https://app.test"
	mwCallback = mwOrigin + "/callback"
	mwCookiePW = "a-cookie-password-of-at-least-32-characters!"
)

// clock is a settable clock shared by the issuer and the middleware.
type mwClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mwClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *mwClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mwWeb is a test web server: authkittest, the middleware over a small app,
// and a cookie jar standing for one browser.
type mwWeb struct {
	t    *testing.T
	clk  *mwClock
	ak   *authkittest.Server
	m    *middleware.Middleware
	h    http.Handler
	jar  map[string]string
	logs *bytes.Buffer
}

func newMwWeb(t *testing.T, akOpts []authkittest.Option, mod ...func(*middleware.Config)) *mwWeb {
	t.Helper()
	clk := &mwClock{t: time.Now().Truncate(time.Second)}
	opts := append([]authkittest.Option{
		authkittest.WithClock(clk.Now),
		authkittest.WithRedirectURIs(mwCallback),
		authkittest.WithAutoApprove(authkittest.DemoUser.ID),
		authkittest.WithHomepageURL(mwOrigin + "/"),
	}, akOpts...)
	ak := authkittest.NewServer(opts...)
	t.Cleanup(ak.Close)
	logs := &bytes.Buffer{}
	var logMu sync.Mutex
	cfg := middleware.Config{
		WorkOS:               workos.Config{ClientID: ak.ClientID(), APIBase: ak.URL()},
		RedirectURI:          mwCallback,
		CookiePassword:       mwCookiePW,
		UnauthenticatedPaths: []string{"/", "/public/*", "/auth/*"},
		Debug:                true,
		Logger:               slog.New(slog.NewTextHandler(mwLockedWriter{&logMu, logs}, nil)),
	}
	for _, f := range mod {
		f(&cfg)
	}
	m, err := middleware.NewWithClock(cfg, clk.Now)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("GET /auth/sign-in", m.SignInHandler())
	mux.Handle("GET /auth/sign-up", m.SignUpHandler())
	mux.Handle("/callback", m.CallbackHandler())
	mux.Handle("/auth/sign-out", m.SignOutHandler())
	mux.Handle("GET /auth/token", m.AccessTokenHandler())
	mux.Handle("GET /auth/session", m.SessionHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if u := middleware.UserFromRequest(r); u != nil {
			io.WriteString(w, "hello "+u.Email)
			return
		}
		io.WriteString(w, "hello stranger")
	})
	w := &mwWeb{t: t, clk: clk, ak: ak, m: m, h: m.Handler(mux), jar: map[string]string{}, logs: logs}
	t.Cleanup(func() {
		logMu.Lock()
		defer logMu.Unlock()
		for _, c := range w.jar {
			assert.NotContains(t, logs.String(), c, "a cookie value reached the log")
		}
	})
	return w
}

type mwLockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l mwLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// do serves one request with the jar's cookies (or those given) and
// stores the cookies the response sets.
func (w *mwWeb) do(method, target string, hdr map[string]string) *http.Response {
	return w.doWith(w.jar, method, target, hdr, true)
}

func (w *mwWeb) doWith(jar map[string]string, method, target string, hdr map[string]string, store bool) *http.Response {
	req := httptest.NewRequest(method, mwOrigin+target, nil)
	for k, v := range jar {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	resp := rec.Result()
	if store {
		for _, c := range resp.Cookies() {
			if c.MaxAge < 0 {
				delete(w.jar, c.Name)
			} else {
				w.jar[c.Name] = c.Value
			}
		}
	}
	return resp
}

func mwBody(r *http.Response) string { b, _ := io.ReadAll(r.Body); return string(b) }

var mwNoFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}

// signIn runs the whole browser flow: sign-in handler, AuthKit (auto
// approve), callback. It returns the callback's response.
func (w *mwWeb) signIn(returnTo string) *http.Response {
	w.t.Helper()
	r := w.do("GET", "/auth/sign-in?returnTo="+url.QueryEscape(returnTo), nil)
	require.Equal(w.t, http.StatusFound, r.StatusCode)
	r2, err := mwNoFollow.Get(r.Header.Get("Location"))
	require.NoError(w.t, err)
	r2.Body.Close()
	require.Equal(w.t, http.StatusFound, r2.StatusCode)
	loc, err := url.Parse(r2.Header.Get("Location"))
	require.NoError(w.t, err)
	require.Equal(w.t, "/callback", loc.Path, loc.String())
	return w.do("GET", loc.RequestURI(), nil)
}

// session unseals the jar's session cookie.
func (w *mwWeb) session() (s struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	User         struct {
		ID, Email string
		FirstName string `json:"firstName"`
	} `json:"user"`
}) {
	w.t.Helper()
	require.NoError(w.t, iron.Unseal(w.jar[middleware.DefaultCookieName], mwCookiePW, &s))
	return s
}

var mwHTML = map[string]string{"Accept": "text/html,application/xhtml+xml"}

func TestMiddlewareConfig(t *testing.T) {
	_, err := middleware.New(middleware.Config{WorkOS: workos.Config{ClientID: "client_x"}, RedirectURI: mwCallback, CookiePassword: "too short"})
	var ce *workos.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, middleware.EnvCookiePassword, ce.Var)
	_, err = middleware.New(middleware.Config{WorkOS: workos.Config{ClientID: "client_x"}, RedirectURI: "/callback", CookiePassword: mwCookiePW})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, middleware.EnvRedirectURI, ce.Var)
}

func TestMiddlewarePublicAndProtected(t *testing.T) {
	w := newMwWeb(t, nil)
	for _, p := range []string{"/", "/public", "/public/a/b"} {
		r := w.do("GET", p, mwHTML)
		assert.Equal(t, http.StatusOK, r.StatusCode, p)
		assert.Equal(t, "hello stranger", mwBody(r))
	}
	r := w.do("GET", "/private?x=1", mwHTML)
	require.Equal(t, http.StatusFound, r.StatusCode)
	loc, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, w.ak.URL()+"/user_management/authorize", loc.Scheme+"://"+loc.Host+loc.Path)
	q := loc.Query()
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Len(t, q.Get("code_challenge"), 43)
	assert.Equal(t, mwCallback, q.Get("redirect_uri"))
	assert.Equal(t, "authkit", q.Get("provider"))
	assert.True(t, strings.HasPrefix(q.Get("state"), "Fe26.2*1*"))
	var verifierCookies int
	for name, v := range w.jar {
		if strings.HasPrefix(name, "wos-auth-verifier-") {
			verifierCookies++
			assert.Equal(t, q.Get("state"), v)
		}
	}
	assert.Equal(t, 1, verifierCookies)

	r = w.do("GET", "/private", map[string]string{"Accept": "application/json"})
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
	r = w.do("GET", "/auth/token", nil)
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
	assert.Contains(t, mwBody(r), "signed_out")
}

func TestMiddlewareSignInFlow(t *testing.T) {
	w := newMwWeb(t, nil)
	r := w.signIn("/private?x=1")
	require.Equal(t, http.StatusTemporaryRedirect, r.StatusCode, mwBody(r))
	assert.Equal(t, "/private?x=1", r.Header.Get("Location"))
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	for name := range w.jar {
		assert.False(t, strings.HasPrefix(name, "wos-auth-verifier"), "PKCE cookie deleted: %s", name)
	}
	var sc *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == middleware.DefaultCookieName {
			sc = c
		}
	}
	require.NotNil(t, sc)
	assert.True(t, sc.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, sc.SameSite)
	assert.Equal(t, "/", sc.Path)
	assert.Equal(t, int(middleware.DefaultCookieMaxAge/time.Second), sc.MaxAge)
	s := w.session()
	assert.Equal(t, authkittest.DemoUser.ID, s.User.ID)
	assert.Equal(t, "Demo", s.User.FirstName)

	r = w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "hello demo@example.com", mwBody(r))

	r = w.do("GET", "/auth/token", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	var tok struct{ AccessToken string }
	require.NoError(t, json.NewDecoder(r.Body).Decode(&tok))
	assert.Equal(t, s.AccessToken, tok.AccessToken)
	assert.NotContains(t, mwHeaders(r), s.RefreshToken)

	r = w.do("GET", "/auth/session", nil)
	var info struct {
		User      *workos.User
		SessionID string
	}
	require.NoError(t, json.NewDecoder(r.Body).Decode(&info))
	require.NotNil(t, info.User)
	assert.Equal(t, "demo@example.com", info.User.Email)
	assert.NotEmpty(t, info.SessionID)
}

func mwHeaders(r *http.Response) string {
	var b strings.Builder
	r.Header.Write(&b)
	return b.String()
}

func TestCallbackRejectsBadState(t *testing.T) {
	w := newMwWeb(t, nil)
	// A sign-in started elsewhere (an attacker's code and state), and this
	// browser has no PKCE cookie for it.
	other := newMwWebSharing(t, w)
	r := other.do("GET", "/auth/sign-in", nil)
	r2, err := mwNoFollow.Get(r.Header.Get("Location"))
	require.NoError(t, err)
	loc, _ := url.Parse(r2.Header.Get("Location"))
	before := w.ak.Requests(authkittest.RouteAuthenticate)

	resp := w.do("GET", loc.RequestURI(), nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, mwBody(resp), "missing_pkce_cookie")

	// A PKCE cookie (legacy name) holding another state: mismatch.
	w.do("GET", "/auth/sign-in", nil)
	for name, v := range w.jar {
		if strings.HasPrefix(name, "wos-auth-verifier-") {
			delete(w.jar, name)
			w.jar["wos-auth-verifier"] = v
		}
	}
	resp = w.do("GET", loc.RequestURI(), nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, mwBody(resp), "oauth_state_mismatch")
	_, signedIn := w.jar[middleware.DefaultCookieName]
	assert.False(t, signedIn)
	assert.Equal(t, before, w.ak.Requests(authkittest.RouteAuthenticate), "no code exchange")

	// An error from AuthKit.
	resp = w.do("GET", "/callback?error=access_denied&state=x", nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// newMwWebSharing is a second browser on the same server.
func newMwWebSharing(t *testing.T, w *mwWeb) *mwWeb {
	c := *w
	c.jar = map[string]string{}
	return &c
}

func TestMiddlewareRefreshRotatesCookie(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	first := w.session()
	n := w.ak.Requests(authkittest.RouteAuthenticate)

	// Fresh: no refresh.
	w.clk.Advance(200 * time.Second)
	r := w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, n, w.ak.Requests(authkittest.RouteAuthenticate))
	assert.Empty(t, r.Cookies())

	// Within the 30 s buffer of a 300 s token: refreshed, cookie re-sealed.
	w.clk.Advance(75 * time.Second)
	r = w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "hello demo@example.com", mwBody(r))
	assert.Equal(t, n+1, w.ak.Requests(authkittest.RouteAuthenticate))
	second := w.session()
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "rotated refresh token persisted in the cookie")
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assert.Equal(t, authkittest.DemoUser.ID, second.User.ID)

	// Long expired: refreshed with the rotated token.
	w.clk.Advance(time.Hour)
	r = w.do("GET", "/auth/token", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, n+2, w.ak.Requests(authkittest.RouteAuthenticate))
	third := w.session()
	assert.NotEqual(t, second.RefreshToken, third.RefreshToken)

	// The first cookie's refresh token is long retired: signed out.
	stale := map[string]string{middleware.DefaultCookieName: mwSealed(t, first.AccessToken, first.RefreshToken)}
	r = w.doWith(stale, "GET", "/private", mwHTML, false)
	assert.Equal(t, http.StatusFound, r.StatusCode)
	assert.True(t, mwDeletesSession(r))
}

func mwSealed(t *testing.T, at, rt string) string {
	s, err := iron.Seal(mwCookiePW, map[string]any{"accessToken": at, "refreshToken": rt, "user": map[string]any{"id": authkittest.DemoUser.ID, "email": "demo@example.com"}}, 24*time.Hour)
	require.NoError(t, err)
	return s
}

func mwDeletesSession(r *http.Response) bool {
	for _, c := range r.Cookies() {
		if c.Name == middleware.DefaultCookieName && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

func TestMiddlewareRefreshFloor(t *testing.T) {
	w := newMwWeb(t, []authkittest.Option{authkittest.WithTokenLifetime(20 * time.Second)})
	w.signIn("/")
	n := w.ak.Requests(authkittest.RouteAuthenticate)
	w.clk.Advance(14 * time.Second)
	w.do("GET", "/private", mwHTML)
	assert.Equal(t, n, w.ak.Requests(authkittest.RouteAuthenticate), "a token is used for 15 s at least")
	w.clk.Advance(time.Second)
	w.do("GET", "/private", mwHTML)
	assert.Equal(t, n+1, w.ak.Requests(authkittest.RouteAuthenticate))
}

func TestMiddlewareParallelRefreshOnce(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	old := w.session()
	w.clk.Advance(10 * time.Minute)
	n := w.ak.Requests(authkittest.RouteAuthenticate)
	// Slow the issuer down so that the requests overlap.
	w.ak.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Latency: 200 * time.Millisecond})

	jar := map[string]string{middleware.DefaultCookieName: w.jar[middleware.DefaultCookieName]}
	const parallel = 4
	var wg sync.WaitGroup
	resps := make([]*http.Response, parallel)
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := "/private"
			if i%2 == 1 {
				target = "/auth/token"
			}
			resps[i] = w.doWith(jar, "GET", target, mwHTML, false)
		}()
	}
	wg.Wait()
	assert.Equal(t, n+1, w.ak.Requests(authkittest.RouteAuthenticate), "one refresh for all")
	var rts []string
	for _, r := range resps {
		require.Equal(t, http.StatusOK, r.StatusCode)
		for _, c := range r.Cookies() {
			if c.Name == middleware.DefaultCookieName {
				var s struct{ RefreshToken string }
				require.NoError(t, iron.Unseal(c.Value, mwCookiePW, &s))
				rts = append(rts, s.RefreshToken)
			}
		}
	}
	require.Len(t, rts, parallel)
	for _, rt := range rts {
		assert.Equal(t, rts[0], rt, "every request got the same rotated pair")
		assert.NotEqual(t, old.RefreshToken, rt)
	}
}

func TestMiddlewareBadCookiesAreSignedOut(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	good := w.jar[middleware.DefaultCookieName]
	f := strings.Split(good, "*")
	f[4] = "A" + f[4][1:]
	if f[4] == strings.Split(good, "*")[4] {
		f[4] = "B" + f[4][1:]
	}
	otherPW, _ := iron.Seal("another-password-that-is-32-chars-long!!", map[string]string{"accessToken": "a", "refreshToken": "b"}, 0)
	exp := iron.Sealer{Passwords: map[string]string{"1": mwCookiePW}, Now: func() time.Time { return w.clk.Now().Add(-time.Hour) }}
	expired, _ := exp.Seal(map[string]string{"accessToken": "a", "refreshToken": "b"}, time.Minute)
	noTokens, _ := iron.Seal(mwCookiePW, map[string]string{"user": "x"}, 0)
	junkToken, _ := iron.Seal(mwCookiePW, map[string]string{"accessToken": "not-a-jwt", "refreshToken": "unknown"}, 0)
	for name, v := range map[string]string{
		"tampered":       strings.Join(f, "*"),
		"wrong password": otherPW,
		"expired seal":   expired,
		"garbage":        "hello",
		"no tokens":      noTokens,
		"bad token":      junkToken,
	} {
		jar := map[string]string{middleware.DefaultCookieName: v}
		r := w.doWith(jar, "GET", "/private", mwHTML, false)
		assert.Equal(t, http.StatusFound, r.StatusCode, name)
		assert.True(t, mwDeletesSession(r), name)
		r = w.doWith(jar, "GET", "/", mwHTML, false)
		assert.Equal(t, http.StatusOK, r.StatusCode, name)
		assert.Equal(t, "hello stranger", mwBody(r), name)
		r = w.doWith(jar, "GET", "/auth/token", nil, false)
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, name)
	}
}

// TestMiddlewareVerifiesAccessToken seals tokens the issuer did not sign
// into otherwise good cookies (as someone holding the cookie password
// could): they are refreshed, never served, not even while WorkOS is down.
func TestMiddlewareVerifiesAccessToken(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	real := w.session()
	claims := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(real.AccessToken, claims)
	require.NoError(t, err)
	w.clk.Advance(10 * time.Minute) // the real token has expired; forged ones are fresh
	claims["iat"] = w.clk.Now().Unix()
	claims["exp"] = w.clk.Now().Add(5 * time.Minute).Unix()
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	forge := func(m jwt.SigningMethod, key any) string {
		tok := jwt.NewWithClaims(m, claims)
		tok.Header["kid"] = parsed.Header["kid"]
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	forged := map[string]string{
		"InvalidSignature": forge(jwt.SigningMethodRS256, otherKey),
		"BadAlgorithm":     forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType),
		"Expired":          real.AccessToken,
	}
	for reason, at := range forged {
		// With a good refresh token: refreshed, the real user back.
		w.logs.Reset()
		rt := w.session().RefreshToken
		jar := map[string]string{middleware.DefaultCookieName: mwSealed(t, at, rt)}
		r := w.doWith(jar, "GET", "/auth/token", nil, true)
		require.Equal(t, http.StatusOK, r.StatusCode, reason)
		body := mwBody(r)
		assert.NotContains(t, body, at, reason)
		assert.Contains(t, w.logs.String(), "reason="+reason)
		got, err := authkit.ParseToken(w.session().AccessToken)
		require.NoError(t, err)
		assert.Equal(t, authkittest.DemoUser.ID, got.Subject, reason)

		// With WorkOS down: not served (503), the cookie kept.
		w.ak.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 503})
		jar = map[string]string{middleware.DefaultCookieName: mwSealed(t, at, w.session().RefreshToken)}
		r = w.doWith(jar, "GET", "/private", mwHTML, false)
		assert.Equal(t, http.StatusServiceUnavailable, r.StatusCode, reason)
		assert.False(t, mwDeletesSession(r), reason)
		r = w.doWith(jar, "GET", "/", mwHTML, false)
		assert.Equal(t, "hello stranger", mwBody(r), reason)
		w.ak.ClearFaults()

		// With a refresh token WorkOS does not know: signed out.
		jar = map[string]string{middleware.DefaultCookieName: mwSealed(t, at, "not-a-refresh-token")}
		r = w.doWith(jar, "GET", "/private", mwHTML, false)
		assert.Equal(t, http.StatusFound, r.StatusCode, reason)
		assert.True(t, mwDeletesSession(r), reason)
	}
}

func TestMiddlewareSignOut(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	tok, err := authkit.ParseToken(w.session().AccessToken)
	require.NoError(t, err)
	require.True(t, w.ak.SessionActive(tok.SessionID))

	r := w.do("POST", "/auth/sign-out?returnTo=/bye", mwSameOrigin)
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	assert.True(t, mwDeletesSession(r))
	_, ok := w.jar[middleware.DefaultCookieName]
	assert.False(t, ok)
	loc, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/user_management/sessions/logout", loc.Path)
	assert.Equal(t, tok.SessionID, loc.Query().Get("session_id"))
	assert.Equal(t, mwOrigin+"/bye", loc.Query().Get("return_to"))
	lr, err := mwNoFollow.Get(loc.String())
	require.NoError(t, err)
	lr.Body.Close()
	assert.Equal(t, http.StatusFound, lr.StatusCode)
	assert.False(t, w.ak.SessionActive(tok.SessionID), "the WorkOS session ended")

	r = w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusFound, r.StatusCode)
	// Without a session: straight back.
	r = w.do("POST", "/auth/sign-out", mwSameOrigin)
	assert.Equal(t, "/", r.Header.Get("Location"))
}

// mwSameOrigin are the headers of a form the app's own page posts.
var mwSameOrigin = map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": mwOrigin}

func TestMiddlewareEndedSessionSignsOut(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	tok, _ := authkit.ParseToken(w.session().AccessToken)
	w.ak.EndSession(tok.SessionID)
	w.clk.Advance(10 * time.Minute)
	r := w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusFound, r.StatusCode)
	_, ok := w.jar[middleware.DefaultCookieName]
	assert.False(t, ok, "cookie deleted after invalid_grant")
}

func TestMiddlewareTransientFailure(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	s := w.session()
	w.ak.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 503})
	// Due but unexpired: the old token is served.
	w.clk.Advance(280 * time.Second)
	r := w.do("GET", "/auth/token", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, mwBody(r), s.AccessToken)
	// Expired: 503, the cookie is kept.
	w.clk.Advance(time.Minute)
	r = w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
	assert.Equal(t, s.RefreshToken, w.session().RefreshToken)
	// WorkOS back: refreshed.
	w.ak.ClearFaults()
	r = w.do("GET", "/private", mwHTML)
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.NotEqual(t, s.RefreshToken, w.session().RefreshToken)
}

func TestAccessTokenForce(t *testing.T) {
	w := newMwWeb(t, nil)
	w.signIn("/")
	s := w.session()
	n := w.ak.Requests(authkittest.RouteAuthenticate)
	r := w.do("GET", "/auth/token?force=1", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	var tok struct{ AccessToken string }
	require.NoError(t, json.NewDecoder(r.Body).Decode(&tok))
	assert.NotEqual(t, s.AccessToken, tok.AccessToken)
	assert.Equal(t, tok.AccessToken, w.session().AccessToken)
	assert.Equal(t, n+1, w.ak.Requests(authkittest.RouteAuthenticate))

	r = w.do("GET", "/auth/token", map[string]string{"Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
}

func TestSignInReturnToIsLocal(t *testing.T) {
	w := newMwWeb(t, nil)
	for _, to := range []string{"https://evil.example/", "//evil.example/x", "javascript:alert(1)"} {
		w.jar = map[string]string{}
		r := w.signIn(to)
		require.Equal(t, http.StatusTemporaryRedirect, r.StatusCode)
		assert.Equal(t, "/", r.Header.Get("Location"), to)
	}
}
