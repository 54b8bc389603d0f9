//go:build !js

package convextest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/customjwt"
)

var (
	keysOnce sync.Once
	rsaKey1  *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func testKeys(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		rsaKey1, err = rsa.GenerateKey(rand.Reader, 2048)
		if err == nil {
			rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err == nil {
			ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			panic(err)
		}
	})
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]any {
	pt, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return map[string]any{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64u(pt[1:33]), "y": b64u(pt[33:])}
}

func jwksJSON(keys ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return string(b)
}

func sign(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// jwksServer serves a JWK set that tests can swap, counting requests.
type jwksServer struct {
	*httptest.Server
	mu          sync.Mutex
	body        string
	contentType string
	requests    atomic.Int32
}

func newJWKSServer(t *testing.T, body string) *jwksServer {
	js := &jwksServer{body: body, contentType: "application/json"}
	js.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js.requests.Add(1)
		js.mu.Lock()
		defer js.mu.Unlock()
		w.Header().Set("Content-Type", js.contentType)
		_, _ = w.Write([]byte(js.body))
	}))
	t.Cleanup(js.Close)
	return js
}

func (js *jwksServer) set(body, contentType string) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.body, js.contentType = body, contentType
}

const testIssuer = "https://issuer.example.com"

func TestVerifyToken(t *testing.T) {
	testKeys(t)
	now := time.Now()
	js := newJWKSServer(t, jwksJSON(rsaJWK("k1", &rsaKey1.PublicKey)))
	srv := NewServer(
		withClock(func() time.Time { return now }),
		WithAuth(
			customjwt.Provider{Issuer: testIssuer + "/", ApplicationID: "app", JWKS: js.URL},
			customjwt.Provider{Issuer: "es.example.com", Algorithm: "ES256", JWKS: jwksJSON(ecJWK("e1", &ecKey.PublicKey))},
		),
	)
	t.Cleanup(srv.Close)
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": testIssuer, "sub": "user1", "aud": "app", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(f func(c jwt.MapClaims)) jwt.MapClaims {
		c := base()
		f(c)
		return c
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&rsaKey1.PublicKey))})

	tests := []struct {
		name    string
		token   string
		reason  customjwt.Reason // empty: accepted
		message string           // part of the message, when checked
		wantID  string           // tokenIdentifier of an accepted token
	}{
		{name: "valid", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, base()), wantID: testIssuer + "|user1"},
		{name: "aud as an array", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["aud"] = []string{"other", "app"} })), wantID: testIssuer + "|user1"},
		{name: "issuer with trailing slash", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["iss"] = testIssuer + "/" })), wantID: testIssuer + "/|user1"},
		{name: "issuer without scheme", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["iss"] = "issuer.example.com" })), wantID: "issuer.example.com|user1"},
		{name: "ES256 provider", token: sign(t, jwt.SigningMethodES256, "e1", ecKey, jwt.MapClaims{"iss": "https://es.example.com", "sub": "u", "exp": now.Add(time.Hour).Unix()}), wantID: "https://es.example.com|u"},
		{name: "expired within the leeway", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-3 * time.Second).Unix() })), wantID: testIssuer + "|user1"},
		{name: "not a JWT", token: "nope", reason: customjwt.ReasonMalformed, message: "Could not parse JWT payload."},
		{name: "missing iss", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { delete(c, "iss") })), reason: customjwt.ReasonMissingClaim, message: "Missing issuer claim ('iss')"},
		{name: "unknown issuer", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com" })), reason: customjwt.ReasonNoAuthProvider,
			message: "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [CustomJWT(issuer=https://issuer.example.com, app_id=app), CustomJWT(issuer=https://es.example.com, app_id=none)]"},
		{name: "wrong audience", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["aud"] = "other" })), reason: customjwt.ReasonInvalidAudience},
		{name: "no audience", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { delete(c, "aud") })), reason: customjwt.ReasonInvalidAudience},
		{name: "expired", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), reason: customjwt.ReasonExpired, message: "Could not validate token: "},
		{name: "not yet valid", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), reason: customjwt.ReasonNotYetValid, message: "Could not validate token: "},
		// The backend checks iat as biscuit's validate_iat does: at most 5 s
		// ahead (crates/authentication/src/lib.rs, ValidationOptions::default).
		{name: "issued an hour ahead", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })), reason: customjwt.ReasonNotYetValid, message: "Could not validate token: "},
		{name: "missing sub", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { delete(c, "sub") })), reason: customjwt.ReasonMissingClaim, message: "Could not verify token claim."},
		{name: "missing exp", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, with(func(c jwt.MapClaims) { delete(c, "exp") })), reason: customjwt.ReasonMissingClaim},
		{name: "unknown kid", token: sign(t, jwt.SigningMethodRS256, "k9", rsaKey1, base()), reason: customjwt.ReasonUnknownKeyID, message: "Could not decode token. The JWT's 'kid' (key ID) header is 'k9'"},
		{name: "no kid", token: sign(t, jwt.SigningMethodRS256, "", rsaKey1, base()), reason: customjwt.ReasonUnknownKeyID, message: "Could not decode token. JWT may be missing a 'kid'"},
		{name: "signed by another key", token: sign(t, jwt.SigningMethodRS256, "k1", rsaKey2, base()), reason: customjwt.ReasonInvalidSignature, message: "Could not decode token."},
		{name: "HS256 with the public key as secret", token: sign(t, jwt.SigningMethodHS256, "k1", pubPEM, base()), reason: customjwt.ReasonBadAlgorithm},
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, "k1", jwt.UnsafeAllowNoneSignatureType, base()), reason: customjwt.ReasonBadAlgorithm},
		{name: "RS256 token for the ES256 provider", token: sign(t, jwt.SigningMethodRS256, "e1", rsaKey1, jwt.MapClaims{"iss": "https://es.example.com", "sub": "u", "exp": now.Add(time.Hour).Unix()}), reason: customjwt.ReasonBadAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := srv.VerifyToken(context.Background(), tt.token)
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantID, id.TokenIdentifier)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.reason)
			var ae *AuthError
			require.True(t, errors.As(err, &ae))
			wantCode := "InvalidAuthHeader"
			if tt.reason == customjwt.ReasonNoAuthProvider || tt.reason == customjwt.ReasonInvalidAudience {
				wantCode = "NoAuthProvider"
			}
			assert.Equal(t, wantCode, ae.Code)
			if tt.message != "" {
				assert.Contains(t, ae.Message, tt.message)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The deployment reads key sets through customjwt (its caching and refetch
// rules are tested there); here, what a deployment answers.
func TestJWKSFetching(t *testing.T) {
	testKeys(t)
	js := newJWKSServer(t, jwksJSON(rsaJWK("k1", &rsaKey1.PublicKey)))
	srv := NewServer(WithAuth(customjwt.Provider{Issuer: testIssuer, JWKS: js.URL}))
	t.Cleanup(srv.Close)
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": testIssuer, "sub": "u", "exp": time.Now().Add(time.Hour).Unix()}
	}
	ctx := context.Background()

	_, err := srv.VerifyToken(ctx, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, claims()))
	require.NoError(t, err)
	_, err = srv.VerifyToken(ctx, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, claims()))
	require.NoError(t, err)
	assert.Equal(t, int32(1), js.requests.Load(), "the key set is cached")

	// A wrong content type or body is reported as the real server does.
	for body, ct := range map[string]string{`{"keys":[]}`: "text/html", `not json`: "application/json"} {
		js := newJWKSServer(t, body)
		js.set(body, ct)
		srv := NewServer(WithAuth(customjwt.Provider{Issuer: testIssuer, JWKS: js.URL}))
		t.Cleanup(srv.Close)
		_, err = srv.VerifyToken(ctx, sign(t, jwt.SigningMethodRS256, "k4", rsaKey2, claims()))
		assert.ErrorIs(t, err, customjwt.ReasonJWKSUnavailable)
		if ct == "text/html" {
			assert.Contains(t, err.Error(), "Invalid Content-Type 'text/html' when fetching JWKS from")
		} else {
			assert.Contains(t, err.Error(), "Invalid JWKS response body from")
		}
	}
}

func TestJWKSInlineAndDataURL(t *testing.T) {
	testKeys(t)
	set := jwksJSON(rsaJWK("k1", &rsaKey1.PublicKey))
	for name, spec := range map[string]string{
		"inline":     set,
		"data URL":   "data:application/json;base64," + base64.StdEncoding.EncodeToString([]byte(set)),
		"plain data": "data:application/json," + set,
	} {
		t.Run(name, func(t *testing.T) {
			srv := NewServer(WithAuth(customjwt.Provider{Issuer: testIssuer, JWKS: spec}))
			t.Cleanup(srv.Close)
			id, err := srv.VerifyToken(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, jwt.MapClaims{"iss": testIssuer, "sub": "u", "exp": time.Now().Add(time.Hour).Unix()}))
			require.NoError(t, err)
			assert.Equal(t, "u", id.Subject)
		})
	}
}

func TestIdentityFromClaims(t *testing.T) {
	id := identityFromClaims(map[string]any{
		"iss": "https://i", "sub": "s", "aud": "a", "exp": float64(2000000000), "iat": float64(1), "nbf": float64(1), "jti": "j", "fva": []any{1.0},
		"name": "Ada", "given_name": "Ada", "email": "ada@example.com", "email_verified": true,
		"org": map[string]any{"id": "o1", "role": map[string]any{"name": "admin"}}, "n": 3.0,
	})
	assert.Equal(t, "https://i|s", id.TokenIdentifier)
	assert.Equal(t, "Ada", id.Name)
	assert.Equal(t, "Ada", id.GivenName)
	assert.True(t, id.EmailVerified)
	assert.Equal(t, time.Unix(2000000000, 0), id.Expiration)
	assert.Equal(t, map[string]any{
		"name": "Ada", "given_name": "Ada", "email": "ada@example.com", "email_verified": true,
		"org.id": "o1", "org.role.name": "admin", "n": 3.0,
	}, id.Claims, "custom claims as the real server has them: unregistered, flattened, fva dropped")
	m := id.Map()
	assert.Equal(t, "https://i|s", m["tokenIdentifier"])
	assert.Equal(t, "s", m["subject"])
	assert.Equal(t, "https://i", m["issuer"])
	assert.Equal(t, true, m["emailVerified"])
	assert.Equal(t, "o1", m["org.id"])

	_, err := identityFromAttributes([]byte(`{"name":"x"}`))
	assert.Error(t, err)
	id, err = identityFromAttributes([]byte(`{"issuer":"https://i","subject":"s","email":"e@x","custom":1}`))
	require.NoError(t, err)
	assert.Equal(t, "https://i|s", id.TokenIdentifier)
	assert.Equal(t, "e@x", id.Email)
	assert.Equal(t, map[string]any{"custom": 1.0}, id.Claims)
}

// viewerServer has a users:viewer query returning the identity.
func viewerServer(t *testing.T, opts ...Option) *Server {
	srv := newMessagesServer(t, opts...)
	srv.Query("users:viewer", func(ctx *QueryCtx, args map[string]any) (any, error) {
		id := ctx.Identity()
		if id == nil {
			return nil, nil
		}
		return map[string]any{"subject": id.Subject, "tokenIdentifier": id.TokenIdentifier}, nil
	})
	return srv
}

func TestAuthenticateOverSocket(t *testing.T) {
	testKeys(t)
	srv := viewerServer(t, WithAuth(customjwt.Provider{Issuer: testIssuer, ApplicationID: "app", JWKS: jwksJSON(rsaJWK("k1", &rsaKey1.PublicKey))}))
	token := func(sub string) string {
		return sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, jwt.MapClaims{"iss": testIssuer, "aud": "app", "sub": sub, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	}
	c := dial(t, srv)
	c.connect("s1")
	tr := c.subscribe(0, "users:viewer", `{}`)
	assert.Equal(t, "null", string(tr.Modifications[0].Value))

	c.send(&protocol.Authenticate{BaseVersion: 0, TokenType: protocol.TokenUser, Value: token("alice")})
	tr = c.nextTransition()
	assert.Equal(t, uint32(1), tr.EndVersion.Identity, "identity = baseVersion + 1")
	assert.JSONEq(t, `{"subject":"alice","tokenIdentifier":"https://issuer.example.com|alice"}`, string(tr.Modifications[0].Value))

	// A refreshed token for the same user: identity bumps, the result is
	// unchanged, so the transition is empty.
	c.send(&protocol.Authenticate{BaseVersion: 1, TokenType: protocol.TokenUser, Value: token("alice")})
	tr = c.nextTransition()
	assert.Equal(t, uint32(2), tr.EndVersion.Identity)
	assert.Empty(t, tr.Modifications)

	c.send(&protocol.Authenticate{BaseVersion: 2, TokenType: protocol.TokenNone})
	tr = c.nextTransition()
	assert.Equal(t, uint32(3), tr.EndVersion.Identity)
	assert.Equal(t, "null", string(tr.Modifications[0].Value))

	// A rejected token: AuthError with the last transitioned identity
	// version, then a close without status code.
	c.send(&protocol.Authenticate{BaseVersion: 3, TokenType: protocol.TokenUser, Value: "garbage"})
	ae, ok := c.next().(*protocol.AuthError)
	require.True(t, ok)
	assert.True(t, ae.AuthUpdateAttempted)
	require.NotNil(t, ae.BaseVersion)
	assert.Equal(t, uint32(3), *ae.BaseVersion)
	assert.Contains(t, ae.Error, "Could not parse JWT payload")
	assert.Equal(t, websocket.StatusNoStatusRcvd, c.expectClose())
}

func TestAuthErrorBeforeFirstTransition(t *testing.T) {
	srv := viewerServer(t)
	c := dial(t, srv)
	c.connect("s")
	testKeys(t)
	c.send(&protocol.Authenticate{BaseVersion: 0, TokenType: protocol.TokenUser, Value: sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, jwt.MapClaims{"iss": testIssuer, "sub": "u"})})
	ae, ok := c.next().(*protocol.AuthError)
	require.True(t, ok)
	assert.Equal(t, uint32(0), *ae.BaseVersion)
	assert.Equal(t, "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.", ae.Error)
	assert.Equal(t, websocket.StatusNoStatusRcvd, c.expectClose())
}

func TestTokenExpiresDuringSession(t *testing.T) {
	testKeys(t)
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	srv := viewerServer(t, withClock(clock), WithAuth(customjwt.Provider{Issuer: testIssuer, JWKS: jwksJSON(rsaJWK("k1", &rsaKey1.PublicKey))}))
	tok := sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, jwt.MapClaims{"iss": testIssuer, "sub": "u", "exp": clock().Add(time.Minute).Unix()})

	tests := []struct {
		name    string
		trigger func(c, other *wsClient)
	}{
		{"on a mutation", func(c, _ *wsClient) {
			c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
		}},
		{"on an action", func(c, _ *wsClient) { c.send(&protocol.Action{RequestID: 0, UDFPath: "a:none"}) }},
		{"when a commit invalidates a query", func(_, other *wsClient) {
			other.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offset.Store(0)
			c, other := dial(t, srv), dial(t, srv)
			c.send(&protocol.Authenticate{BaseVersion: 0, TokenType: protocol.TokenUser, Value: tok})
			c.nextTransition()
			c.subscribe(0, "messages:list", `{}`)
			offset.Store(int64(2 * time.Minute))
			tt.trigger(c, other)
			ae, ok := c.next().(*protocol.AuthError)
			require.True(t, ok)
			assert.False(t, ae.AuthUpdateAttempted)
			assert.Equal(t, "Convex token identity expired", ae.Error)
			assert.Equal(t, uint32(1), *ae.BaseVersion)
			assert.Equal(t, websocket.StatusNoStatusRcvd, c.expectClose())
		})
	}
}

func TestAdminAuth(t *testing.T) {
	srv := viewerServer(t, WithAdminKey("dev:test|secret"))
	c := dial(t, srv)
	c.subscribe(0, "users:viewer", `{}`)
	c.send(&protocol.Authenticate{BaseVersion: 0, TokenType: protocol.TokenAdmin, Value: "dev:test|secret",
		Impersonating: json.RawMessage(`{"tokenIdentifier":"https://i|bob","subject":"bob","issuer":"https://i"}`)})
	tr := c.nextTransition()
	assert.JSONEq(t, `{"subject":"bob","tokenIdentifier":"https://i|bob"}`, string(tr.Modifications[0].Value))
	c.send(&protocol.Authenticate{BaseVersion: 1, TokenType: protocol.TokenAdmin, Value: "dev:test|secret"})
	tr = c.nextTransition()
	assert.Equal(t, "null", string(tr.Modifications[0].Value), "an admin not acting as anyone has no user identity")

	c.send(&protocol.Authenticate{BaseVersion: 2, TokenType: protocol.TokenAdmin, Value: "wrong"})
	ae, ok := c.next().(*protocol.AuthError)
	require.True(t, ok)
	assert.True(t, ae.AuthUpdateAttempted)
	assert.Equal(t, websocket.StatusNoStatusRcvd, c.expectClose())
}
