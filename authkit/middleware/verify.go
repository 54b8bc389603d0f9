package middleware

import (
	"context"
	"errors"
	"fmt"
	"github.com/goconvex/convex/customjwt"
	"log/slog"
)

// How the middleware answers a token that fails verification. A refresh
// only helps when this token is stale or damaged; when the Verifier cannot
// accept any token of this issuer (its configuration) a refresh would only
// bring another token it refuses, on every request: a refresh storm at
// WorkOS, with nothing verified. So configuration failures are reported
// (logged once at ERROR with the fix, answered 500) and never refreshed,
// and a refreshed token is verified before it is served.

// verifyVerdict is what a verification failure calls for.
type verifyVerdict int

const (
	// verdictRefresh: the token expired or is damaged; a new one from
	// WorkOS should pass.
	verdictRefresh verifyVerdict = iota
	// verdictConfig: no token of this issuer can pass this Verifier.
	verdictConfig
	// verdictUnavailable: the key set could not be read; try later.
	verdictUnavailable
)

// classifyVerifyError sorts a Verifier error, and names its reason.
func classifyVerifyError(err error) (verifyVerdict, customjwt.Reason) {
	ve, ok := errors.AsType[*customjwt.Error](err)
	if !ok {
		return verdictUnavailable, customjwt.ReasonJWKSUnavailable
	}
	switch ve.Reason {
	case customjwt.ReasonNoAuthProvider, customjwt.ReasonInvalidIssuer, customjwt.ReasonInvalidAudience, customjwt.ReasonUnsupportedProvider, customjwt.ReasonNotYetValid:
		return verdictConfig, ve.Reason
	case customjwt.ReasonJWKSUnavailable:
		return verdictUnavailable, ve.Reason
	}
	return verdictRefresh, ve.Reason
}

// verifyFix says what to do about a failure that refreshing cannot fix.
func verifyFix(reason customjwt.Reason) string {
	switch reason {
	case customjwt.ReasonNoAuthProvider, customjwt.ReasonInvalidIssuer:
		return "the tokens' issuer is not one the middleware's Verifier accepts (a custom authentication domain or a local emulator issues tokens under its own iss): set Config.Verifier to a customjwt.Verifier whose providers include that issuer and its key set"
	case customjwt.ReasonInvalidAudience:
		return "the provider matching the tokens' issuer requires aud = the client id, which WorkOS tokens carry only when a JWT template adds it: add the template, or verify with the per-client issuer https://api.workos.com/user_management/<client id>"
	case customjwt.ReasonUnsupportedProvider, customjwt.ReasonBadAlgorithm:
		return "check the customjwt.Verifier's providers: type customJwt, algorithm RS256 (WorkOS) or ES256, and the key set of this issuer"
	case customjwt.ReasonNotYetValid:
		return "this server's clock is behind the issuer's: synchronize it (NTP)"
	case customjwt.ReasonJWKSUnavailable:
		return "the key set could not be fetched: check Config.WorkOS.APIBase, the Verifier's jwks URL and the network"
	}
	return "a token WorkOS has just issued does not verify: check that the customjwt.Verifier's key set (jwks) and issuer are those of this environment (WORKOS_CLIENT_ID, WORKOS_API_BASE)"
}

// misconfigured is the error of a request the middleware cannot serve
// because its Verifier refuses WorkOS's tokens.
type misconfigured struct {
	reason customjwt.Reason
	err    error
}

func (e *misconfigured) Error() string {
	return fmt.Sprintf("authkit: the session's access token cannot be verified (%s): %s", e.reason, verifyFix(e.reason))
}

func (e *misconfigured) Unwrap() error { return e.err }

// reportVerifyFailure logs a failure that refreshing cannot fix: at level
// the first time for its reason, at the debug level after.
func (m *Middleware) reportVerifyFailure(level slog.Level, reason customjwt.Reason, err error) {
	m.mu.Lock()
	first := !m.reported[reason]
	m.reported[reason] = true
	m.mu.Unlock()
	if !first {
		m.debug("access token failed verification", "reason", string(reason))
		return
	}
	m.log.Log(context.Background(), level, "authkit: the middleware cannot verify the session's access tokens; no refresh can fix this",
		"reason", string(reason), "err", errString(err), "fix", verifyFix(reason))
}

// stuck reports whether tokens fresh from WorkOS fail with reason: then a
// refresh cannot fix a token failing with it either.
func (m *Middleware) stuck(reason customjwt.Reason) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.freshFails[reason]
}

// setStuck records (or, with on false, clears) that a token fresh from
// WorkOS failed with reason; verified clears every reason.
func (m *Middleware) setStuck(reason customjwt.Reason, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if on {
		m.freshFails[reason] = true
	} else if len(m.freshFails) > 0 {
		clear(m.freshFails)
	}
}
