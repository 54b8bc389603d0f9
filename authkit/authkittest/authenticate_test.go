package authkittest_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

func TestRefreshRotationAndReplayWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)

	e.clock.Advance(time.Minute)
	first := e.refresh(tok.RefreshToken)
	require.Equal(t, http.StatusOK, first.status, string(first.body))
	rt1 := first.json["refresh_token"].(string)
	at1 := first.json["access_token"].(string)
	assert.NotEqual(t, tok.RefreshToken, rt1, "rotated")
	assert.NotEqual(t, tok.AccessToken, at1)
	assert.Equal(t, "Password", first.json["authentication_method"])
	_, claims := e.verify(at1)
	assert.Equal(t, tok.SessionID, claims["sid"], "same session")
	assert.Equal(t, float64(e.clock.Now().Unix()), claims["iat"])

	// The old token again within 30 s: the same pair.
	e.clock.Advance(29 * time.Second)
	again := e.refresh(tok.RefreshToken)
	require.Equal(t, http.StatusOK, again.status, string(again.body))
	assert.Equal(t, rt1, again.json["refresh_token"])
	assert.Equal(t, at1, again.json["access_token"])

	// Exactly at the edge of the window: still the same pair.
	e.clock.Advance(time.Second)
	assert.Equal(t, rt1, e.refresh(tok.RefreshToken).json["refresh_token"])

	// After it: already exchanged.
	e.clock.Advance(time.Second)
	late := e.refresh(tok.RefreshToken)
	requireOAuthError(t, late, 400, "invalid_grant")
	assert.Equal(t, "Refresh token already exchanged.", late.json["error_description"])

	// The rotated token still works, and rotates in turn.
	second := e.refresh(rt1)
	require.Equal(t, http.StatusOK, second.status)
	assert.NotEqual(t, rt1, second.json["refresh_token"])

	// Form bodies work too.
	third := e.postForm("/user_management/authenticate", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {e.srv.ClientID()}, "refresh_token": {second.json["refresh_token"].(string)},
	})
	require.Equal(t, http.StatusOK, third.status, string(third.body))

	// Errors.
	requireOAuthError(t, e.refresh("not-a-token"), 400, "invalid_grant")
	requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "refresh_token"}), 400, "invalid_request")
	requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "refresh_token", "refresh_token": third.json["refresh_token"], "client_id": "client_01OTHER"}), 400, "invalid_client")
	// A server SDK adds its API key as client_secret.
	withSecret := e.refresh(third.json["refresh_token"].(string), "client_secret", apiKey)
	assert.Equal(t, http.StatusOK, withSecret.status, string(withSecret.body))
}

func TestRefreshConcurrentReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)
	// Several tabs racing with the same token all get the same new pair.
	const n = 8
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.refresh(tok.RefreshToken)
			if r.status == http.StatusOK {
				got[i] = r.json["refresh_token"].(string)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		assert.Equal(t, got[0], got[i])
	}
	assert.NotEmpty(t, got[0])
}

func TestReplayWindowDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithReplayWindow(0))
	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.refresh(tok.RefreshToken).status)
	requireOAuthError(t, e.refresh(tok.RefreshToken), 400, "invalid_grant")
}

func TestRefreshOrganizationSwitch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.IssueTokens(grace.ID, authkittest.IssueOrganization("org_01ACME"))
	require.NoError(t, err)
	_, claims := e.verify(tok.AccessToken)
	assert.Equal(t, "admin", claims["role"])

	// Same org (authkit-js re-sends the current org_id): stays.
	r := e.refresh(tok.RefreshToken, "organization_id", "org_01ACME")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Equal(t, "org_01ACME", r.json["organization_id"])
	rt := r.json["refresh_token"].(string)

	// An unknown organization: plain-shaped error, and the token is not spent.
	requirePlainError(t, e.refresh(rt, "organization_id", "org_01ELSEWHERE"), http.StatusNotFound, "organization_not_found")

	// Switch.
	r = e.refresh(rt, "organization_id", "org_01NAVY")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Equal(t, "org_01NAVY", r.json["organization_id"])
	_, claims = e.verify(r.json["access_token"].(string))
	assert.Equal(t, "org_01NAVY", claims["org_id"])
	assert.Equal(t, "member", claims["role"])
	assert.Equal(t, tok.SessionID, claims["sid"])

	// The org sticks on the next plain refresh.
	r = e.refresh(r.json["refresh_token"].(string))
	assert.Equal(t, "org_01NAVY", r.json["organization_id"])

	// ada is in no org; an org that exists but is not hers.
	atok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)
	requirePlainError(t, e.refresh(atok.RefreshToken, "organization_id", "org_01ACME"), http.StatusBadRequest, "organization_membership_not_found")
	assert.Equal(t, http.StatusOK, e.refresh(atok.RefreshToken).status)
}

func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	grant := func(secret, email, password string) *response {
		body := map[string]any{"grant_type": "password", "email": email, "password": password}
		if secret != "" {
			body["client_secret"] = secret
		}
		return e.authenticate(body)
	}
	requireOAuthError(t, grant("", ada.Email, ada.Password), 400, "invalid_client")
	requireOAuthError(t, grant("sk_wrong", ada.Email, ada.Password), 401, "invalid_client")
	requireOAuthError(t, grant(apiKey, ada.Email, ""), 400, "invalid_request")
	bad := grant(apiKey, ada.Email, "nope")
	requirePlainError(t, bad, 400, "invalid_credentials")
	assert.Equal(t, "Invalid credentials for 'ada@example.com'.", bad.json["message"])
	requirePlainError(t, grant(apiKey, "nobody@example.com", "x"), 400, "invalid_credentials")

	ok := grant(apiKey, linus.Email, linus.Password)
	require.Equal(t, http.StatusOK, ok.status, string(ok.body))
	assert.Equal(t, "Password", ok.json["authentication_method"])
	assert.Equal(t, "org_01ACME", ok.json["organization_id"])
	_, claims := e.verify(ok.json["access_token"].(string))
	assert.Equal(t, linus.ID, claims["sub"])

	// Without an API key configured, the grant is impossible.
	noKey := newEnv(t, authkittest.WithAPIKey(""))
	requireOAuthError(t, noKey.authenticate(map[string]any{"grant_type": "password", "email": ada.Email, "password": ada.Password, "client_secret": "anything"}), 401, "invalid_client")
}

func TestClientCredentialsIsNotAnAuthenticateGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "client_credentials", "client_secret": apiKey}), 400, "unsupported_grant_type")
}

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.IssueTokens(ada.ID, authkittest.IssueAuthenticationMethod("GoogleOAuth"))
	require.NoError(t, err)
	post := func(contentType, body string) *response {
		req, err := http.NewRequest(http.MethodPost, e.srv.URL()+"/user_management/authenticate", strings.NewReader(body))
		require.NoError(t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return e.do(req)
	}
	// A JSON body sent as text/plain (as navigator.sendBeacon or a
	// no-preflight fetch would) or without a content type still parses.
	r := post("text/plain;charset=UTF-8", `{"grant_type":"refresh_token","client_id":"`+e.srv.ClientID()+`","refresh_token":"`+tok.RefreshToken+`","organization_id":null}`)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Equal(t, "GoogleOAuth", r.json["authentication_method"], "the session's method is reported on refresh")
	r = post("", `{"grant_type":"refresh_token","client_id":"`+e.srv.ClientID()+`","refresh_token":"`+r.json["refresh_token"].(string)+`"}`)
	require.Equal(t, http.StatusOK, r.status, string(r.body))

	requireOAuthError(t, post("application/json", `{"grant_type":`), 400, "invalid_request")
	requireOAuthError(t, post("application/json", `[1,2]`), 400, "invalid_request")
	requireOAuthError(t, post("application/json", ``), 400, "invalid_request")
	requireOAuthError(t, post("application/x-www-form-urlencoded", `grant_type=%zz`), 400, "invalid_request")
}
