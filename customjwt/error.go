package customjwt

// Reason names why a token was rejected. It is an error, so
// errors.Is(err, ReasonExpired) works on an *Error.
type Reason string

// Error returns the reason's name.
func (r Reason) Error() string { return string(r) }

// Reasons a token is rejected, in the order the backend checks
// (crates/authentication/src/lib.rs, validate_id_token). The backend's own
// error codes are coarser (see Error.Code); a Reason names the rule.
const (
	// ReasonMalformed: not a JWT with a JSON header and payload, or a
	// registered claim of the wrong type (iss, sub or jti not a string,
	// aud not a string or an array of strings, exp, nbf or iat not a
	// non-negative number).
	ReasonMalformed Reason = "Malformed"
	// ReasonMissingClaim: iss, sub or exp is missing.
	ReasonMissingClaim Reason = "MissingClaim"
	// ReasonNoAuthProvider: no provider's issuer matches iss.
	ReasonNoAuthProvider Reason = "NoAuthProvider"
	// ReasonInvalidIssuer: iss is not the issuer of the one provider the
	// token was checked against (Verifier.VerifyProvider).
	ReasonInvalidIssuer Reason = "InvalidIssuer"
	// ReasonInvalidAudience: a provider matches iss but has an
	// applicationID the token's aud lacks. The backend reports this as
	// NoAuthProvider; the reason names what to fix.
	ReasonInvalidAudience Reason = "InvalidAudience"
	// ReasonJWKSUnavailable: the provider's key set could not be fetched
	// or read.
	ReasonJWKSUnavailable Reason = "JWKSUnavailable"
	// ReasonUnknownKeyID: the token has no kid, or the key set has no key
	// with it (even after fetching it again).
	ReasonUnknownKeyID Reason = "UnknownKeyID"
	// ReasonBadAlgorithm: the token's alg is not the provider's ("none",
	// HS256 — the RSA-public-key-as-HMAC-secret attack —, RS384, …), or
	// the key is not for that algorithm.
	ReasonBadAlgorithm Reason = "BadAlgorithm"
	// ReasonInvalidSignature: the signature does not verify with the key.
	ReasonInvalidSignature Reason = "InvalidSignature"
	// ReasonExpired: exp is more than 5 s in the past.
	ReasonExpired Reason = "Expired"
	// ReasonNotYetValid: nbf or iat is more than 5 s in the future.
	ReasonNotYetValid Reason = "NotYetValid"
	// ReasonUnsupportedProvider: the provider fails Provider.Check (not
	// customJwt, or an algorithm other than RS256 and ES256).
	ReasonUnsupportedProvider Reason = "UnsupportedProvider"
)

// Error is a rejected token. Use errors.As to get it, or errors.Is with a
// Reason.
type Error struct {
	// Reason names the rule the token broke.
	Reason Reason
	// Provider is the provider the token was checked against, nil when
	// none applied.
	Provider *Provider
	// Message is what a Convex deployment answers for this rejection,
	// worded as the backend words it (crates/authentication/src/lib.rs).
	Message string
	// Err gives details, in this package's words.
	Err error
}

// Error formats the reason, the provider's issuer and the details.
func (e *Error) Error() string {
	s := "customjwt: token rejected: " + string(e.Reason)
	if e.Provider != nil {
		s += " (provider " + e.Provider.Issuer + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the details.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the error's Reason.
func (e *Error) Is(target error) bool {
	r, ok := target.(Reason)
	return ok && r == e.Reason
}

// Code is the error code a Convex deployment sends with the rejection:
// "NoAuthProvider" when no provider takes the token (an issuer or audience
// that matches none), "InvalidAuthHeader" for everything else
// (crates/authentication/src/lib.rs).
func (e *Error) Code() string {
	switch e.Reason {
	case ReasonNoAuthProvider, ReasonInvalidIssuer, ReasonInvalidAudience:
		return "NoAuthProvider"
	}
	return "InvalidAuthHeader"
}

// The backend's messages (crates/authentication/src/lib.rs).
const (
	msgBadPayload = "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots."
	msgNoIssuer   = "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that matches one of your configured auth providers."
	msgNoKid      = "Could not decode token. JWT may be missing a 'kid' (key ID) header."
	msgBadKid     = "Could not decode token. The JWT's 'kid' (key ID) header is '%s', does this key match any key in the provider's JWKS?"
	msgBadClaims  = "Could not verify token claim. Check that the JWT contains valid claims and matches your auth provider configuration."
	msgExpired    = "Could not validate token: Token expired"
	msgNotYet     = "Could not validate token: Token not yet valid"
)
