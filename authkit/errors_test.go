package authkit

import (
	"errors"
	"fmt"
	"testing"

	"github.com/goconvex/convex/client"
)

// TestSignedOutErrorMatchesClientErrSignedOut: a sign-out error matches both
// sentinels, authkit's and the client's (through internal/signedout: authkit
// does not import client); a transient error matches neither.
func TestSignedOutErrorMatchesClientErrSignedOut(t *testing.T) {
	err := fmt.Errorf("refresh: %w", &SignedOutError{Err: errors.New("invalid_grant")})
	if !errors.Is(err, ErrSignedOut) || !errors.Is(err, client.ErrSignedOut) {
		t.Fatalf("errors.Is(%v, ErrSignedOut / client.ErrSignedOut) = %v / %v", err, errors.Is(err, ErrSignedOut), errors.Is(err, client.ErrSignedOut))
	}
	if tr := (&TransientError{Err: errors.New("timeout")}); errors.Is(tr, client.ErrSignedOut) {
		t.Fatalf("a transient error matches client.ErrSignedOut")
	}
}
