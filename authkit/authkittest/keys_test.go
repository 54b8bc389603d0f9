package authkittest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

func TestJWKS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	r := e.get("/sso/jwks/" + e.srv.ClientID())
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(r.body, &set))
	require.Len(t, set.Keys, 1)
	k := set.Keys[0]
	for _, f := range []string{"alg", "kty", "use", "kid", "n", "e", "x5c", "x5t#S256"} {
		assert.Contains(t, k, f)
	}
	assert.Equal(t, "RS256", k["alg"])
	assert.Equal(t, "RSA", k["kty"])
	assert.Equal(t, "sig", k["use"])
	assert.Equal(t, "AQAB", k["e"])
	assert.Equal(t, e.srv.KeyID(), k["kid"])
	n, err := base64.RawURLEncoding.DecodeString(k["n"].(string))
	require.NoError(t, err)
	assert.Len(t, n, 256, "RSA-2048 modulus")

	// kid is a prefix of the RFC 7638 thumbprint.
	sum := sha256.Sum256([]byte(`{"e":"AQAB","kty":"RSA","n":"` + k["n"].(string) + `"}`))
	assert.True(t, strings.HasPrefix(base64.RawURLEncoding.EncodeToString(sum[:]), e.srv.KeyID()))

	assert.Equal(t, r.body, e.srv.JWKS())
	assert.Equal(t, e.srv.URL()+"/sso/jwks/"+e.srv.ClientID(), e.srv.JWKSURL())

	// The data: URL carries the same document.
	const prefix = "data:application/json;base64,"
	require.True(t, strings.HasPrefix(e.srv.JWKSDataURL(), prefix))
	doc, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.srv.JWKSDataURL(), prefix))
	require.NoError(t, err)
	assert.Equal(t, r.body, doc)

	// The AuthKit-domain path serves the same set.
	assert.Equal(t, r.body, e.get("/oauth2/jwks").body)

	// Another client id is a 404.
	nf := e.get("/sso/jwks/client_01SOMEONEELSE")
	assert.Equal(t, http.StatusNotFound, nf.status)
	assert.NotEmpty(t, nf.json["message"])
}

func TestPinnedKeyIsStable(t *testing.T) {
	t.Parallel()
	a := authkittest.NewServer(authkittest.WithSigningKey(sharedKey(t)))
	defer a.Close()
	b := authkittest.NewServer(authkittest.WithSigningKey(sharedKey(t)))
	defer b.Close()
	assert.Equal(t, a.KeyID(), b.KeyID())
	assert.Equal(t, a.JWKS(), b.JWKS())
	assert.Equal(t, a.JWKSDataURL(), b.JWKSDataURL())
}

func TestIssuerModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mode    authkittest.IssuerMode
		wantIss string
		wantAud bool
	}{
		{"per-client (default)", "", "https://api.workos.com/user_management/" + authkittest.DefaultClientID, false},
		{"per-client", authkittest.IssuerPerClient, "https://api.workos.com/user_management/" + authkittest.DefaultClientID, false},
		{"legacy", authkittest.IssuerLegacy, "https://api.workos.com/", true},
		{"custom domain", "https://auth.example.com", "https://auth.example.com", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, authkittest.WithIssuerMode(tc.mode))
			assert.Equal(t, tc.wantIss, e.srv.Issuer())
			tok, err := e.srv.IssueTokens(ada.ID)
			require.NoError(t, err)
			opts := []jwt.ParserOption{jwt.WithIssuer(tc.wantIss)}
			if tc.wantAud {
				opts = append(opts, jwt.WithAudience(e.srv.ClientID()))
			}
			_, claims := e.verify(tok.AccessToken, opts...)
			_, hasAud := claims["aud"]
			assert.Equal(t, tc.wantAud, hasAud)
		})
	}
}

func TestAccessTokenClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithTokenLifetime(45*time.Second))

	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)
	header, claims := e.verify(tok.AccessToken)
	assert.Equal(t, "RS256", header["alg"])
	assert.Equal(t, "JWT", header["typ"])
	assert.Equal(t, e.srv.KeyID(), header["kid"])
	assert.Equal(t, ada.ID, claims["sub"])
	assert.Equal(t, tok.SessionID, claims["sid"])
	assert.True(t, strings.HasPrefix(tok.SessionID, "session_01"), tok.SessionID)
	assert.Regexp(t, `^[0-9A-HJKMNP-TV-Z]{26}$`, claims["jti"])
	assert.Equal(t, float64(e.clock.Now().Unix()), claims["iat"])
	assert.Equal(t, 45.0, claims["exp"].(float64)-claims["iat"].(float64))
	assert.Equal(t, e.clock.Now().Add(45*time.Second), tok.ExpiresAt)
	for _, c := range []string{"org_id", "role", "roles", "permissions", "aud"} {
		assert.NotContains(t, claims, c)
	}
	assert.Equal(t, ada.Email, tok.User.Email)

	// A user with exactly one membership lands in it.
	tok, err = e.srv.IssueTokens(linus.ID)
	require.NoError(t, err)
	_, claims = e.verify(tok.AccessToken)
	assert.Equal(t, "org_01ACME", claims["org_id"])
	assert.Equal(t, "member", claims["role"])
	assert.Equal(t, []any{"member"}, claims["roles"])
	assert.Equal(t, []any{"posts:read"}, claims["permissions"])
	assert.Equal(t, "org_01ACME", tok.OrganizationID)

	// Two memberships: none unless asked; the default role is "member".
	tok, err = e.srv.IssueTokens(grace.ID)
	require.NoError(t, err)
	_, claims = e.verify(tok.AccessToken)
	assert.NotContains(t, claims, "org_id")
	tok, err = e.srv.IssueTokens(grace.ID, authkittest.IssueOrganization("org_01NAVY"),
		authkittest.IssueLifetime(10*time.Second), authkittest.IssueClaims(map[string]any{"feature_flags": []string{"beta"}}))
	require.NoError(t, err)
	_, claims = e.verify(tok.AccessToken)
	assert.Equal(t, "org_01NAVY", claims["org_id"])
	assert.Equal(t, "member", claims["role"])
	assert.Equal(t, []any{}, claims["permissions"])
	assert.Equal(t, []any{"beta"}, claims["feature_flags"])
	assert.Equal(t, 10.0, claims["exp"].(float64)-claims["iat"].(float64))

	// Errors.
	_, err = e.srv.IssueTokens("user_nobody")
	assert.Error(t, err)
	_, err = e.srv.IssueTokens(ada.ID, authkittest.IssueOrganization("org_01ACME"))
	assert.Error(t, err, "not a member")
	for _, c := range []string{"iss", "sub", "sid", "jti", "iat", "exp", "nbf"} {
		_, err = e.srv.IssueTokens(ada.ID, authkittest.IssueClaims(map[string]any{c: "x"}))
		assert.Error(t, err, c)
	}
}

func TestSignClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.SignClaims(map[string]any{"iss": "x", "sub": "y", "iat": e.clock.Now().Unix(), "exp": e.clock.Now().Add(time.Minute).Unix()})
	require.NoError(t, err)
	h, claims := e.verify(tok)
	assert.Equal(t, e.srv.KeyID(), h["kid"])
	assert.Equal(t, jwt.MapClaims{"iss": "x", "sub": "y", "iat": claims["iat"], "exp": claims["exp"]}, claims)
}

func TestJWTTemplate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithJWTTemplate(func(u authkittest.User) map[string]any {
		m := authkittest.NameEmailTemplate(u)
		m["sub"] = "must not override"
		return m
	}))
	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)
	_, claims := e.verify(tok.AccessToken)
	assert.Equal(t, strings.TrimSpace(ada.FirstName+" "+ada.LastName), claims["name"])
	assert.Equal(t, ada.Email, claims["email"])
	assert.Equal(t, true, claims["email_verified"])
	assert.Equal(t, ada.ID, claims["sub"], "registered claims win over the template")
}
