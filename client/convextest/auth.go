package convextest

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/goconvex/convex/client/internal/protocol"
)

// AuthProvider is a custom JWT provider, the Go form of an entry in a
// deployment's convex/auth.config.ts:
//
//	{ type: "customJwt", issuer, jwks, algorithm, applicationID }
//
// OIDC providers ({domain, applicationID}, keys found by discovery) are not
// supported; configure them as custom JWT providers with their JWKS URL.
type AuthProvider struct {
	// Issuer must equal the token's iss claim. "https://" is prepended when
	// it has no scheme, and a trailing "/" is ignored on both sides, as the
	// real server does.
	Issuer string
	// ApplicationID, when set, must be one of the token's audiences (aud,
	// a string or an array). When empty, aud is not checked.
	ApplicationID string
	// Algorithm is "RS256" (the default) or "ES256". Tokens signed with any
	// other algorithm are rejected, "none" and HS* included.
	Algorithm string
	// JWKS locates the public keys: an http(s) URL (fetched with
	// Accept: application/json, cached, fetched again when a token names an
	// unknown key id, at most once every 2 s), a data: URL, or the JWK set
	// JSON itself.
	JWKS string
}

// AuthReason says why a token or key was rejected. An *AuthError matches
// its reason with errors.Is: errors.Is(err, convextest.TokenExpired).
type AuthReason string

// Reasons for rejecting a token or key.
const (
	// MalformedToken: the token is not a JWT with a JSON payload.
	MalformedToken AuthReason = "MalformedToken"
	// MissingClaim: iss, sub, exp, or aud (when the provider has an
	// ApplicationID) is missing.
	MissingClaim AuthReason = "MissingClaim"
	// NoAuthProvider: no provider matches the token's iss and aud.
	NoAuthProvider AuthReason = "NoAuthProvider"
	// InvalidIssuer: iss does not match the provider after verification.
	InvalidIssuer AuthReason = "InvalidIssuer"
	// InvalidAudience: aud does not hold the provider's ApplicationID.
	InvalidAudience AuthReason = "InvalidAudience"
	// TokenExpired: exp has passed (beyond the 5 s leeway when the token
	// is presented; with no leeway once a session runs with it).
	TokenExpired AuthReason = "TokenExpired"
	// TokenNotYetValid: nbf is in the future (beyond the 5 s leeway).
	TokenNotYetValid AuthReason = "TokenNotYetValid"
	// InvalidSignature: the signature does not verify with the key, or the
	// token's algorithm is not the provider's.
	InvalidSignature AuthReason = "InvalidSignature"
	// UnknownKeyID: the token has no kid, or the provider's key set has no
	// key with its kid.
	UnknownKeyID AuthReason = "UnknownKeyID"
	// JWKSUnavailable: the key set could not be fetched or parsed.
	JWKSUnavailable AuthReason = "JWKSUnavailable"
	// InvalidAdminKey: the admin key is wrong, or no admin key is
	// configured.
	InvalidAdminKey AuthReason = "InvalidAdminKey"
	// InvalidIdentity: an admin's acting-as identity is malformed.
	InvalidIdentity AuthReason = "InvalidIdentity"
	// InvalidAuthHeader: an HTTP Authorization header has an unknown scheme.
	InvalidAuthHeader AuthReason = "InvalidAuthHeader"
)

// Error makes an AuthReason usable as an errors.Is target.
func (r AuthReason) Error() string { return string(r) }

// AuthError is a rejected token or admin key. Message is the text clients
// receive, worded like the real server's.
type AuthError struct {
	Reason  AuthReason
	Message string
	// Err is the underlying cause, if any.
	Err error
}

func (e *AuthError) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *AuthError) Unwrap() error { return e.Err }

// Is matches the error's reason.
func (e *AuthError) Is(target error) bool {
	r, ok := target.(AuthReason)
	return ok && r == e.Reason
}

// code is the short error code of HTTP error bodies.
func (e *AuthError) code() string {
	switch e.Reason {
	case NoAuthProvider:
		return "NoAuthProvider"
	case InvalidAdminKey:
		return "BadAdminKey"
	default:
		return "InvalidAuthHeader"
	}
}

func authErr(reason AuthReason, msg string) *AuthError {
	return &AuthError{Reason: reason, Message: msg}
}

// jwtLeeway is the clock skew the real server allows on exp and nbf when a
// token is presented.
const jwtLeeway = 5 * time.Second

type provider struct {
	AuthProvider
	issuer string // normalized, without trailing slash
	jwks   *jwksSource
}

// normalizeIssuer prepends https:// to a scheme-less issuer and drops
// trailing slashes.
func normalizeIssuer(iss string) string {
	if !strings.HasPrefix(iss, "https://") && !strings.HasPrefix(iss, "http://") {
		iss = "https://" + iss
	}
	return strings.TrimRight(iss, "/")
}

func newProvider(p AuthProvider, client *http.Client) *provider {
	if p.Algorithm == "" {
		p.Algorithm = "RS256"
	}
	if p.Algorithm != "RS256" && p.Algorithm != "ES256" {
		panic(fmt.Sprintf("convextest: auth provider %q: algorithm must be RS256 or ES256, not %q", p.Issuer, p.Algorithm))
	}
	if p.Issuer == "" || p.JWKS == "" {
		panic("convextest: an auth provider needs an Issuer and a JWKS")
	}
	return &provider{AuthProvider: p, issuer: normalizeIssuer(p.Issuer), jwks: newJWKSSource(p.JWKS, client)}
}

func (p *provider) matches(iss string, aud []string) bool {
	if p.ApplicationID != "" && !contains(aud, p.ApplicationID) {
		return false
	}
	return normalizeIssuer(iss) == p.issuer
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// audiences reads an aud claim: a string or an array of strings.
func audiences(v any) ([]string, bool) {
	switch v := v.(type) {
	case nil:
		return nil, false
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out, true
	}
	return nil, false
}

// VerifyToken validates a user JWT the way the deployment validates the
// token of an Authenticate message or an Authorization: Bearer header, and
// returns the identity functions would see. A rejection is an *AuthError.
func (s *Server) VerifyToken(ctx context.Context, token string) (*Identity, error) {
	return s.verifyJWT(ctx, token)
}

func (s *Server) verifyJWT(ctx context.Context, token string) (*Identity, error) {
	claims, err := unverifiedClaims(token)
	if err != nil {
		return nil, authErr(MalformedToken, "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.")
	}
	iss, _ := claims["iss"].(string)
	if iss == "" {
		return nil, authErr(MissingClaim, "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that matches one of your configured auth providers.")
	}
	aud, _ := audiences(claims["aud"])
	var p *provider
	for _, cand := range s.providers {
		if cand.matches(iss, aud) {
			p = cand
			break
		}
	}
	if p == nil {
		return nil, authErr(NoAuthProvider, s.noProviderMessage())
	}

	// Verify the signature with the provider's algorithm only.
	var kid string
	parser := jwt.NewParser(jwt.WithValidMethods([]string{p.Algorithm}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	var keyErr error
	parsed, err := parser.Parse(token, func(t *jwt.Token) (any, error) {
		kid, _ = t.Header["kid"].(string)
		if kid == "" {
			keyErr = authErr(UnknownKeyID, "Could not decode token. JWT may be missing a 'kid' (key ID) header.")
			return nil, keyErr
		}
		key, err := p.jwks.key(ctx, kid)
		if err != nil {
			if errors.Is(err, errUnknownKID) {
				keyErr = authErr(UnknownKeyID, fmt.Sprintf("Could not decode token. The JWT's 'kid' (key ID) header is '%s', does this key match any key in the provider's JWKS?", kid))
			} else {
				keyErr = err
			}
			return nil, keyErr
		}
		switch key.(type) {
		case *rsa.PublicKey:
			if p.Algorithm != "RS256" {
				keyErr = authErr(InvalidSignature, fmt.Sprintf("Could not decode token. The JWT's 'kid' (key ID) header is '%s', does this key match any key in the provider's JWKS?", kid))
				return nil, keyErr
			}
		case *ecdsa.PublicKey:
			if p.Algorithm != "ES256" {
				keyErr = authErr(InvalidSignature, fmt.Sprintf("Could not decode token. The JWT's 'kid' (key ID) header is '%s', does this key match any key in the provider's JWKS?", kid))
				return nil, keyErr
			}
		}
		return key, nil
	})
	if err != nil || !parsed.Valid {
		if keyErr != nil {
			return nil, keyErr
		}
		msg := "Could not decode token. JWT may be missing a 'kid' (key ID) header."
		if kid != "" {
			msg = fmt.Sprintf("Could not decode token. The JWT's 'kid' (key ID) header is '%s', does this key match any key in the provider's JWKS?", kid)
		}
		return nil, &AuthError{Reason: InvalidSignature, Message: msg, Err: err}
	}
	claims, err = normalizeClaims(parsed.Claims.(jwt.MapClaims))
	if err != nil {
		return nil, &AuthError{Reason: MalformedToken, Message: "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.", Err: err}
	}

	// Re-check issuer and audience on the verified claims.
	iss, _ = claims["iss"].(string)
	if normalizeIssuer(iss) != p.issuer {
		return nil, authErr(InvalidIssuer, fmt.Sprintf("Invalid issuer: %s != %s", iss, p.Issuer))
	}
	if p.ApplicationID != "" {
		aud, ok := audiences(claims["aud"])
		if !ok {
			return nil, authErr(MissingClaim, "Missing audience claim ('aud') in JWT payload. The JWT must include an 'aud' claim that matches your configured application ID.")
		}
		if !contains(aud, p.ApplicationID) {
			quoted := make([]string, len(aud))
			for i, a := range aud {
				quoted[i] = strconv.Quote(a)
			}
			return nil, authErr(InvalidAudience, fmt.Sprintf("Invalid audience: %s not in [%s]", p.ApplicationID, strings.Join(quoted, ", ")))
		}
	}

	// Time validation with the real server's 5 s leeway.
	now := s.now()
	if exp, ok := numericClaim(claims["exp"]); ok && now.Add(-jwtLeeway).After(unixTime(exp)) {
		return nil, authErr(TokenExpired, "Could not validate token: Token expired")
	}
	if nbf, ok := numericClaim(claims["nbf"]); ok && now.Add(jwtLeeway).Before(unixTime(nbf)) {
		return nil, authErr(TokenNotYetValid, "Could not validate token: Token not yet valid")
	}
	const badClaims = "Could not verify token claim. Check that the JWT contains valid claims and matches your auth provider configuration."
	if sub, _ := claims["sub"].(string); sub == "" {
		return nil, &AuthError{Reason: MissingClaim, Message: badClaims, Err: errors.New("Missing subject")}
	}
	if _, ok := numericClaim(claims["exp"]); !ok {
		return nil, &AuthError{Reason: MissingClaim, Message: badClaims, Err: errors.New("Missing expiry")}
	}
	return identityFromClaims(claims), nil
}

func (s *Server) noProviderMessage() string {
	if len(s.providers) == 0 {
		return "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts."
	}
	list := make([]string, len(s.providers))
	for i, p := range s.providers {
		app := p.ApplicationID
		if app == "" {
			app = "none"
		}
		list[i] = fmt.Sprintf("CustomJWT(issuer=%s, app_id=%s)", normalizeIssuer(p.Issuer), app)
	}
	return "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [" + strings.Join(list, ", ") + "]"
}

// unverifiedClaims decodes a JWT's payload without verifying anything.
func unverifiedClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not three parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	if claims == nil {
		return nil, errors.New("payload is not an object")
	}
	return claims, nil
}

// normalizeClaims turns json.Numbers into float64s.
func normalizeClaims(mc jwt.MapClaims) (map[string]any, error) {
	out, err := normalizeJSON(map[string]any(mc))
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

func normalizeJSON(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		return v.Float64()
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			n, err := normalizeJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			n, err := normalizeJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	return v, nil
}

func numericClaim(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func unixTime(sec float64) time.Time {
	return time.Unix(0, int64(sec*1e9))
}

// adminIdentity checks an admin key and, when actingAs is given, builds the
// identity the admin acts as. Admin without acting-as runs with no user
// identity. The key matches the configured one with or without its
// deployment-type prefix ("prod:", "dev:", …), as the backend's key check
// ignores it (crates/keybroker/src/broker.rs).
func (s *Server) adminIdentity(key string, actingAs []byte) (*Identity, error) {
	want := removeTypePrefix(s.opts.adminKey)
	if s.opts.adminKey == "" || subtle.ConstantTimeCompare([]byte(removeTypePrefix(key)), []byte(want)) != 1 {
		return nil, authErr(InvalidAdminKey, "The provided admin key was invalid for this instance")
	}
	if len(actingAs) == 0 {
		return nil, nil
	}
	id, err := identityFromAttributes(actingAs)
	if err != nil {
		return nil, &AuthError{Reason: InvalidIdentity, Message: err.Error(), Err: err}
	}
	return id, nil
}

// removeTypePrefix strips an admin key's deployment-type prefix, as the
// backend does before reading an acting-as identity after the key
// (crates/common/src/types/admin_key.rs): "prod:name|secret" is
// "name|secret"; "preview:…|secret" and "project:…|secret" are "secret".
func removeTypePrefix(key string) string {
	instance, secret, ok := strings.Cut(key, "|")
	if !ok {
		return key
	}
	typ, name, ok := strings.Cut(instance, ":")
	if !ok {
		return key
	}
	if strings.EqualFold(typ, "preview") || strings.EqualFold(typ, "project") {
		return secret
	}
	return name + "|" + secret
}

// httpToken is the credential of an HTTP API request.
type httpToken struct {
	admin    bool
	value    string // the JWT, or the admin key
	actingAs []byte // an admin's acting-as identity (JSON), or nil
}

// httpToken reads a request's credential as the backend does
// (crates/local_backend/src/authentication.rs, crates/authentication):
// "Authorization: Bearer <jwt>", "Convex <admin key>" optionally followed
// by ":<base64 JSON identity>" to act as a user, or an adminKey query
// parameter. A malformed header is a 400, before the body is read.
func httpTokenOf(r *http.Request) (*httpToken, *apiError) {
	values, present := r.Header["Authorization"]
	if !present {
		if key := r.URL.Query().Get("adminKey"); key != "" {
			return &httpToken{admin: true, value: key}, nil
		}
		return nil, nil
	}
	h := ""
	if len(values) > 0 {
		h = values[0]
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			return nil, &apiError{http.StatusBadRequest, "HeaderParseFailure", fmt.Sprintf("Failed to parse header %q", h)}
		}
	}
	if len(h) < 7 {
		return nil, &apiError{http.StatusBadRequest, "InvalidHeaderFailure", "Invalid authentication header"}
	}
	if strings.EqualFold(h[:7], "convex ") {
		key := removeTypePrefix(h[7:])
		admin, b64, acting := strings.Cut(key, ":")
		if !acting {
			return &httpToken{admin: true, value: key}, nil
		}
		malformed := &apiError{http.StatusBadRequest, "HeaderParseFailure", "Malformed Authorization header."}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if raw, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
				return nil, malformed
			}
		}
		if protocol.CheckIdentityAttributes(raw) != nil {
			return nil, malformed
		}
		return &httpToken{admin: true, value: admin, actingAs: raw}, nil
	}
	if len(h) <= 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil, &apiError{http.StatusBadRequest, "InvalidAdminKey", "Invalid admin key"}
	}
	return &httpToken{value: strings.TrimSpace(h[7:])}, nil
}

// authenticate checks a request's credential; a rejection is an *AuthError.
func (s *Server) authenticate(ctx context.Context, tok *httpToken) (*Identity, error) {
	switch {
	case tok == nil:
		return nil, nil
	case tok.admin:
		return s.adminIdentity(tok.value, tok.actingAs)
	default:
		return s.verifyJWT(ctx, tok.value)
	}
}
