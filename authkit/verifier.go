//go:build !js

package authkit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The Verifier is the only user of jwt/v5 (signature code) in this
// package; keep it in its own files so it can move behind a build tag or
// into a package of its own without touching Session or Provider.

// VerifyReason names why a token was rejected. It is an error, so
// errors.Is(err, ReasonExpired) works on a *VerifyError.
type VerifyReason string

// Error returns the reason's name.
func (r VerifyReason) Error() string { return string(r) }

// Reasons a Verifier rejects a token. Convex itself reports NoAuthProvider
// both when no issuer matches and when the only issuer that matches wants
// an audience the token lacks; the Verifier says InvalidAudience for the
// latter, which is the thing to fix.
const (
	// ReasonMalformed: not a compact JWS with JSON header and payload, or
	// a claim of the wrong type.
	ReasonMalformed VerifyReason = "Malformed"
	// ReasonNoAuthProvider: no provider's issuer matches the token's iss.
	ReasonNoAuthProvider VerifyReason = "NoAuthProvider"
	// ReasonInvalidIssuer: iss is not the issuer of the provider the token
	// was checked against (VerifyProvider).
	ReasonInvalidIssuer VerifyReason = "InvalidIssuer"
	// ReasonInvalidAudience: the provider has an applicationID and the
	// token's aud does not contain it (WorkOS tokens carry no aud unless a
	// JWT template adds one).
	ReasonInvalidAudience VerifyReason = "InvalidAudience"
	// ReasonExpired: exp is in the past, beyond the leeway.
	ReasonExpired VerifyReason = "Expired"
	// ReasonNotYetValid: nbf, or iat, is in the future, beyond the leeway.
	ReasonNotYetValid VerifyReason = "NotYetValid"
	// ReasonUnknownKeyID: the token has no kid, or the key set has no key
	// with it even after a refetch.
	ReasonUnknownKeyID VerifyReason = "UnknownKeyID"
	// ReasonInvalidSignature: the signature does not verify with the key.
	ReasonInvalidSignature VerifyReason = "InvalidSignature"
	// ReasonBadAlgorithm: the token's alg is not the provider's ("none",
	// HS256 — the RSA-public-key-as-HMAC-secret attack —, RS384, …), or
	// the key is not for that algorithm.
	ReasonBadAlgorithm VerifyReason = "BadAlgorithm"
	// ReasonMissingClaim: iss, sub or exp is missing.
	ReasonMissingClaim VerifyReason = "MissingClaim"
	// ReasonJWKSUnavailable: the key set could not be fetched or read.
	ReasonJWKSUnavailable VerifyReason = "JWKSUnavailable"
	// ReasonUnsupportedProvider: the provider is not a customJwt provider
	// with algorithm RS256 or ES256.
	ReasonUnsupportedProvider VerifyReason = "UnsupportedProvider"
)

// VerifyError is a rejected token. Use errors.As to get it, or errors.Is
// with a VerifyReason.
type VerifyError struct {
	// Reason says what is wrong.
	Reason VerifyReason
	// Provider is the provider the token was checked against, nil when
	// none applied.
	Provider *ConvexProvider
	// Err gives details.
	Err error
}

// Error formats the reason, the provider's issuer and the details.
func (e *VerifyError) Error() string {
	s := "authkit: token rejected: " + string(e.Reason)
	if e.Provider != nil {
		s += " (provider " + e.Provider.Issuer + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the details.
func (e *VerifyError) Unwrap() error { return e.Err }

// Is matches the error's Reason.
func (e *VerifyError) Is(target error) bool {
	r, ok := target.(VerifyReason)
	return ok && r == e.Reason
}

// Claims are the claims of a verified token.
type Claims struct {
	Issuer         string    // iss, as in the token
	Subject        string    // sub: the WorkOS user id
	Audience       []string  // aud, empty when absent
	Expiry         time.Time // exp
	IssuedAt       time.Time // zero without iat
	NotBefore      time.Time // zero without nbf
	ID             string    // jti
	SessionID      string    // sid
	OrganizationID string    // org_id
	Role           string    // role (with an organization)
	Roles          []string  // roles
	Permissions    []string  // permissions
	// Raw holds every claim, numbers as json.Number.
	Raw map[string]any
	// Provider is the provider that accepted the token.
	Provider ConvexProvider
	// TokenIdentifier is what Convex's ctx.auth.getUserIdentity() reports
	// as tokenIdentifier: "<iss as in the token>|<sub>".
	TokenIdentifier string
}

// Verifier checks tokens the way a Convex deployment with the given
// auth.config providers does (convex-protocol §10.6): it routes the token
// to the first provider whose issuer matches iss (https:// assumed when
// schemeless, trailing "/" ignored) and whose applicationID, if any, is in
// aud; verifies the signature with the provider's algorithm (RS256 or
// ES256 only: "none", HS256 and any other algorithm are rejected) and the
// key named by kid in the provider's key set; and checks exp, nbf and iat
// with a 5 s leeway and that sub, iss and exp are present.
//
// Key sets are fetched over HTTP (or decoded from data: URLs) and cached;
// a token naming an unknown kid triggers a refetch, at most once per
// refetch interval (30 s) per URL. A Verifier is safe for concurrent use.
type Verifier struct {
	providers  []ConvexProvider
	hc         *http.Client
	now        func() time.Time
	leeway     time.Duration
	minRefetch time.Duration
	maxAge     time.Duration
	jwksBase   string

	cacheMu sync.Mutex
	cache   map[string]*jwksEntry
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier)

// WithJWKSClient sets the HTTP client that fetches key sets (one with a
// 10 s timeout by default).
func WithJWKSClient(hc *http.Client) VerifierOption {
	return func(v *Verifier) { v.hc = hc }
}

// WithVerifierClock sets the clock used for exp, nbf, iat and the cache
// (time.Now by default).
func WithVerifierClock(now func() time.Time) VerifierOption {
	return func(v *Verifier) { v.now = now }
}

// WithJWKSRefetchInterval sets the shortest time between two fetches of a
// key set caused by unknown key ids (30 s by default).
func WithJWKSRefetchInterval(d time.Duration) VerifierOption {
	return func(v *Verifier) { v.minRefetch = d }
}

// WithJWKSMaxAge sets how long a fetched key set is used before it is
// fetched again (1 h by default), so that removed keys stop verifying.
func WithJWKSMaxAge(d time.Duration) VerifierOption {
	return func(v *Verifier) { v.maxAge = d }
}

// WithJWKSBaseURL fetches key sets whose URL starts with
// https://api.workos.com from base instead (a local issuer such as
// authkittest), leaving the providers, and so the issuers, unchanged.
func WithJWKSBaseURL(base string) VerifierOption {
	return func(v *Verifier) { v.jwksBase = base }
}

// convexLeeway is the clock skew Convex allows on exp, nbf and iat.
const convexLeeway = 5 * time.Second

// NewVerifier returns a Verifier for providers (as in auth.config.ts;
// ConvexProviders gives WorkOS's two).
func NewVerifier(providers []ConvexProvider, opts ...VerifierOption) *Verifier {
	v := &Verifier{
		providers:  slices.Clone(providers),
		hc:         &http.Client{Timeout: 10 * time.Second},
		now:        time.Now,
		leeway:     convexLeeway,
		minRefetch: 30 * time.Second,
		maxAge:     time.Hour,
		cache:      map[string]*jwksEntry{},
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// parsedJWT is a token split and decoded, not yet verified.
type parsedJWT struct {
	raw     string
	header  map[string]any
	claims  map[string]any
	issuer  string
	aud     []string
	hasIss  bool
	headAlg string
	kid     string
}

func parseJWT(token string) (*parsedJWT, error) {
	h, p, _, err := jwtSegments(token)
	if err != nil {
		return nil, err
	}
	hb, err := decodeSegment(h, "header")
	if err != nil {
		return nil, err
	}
	pb, err := decodeSegment(p, "payload")
	if err != nil {
		return nil, err
	}
	t := &parsedJWT{raw: token}
	if err := decodeObject(hb, &t.header); err != nil {
		return nil, malformed("header is not a JSON object")
	}
	if err := decodeObject(pb, &t.claims); err != nil {
		return nil, malformed("payload is not a JSON object")
	}
	t.headAlg, _ = t.header["alg"].(string)
	t.kid, _ = t.header["kid"].(string)
	t.issuer, t.hasIss = t.claims["iss"].(string)
	switch a := t.claims["aud"].(type) {
	case nil:
	case string:
		t.aud = []string{a}
	case []any:
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return nil, malformed("aud holds a non-string")
			}
			t.aud = append(t.aud, s)
		}
	default:
		return nil, malformed("aud is not a string or an array")
	}
	return t, nil
}

func decodeObject(b []byte, into *map[string]any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if *into == nil {
		return errors.New("null")
	}
	return nil
}

// audOK reports whether the token is for the provider's application.
func audOK(p *ConvexProvider, t *parsedJWT) bool {
	return p.ApplicationID == "" || slices.Contains(t.aud, p.ApplicationID)
}

// Verify checks token against the Verifier's providers and returns its
// claims, or a *VerifyError.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	t, err := parseJWT(token)
	if err != nil {
		return nil, &VerifyError{Reason: ReasonMalformed, Err: err}
	}
	if !t.hasIss || t.issuer == "" {
		return nil, &VerifyError{Reason: ReasonMissingClaim, Err: errors.New("the token has no iss")}
	}
	var issuerMatch *ConvexProvider
	for i := range v.providers {
		p := &v.providers[i]
		if !issuerMatches(p.Issuer, t.issuer) {
			continue
		}
		if audOK(p, t) {
			return v.check(ctx, t, p)
		}
		if issuerMatch == nil {
			issuerMatch = p
		}
	}
	if issuerMatch != nil {
		p := *issuerMatch
		return nil, &VerifyError{Reason: ReasonInvalidAudience, Provider: &p, Err: audErr(&p, t)}
	}
	issuers := make([]string, len(v.providers))
	for i, p := range v.providers {
		issuers[i] = p.Issuer
	}
	return nil, &VerifyError{Reason: ReasonNoAuthProvider,
		Err: fmt.Errorf("no provider for issuer %q (configured: %s)", t.issuer, strings.Join(issuers, ", "))}
}

// VerifyProvider checks token against one provider, as if it were the
// only one configured, with a reason for the first thing that fails:
// what a "doctor" command shows for each provider.
func (v *Verifier) VerifyProvider(ctx context.Context, token string, p ConvexProvider) (*Claims, error) {
	t, err := parseJWT(token)
	if err != nil {
		return nil, &VerifyError{Reason: ReasonMalformed, Provider: &p, Err: err}
	}
	if !t.hasIss || t.issuer == "" {
		return nil, &VerifyError{Reason: ReasonMissingClaim, Provider: &p, Err: errors.New("the token has no iss")}
	}
	if !issuerMatches(p.Issuer, t.issuer) {
		return nil, &VerifyError{Reason: ReasonInvalidIssuer, Provider: &p,
			Err: fmt.Errorf("iss %q is not %q", t.issuer, p.Issuer)}
	}
	if !audOK(&p, t) {
		return nil, &VerifyError{Reason: ReasonInvalidAudience, Provider: &p, Err: audErr(&p, t)}
	}
	return v.check(ctx, t, &p)
}

func audErr(p *ConvexProvider, t *parsedJWT) error {
	if len(t.aud) == 0 {
		return fmt.Errorf("the token has no aud; the provider requires %q (add it with a JWT template, or use the per-client issuer)", p.ApplicationID)
	}
	return fmt.Errorf("aud %q does not contain %q", t.aud, p.ApplicationID)
}

// check verifies the signature and the claims against one provider.
func (v *Verifier) check(ctx context.Context, t *parsedJWT, prov *ConvexProvider) (*Claims, error) {
	p := *prov
	fail := func(r VerifyReason, err error) (*Claims, error) {
		return nil, &VerifyError{Reason: r, Provider: &p, Err: err}
	}
	if p.Type != "" && p.Type != convexCustomJWT {
		return fail(ReasonUnsupportedProvider, fmt.Errorf("provider type %q is not %q", p.Type, convexCustomJWT))
	}
	alg := p.Algorithm
	if alg == "" {
		alg = defaultConvexAlgorithm
	}
	if alg != "RS256" && alg != "ES256" {
		return fail(ReasonUnsupportedProvider, fmt.Errorf("algorithm %q is not RS256 or ES256", alg))
	}
	if t.headAlg != alg {
		return fail(ReasonBadAlgorithm, fmt.Errorf("the token is signed with %q, the provider requires %q", t.headAlg, alg))
	}
	if t.kid == "" {
		return fail(ReasonUnknownKeyID, errors.New("the token header has no kid"))
	}
	k, err := v.key(ctx, p.JWKS, t.kid)
	if errors.Is(err, errKeyNotFound) {
		return fail(ReasonUnknownKeyID, fmt.Errorf("kid %q: %w", t.kid, err))
	}
	if err != nil {
		return fail(ReasonJWKSUnavailable, err)
	}
	if k.alg != "" && k.alg != alg {
		return fail(ReasonBadAlgorithm, fmt.Errorf("key %q is for %q, not %q", t.kid, k.alg, alg))
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		if alg != "RS256" {
			return fail(ReasonBadAlgorithm, fmt.Errorf("key %q is an RSA key, not for %q", t.kid, alg))
		}
	case *ecdsa.PublicKey:
		if alg != "ES256" {
			return fail(ReasonBadAlgorithm, fmt.Errorf("key %q is an EC key, not for %q", t.kid, alg))
		}
	default:
		return fail(ReasonBadAlgorithm, fmt.Errorf("key %q has an unsupported type %T", t.kid, key))
	}

	parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	if _, err := parser.Parse(t.raw, func(*jwt.Token) (any, error) { return k.key, nil }); err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenMalformed):
			return fail(ReasonMalformed, err)
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return fail(ReasonInvalidSignature, err)
		default:
			return fail(ReasonInvalidSignature, err)
		}
	}

	c := &Claims{Issuer: t.issuer, Audience: t.aud, Raw: t.claims, Provider: p}
	now := v.now()
	expN, present := t.claims["exp"]
	if !present {
		return fail(ReasonMissingClaim, errors.New("the token has no exp"))
	}
	var ok bool
	if c.Expiry, ok = claimTime(expN); !ok {
		return fail(ReasonMalformed, errors.New("exp is not a number"))
	}
	if now.After(c.Expiry.Add(v.leeway)) {
		return fail(ReasonExpired, fmt.Errorf("expired at %s, %s ago", c.Expiry.Format(time.RFC3339), now.Sub(c.Expiry).Round(time.Second)))
	}
	if n, present := t.claims["nbf"]; present {
		if c.NotBefore, ok = claimTime(n); !ok {
			return fail(ReasonMalformed, errors.New("nbf is not a number"))
		}
		if now.Before(c.NotBefore.Add(-v.leeway)) {
			return fail(ReasonNotYetValid, fmt.Errorf("not valid before %s", c.NotBefore.Format(time.RFC3339)))
		}
	}
	if n, present := t.claims["iat"]; present {
		if c.IssuedAt, ok = claimTime(n); !ok {
			return fail(ReasonMalformed, errors.New("iat is not a number"))
		}
		if now.Before(c.IssuedAt.Add(-v.leeway)) {
			return fail(ReasonNotYetValid, fmt.Errorf("issued in the future, at %s", c.IssuedAt.Format(time.RFC3339)))
		}
	}
	sub, _ := t.claims["sub"].(string)
	if sub == "" {
		return fail(ReasonMissingClaim, errors.New("the token has no sub"))
	}
	c.Subject = sub
	c.TokenIdentifier = t.issuer + "|" + sub
	c.ID, _ = t.claims["jti"].(string)
	c.SessionID, _ = t.claims["sid"].(string)
	c.OrganizationID, _ = t.claims["org_id"].(string)
	c.Role, _ = t.claims["role"].(string)
	c.Roles = stringList(t.claims["roles"])
	c.Permissions = stringList(t.claims["permissions"])
	return c, nil
}

func claimTime(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return secondsToTime(f)
}

// stringList converts a JSON array of strings, skipping other elements.
func stringList(v any) []string {
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(a))
	for _, x := range a {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
