package authkit

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
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	rsaKey1 = sync.OnceValue(func() *rsa.PrivateKey { return genRSA() })
	rsaKey2 = sync.OnceValue(func() *rsa.PrivateKey { return genRSA() })
	rsaEvil = sync.OnceValue(func() *rsa.PrivateKey { return genRSA() })
	ecKey1  = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func genRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]any {
	b, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return map[string]any{"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(b[1:33]), "y": b64(b[33:])}
}

// jwksServer serves a replaceable key set and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu          sync.Mutex
	keys        []map[string]any
	status      int
	contentType string
	fetches     atomic.Int32
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	s := &jwksServer{keys: keys, status: 200, contentType: "application/jwk-set+json; charset=utf-8"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		if r.URL.Path != "/sso/jwks/client_test" || r.Header.Get("Accept") != "application/json" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", s.contentType)
		w.WriteHeader(s.status)
		json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...map[string]any) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

const perClientIss = "https://api.workos.com/user_management/client_test"

func sign(t testing.TB, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func baseClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": perClientIss, "sub": "user_1", "sid": "session_1", "jti": "j1",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func newTestVerifier(t *testing.T, c *fakeClock, srv *jwksServer) *Verifier {
	return NewVerifier(ConvexProviders("client_test"), WithVerifierClock(c.Now),
		WithJWKSBaseURL(srv.URL), WithJWKSClient(srv.Client()))
}

func TestVerifierAttacksAndAcceptance(t *testing.T) {
	c := newFakeClock(true)
	now := c.Now()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := newTestVerifier(t, c, srv)
	k1 := rsaKey1()
	rs := func(cl jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, "k1", k1, cl) }
	base := baseClaims(now)
	legacy := with(base, "iss", "https://api.workos.com/", "aud", "client_test")

	pubDER, err := x509.MarshalPKIXPublicKey(&k1.PublicKey)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	noneTok := sign(t, jwt.SigningMethodNone, "k1", jwt.UnsafeAllowNoneSignatureType, base)
	tampered := func() string {
		parts := strings.Split(rs(base), ".")
		p, _ := json.Marshal(with(base, "sub", "user_admin"))
		return parts[0] + "." + b64(p) + "." + parts[2]
	}()

	for _, tc := range []struct {
		name     string
		token    string
		want     VerifyReason // "" = accepted
		provider string       // issuer of the provider that decided, when one did
	}{
		{"per-client issuer", rs(base), "", perClientIss},
		{"legacy issuer with aud", rs(legacy), "", "https://api.workos.com/"},
		{"legacy issuer without trailing slash", rs(with(legacy, "iss", "https://api.workos.com")), "", "https://api.workos.com/"},
		{"legacy aud as array", rs(with(legacy, "aud", []string{"other", "client_test"})), "", "https://api.workos.com/"},
		{"per-client issuer with trailing slash", rs(with(base, "iss", perClientIss+"/")), "", perClientIss},
		{"schemeless issuer", rs(with(base, "iss", "api.workos.com/user_management/client_test")), "", perClientIss},
		{"expired within the 5 s leeway", rs(with(base, "exp", now.Add(-4*time.Second).Unix())), "", perClientIss},
		{"nbf within the leeway", rs(with(base, "nbf", now.Add(4*time.Second).Unix())), "", perClientIss},

		{"alg none", noneTok, ReasonBadAlgorithm, perClientIss},
		{"HS256 keyed with the RSA public key (PEM)", sign(t, jwt.SigningMethodHS256, "k1", pubPEM, base), ReasonBadAlgorithm, perClientIss},
		{"HS256 keyed with the RSA modulus", sign(t, jwt.SigningMethodHS256, "k1", k1.N.Bytes(), base), ReasonBadAlgorithm, perClientIss},
		{"RS384", sign(t, jwt.SigningMethodRS384, "k1", k1, base), ReasonBadAlgorithm, perClientIss},
		{"ES256 for an RS256 provider", sign(t, jwt.SigningMethodES256, "k1", ecKey1(), base), ReasonBadAlgorithm, perClientIss},
		{"wrong issuer", rs(with(base, "iss", "https://evil.example.com")), ReasonNoAuthProvider, ""},
		{"another client's issuer", rs(with(base, "iss", "https://api.workos.com/user_management/client_other")), ReasonNoAuthProvider, ""},
		{"http instead of https", rs(with(base, "iss", "http://api.workos.com/user_management/client_test")), ReasonNoAuthProvider, ""},
		{"legacy issuer, wrong aud", rs(with(legacy, "aud", "client_other")), ReasonInvalidAudience, "https://api.workos.com/"},
		{"legacy issuer, no aud", rs(with(legacy, "aud", nil)), ReasonInvalidAudience, "https://api.workos.com/"},
		{"expired beyond the leeway", rs(with(base, "exp", now.Add(-6*time.Second).Unix())), ReasonExpired, perClientIss},
		{"not yet valid", rs(with(base, "nbf", now.Add(10*time.Second).Unix())), ReasonNotYetValid, perClientIss},
		{"issued in the future", rs(with(base, "iat", now.Add(time.Minute).Unix())), ReasonNotYetValid, perClientIss},
		{"missing sub", rs(with(base, "sub", nil)), ReasonMissingClaim, perClientIss},
		{"missing exp", rs(with(base, "exp", nil)), ReasonMissingClaim, perClientIss},
		{"missing iss", rs(with(base, "iss", nil)), ReasonMissingClaim, ""},
		{"no kid", sign(t, jwt.SigningMethodRS256, "", k1, base), ReasonUnknownKeyID, perClientIss},
		{"tampered payload", tampered, ReasonInvalidSignature, perClientIss},
		{"signed by another key under kid k1", sign(t, jwt.SigningMethodRS256, "k1", rsaEvil(), base), ReasonInvalidSignature, perClientIss},
		{"exp not a number", rs(with(base, "exp", "tomorrow")), ReasonMalformed, perClientIss},
		{"aud not a string", rs(with(legacy, "aud", 7)), ReasonMalformed, ""},
		{"not a JWT", "hello", ReasonMalformed, ""},
		{"payload not JSON", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.sig", ReasonMalformed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := v.Verify(context.Background(), tc.token)
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "user_1", claims.Subject)
				assert.Equal(t, tc.provider, claims.Provider.Issuer)
				return
			}
			require.Error(t, err)
			assert.Nil(t, claims)
			var ve *VerifyError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Reason, "%v", err)
			assert.ErrorIs(t, err, tc.want)
			if tc.provider == "" {
				assert.Nil(t, ve.Provider)
			} else if assert.NotNil(t, ve.Provider) {
				assert.Equal(t, tc.provider, ve.Provider.Issuer)
			}
		})
	}
	assert.Equal(t, int32(1), srv.fetches.Load(), "the key set was fetched once")
}

func TestVerifierClaims(t *testing.T) {
	c := newFakeClock(true)
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := newTestVerifier(t, c, srv)
	tok := sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(baseClaims(c.Now()),
		"org_id", "org_1", "role", "admin", "roles", []string{"admin"}, "permissions", []string{"posts:read"}))
	cl, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, perClientIss+"|user_1", cl.TokenIdentifier)
	assert.Equal(t, "session_1", cl.SessionID)
	assert.Equal(t, "org_1", cl.OrganizationID)
	assert.Equal(t, "admin", cl.Role)
	assert.Equal(t, []string{"admin"}, cl.Roles)
	assert.Equal(t, []string{"posts:read"}, cl.Permissions)
	assert.Equal(t, "j1", cl.ID)
	assert.Equal(t, c.Now().Add(5*time.Minute), cl.Expiry)
	assert.Equal(t, c.Now(), cl.IssuedAt)
	assert.Equal(t, json.Number("1788264000"), cl.Raw["iat"])
}

func TestVerifierUnknownKidRefetchIsRateLimited(t *testing.T) {
	c := newFakeClock(true)
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := newTestVerifier(t, c, srv)
	ctx := context.Background()
	_, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
	require.NoError(t, err)
	require.Equal(t, int32(1), srv.fetches.Load())

	c.Advance(31 * time.Second)
	unknown := sign(t, jwt.SigningMethodRS256, "k9", rsaKey2(), baseClaims(c.Now()))
	_, err = v.Verify(ctx, unknown)
	require.ErrorIs(t, err, ReasonUnknownKeyID)
	assert.Equal(t, int32(2), srv.fetches.Load(), "one refetch for the unknown kid")

	for range 5 {
		_, err = v.Verify(ctx, unknown)
		require.ErrorIs(t, err, ReasonUnknownKeyID)
	}
	assert.Equal(t, int32(2), srv.fetches.Load(), "no more than one refetch per 30 s")

	c.Advance(30 * time.Second)
	_, err = v.Verify(ctx, unknown)
	require.ErrorIs(t, err, ReasonUnknownKeyID)
	assert.Equal(t, int32(3), srv.fetches.Load())
}

func TestVerifierKeyRotation(t *testing.T) {
	c := newFakeClock(true)
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := newTestVerifier(t, c, srv)
	ctx := context.Background()
	_, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
	require.NoError(t, err)

	// The issuer rotates to k2 (k1 still listed for a while).
	srv.setKeys(rsaJWK("k2", &rsaKey2().PublicKey), rsaJWK("k1", &rsaKey1().PublicKey))
	c.Advance(45 * time.Second)
	cl, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "k2", rsaKey2(), baseClaims(c.Now())))
	require.NoError(t, err)
	assert.Equal(t, "user_1", cl.Subject)
	assert.Equal(t, int32(2), srv.fetches.Load())

	// k1 retired: after the cache's maximum age its tokens stop verifying.
	srv.setKeys(rsaJWK("k2", &rsaKey2().PublicKey))
	c.Advance(time.Hour)
	_, err = v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
	require.ErrorIs(t, err, ReasonUnknownKeyID)
}

func TestVerifierJWKSUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
	}{
		{"500", 500, "application/json"},
		{"html", 200, "text/html"},
		{"latin1", 200, "application/json; charset=iso-8859-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeClock(true)
			srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
			srv.status, srv.contentType = tc.status, tc.contentType
			v := newTestVerifier(t, c, srv)
			_, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
			require.ErrorIs(t, err, ReasonJWKSUnavailable)

			// Fixed: tried again after a short pause.
			srv.mu.Lock()
			srv.status, srv.contentType = 200, "application/json"
			srv.mu.Unlock()
			c.Advance(5 * time.Second)
			_, err = v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
			require.NoError(t, err)
		})
	}
}

func TestVerifierDataURLAndES256(t *testing.T) {
	c := newFakeClock(true)
	set, _ := json.Marshal(map[string]any{"keys": []any{rsaJWK("k1", &rsaKey1().PublicKey), ecJWK("e1", &ecKey1().PublicKey)}})
	for _, jwks := range []string{
		"data:application/json;base64," + base64.StdEncoding.EncodeToString(set),
		"data:application/json;charset=utf-8," + url.PathEscape(string(set)),
	} {
		v := NewVerifier([]ConvexProvider{
			{Type: "customJwt", Issuer: "https://auth.example.com", JWKS: jwks, Algorithm: "RS256"},
			{Type: "customJwt", Issuer: "https://es.example.com", JWKS: jwks, Algorithm: "ES256", ApplicationID: "app"},
		}, WithVerifierClock(c.Now))
		ctx := context.Background()
		_, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(baseClaims(c.Now()), "iss", "https://auth.example.com/")))
		require.NoError(t, err)
		cl, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, "e1", ecKey1(), with(baseClaims(c.Now()), "iss", "https://es.example.com", "aud", "app")))
		require.NoError(t, err)
		assert.Equal(t, "https://es.example.com", cl.Provider.Issuer)
		// An RSA key named by an ES256 token.
		_, err = v.Verify(ctx, sign(t, jwt.SigningMethodES256, "k1", ecKey1(), with(baseClaims(c.Now()), "iss", "https://es.example.com", "aud", "app")))
		require.ErrorIs(t, err, ReasonBadAlgorithm)
	}
}

func TestVerifyProvider(t *testing.T) {
	c := newFakeClock(true)
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := newTestVerifier(t, c, srv)
	ps := ConvexProviders("client_test")
	tok := sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now()))

	_, err := v.VerifyProvider(context.Background(), tok, ps[0])
	require.ErrorIs(t, err, ReasonInvalidIssuer)
	var ve *VerifyError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, ps[0], *ve.Provider)
	_, err = v.VerifyProvider(context.Background(), tok, ps[1])
	require.NoError(t, err)
	_, err = v.VerifyProvider(context.Background(), tok, ConvexProvider{Type: "oidc", Issuer: perClientIss})
	require.ErrorIs(t, err, ReasonUnsupportedProvider)
}

func TestConvexProvidersAndAuthConfig(t *testing.T) {
	ps := ConvexProviders("client_01ABC")
	assert.Equal(t, []ConvexProvider{
		{Type: "customJwt", Issuer: "https://api.workos.com/", JWKS: "https://api.workos.com/sso/jwks/client_01ABC", Algorithm: "RS256", ApplicationID: "client_01ABC"},
		{Type: "customJwt", Issuer: "https://api.workos.com/user_management/client_01ABC", JWKS: "https://api.workos.com/sso/jwks/client_01ABC", Algorithm: "RS256"},
	}, ps)
	ts := AuthConfigTS(ps)
	assert.Contains(t, ts, `import type { AuthConfig } from "convex/server";`)
	assert.Contains(t, ts, `      applicationID: "client_01ABC",`)
	assert.Equal(t, 1, strings.Count(ts, "applicationID"))
	assert.True(t, strings.HasSuffix(ts, "} satisfies AuthConfig;\n"))
	assert.Contains(t, AuthConfigTS([]ConvexProvider{{Issuer: `a"b`}}), `issuer: "a\"b",`)
}

func TestIssuerNormalization(t *testing.T) {
	for _, tc := range []struct {
		provider, token string
		match           bool
	}{
		{"https://api.workos.com/", "https://api.workos.com", true},
		{"https://api.workos.com", "https://api.workos.com/", true},
		{"api.workos.com", "https://api.workos.com", true},
		{"https://api.workos.com", "api.workos.com/", true},
		{"https://api.workos.com", "http://api.workos.com", false},
		{"https://api.workos.com/user_management/client_a", "https://api.workos.com/user_management/client_b", false},
		{"https://auth.example.com", "https://auth.example.com//", true},
	} {
		assert.Equal(t, tc.match, issuerMatches(tc.provider, tc.token), "%q vs %q", tc.provider, tc.token)
	}
}
