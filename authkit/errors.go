package authkit

import (
	"errors"
	"time"

	"github.com/goconvex/convex/internal/signedout"
)

// ErrSignedOut means the session is gone: the refresh token was rejected,
// the store holds no session, or the user signed out. It is terminal: the
// caller should stop asking for tokens until the user signs in again.
//
// Errors returned for a sign-out match it, and client.ErrSignedOut, with
// errors.Is; they also have a method SignedOut() bool that returns true.
var ErrSignedOut = errors.New("authkit: signed out")

// ErrTransient means no token could be obtained right now (network trouble,
// a timeout, a rate limit, a server error) but the session is kept: try
// again later. Errors wrapping it carry the cause.
var ErrTransient = errors.New("authkit: temporarily unable to get a token")

// SignedOutError is the error returned when the session is gone. It matches
// ErrSignedOut with errors.Is and unwraps to its cause.
type SignedOutError struct {
	// Err is the cause: a *workos.APIError (invalid_grant, …), or nil
	// when there simply is no session.
	Err error
}

// Error describes the sign-out and its cause.
func (e *SignedOutError) Error() string {
	if e.Err == nil {
		return ErrSignedOut.Error()
	}
	return ErrSignedOut.Error() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *SignedOutError) Unwrap() error { return e.Err }

// Is reports whether target is ErrSignedOut or client.ErrSignedOut (the
// same value as internal/signedout.Err, which this package can name without
// importing the client).
func (e *SignedOutError) Is(target error) bool {
	return target == ErrSignedOut || target == signedout.Err
}

// SignedOut returns true. It lets code that cannot import this package
// (the Convex client's TokenProvider contract) recognize a sign-out.
func (e *SignedOutError) SignedOut() bool { return true }

// TransientError is the error returned when no token could be obtained now
// but the session is kept. It matches ErrTransient with errors.Is and
// unwraps to its cause (a network error, a *workos.APIError,
// context.Canceled…).
type TransientError struct {
	// Err is the cause.
	Err error
	// RetryAfter, when positive, is how long the server asked us to wait.
	RetryAfter time.Duration
}

// Error describes the failure and its cause.
func (e *TransientError) Error() string {
	if e.Err == nil {
		return ErrTransient.Error()
	}
	return ErrTransient.Error() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *TransientError) Unwrap() error { return e.Err }

// Is reports whether target is ErrTransient.
func (e *TransientError) Is(target error) bool { return target == ErrTransient }

// errSameToken is the cause when a forced refresh produced the token it
// was meant to replace.
var errSameToken = errors.New("the refresh returned the token it was meant to replace")

// maxRetryAfter is the longest Retry-After honoured; a longer one ends the
// retries at once.
const maxRetryAfter = 60 * time.Second

func signedOut(cause error) error {
	if so, ok := errors.AsType[*SignedOutError](cause); ok {
		return so
	}
	return &SignedOutError{Err: cause}
}

func transient(cause error) error {
	if te, ok := errors.AsType[*TransientError](cause); ok {
		return te
	}
	return &TransientError{Err: cause}
}

// isSignedOut reports whether err means the session is gone, by either of
// the two conventions.
func isSignedOut(err error) bool {
	if errors.Is(err, ErrSignedOut) {
		return true
	}
	so, ok := errors.AsType[interface {
		error
		SignedOut() bool
	}](err)
	return ok && so.SignedOut()
}
