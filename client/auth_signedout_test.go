package client_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
)

// foreignSignedOut is the sign-out error of a package that does not import
// client, as authkit's is: it has SignedOut() bool, and its Is matches any
// target that has it.
type foreignSignedOut struct{}

func (foreignSignedOut) Error() string   { return "other: signed out" }
func (foreignSignedOut) SignedOut() bool { return true }
func (foreignSignedOut) Is(target error) bool {
	so, ok := target.(interface{ SignedOut() bool })
	return ok && so.SignedOut()
}

// TestErrSignedOutMatchesBySignedOutMethod: client.ErrSignedOut and another
// package's sign-out error match each other with errors.Is, through their
// SignedOut methods, with no import between the two packages.
func TestErrSignedOutMatchesBySignedOutMethod(t *testing.T) {
	require.ErrorIs(t, fmt.Errorf("refresh: %w", foreignSignedOut{}), client.ErrSignedOut)
	require.ErrorIs(t, client.ErrSignedOut, foreignSignedOut{})
	require.ErrorIs(t, fmt.Errorf("no session: %w", client.ErrSignedOut), client.ErrSignedOut)
	require.NotErrorIs(t, errors.New("convex: signed out"), client.ErrSignedOut)
	require.NotErrorIs(t, client.ErrSignedOut, errors.New("convex: signed out"))
}
