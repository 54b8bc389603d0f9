package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/middleware"
	"github.com/goconvex/convex/authkit/workos"
)

type oauthCase struct {
	name   string
	status int
	reason string // the OAuth error code, or what refused it
	ok     bool   // refused as it should be
}

type r5Result struct {
	cases []oauthCase
	err   error
}

// runR5 tries the OAuth attacks against the local issuer's authorize and
// authenticate endpoints (as WorkOS answers them) and against the
// middleware's callback.
func runR5() (r r5Result) {
	const redirect = "http://127.0.0.1:9/callback"
	issuer := authkittest.NewServer(authkittest.WithRedirectURIs(redirect), authkittest.WithAutoApprove(authkittest.DemoUser.ID))
	defer issuer.Close()
	noRedirect := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	clientID := issuer.ClientID()

	verifier := "a-verifier-of-forty-three-characters-long-0123"
	challenge := func(v string) string {
		sum := sha256.Sum256([]byte(v))
		return base64.RawURLEncoding.EncodeToString(sum[:])
	}
	// code runs authorize (auto-approved) and returns the code, or the
	// refusal.
	code := func(redirectURI string, withPKCE bool) (string, oauthCase) {
		q := url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "provider": {"authkit"}, "state": {"s"}}
		if withPKCE {
			q.Set("code_challenge", challenge(verifier))
			q.Set("code_challenge_method", "S256")
		}
		resp, err := noRedirect.Get(issuer.URL() + authkittest.RouteAuthorize + "?" + q.Encode())
		if err != nil {
			return "", oauthCase{reason: err.Error()}
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode/100 == 3 && loc != nil && strings.HasPrefix(loc.String(), redirect) && loc.Query().Get("code") != "" {
			return loc.Query().Get("code"), oauthCase{}
		}
		reason := "refused"
		if loc != nil && loc.Query().Get("error") != "" {
			reason = loc.Query().Get("error")
		} else if i := bytes.Index(body, []byte("redirect")); i >= 0 {
			reason = "page: " + strings.TrimSpace(htmlText(body))
		}
		return "", oauthCase{status: resp.StatusCode, reason: reason, ok: loc == nil || !strings.HasPrefix(loc.String(), "https://evil.example")}
	}
	exchange := func(name string, p map[string]string) oauthCase {
		b, _ := json.Marshal(p)
		resp, err := noRedirect.Post(issuer.URL()+authkittest.RouteAuthenticate, "application/json", bytes.NewReader(b))
		if err != nil {
			return oauthCase{name: name, reason: err.Error()}
		}
		defer resp.Body.Close()
		var e struct {
			Error string `json:"error"`
			Desc  string `json:"error_description"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return oauthCase{name: name, status: resp.StatusCode, reason: e.Error, ok: resp.StatusCode >= 400 && e.Error != ""}
	}
	grant := func(c, v string) map[string]string {
		p := map[string]string{"client_id": clientID, "grant_type": "authorization_code", "code": c}
		if v != "" {
			p["code_verifier"] = v
		}
		return p
	}

	// redirect_uri not on the allowlist: no code, and no redirect there.
	_, refused := code("https://evil.example/callback", true)
	refused.name = "authorize with a redirect_uri not on the allowlist"
	r.cases = append(r.cases, refused)

	c1, bad := code(redirect, true)
	if c1 == "" {
		r.err = fmt.Errorf("no code from authorize: %+v", bad)
		return r
	}
	r.cases = append(r.cases,
		exchange("code exchanged without its PKCE code_verifier", grant(c1, "")),
		exchange("code exchanged with a wrong code_verifier", grant(c1, "another-verifier-of-forty-three-characters-xx")),
		exchange("code exchanged by another client_id", map[string]string{"client_id": "client_01SOMEONEELSE0000000000000", "grant_type": "authorization_code", "code": c1, "code_verifier": verifier}),
	)
	if ok := exchange("", grant(c1, verifier)); ok.status != http.StatusOK {
		r.err = fmt.Errorf("the genuine exchange failed: %+v", ok)
		return r
	}
	r.cases = append(r.cases, exchange("code reused after a successful exchange", grant(c1, verifier)))
	c2, _ := code(redirect, false)
	r.cases = append(r.cases, exchange("code issued without PKCE, exchanged without a client secret", grant(c2, "")))

	// The middleware's callback.
	m, err := middleware.New(middleware.Config{
		WorkOS:         workos.Config{ClientID: clientID, APIKey: "sk_test_soak", APIBase: issuer.URL()},
		RedirectURI:    redirect,
		CookiePassword: "a cookie password of at least thirty-two characters",
	})
	if err != nil {
		r.err = err
		return r
	}
	signIn := httptest.NewRecorder()
	m.SignInHandler().ServeHTTP(signIn, httptest.NewRequest("GET", "/auth/sign-in", nil))
	cookies := signIn.Result().Cookies()
	callback := func(name, query string, cookies []*http.Cookie) oauthCase {
		req := httptest.NewRequest("GET", "/callback?"+query, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		m.CallbackHandler().ServeHTTP(rec, req)
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		sessionSet := false
		for _, c := range rec.Result().Cookies() {
			if c.MaxAge >= 0 && c.Value != "" && !strings.Contains(strings.ToLower(c.Name), "pkce") && !strings.Contains(c.Name, "verifier") {
				sessionSet = true
			}
		}
		return oauthCase{name: name, status: rec.Code, reason: e.Error, ok: rec.Code >= 400 && e.Error != "" && !sessionSet}
	}
	c3, _ := code(redirect, true)
	r.cases = append(r.cases,
		callback("callback with another sign-in's state", "code="+c3+"&state=forged-state", cookies),
		callback("callback with no sign-in started in this browser", "code="+c3+"&state=forged-state", nil),
		callback("callback with a state and cookie not sealed by the app", "code="+c3+"&state=forged",
			[]*http.Cookie{{Name: "wos-auth-verifier", Value: "forged"}}),
	)
	return r
}

var styleOrScript = regexp.MustCompile(`(?is)<style.*?</style>|<script.*?</script>|<title.*?</title>`)

// htmlText is the first 80 characters of a page's text.
func htmlText(b []byte) string {
	b = styleOrScript.ReplaceAll(b, nil)
	var out strings.Builder
	in := false
	for _, c := range string(b) {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
			out.WriteByte(' ')
		case !in:
			out.WriteRune(c)
		}
	}
	s := strings.Join(strings.Fields(out.String()), " ")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func (r r5Result) rejected() int {
	n := 0
	for _, c := range r.cases {
		if c.ok {
			n++
		}
	}
	return n
}

func (r r5Result) failed() bool { return r.err != nil || r.rejected() != len(r.cases) }

func (r r5Result) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "## R5: OAuth attacks\n\n")
	if r.err != nil {
		fmt.Fprintf(b, "✗ setup failed: %v\n\n", r.err)
	}
	fmt.Fprintf(b, "| attack | HTTP status | reason | |\n|---|---|---|---|\n")
	for _, c := range r.cases {
		fmt.Fprintf(b, "| %s | %d | %s | %s |\n", c.name, c.status, strings.ReplaceAll(c.reason, "|", "\\|"), mark(c.ok))
	}
	fmt.Fprintf(b, "\n%d attacks tried, %d refused with a named reason.\n\n", len(r.cases), r.rejected())
}
