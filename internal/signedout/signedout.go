// Package signedout holds the error that means "no signed-in user" for the
// packages that report it without importing each other: client.ErrSignedOut
// is Err, and authkit's sign-out errors match Err with errors.Is, so that
// errors.Is(err, client.ErrSignedOut) holds for them although authkit does
// not import client.
package signedout

import "errors"

// Err is client.ErrSignedOut.
var Err = errors.New("convex: signed out")
