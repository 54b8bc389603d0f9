package authkittest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	app := authkittest.M2MApp{ClientID: "client_01M2MBOT", ClientSecret: "m2m-secret", OrganizationID: "org_01ACME", Scopes: []string{"messages:read", "messages:write"}}
	e := newEnv(t, authkittest.WithM2MApps(app))

	r := e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Equal(t, "Bearer", r.json["token_type"])
	assert.Equal(t, 300.0, r.json["expires_in"])
	assert.Equal(t, "messages:read messages:write", r.json["scope"])
	assert.NotContains(t, r.json, "refresh_token")

	keys := e.jwks(e.srv.URL() + "/oauth2/jwks")
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.json["access_token"].(string), claims, func(tok *jwt.Token) (any, error) {
		return keys[tok.Header["kid"].(string)], nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.clock.Now),
		jwt.WithIssuer(e.srv.M2MIssuer()), jwt.WithAudience(e.srv.ClientID()), jwt.WithSubject(app.ClientID))
	require.NoError(t, err)
	assert.Equal(t, e.srv.URL(), e.srv.M2MIssuer())
	assert.Equal(t, "org_01ACME", claims["org_id"])
	assert.NotContains(t, claims, "sid")
	assert.NotEmpty(t, claims["jti"])

	// HTTP Basic client authentication and a narrower scope.
	req, err := http.NewRequest(http.MethodPost, e.srv.URL()+"/oauth2/token", strings.NewReader("grant_type=client_credentials&scope=messages%3Aread"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, app.ClientSecret)
	b := e.do(req)
	require.Equal(t, http.StatusOK, b.status, string(b.body))
	assert.Equal(t, "messages:read", b.json["scope"])

	// Errors.
	requireOAuthError(t, e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {"wrong"}}), 401, "invalid_client")
	requireOAuthError(t, e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"client_01NOBODY"}, "client_secret": {"x"}}), 401, "invalid_client")
	requireOAuthError(t, e.postForm("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"admin"}}), 400, "invalid_scope")
	requireOAuthError(t, e.postForm("/oauth2/token", url.Values{"grant_type": {"password"}}), 400, "unsupported_grant_type")
	// JSON works as well.
	j := e.postJSON("/oauth2/token", map[string]any{"grant_type": "client_credentials", "client_id": app.ClientID, "client_secret": app.ClientSecret})
	assert.Equal(t, http.StatusOK, j.status)
}
