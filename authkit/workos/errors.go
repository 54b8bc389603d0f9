package workos

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/goconvex/convex/authkit"
)

// APIError is an error answer of the WorkOS API. Both body shapes are
// read: the OAuth one ({"error", "error_description"}) and the plain one
// ({"code", "message"}).
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is "error" or "code" from the body: invalid_grant,
	// sso_required, mfa_enrollment, … Empty when the body had neither.
	Code string
	// Description is "error_description" or "message" from the body.
	Description string
	// RetryAfter is the Retry-After header (429, 503), zero when absent.
	RetryAfter time.Duration
}

// Error formats the status, code and description.
func (e *APIError) Error() string {
	s := "workos: HTTP " + strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Transient reports whether the request may succeed if retried with the
// same refresh token: 408, 429 and 5xx. Every other status, 401 and
// invalid_grant included, is terminal for the session.
func (e *APIError) Transient() bool {
	return e.Status == 408 || e.Status == 429 || e.Status >= 500 || e.Status < 400
}

// errMalformedResponse is the cause of a transient error when WorkOS
// answered 200 with a body we could not use.
type errMalformedResponse struct{ what string }

func (e errMalformedResponse) Error() string {
	return fmt.Sprintf("workos: malformed authenticate response: %s", e.what)
}

// errSameToken is the cause when a forced refresh produced the token it
// was meant to replace.
var errSameToken = errors.New("the refresh returned the token it was meant to replace")

// errNoSession is the cause when the store holds no session.
var errNoSession = errors.New("no session in the store")

// maxRetryAfter is the longest Retry-After honoured; a longer one ends the
// retries at once.
const maxRetryAfter = 60 * time.Second

// signedOut is an error matching authkit.ErrSignedOut with cause.
func signedOut(cause error) error {
	if so, ok := errors.AsType[*authkit.SignedOutError](cause); ok {
		return so
	}
	return &authkit.SignedOutError{Err: cause}
}

// transient is an error matching authkit.ErrTransient with cause, and the
// Retry-After of an *APIError cause.
func transient(cause error) error {
	if te, ok := errors.AsType[*authkit.TransientError](cause); ok {
		return te
	}
	te := &authkit.TransientError{Err: cause}
	if ae, ok := errors.AsType[*APIError](cause); ok {
		te.RetryAfter = ae.RetryAfter
	}
	return te
}
