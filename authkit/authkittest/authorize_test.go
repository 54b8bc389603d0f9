package authkittest_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithAutoApprove(ada.ID))
	_, challenge := pkce()
	tests := []struct {
		name   string
		modify func(q url.Values)
		page   bool   // refused with an error page (no redirect)
		code   string // else: redirect with this error
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "client_01OTHER") }, true, ""},
		{"missing client", func(q url.Values) { q.Del("client_id") }, true, ""},
		{"redirect not allowlisted", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:5173/evil") }, true, ""},
		{"redirect differs by a slash", func(q url.Values) { q.Set("redirect_uri", callbackURI+"/") }, true, ""},
		{"missing redirect", func(q url.Values) { q.Del("redirect_uri") }, true, ""},
		{"response_type token", func(q url.Values) { q.Set("response_type", "token") }, false, "unsupported_response_type"},
		{"no provider", func(q url.Values) { q.Del("provider") }, false, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, false, "invalid_request"},
		{"challenge without method", func(q url.Values) { q.Del("code_challenge_method") }, false, "invalid_request"},
		{"method without challenge", func(q url.Values) { q.Del("code_challenge") }, false, "invalid_request"},
		{"malformed challenge", func(q url.Values) { q.Set("code_challenge", "short") }, false, "invalid_request"},
		{"screen_hint without authkit", func(q url.Values) { q.Set("provider", "GoogleOAuth"); q.Set("screen_hint", "sign-up") }, false, "invalid_request"},
		{"organization the user is not in", func(q url.Values) { q.Set("organization_id", "org_01ACME") }, false, "access_denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := e.authorizeQuery(challenge)
			q.Set("state", "s-"+tc.name)
			tc.modify(q)
			r := e.get("/user_management/authorize?" + q.Encode())
			if tc.page {
				assert.Equal(t, http.StatusBadRequest, r.status)
				assert.Empty(t, r.header.Get("Location"))
				assert.Contains(t, r.header.Get("Content-Type"), "text/html")
				return
			}
			cb := callbackQuery(t, r)
			assert.Equal(t, tc.code, cb.Get("error"))
			assert.NotEmpty(t, cb.Get("error_description"))
			assert.Equal(t, "s-"+tc.name, cb.Get("state"))
			assert.Empty(t, cb.Get("code"))
		})
	}
}

func TestAuthorizeAutoApprovePKCE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithAutoApprove(ada.ID), authkittest.WithRedirectURIs(callbackURI+"?app=1"))
	verifier, challenge := pkce()

	// authkit-js sends JSON.stringify(state); any bytes come back as sent.
	state := `{"returnTo":"/x?a=1&b=2","n":"ü €+%20 "}`
	q := e.authorizeQuery(challenge)
	q.Set("state", state)
	q.Set("login_hint", "grace@example.com") // auto-approve prefers the hinted user
	r := e.get("/user_management/authorize?" + q.Encode())
	cb := callbackQuery(t, r)
	assert.Equal(t, state, cb.Get("state"))
	code := cb.Get("code")
	require.NotEmpty(t, code)

	// Code exchange with the verifier, JSON body, as authkit-js sends it.
	res := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": code, "code_verifier": verifier})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
	keys := make([]string, 0, len(res.json))
	for k := range res.json {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{"access_token", "authentication_method", "refresh_token", "user"}, keys, "no organization_id, no sealed_session")
	assert.Equal(t, "Password", res.json["authentication_method"])
	user := res.json["user"].(map[string]any)
	assert.Equal(t, grace.ID, user["id"])
	for _, f := range []string{"object", "id", "email", "email_verified", "first_name", "last_name", "profile_picture_url", "last_sign_in_at", "external_id", "created_at", "updated_at", "metadata"} {
		assert.Contains(t, user, f)
	}
	assert.Equal(t, "user", user["object"])
	assert.Nil(t, user["first_name"])
	assert.Equal(t, "2026-03-01T12:00:00.000Z", user["last_sign_in_at"])
	_, claims := e.verify(res.json["access_token"].(string))
	assert.Equal(t, grace.ID, claims["sub"])

	// Single use.
	requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "authorization_code", "code": code, "code_verifier": verifier}), 400, "invalid_grant")

	// A redirect URI with its own query keeps it.
	q = e.authorizeQuery(challenge)
	q.Set("redirect_uri", callbackURI+"?app=1")
	r = e.get("/user_management/authorize?" + q.Encode())
	require.Equal(t, http.StatusFound, r.status)
	loc := r.header.Get("Location")
	assert.True(t, strings.HasPrefix(loc, callbackURI+"?app=1&code="), loc)
	assert.NotContains(t, loc, "state=", "no state sent, none echoed")
}

func TestCodeExchangeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithAutoApprove(ada.ID))
	verifier, challenge := pkce()
	newCode := func(challenge string) string {
		return callbackQuery(t, e.get("/user_management/authorize?"+e.authorizeQuery(challenge).Encode())).Get("code")
	}

	otherVerifier, _ := pkce()
	tests := []struct {
		name   string
		body   func(code string) map[string]any
		status int
		err    string
	}{
		{"wrong verifier", func(c string) map[string]any {
			return map[string]any{"grant_type": "authorization_code", "code": c, "code_verifier": otherVerifier}
		}, 400, "invalid_grant"},
		{"missing verifier", func(c string) map[string]any { return map[string]any{"grant_type": "authorization_code", "code": c} }, 400, "invalid_request"},
		{"unknown code", func(string) map[string]any {
			return map[string]any{"grant_type": "authorization_code", "code": "nope", "code_verifier": verifier}
		}, 400, "invalid_grant"},
		{"missing code", func(string) map[string]any { return map[string]any{"grant_type": "authorization_code"} }, 400, "invalid_request"},
		{"other client", func(c string) map[string]any {
			return map[string]any{"grant_type": "authorization_code", "code": c, "code_verifier": verifier, "client_id": "client_01OTHER"}
		}, 400, "invalid_client"},
		{"wrong client secret", func(c string) map[string]any {
			return map[string]any{"grant_type": "authorization_code", "code": c, "code_verifier": verifier, "client_secret": "sk_wrong"}
		}, 401, "invalid_client"},
		{"no grant type", func(c string) map[string]any { return map[string]any{"code": c} }, 400, "invalid_request"},
		{"unknown grant type", func(c string) map[string]any { return map[string]any{"grant_type": "magic"} }, 400, "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := newCode(challenge)
			requireOAuthError(t, e.authenticate(tc.body(code)), tc.status, tc.err)
			// A refused exchange does not burn a valid code.
			ok := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": code, "code_verifier": verifier})
			assert.Equal(t, http.StatusOK, ok.status, string(ok.body))
		})
	}

	t.Run("expired after 10 minutes", func(t *testing.T) {
		code := newCode(challenge)
		e.clock.Advance(authkittest.CodeLifetime + time.Second)
		requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "authorization_code", "code": code, "code_verifier": verifier}), 400, "invalid_grant")
	})

	t.Run("form body", func(t *testing.T) {
		code := newCode(challenge)
		r := e.postForm("/user_management/authenticate", url.Values{
			"grant_type": {"authorization_code"}, "client_id": {e.srv.ClientID()}, "code": {code}, "code_verifier": {verifier},
		})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		assert.NotEmpty(t, r.json["refresh_token"])
	})

	t.Run("confidential client without PKCE", func(t *testing.T) {
		code := newCode("")
		requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "authorization_code", "code": code}), 400, "invalid_client")
		r := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": code, "client_secret": apiKey})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
	})

	t.Run("confidential client with PKCE", func(t *testing.T) {
		code := newCode(challenge)
		r := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": code, "client_secret": apiKey, "code_verifier": verifier})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
	})
}

func TestLoginForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	verifier, challenge := pkce()

	q := e.authorizeQuery(challenge)
	q.Set("state", `{"a":"<b>&"}`)
	q.Set("login_hint", "ada@example.com")
	page := e.get("/user_management/authorize?" + q.Encode())
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.header.Get("Content-Type"), "text/html")
	assert.Contains(t, string(page.body), `value="ada@example.com"`, "login_hint prefills the email")
	assert.Contains(t, string(page.body), "Sign in")
	hidden := hiddenFields(t, string(page.body))
	assert.Equal(t, q, hidden, "the authorize parameters ride along as hidden fields")

	// Wrong password: the form again, with an error.
	form := url.Values{}
	for k, v := range hidden {
		form[k] = v
	}
	form.Set("email", "ada@example.com")
	form.Set("password", "wrong")
	r := e.postForm("/user_management/authorize", form)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, string(r.body), "Invalid email or password")
	form.Set("email", "nobody@example.com")
	assert.Equal(t, http.StatusUnauthorized, e.postForm("/user_management/authorize", form).status)

	// Right password (email case-insensitive).
	cb := e.signInWithForm(q, "ADA@example.com", "analytical")
	assert.Equal(t, `{"a":"<b>&"}`, cb.Get("state"))
	res := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": cb.Get("code"), "code_verifier": verifier})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	assert.Equal(t, ada.ID, res.json["user"].(map[string]any)["id"])

	// Deny.
	form = hiddenFields(t, string(page.body))
	form.Set("action", "deny")
	cb = callbackQuery(t, e.postForm("/user_management/authorize", form))
	assert.Equal(t, "access_denied", cb.Get("error"))
	assert.Equal(t, `{"a":"<b>&"}`, cb.Get("state"))
	assert.Empty(t, cb.Get("code"))

	// Tampered hidden fields are checked again.
	form = hiddenFields(t, string(page.body))
	form.Set("redirect_uri", "http://evil.example/cb")
	form.Set("email", "ada@example.com")
	form.Set("password", "analytical")
	r = e.postForm("/user_management/authorize", form)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Empty(t, r.header.Get("Location"))

	// Sign-up screen.
	q.Set("screen_hint", "sign-up")
	page = e.get("/user_management/authorize?" + q.Encode())
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, string(page.body), "Sign up")
}

func TestAuthorizeOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithAutoApprove(grace.ID))
	verifier, challenge := pkce()
	q := e.authorizeQuery(challenge)
	q.Set("organization_id", "org_01NAVY")
	cb := callbackQuery(t, e.get("/user_management/authorize?"+q.Encode()))
	res := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": cb.Get("code"), "code_verifier": verifier})
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	assert.Equal(t, "org_01NAVY", res.json["organization_id"])
	_, claims := e.verify(res.json["access_token"].(string))
	assert.Equal(t, "org_01NAVY", claims["org_id"])
}
