package client_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/internal/signedout"
)

// foreignSignedOut is the sign-out error of a package that does not import
// client, as authkit's is: its Is matches internal/signedout's Err.
type foreignSignedOut struct{}

func (foreignSignedOut) Error() string        { return "other: signed out" }
func (foreignSignedOut) Is(target error) bool { return target == signedout.Err }

// TestErrSignedOutMatchesWithoutImport: another package's sign-out error
// matches client.ErrSignedOut with errors.Is through internal/signedout,
// with no import of client.
func TestErrSignedOutMatchesWithoutImport(t *testing.T) {
	require.ErrorIs(t, fmt.Errorf("refresh: %w", foreignSignedOut{}), client.ErrSignedOut)
	require.ErrorIs(t, fmt.Errorf("no session: %w", client.ErrSignedOut), client.ErrSignedOut)
	require.NotErrorIs(t, errors.New("convex: signed out"), client.ErrSignedOut)
}
