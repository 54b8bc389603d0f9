package authkittest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

// One RSA key for the whole package: generating one per server is slow
// under -race.
var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func sharedKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// fakeClock is an injectable clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	appOrigin   = "http://127.0.0.1:5173"
	callbackURI = appOrigin + "/callback"
	apiKey      = "sk_test_authkittest"
)

var (
	ada = authkittest.User{
		ID: "user_01HBEQKA6K4QJAS93VPE39W1JT", Email: "ada@example.com",
		FirstName: "Ada", LastName: "Lovelace", Password: "analytical",
	}
	grace = authkittest.User{
		ID: "user_01HBEQKA6K4QJAS93VPE39W2GH", Email: "grace@example.com", Password: "cobol",
		Memberships: []authkittest.Membership{
			{OrganizationID: "org_01ACME", Role: "admin", Permissions: []string{"posts:read", "posts:write"}},
			{OrganizationID: "org_01NAVY"},
		},
	}
	linus = authkittest.User{
		ID: "user_01HBEQKA6K4QJAS93VPE39W3LT", Email: "linus@example.com", Password: "penguin",
		Memberships: []authkittest.Membership{{OrganizationID: "org_01ACME", Role: "member", Permissions: []string{"posts:read"}}},
	}
)

// env is a server with a fake clock and an HTTP client that does not
// follow redirects.
type env struct {
	t     *testing.T
	srv   *authkittest.Server
	clock *fakeClock
	hc    *http.Client
}

func newEnv(t *testing.T, opts ...authkittest.Option) *env {
	t.Helper()
	clock := newClock()
	base := []authkittest.Option{
		authkittest.WithSigningKey(sharedKey(t)),
		authkittest.WithClock(clock.Now),
		authkittest.WithRedirectURIs(callbackURI),
		authkittest.WithCORSOrigins(appOrigin),
		authkittest.WithUsers(ada, grace, linus),
		authkittest.WithAPIKey(apiKey),
	}
	srv := authkittest.NewServer(append(base, opts...)...)
	tr := &http.Transport{}
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	return &env{t: t, srv: srv, clock: clock, hc: &http.Client{
		Transport:     tr,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (e *env) do(req *http.Request) *response {
	e.t.Helper()
	res, err := e.hc.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	out := &response{status: res.StatusCode, header: res.Header, body: b}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		require.NoError(e.t, json.Unmarshal(b, &out.json), string(b))
	}
	return out
}

func (e *env) get(path string, header ...string) *response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.abs(path), nil)
	require.NoError(e.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

func (e *env) postJSON(path string, body any, header ...string) *response {
	e.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(e.t, err)
	req, err := http.NewRequest(http.MethodPost, e.abs(path), strings.NewReader(string(b)))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

func (e *env) postForm(path string, form url.Values, header ...string) *response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.abs(path), strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

func (e *env) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return e.srv.URL() + path
}

// authenticate posts a grant as JSON.
func (e *env) authenticate(body map[string]any) *response {
	e.t.Helper()
	if _, ok := body["client_id"]; !ok {
		body["client_id"] = e.srv.ClientID()
	}
	return e.postJSON("/user_management/authenticate", body)
}

func (e *env) refresh(token string, extra ...string) *response {
	e.t.Helper()
	body := map[string]any{"grant_type": "refresh_token", "refresh_token": token}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return e.authenticate(body)
}

// requireOAuthError checks an OAuth-shaped error.
func requireOAuthError(t *testing.T, r *response, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	require.Equal(t, code, r.json["error"], string(r.body))
	require.NotEmpty(t, r.json["error_description"])
}

// requirePlainError checks a {"code","message"} error.
func requirePlainError(t *testing.T, r *response, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	require.Equal(t, code, r.json["code"], string(r.body))
	require.NotEmpty(t, r.json["message"])
}

// verify checks a token against the served JWKS with RS256 pinned, on the
// fake clock, and returns its header and claims.
func (e *env) verify(token string, opts ...jwt.ParserOption) (map[string]any, jwt.MapClaims) {
	e.t.Helper()
	keys := e.jwks(e.srv.JWKSURL())
	claims := jwt.MapClaims{}
	opts = append([]jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(e.clock.Now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}, opts...)
	tok, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		k, ok := keys[kid]
		if !ok {
			return nil, jwt.ErrTokenUnverifiable
		}
		return k, nil
	}, opts...)
	require.NoError(e.t, err)
	require.True(e.t, tok.Valid)
	return tok.Header, claims
}

// jwks fetches a key set and decodes its RSA keys by kid.
func (e *env) jwks(u string) map[string]*rsa.PublicKey {
	e.t.Helper()
	r := e.get(u)
	require.Equal(e.t, http.StatusOK, r.status)
	var set struct {
		Keys []struct{ Kty, Kid, N, E, Alg, Use string } `json:"keys"`
	}
	require.NoError(e.t, json.Unmarshal(r.body, &set))
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		require.Equal(e.t, "RSA", k.Kty)
		n, err := base64.RawURLEncoding.DecodeString(k.N)
		require.NoError(e.t, err)
		eb, err := base64.RawURLEncoding.DecodeString(k.E)
		require.NoError(e.t, err)
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(eb).Int64())}
	}
	return out
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeQuery is a valid authorize request for e's server.
func (e *env) authorizeQuery(challenge string) url.Values {
	q := url.Values{
		"client_id":     {e.srv.ClientID()},
		"redirect_uri":  {callbackURI},
		"response_type": {"code"},
		"provider":      {"authkit"},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	return q
}

// signInWithForm runs authorize + the login form as a person would and
// returns the callback URL's query.
func (e *env) signInWithForm(q url.Values, email, password string) url.Values {
	e.t.Helper()
	page := e.get("/user_management/authorize?" + q.Encode())
	require.Equal(e.t, http.StatusOK, page.status, string(page.body))
	form := hiddenFields(e.t, string(page.body))
	form.Set("email", email)
	form.Set("password", password)
	form.Set("action", "approve")
	r := e.postForm("/user_management/authorize", form)
	require.Equal(e.t, http.StatusFound, r.status, string(r.body))
	return callbackQuery(e.t, r)
}

// callbackQuery checks a redirect to the callback URI and returns its query.
func callbackQuery(t *testing.T, r *response) url.Values {
	t.Helper()
	require.Equal(t, http.StatusFound, r.status, string(r.body))
	loc, err := url.Parse(r.header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, callbackURI, loc.Scheme+"://"+loc.Host+loc.Path)
	return loc.Query()
}

// hiddenFields reads the hidden inputs of the login form.
func hiddenFields(t *testing.T, page string) url.Values {
	t.Helper()
	out := url.Values{}
	for _, part := range strings.Split(page, `<input type="hidden" `)[1:] {
		name := attr(part, "name")
		value := attr(part, "value")
		out.Add(name, value)
	}
	return out
}

func attr(tag, name string) string {
	i := strings.Index(tag, name+`="`)
	if i < 0 {
		return ""
	}
	rest := tag[i+len(name)+2:]
	v := rest[:strings.IndexByte(rest, '"')]
	return html.UnescapeString(v)
}

// ctx returns a bounded context for one test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}
