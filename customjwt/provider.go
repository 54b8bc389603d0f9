package customjwt

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// Provider is one entry of a deployment's convex/auth.config.ts, a custom
// JWT provider:
//
//	{ type: "customJwt", issuer, jwks, algorithm, applicationID? }
//
// Its JSON form is that of auth.config.ts.
type Provider struct {
	// Type is "customJwt"; empty means "customJwt". OIDC providers
	// ({domain, applicationID}, keys found by discovery) are not
	// supported.
	Type string `json:"type"`
	// Issuer must equal the token's iss, compared as NormalizeIssuer
	// describes.
	Issuer string `json:"issuer"`
	// JWKS locates the key set: an http(s) URL, or a data: URL carrying
	// it inline.
	JWKS string `json:"jwks"`
	// Algorithm is "RS256" or "ES256"; empty means "RS256".
	Algorithm string `json:"algorithm"`
	// ApplicationID, when set, must be one of the token's audiences (aud).
	ApplicationID string `json:"applicationID,omitempty"`
}

// Provider types and algorithms Convex supports for custom JWTs
// (crates/common/src/auth.rs, SignatureAlgorithm).
const (
	TypeCustomJWT = "customJwt"
	RS256         = "RS256"
	ES256         = "ES256"
)

// Check reports what a deployment would refuse in this provider when the
// auth config is pushed (crates/common/src/auth.rs,
// deserialize_issuer_url; crates/isolate/src/environment/auth_config.rs):
// a type other than customJwt, an algorithm other than RS256 and ES256,
// an empty issuer or key set, or an issuer that is not an http(s) URL once
// https:// is put in front of it when it has no scheme. (The backend also
// wants a scheme-less issuer to end with a known top-level domain; that
// list is not checked here.)
func (p Provider) Check() error {
	if p.Type != "" && p.Type != TypeCustomJWT {
		return fmt.Errorf("provider type %q is not %q", p.Type, TypeCustomJWT)
	}
	if a := p.algorithm(); a != RS256 && a != ES256 {
		return fmt.Errorf("algorithm %q is not RS256 or ES256", a)
	}
	if p.Issuer == "" {
		return fmt.Errorf("the provider has no issuer")
	}
	if p.JWKS == "" {
		return fmt.Errorf("provider %s has no jwks", p.Issuer)
	}
	if strings.HasPrefix(p.Issuer, `"`) {
		return fmt.Errorf("issuer %q starts with a double quote", p.Issuer)
	}
	u, err := url.Parse(p.issuer())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("issuer %q is not an http(s) URL", p.Issuer)
	}
	return nil
}

// algorithm is the provider's algorithm, RS256 when unset.
func (p Provider) algorithm() string {
	if p.Algorithm == "" {
		return RS256
	}
	return p.Algorithm
}

// issuer is the provider's issuer as the backend keeps it once the config
// is loaded: https:// in front when it does not start with a scheme
// (^\w+://, crates/common/src/auth.rs, deserialize_issuer_url).
func (p Provider) issuer() string {
	if hasScheme(p.Issuer) {
		return p.Issuer
	}
	return "https://" + p.Issuer
}

// hasScheme reports whether s matches ^\w+:// (Rust's \w: letters, marks,
// digits, connector punctuation).
func hasScheme(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for _, r := range s[:i] {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Pc, r) {
			return false
		}
	}
	return true
}

// NormalizeIssuer returns a token's iss as the backend compares it: with
// https:// in front unless it starts with https:// or http://, and without
// trailing slashes (crates/common/src/auth.rs, AuthInfo::matches_token).
func NormalizeIssuer(iss string) string {
	if !strings.HasPrefix(iss, "https://") && !strings.HasPrefix(iss, "http://") {
		iss = "https://" + iss
	}
	return strings.TrimRight(iss, "/")
}

// matchesIssuer reports whether a token's iss is this provider's issuer.
func (p Provider) matchesIssuer(iss string) bool {
	return strings.TrimRight(p.issuer(), "/") == NormalizeIssuer(iss)
}

// matchesAudience reports whether the token is for this provider's
// application: always when the provider names none.
func (p Provider) matchesAudience(aud []string) bool {
	return p.ApplicationID == "" || slices.Contains(aud, p.ApplicationID)
}

// describe is the provider as the backend lists it in its NoAuthProvider
// message (crates/authentication/src/lib.rs, enhance_no_provider_error).
func (p Provider) describe() string {
	app := p.ApplicationID
	if app == "" {
		app = "none"
	}
	return fmt.Sprintf("CustomJWT(issuer=%s, app_id=%s)", strings.TrimRight(p.issuer(), "/"), app)
}
