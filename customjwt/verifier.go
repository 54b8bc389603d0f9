package customjwt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Claims are the claims of a verified token.
type Claims struct {
	Issuer    string    // iss, as in the token
	Subject   string    // sub
	Audience  []string  // aud, empty when absent
	Expiry    time.Time // exp, to the second
	IssuedAt  time.Time // iat; zero without one
	NotBefore time.Time // nbf; zero without one
	ID        string    // jti
	// Raw holds every claim, numbers as json.Number.
	Raw map[string]any
	// Provider is the provider that accepted the token.
	Provider Provider
	// TokenIdentifier is what ctx.auth.getUserIdentity() reports as
	// tokenIdentifier: "<iss as in the token>|<sub>"
	// (crates/keybroker/src/broker.rs, UserIdentifier::construct).
	TokenIdentifier string
}

// Config configures a Verifier.
type Config struct {
	// Providers are the deployment's providers, as in auth.config.ts. A
	// token goes to the first that matches its iss and aud.
	Providers []Provider
	// HTTPClient fetches key sets; a client with a 10 s timeout when nil.
	HTTPClient *http.Client
	// RefetchInterval is the shortest time between two fetches of a key
	// set caused by tokens naming a key id it lacks (the issuer may have
	// rotated its keys); 30 s when zero.
	RefetchInterval time.Duration
}

// Verifier checks tokens the way a Convex deployment with the given
// providers does (crates/authentication/src/lib.rs, validate_id_token):
//
//  1. the payload is read: iss, sub and jti strings, aud a string or an
//     array of strings, exp, nbf and iat non-negative numbers;
//  2. iss is required, and routes the token to the first provider whose
//     issuer matches it (https:// assumed when the token's iss starts
//     with neither https:// nor http://, trailing slashes ignored) and
//     whose applicationID, if any, is among the audiences;
//  3. the provider's key set is read (http(s) or data: URL);
//  4. the header must name a kid the set has, and the signature must
//     verify with that key and the provider's algorithm (RS256 or ES256
//     only: "none", HS256 and any other algorithm are rejected);
//  5. iss and aud are checked again; exp must not be more than 5 s past,
//     nbf and iat not more than 5 s ahead, on whole seconds;
//  6. sub and exp must be present.
//
// Each failure is an *Error naming its Reason and carrying the backend's
// message. Key sets are cached: fetched again after an hour, or when a
// token names an unknown kid, at most once per RefetchInterval. A Verifier
// is safe for concurrent use.
type Verifier struct {
	providers []Provider
	keys      *keyCache
}

// NewVerifier returns a Verifier for cfg.Providers.
func NewVerifier(cfg Config) *Verifier {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	refetch := cfg.RefetchInterval
	if refetch <= 0 {
		refetch = 30 * time.Second
	}
	return &Verifier{
		providers: slices.Clone(cfg.Providers),
		keys:      newKeyCache(hc, refetch),
	}
}

// Verify checks token against the Verifier's providers at the current
// time, and returns its claims or an *Error.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	return v.VerifyAt(ctx, token, time.Now())
}

// VerifyAt is Verify with exp, nbf and iat checked against now instead of
// the current time: what a test deployment on a fake clock needs.
func (v *Verifier) VerifyAt(ctx context.Context, token string, now time.Time) (*Claims, error) {
	t, err := parseToken(token)
	if err != nil {
		return nil, &Error{Reason: ReasonMalformed, Message: msgBadPayload, Err: err}
	}
	p, rerr := route(v.providers, t)
	if rerr != nil {
		return nil, rerr
	}
	return v.check(ctx, t, *p, now)
}

// VerifyProvider checks token against p alone, as if it were the only
// provider, at the current time: what a "doctor" command shows for each
// provider. An iss that is not p's is ReasonInvalidIssuer.
func (v *Verifier) VerifyProvider(ctx context.Context, token string, p Provider) (*Claims, error) {
	t, err := parseToken(token)
	if err != nil {
		return nil, &Error{Reason: ReasonMalformed, Provider: &p, Message: msgBadPayload, Err: err}
	}
	if err := matchOne(&p, t); err != nil {
		return nil, err
	}
	return v.check(ctx, t, p, time.Now())
}

// check verifies t with provider p: steps 3 to 6.
func (v *Verifier) check(ctx context.Context, t *token, p Provider, now time.Time) (*Claims, error) {
	if err := p.Check(); err != nil {
		return nil, &Error{Reason: ReasonUnsupportedProvider, Provider: &p, Message: msgBadClaims, Err: err}
	}
	set, err := v.keys.get(ctx, p.JWKS, "")
	if err != nil {
		return nil, jwksError(&p, err)
	}
	if err := t.readHeader(); err != nil {
		return nil, &Error{Reason: ReasonMalformed, Provider: &p, Message: t.decodeMessage(), Err: err}
	}
	if !t.hasKid {
		return nil, &Error{Reason: ReasonUnknownKeyID, Provider: &p, Message: msgNoKid, Err: errors.New("the token header has no kid")}
	}
	k, found := set[t.kid]
	if !found {
		if set, err = v.keys.get(ctx, p.JWKS, t.kid); err != nil {
			return nil, jwksError(&p, err)
		}
		if k, found = set[t.kid]; !found {
			return nil, &Error{Reason: ReasonUnknownKeyID, Provider: &p, Message: t.decodeMessage(), Err: fmt.Errorf("no key %q in the key set", t.kid)}
		}
	}
	if r, err := checkKey(t, &p, k); err != nil {
		return nil, &Error{Reason: r, Provider: &p, Message: t.decodeMessage(), Err: err}
	}
	if err := verifySignature(t, k.Public); err != nil {
		return nil, &Error{Reason: ReasonInvalidSignature, Provider: &p, Message: t.decodeMessage(), Err: err}
	}
	if err := checkClaims(t, &p, now); err != nil {
		return nil, err
	}
	return t.verifiedClaims(p), nil
}

func (t *token) verifiedClaims(p Provider) *Claims {
	c := &Claims{
		Issuer:          t.iss,
		Subject:         t.sub,
		Audience:        t.aud,
		Expiry:          time.Unix(t.exp, 0),
		ID:              t.jti,
		Raw:             t.claims,
		Provider:        p,
		TokenIdentifier: t.iss + "|" + t.sub,
	}
	if t.hasIat {
		c.IssuedAt = time.Unix(t.iat, 0)
	}
	if t.hasNbf {
		c.NotBefore = time.Unix(t.nbf, 0)
	}
	return c
}
