package authkit

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/goconvex/convex/internal/jwtclaims"
)

// This file reads access tokens without verifying them, through
// internal/jwtclaims: the Provider and the token sources need exp, iat,
// sid and org_id, and must not pull encoding/json or JWT signature code
// (math/big, crypto/rsa…) into the WebAssembly build. Verification is
// package customjwt's, natively only.

// Token is an access token with its parsed (unverified) claims.
type Token struct {
	// AccessToken is the raw JWT. Never log it.
	AccessToken string
	// Expiry is the exp claim.
	Expiry time.Time
	// IssuedAt is the iat claim; zero when the token has none.
	IssuedAt time.Time
	// SessionID is the sid claim (session_…), needed to log out.
	SessionID string
	// OrganizationID is the org_id claim; empty without an organization.
	OrganizationID string
	// Subject is the sub claim: the WorkOS user id (user_…).
	Subject string
	// Issuer is the iss claim.
	Issuer string
}

// TokenSource supplies access tokens, in the style of golang.org/x/oauth2.
//
// Token returns a token valid for a while yet. forceRefresh asks for a
// token other than the current one (the server rejected it, or it is about
// to expire): a forced call never returns the token it replaces.
//
// A source reports a sign-out with an error matching ErrSignedOut and a
// temporary failure, after which the session is kept, with an error
// matching ErrTransient. Any other error is treated as transient.
type TokenSource interface {
	Token(ctx context.Context, forceRefresh bool) (*Token, error)
}

// TokenSourceFunc adapts a function to a TokenSource.
type TokenSourceFunc func(ctx context.Context, forceRefresh bool) (*Token, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context, forceRefresh bool) (*Token, error) {
	return f(ctx, forceRefresh)
}

// Buffer bounds: a token is refreshed once it is within
// max(minBuffer, lifetime/10) of its expiry, and never later than half-way
// through its life.
const minBuffer = 10 * time.Second

// Lifetime returns exp − iat, or zero when the token has no iat.
func (t *Token) Lifetime() time.Duration {
	if t.IssuedAt.IsZero() || !t.Expiry.After(t.IssuedAt) {
		return 0
	}
	return t.Expiry.Sub(t.IssuedAt)
}

// RefreshBuffer returns how long before its expiry the token is due for a
// refresh: max(10 s, 10 % of its lifetime), but at most
// half its lifetime, so that very short-lived tokens (tests use 5 s) are
// still used for a while instead of being refreshed on every call.
func (t *Token) RefreshBuffer() time.Duration {
	life := t.Lifetime()
	b := max(minBuffer, life/10)
	if life > 0 && b > life/2 {
		b = life / 2
	}
	return b
}

// RefreshAt returns the time from which the token is due for a refresh:
// Expiry − RefreshBuffer.
func (t *Token) RefreshAt() time.Time { return t.Expiry.Add(-t.RefreshBuffer()) }

// Valid reports whether the token has not expired at now.
func (t *Token) Valid(now time.Time) bool { return t != nil && now.Before(t.Expiry) }

// fresh reports whether the token is valid and not yet due for a refresh.
func (t *Token) fresh(now time.Time) bool { return t != nil && now.Before(t.RefreshAt()) }

// ErrMalformedToken is returned by ParseToken for a string that is not a
// JWT with a JSON payload carrying a numeric exp.
var ErrMalformedToken = errors.New("authkit: malformed access token")

// ParseToken reads the claims of an access token without verifying its
// signature (the API that issued it, or a customjwt.Verifier, vouches for
// it). It
// requires a numeric exp; iat, sid, org_id, sub and iss are read when
// present.
func ParseToken(accessToken string) (*Token, error) {
	c, err := jwtclaims.Parse(accessToken)
	if err != nil {
		return nil, malformed(err.Error())
	}
	exp, ok := secondsToTime(c.Exp)
	if !c.HasExp || !ok {
		return nil, malformed("missing or non-numeric exp")
	}
	t := &Token{
		AccessToken:    accessToken,
		Expiry:         exp,
		SessionID:      c.Sid,
		OrganizationID: c.OrgID,
		Subject:        c.Sub,
		Issuer:         c.Iss,
	}
	if iat, ok := secondsToTime(c.Iat); c.HasIat && ok {
		t.IssuedAt = iat
	}
	return t, nil
}

func malformed(why string) error {
	return &malformedTokenError{why: why}
}

type malformedTokenError struct{ why string }

func (e *malformedTokenError) Error() string { return ErrMalformedToken.Error() + ": " + e.why }
func (e *malformedTokenError) Is(target error) bool {
	return target == ErrMalformedToken
}

// secondsToTime converts a NumericDate (seconds, possibly fractional).
func secondsToTime(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}
