package customjwt

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cases below follow the backend at get-convex/convex-backend
// 94a42c3d: crates/authentication/src/lib.rs (validate_id_token: routing,
// key set, decode_with_jwks, iss and aud again, ValidationOptions with a
// 5 s epsilon), crates/common/src/auth.rs (AuthInfo::matches_token),
// crates/keybroker/src/broker.rs (UserIdentity::from_custom_jwt), and the
// biscuit fork it pins (get-convex/biscuit 05bdaab: RegisteredClaims,
// validate_exp, validate_nbf, validate_iat, numeric_type).
func TestVerifyFollowsTheBackend(t *testing.T) {
	c := newTestClock()
	now := c.Now()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := testVerifier(c, workosProviders(srv))
	k1 := rsaKey1()
	rs := func(cl jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, "k1", k1, cl) }
	base := baseClaims(now)
	legacy := with(base, "iss", legacyIss, "aud", "client_test")

	pubDER, err := x509.MarshalPKIXPublicKey(&k1.PublicKey)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	noneTok := sign(t, jwt.SigningMethodNone, "k1", jwt.UnsafeAllowNoneSignatureType, base)
	tampered := func() string {
		parts := strings.Split(rs(base), ".")
		p, _ := json.Marshal(with(base, "sub", "user_admin"))
		return parts[0] + "." + b64(p) + "." + parts[2]
	}()
	sec := now.Unix()

	for _, tc := range []struct {
		name     string
		token    string
		want     Reason // "" = accepted
		provider string // issuer of the provider that decided, when one did
	}{
		// Routing (matches_token): aud first when the provider has an
		// applicationID, then iss with https:// added when the token's
		// iss starts with neither https:// nor http://, trailing slashes
		// ignored on both sides.
		{"per-client issuer", rs(base), "", perClientIss},
		{"legacy issuer with aud", rs(legacy), "", legacyIss},
		{"legacy issuer without trailing slash", rs(with(legacy, "iss", "https://api.workos.com")), "", legacyIss},
		{"legacy aud as array", rs(with(legacy, "aud", []string{"other", "client_test"})), "", legacyIss},
		{"per-client issuer with trailing slashes", rs(with(base, "iss", perClientIss+"//")), "", perClientIss},
		{"schemeless iss", rs(with(base, "iss", "api.workos.com/user_management/client_test")), "", perClientIss},
		{"wrong issuer", rs(with(base, "iss", "https://evil.example.com")), ReasonNoAuthProvider, ""},
		{"another client's issuer", rs(with(base, "iss", "https://api.workos.com/user_management/client_other")), ReasonNoAuthProvider, ""},
		{"http instead of https", rs(with(base, "iss", "http://api.workos.com/user_management/client_test")), ReasonNoAuthProvider, ""},
		{"upper-case scheme is not a scheme to the token side", rs(with(base, "iss", "HTTPS://api.workos.com/user_management/client_test")), ReasonNoAuthProvider, ""},
		{"empty iss", rs(with(base, "iss", "")), ReasonNoAuthProvider, ""},
		{"legacy issuer, wrong aud", rs(with(legacy, "aud", "client_other")), ReasonInvalidAudience, legacyIss},
		{"legacy issuer, no aud", rs(with(legacy, "aud", nil)), ReasonInvalidAudience, legacyIss},
		{"missing iss", rs(with(base, "iss", nil)), ReasonMissingClaim, ""},

		// The payload as biscuit's RegisteredClaims reads it, before
		// routing: a claim of the wrong type fails the whole token.
		{"not a JWT", "hello", ReasonMalformed, ""},
		{"payload not JSON", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.sig", ReasonMalformed, ""},
		{"exp not a number", rs(with(base, "exp", "tomorrow")), ReasonMalformed, ""},
		{"negative exp", rs(with(base, "exp", -1)), ReasonMalformed, ""},
		{"aud not a string", rs(with(legacy, "aud", 7)), ReasonMalformed, ""},
		{"aud holding a number", rs(with(legacy, "aud", []any{"client_test", 7})), ReasonMalformed, ""},
		{"sub not a string", rs(with(base, "sub", 7)), ReasonMalformed, ""},
		{"iss not a string", rs(with(base, "iss", true)), ReasonMalformed, ""},

		// decode_with_jwks: a kid the set has, the key's alg (RS256 here)
		// equal to the token's and the provider's, then the signature.
		{"no kid", sign(t, jwt.SigningMethodRS256, "", k1, base), ReasonUnknownKeyID, perClientIss},
		{"alg none", noneTok, ReasonBadAlgorithm, perClientIss},
		{"HS256 keyed with the RSA public key (PEM)", sign(t, jwt.SigningMethodHS256, "k1", pubPEM, base), ReasonBadAlgorithm, perClientIss},
		{"HS256 keyed with the RSA modulus", sign(t, jwt.SigningMethodHS256, "k1", k1.N.Bytes(), base), ReasonBadAlgorithm, perClientIss},
		{"RS384", sign(t, jwt.SigningMethodRS384, "k1", k1, base), ReasonBadAlgorithm, perClientIss},
		{"ES256 for an RS256 provider", sign(t, jwt.SigningMethodES256, "k1", ecKey1(), base), ReasonBadAlgorithm, perClientIss},
		{"tampered payload", tampered, ReasonInvalidSignature, perClientIss},
		{"signed by another key under kid k1", sign(t, jwt.SigningMethodRS256, "k1", rsaEvil(), base), ReasonInvalidSignature, perClientIss},

		// ValidationOptions::default() with epsilon 5 s, now in whole
		// seconds: expired when now − exp > 5, not yet valid when
		// nbf − now > 5 or iat − now > 5 (validate_iat's max age is
		// Duration::max_value(), so an old iat is fine).
		{"exp 5 s ago", rs(with(base, "exp", sec-5)), "", perClientIss},
		{"exp 6 s ago", rs(with(base, "exp", sec-6)), ReasonExpired, perClientIss},
		{"exp 5.4 s ago rounds to 5", rs(with(base, "exp", float64(sec)-5.4)), "", perClientIss},
		{"exp 5.6 s ago rounds to 6", rs(with(base, "exp", float64(sec)-5.6)), ReasonExpired, perClientIss},
		{"nbf 5 s ahead", rs(with(base, "nbf", sec+5)), "", perClientIss},
		{"nbf 6 s ahead", rs(with(base, "nbf", sec+6)), ReasonNotYetValid, perClientIss},
		{"iat 5 s ahead", rs(with(base, "iat", sec+5)), "", perClientIss},
		{"iat 6 s ahead", rs(with(base, "iat", sec+6)), ReasonNotYetValid, perClientIss},
		{"iat an hour ahead", rs(with(base, "iat", sec+3600)), ReasonNotYetValid, perClientIss},
		{"iat a year ago", rs(with(base, "iat", sec-365*24*3600)), "", perClientIss},
		{"no iat, no nbf", rs(with(base, "iat", nil)), "", perClientIss},

		// from_custom_jwt: sub and exp present (an empty sub is present).
		{"missing sub", rs(with(base, "sub", nil)), ReasonMissingClaim, perClientIss},
		{"missing exp", rs(with(base, "exp", nil)), ReasonMissingClaim, perClientIss},
		{"empty sub", rs(with(base, "sub", "")), "", perClientIss},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := verify(v, c, tc.token)
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.provider, claims.Provider.Issuer)
				return
			}
			require.Error(t, err)
			assert.Nil(t, claims)
			var ve *Error
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Reason, "%v", err)
			assert.ErrorIs(t, err, tc.want)
			assert.NotEmpty(t, ve.Message)
			if tc.provider == "" {
				assert.Nil(t, ve.Provider)
			} else if assert.NotNil(t, ve.Provider) {
				assert.Equal(t, tc.provider, ve.Provider.Issuer)
			}
		})
	}
	assert.Equal(t, int32(1), srv.fetches.Load(), "the key set was fetched once")
}

// The messages and codes a deployment answers with
// (crates/authentication/src/lib.rs): NoAuthProvider for tokens no
// provider takes, InvalidAuthHeader for the rest.
func TestErrorMessagesAndCodes(t *testing.T) {
	c := newTestClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := testVerifier(c, workosProviders(srv))
	base := baseClaims(c.Now())
	for _, tc := range []struct {
		token         string
		code, message string
	}{
		{sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(base, "iss", "https://evil.example.com")), "NoAuthProvider",
			"No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [CustomJWT(issuer=https://api.workos.com, app_id=client_test), CustomJWT(issuer=https://api.workos.com/user_management/client_test, app_id=none)]"},
		{sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(base, "iss", legacyIss)), "NoAuthProvider", "No auth provider found matching the given token."},
		{"x", "InvalidAuthHeader", msgBadPayload},
		{sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(base, "iss", nil)), "InvalidAuthHeader", msgNoIssuer},
		{sign(t, jwt.SigningMethodRS256, "k9", rsaKey1(), base), "InvalidAuthHeader", "Could not decode token. The JWT's 'kid' (key ID) header is 'k9', does this key match any key in the provider's JWKS?"},
		{sign(t, jwt.SigningMethodRS256, "", rsaKey1(), base), "InvalidAuthHeader", msgNoKid},
		{sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(base, "exp", c.Now().Add(-time.Minute).Unix())), "InvalidAuthHeader", msgExpired},
		{sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(base, "sub", nil)), "InvalidAuthHeader", msgBadClaims},
	} {
		_, err := verify(v, c, tc.token)
		var ve *Error
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, tc.code, ve.Code(), "%v", err)
		assert.Contains(t, ve.Message, tc.message)
	}
	_, err := testVerifier(c, nil).VerifyAt(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), base), c.Now())
	var ve *Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.", ve.Message)
}

func TestVerifiedClaims(t *testing.T) {
	c := newTestClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := testVerifier(c, workosProviders(srv))
	tok := sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(baseClaims(c.Now()), "iss", perClientIss+"/", "org_id", "org_1", "nbf", c.Now().Unix()))
	cl, err := verify(v, c, tok)
	require.NoError(t, err)
	assert.Equal(t, perClientIss+"/|user_1", cl.TokenIdentifier, "the token's own iss")
	assert.Equal(t, "j1", cl.ID)
	assert.True(t, c.Now().Add(5*time.Minute).Equal(cl.Expiry))
	assert.True(t, c.Now().Equal(cl.IssuedAt))
	assert.True(t, c.Now().Equal(cl.NotBefore))
	assert.Equal(t, "org_1", cl.Raw["org_id"])
	assert.Equal(t, json.Number("1788264000"), cl.Raw["iat"])
}

func TestUnknownKidRefetchIsRateLimited(t *testing.T) {
	c := newTestClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := testVerifier(c, workosProviders(srv))
	_, err := verify(v, c, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
	require.NoError(t, err)
	require.Equal(t, int32(1), srv.fetches.Load())

	c.Advance(31 * time.Second)
	unknown := sign(t, jwt.SigningMethodRS256, "k9", rsaKey2(), baseClaims(c.Now()))
	_, err = verify(v, c, unknown)
	require.ErrorIs(t, err, ReasonUnknownKeyID)
	assert.Equal(t, int32(2), srv.fetches.Load(), "one refetch for the unknown kid")

	for range 5 {
		_, err = verify(v, c, unknown)
		require.ErrorIs(t, err, ReasonUnknownKeyID)
	}
	assert.Equal(t, int32(2), srv.fetches.Load(), "no more than one refetch per 30 s")

	c.Advance(30 * time.Second)
	_, err = verify(v, c, unknown)
	require.ErrorIs(t, err, ReasonUnknownKeyID)
	assert.Equal(t, int32(3), srv.fetches.Load())
}

func TestKeyRotation(t *testing.T) {
	c := newTestClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := testVerifier(c, workosProviders(srv))
	_, err := verify(v, c, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
	require.NoError(t, err)

	// The issuer rotates to k2 (k1 still listed for a while).
	srv.setKeys(rsaJWK("k2", &rsaKey2().PublicKey), rsaJWK("k1", &rsaKey1().PublicKey))
	c.Advance(45 * time.Second)
	cl, err := verify(v, c, sign(t, jwt.SigningMethodRS256, "k2", rsaKey2(), baseClaims(c.Now())))
	require.NoError(t, err)
	assert.Equal(t, "user_1", cl.Subject)
	assert.Equal(t, int32(2), srv.fetches.Load())

	// k1 retired: after the cache's maximum age its tokens stop verifying.
	srv.setKeys(rsaJWK("k2", &rsaKey2().PublicKey))
	c.Advance(time.Hour)
	_, err = verify(v, c, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
	require.ErrorIs(t, err, ReasonUnknownKeyID)
}

// fetch_jwks: GET with Accept: application/json, HTTP 200, media type
// application/json or application/jwk-set+json, charset utf-8 or none.
func TestJWKSUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		message     string
	}{
		{"500", 500, "application/json", "HTTP 500 Internal Server Error. Check that the URL is correct and accessible."},
		{"html", 200, "text/html", "Invalid Content-Type 'text/html' when fetching JWKS from"},
		{"latin1", 200, "application/json; charset=iso-8859-1", "Invalid Content-Type 'application/json; charset=iso-8859-1'"},
		{"no type", 200, "", "Invalid Content-Type 'unknown'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClock()
			srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
			srv.setAnswer(tc.status, tc.contentType)
			v := testVerifier(c, workosProviders(srv))
			_, err := verify(v, c, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
			require.ErrorIs(t, err, ReasonJWKSUnavailable)
			var ve *Error
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, ve.Message, tc.message)

			// Fixed: tried again after a short pause.
			srv.setAnswer(200, "application/json")
			c.Advance(5 * time.Second)
			_, err = verify(v, c, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(c.Now())))
			require.NoError(t, err)
		})
	}
}

func TestDataURLAndES256(t *testing.T) {
	c := newTestClock()
	set, _ := json.Marshal(map[string]any{"keys": []any{rsaJWK("k1", &rsaKey1().PublicKey), ecJWK("e1", &ecKey1().PublicKey)}})
	for _, jwks := range []string{
		"data:application/json;base64," + base64.StdEncoding.EncodeToString(set),
		"data:application/json;charset=utf-8," + url.PathEscape(string(set)),
	} {
		v := testVerifier(c, []Provider{
			{Issuer: "https://auth.example.com", JWKS: jwks},
			{Type: TypeCustomJWT, Issuer: "es.example.com", JWKS: jwks, Algorithm: ES256, ApplicationID: "app"},
		})
		_, err := verify(v, c, sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(baseClaims(c.Now()), "iss", "https://auth.example.com/")))
		require.NoError(t, err)
		cl, err := verify(v, c, sign(t, jwt.SigningMethodES256, "e1", ecKey1(), with(baseClaims(c.Now()), "iss", "https://es.example.com", "aud", "app")))
		require.NoError(t, err)
		assert.Equal(t, "es.example.com", cl.Provider.Issuer)
		// An RSA key named by an ES256 token.
		_, err = verify(v, c, sign(t, jwt.SigningMethodES256, "k1", ecKey1(), with(baseClaims(c.Now()), "iss", "https://es.example.com", "aud", "app")))
		require.ErrorIs(t, err, ReasonBadAlgorithm)
	}
	_, err := testVerifier(c, []Provider{{Issuer: "https://a.example.com", JWKS: "data:application/json;base64,%%%"}}).
		VerifyAt(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(baseClaims(c.Now()), "iss", "https://a.example.com")), c.Now())
	var ve *Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, ReasonJWKSUnavailable, ve.Reason)
	assert.Contains(t, ve.Message, "Invalid JWKS data URL.")
}

func TestVerifyProvider(t *testing.T) {
	c := newTestClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := testVerifier(c, nil)
	ps := workosProviders(srv)
	tok := sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), baseClaims(time.Now()))

	_, err := v.VerifyProvider(context.Background(), tok, ps[0])
	require.ErrorIs(t, err, ReasonInvalidIssuer)
	var ve *Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, ps[0], *ve.Provider)
	_, err = v.VerifyProvider(context.Background(), tok, ps[1])
	require.NoError(t, err)
	_, err = v.VerifyProvider(context.Background(), sign(t, jwt.SigningMethodRS256, "k1", rsaKey1(), with(baseClaims(time.Now()), "iss", legacyIss)), ps[0])
	require.ErrorIs(t, err, ReasonInvalidAudience)
	_, err = v.VerifyProvider(context.Background(), tok, Provider{Type: "oidc", Issuer: perClientIss, JWKS: ps[1].JWKS})
	require.ErrorIs(t, err, ReasonUnsupportedProvider)
}

// crates/common/src/auth.rs: a provider's issuer gets https:// unless it
// starts with a scheme (^\w+://) and must then be http(s); a token's iss
// gets https:// unless it starts with https:// or http://; trailing
// slashes are ignored on both sides.
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
		{"http://localhost:3211", "http://localhost:3211/", true},
		{"https://api.workos.com/user_management/client_a", "https://api.workos.com/user_management/client_b", false},
		{"https://auth.example.com", "https://auth.example.com//", true},
		{"https://auth.example.com", "HTTPS://auth.example.com", false},
		{"HTTPS://auth.example.com", "HTTPS://auth.example.com", false},
	} {
		assert.Equal(t, tc.match, Provider{Issuer: tc.provider}.matchesIssuer(tc.token), "%q vs %q", tc.provider, tc.token)
	}
}

func TestProviderCheck(t *testing.T) {
	ok := Provider{Issuer: "auth.example.com", JWKS: "https://auth.example.com/jwks"}
	require.NoError(t, ok.Check())
	for _, p := range []Provider{
		{Type: "oidc", Issuer: "https://a.example.com", JWKS: "x"},
		{Issuer: "https://a.example.com", JWKS: "x", Algorithm: "HS256"},
		{Issuer: "", JWKS: "x"},
		{Issuer: "https://a.example.com"},
		{Issuer: "ftp://a.example.com", JWKS: "x"},
		{Issuer: `"https://a.example.com"`, JWKS: "x"},
	} {
		assert.Error(t, p.Check(), "%+v", p)
	}
}

func TestAuthConfigTS(t *testing.T) {
	ts := AuthConfigTS([]Provider{
		{Issuer: "https://api.workos.com/", JWKS: "https://api.workos.com/sso/jwks/client_01ABC", ApplicationID: "client_01ABC"},
		{Issuer: "https://api.workos.com/user_management/client_01ABC", JWKS: "https://api.workos.com/sso/jwks/client_01ABC", Algorithm: ES256},
	})
	assert.Contains(t, ts, `import type { AuthConfig } from "convex/server";`)
	assert.Contains(t, ts, `      type: "customJwt",`)
	assert.Contains(t, ts, `      algorithm: "RS256",`)
	assert.Contains(t, ts, `      algorithm: "ES256",`)
	assert.Contains(t, ts, `      applicationID: "client_01ABC",`)
	assert.Equal(t, 1, strings.Count(ts, "applicationID"))
	assert.True(t, strings.HasSuffix(ts, "} satisfies AuthConfig;\n"))
	assert.Contains(t, AuthConfigTS([]Provider{{Issuer: `a"b`}}), `issuer: "a\"b",`)
}
