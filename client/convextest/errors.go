package convextest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// ConvexError is the Go form of JavaScript's `throw new ConvexError(data)`.
// A function that returns a ConvexError (or a *ConvexError) fails with
// errorData set to Data, which clients decode (`e.data` in JS). Data must be
// a value the values package can marshal.
type ConvexError struct {
	Data any
}

// Error returns the message a JS ConvexError would carry: Data itself when
// it is a string, else a JSON rendering of it.
func (e ConvexError) Error() string { return convexErrorMessage(e.Data) }

// ErrNotFound is returned by Patch, Replace and Delete when no document has
// the given id.
var ErrNotFound = errors.New("convextest: document not found")

// ErrClosed is returned by calls on a closed Server.
var ErrClosed = errors.New("convextest: server closed")

// FunctionError is what Server.Run returns when a function fails: the
// message a client would see (with the request id prefix) and the encoded
// ConvexError data, if any.
type FunctionError struct {
	// Message is the errorMessage clients receive.
	Message string
	// Data is the encoded (Convex JSON) ConvexError data, nil for other errors.
	Data []byte
	// LogLines are the function's log lines.
	LogLines []string
}

// Error returns Message.
func (e *FunctionError) Error() string { return e.Message }

// requestID returns a fresh request id: 16 lowercase hex digits, like the
// real server's.
func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// serverErrorMessage formats a function failure as a dev deployment does:
// "[Request ID: <id>] Server Error\n<text>".
func serverErrorMessage(text string) string {
	return fmt.Sprintf("[Request ID: %s] Server Error\n%s", requestID(), text)
}

// asConvexError reports whether err is (or wraps) a ConvexError.
func asConvexError(err error) (ConvexError, bool) {
	if v, ok := errors.AsType[ConvexError](err); ok {
		return v, true
	}
	if p, ok := errors.AsType[*ConvexError](err); ok && p != nil {
		return *p, true
	}
	return ConvexError{}, false
}
