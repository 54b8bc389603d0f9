package customjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/goconvex/convex/internal/jwk"
)

// This file holds the rules, without I/O: each step of the backend's
// validate_id_token (crates/authentication/src/lib.rs) as a function of
// the token, the provider, the key and the time.

// leeway is the clock skew the backend allows on exp, nbf and iat
// (TemporalOptions.epsilon of 5 s in validate_id_token).
const leeway = 5

// route finds the provider for t, as the backend does before verifying
// anything: the first whose applicationID, if any, is among the token's
// audiences and whose issuer matches iss (AuthInfo::matches_token).
func route(providers []Provider, t *token) (*Provider, *Error) {
	if !t.hasIss {
		return nil, &Error{Reason: ReasonMissingClaim, Message: msgNoIssuer, Err: errors.New("the token has no iss")}
	}
	var issuerOnly *Provider
	for i := range providers {
		p := &providers[i]
		if !p.matchesIssuer(t.iss) {
			continue
		}
		if p.matchesAudience(t.aud) {
			return p, nil
		}
		if issuerOnly == nil {
			issuerOnly = p
		}
	}
	msg := noProviderMessage(providers)
	if issuerOnly != nil {
		p := *issuerOnly
		return nil, &Error{Reason: ReasonInvalidAudience, Provider: &p, Message: msg, Err: audienceError(&p, t)}
	}
	issuers := make([]string, len(providers))
	for i, p := range providers {
		issuers[i] = p.Issuer
	}
	return nil, &Error{Reason: ReasonNoAuthProvider, Message: msg,
		Err: fmt.Errorf("no provider for issuer %q (configured: %s)", t.iss, strings.Join(issuers, ", "))}
}

// matchOne checks that t is for p, as route would if p were the only
// provider.
func matchOne(p *Provider, t *token) *Error {
	if !t.hasIss {
		return &Error{Reason: ReasonMissingClaim, Provider: p, Message: msgNoIssuer, Err: errors.New("the token has no iss")}
	}
	msg := noProviderMessage([]Provider{*p})
	if !p.matchesIssuer(t.iss) {
		return &Error{Reason: ReasonInvalidIssuer, Provider: p, Message: msg, Err: fmt.Errorf("iss %q is not %q", t.iss, p.Issuer)}
	}
	if !p.matchesAudience(t.aud) {
		return &Error{Reason: ReasonInvalidAudience, Provider: p, Message: msg, Err: audienceError(p, t)}
	}
	return nil
}

func audienceError(p *Provider, t *token) error {
	if !t.hasAud {
		return fmt.Errorf("the token has no aud; the provider requires %q", p.ApplicationID)
	}
	return fmt.Errorf("aud %q does not contain %q", t.aud, p.ApplicationID)
}

// noProviderMessage is the backend's NoAuthProvider message
// (enhance_no_provider_error).
func noProviderMessage(providers []Provider) string {
	if len(providers) == 0 {
		return "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts."
	}
	list := make([]string, len(providers))
	for i, p := range providers {
		list[i] = p.describe()
	}
	return "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [" + strings.Join(list, ", ") + "]"
}

// decodeMessage is the backend's message for any failure of the signature
// step: it names the token's kid when the header has one.
func (t *token) decodeMessage() string {
	if t.hasKid {
		return fmt.Sprintf(msgBadKid, t.kid)
	}
	return msgNoKid
}

// checkKey checks the token's alg against the key and the provider, in
// the order of biscuit's decode_with_jwks: the key's declared alg, when
// it has one, must be the token's and the provider's; otherwise the
// token's must be the provider's. The key's type must fit the algorithm.
func checkKey(t *token, p *Provider, k jwk.Key) (Reason, error) {
	alg := p.algorithm()
	if k.Alg != "" {
		if t.alg != k.Alg {
			return ReasonBadAlgorithm, fmt.Errorf("the token is signed with %q, its key %q is for %q", t.alg, t.kid, k.Alg)
		}
		if k.Alg != alg {
			return ReasonBadAlgorithm, fmt.Errorf("key %q is for %q, the provider requires %q", t.kid, k.Alg, alg)
		}
	} else if t.alg != alg {
		return ReasonBadAlgorithm, fmt.Errorf("the token is signed with %q, the provider requires %q", t.alg, alg)
	}
	switch k.Public.(type) {
	case *rsa.PublicKey:
		if alg != RS256 {
			return ReasonBadAlgorithm, fmt.Errorf("key %q is an RSA key, not for %q", t.kid, alg)
		}
	case *ecdsa.PublicKey:
		if alg != ES256 {
			return ReasonBadAlgorithm, fmt.Errorf("key %q is an EC key, not for %q", t.kid, alg)
		}
	default:
		return ReasonBadAlgorithm, fmt.Errorf("key %q has an unsupported type %T", t.kid, k.Public)
	}
	return "", nil
}

// verifySignature checks the signature over header.payload with the key
// checkKey accepted: RSASSA-PKCS1-v1_5 with SHA-256 (RS256), or ECDSA P-256
// with SHA-256 and a 64-byte r||s signature (ES256, RFC 7518 §3.4).
func verifySignature(t *token, key crypto.PublicKey) error {
	sum := sha256.Sum256([]byte(t.signingInput))
	switch k := key.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], t.signature) != nil {
			return errors.New("the RS256 signature does not verify")
		}
		return nil
	case *ecdsa.PublicKey:
		if len(t.signature) != 64 {
			return errors.New("an ES256 signature is 64 bytes")
		}
		r := new(big.Int).SetBytes(t.signature[:32])
		s := new(big.Int).SetBytes(t.signature[32:])
		if !ecdsa.Verify(k, sum[:], r, s) {
			return errors.New("the ES256 signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported key type %T", key)
}

// checkClaims applies the rules that follow a valid signature, in the
// backend's order: iss and aud again, then exp, nbf and iat with 5 s of
// leeway on whole seconds (biscuit's validate_exp, validate_nbf and
// validate_iat, with now truncated to the second as validate_id_token
// does), then the claims an identity needs: sub and exp
// (crates/keybroker/src/broker.rs, UserIdentity::from_custom_jwt).
func checkClaims(t *token, p *Provider, now time.Time) *Error {
	fail := func(r Reason, msg string, err error) *Error {
		return &Error{Reason: r, Provider: p, Message: msg, Err: err}
	}
	if !p.matchesIssuer(t.iss) {
		return fail(ReasonInvalidIssuer, "Invalid issuer: "+t.iss+" != "+p.issuer(), fmt.Errorf("iss %q is not %q", t.iss, p.Issuer))
	}
	if p.ApplicationID != "" {
		if !t.hasAud {
			return fail(ReasonInvalidAudience, "Missing audience claim ('aud') in JWT payload. The JWT must include an 'aud' claim that matches your configured application ID.", audienceError(p, t))
		}
		if !p.matchesAudience(t.aud) {
			quoted := make([]string, len(t.aud))
			for i, a := range t.aud {
				quoted[i] = strconv.Quote(a)
			}
			return fail(ReasonInvalidAudience, "Invalid audience: "+p.ApplicationID+" not in ["+strings.Join(quoted, ", ")+"]", audienceError(p, t))
		}
	}
	sec := now.Unix()
	if t.hasExp && sec-t.exp > leeway {
		return fail(ReasonExpired, msgExpired, fmt.Errorf("expired at %s, %ds ago", time.Unix(t.exp, 0).UTC().Format(time.RFC3339), sec-t.exp))
	}
	if t.hasNbf && t.nbf-sec > leeway {
		return fail(ReasonNotYetValid, msgNotYet, fmt.Errorf("not valid before %s, %ds from now", time.Unix(t.nbf, 0).UTC().Format(time.RFC3339), t.nbf-sec))
	}
	if t.hasIat && t.iat-sec > leeway {
		return fail(ReasonNotYetValid, msgNotYet, fmt.Errorf("issued in the future, at %s, %ds from now", time.Unix(t.iat, 0).UTC().Format(time.RFC3339), t.iat-sec))
	}
	if !t.hasSub {
		return fail(ReasonMissingClaim, msgBadClaims, errors.New("the token has no sub"))
	}
	if !t.hasExp {
		return fail(ReasonMissingClaim, msgBadClaims, errors.New("the token has no exp"))
	}
	return nil
}
