package values

import (
	"fmt"
	"strconv"
)

// Error describes a Go value that Marshal cannot encode, or input that is
// not valid Convex JSON.
type Error struct {
	// Path locates the offending value from the top, in the form
	// convex/values uses: ".messages[3].body". It is empty for the
	// top-level value.
	Path string
	// Msg describes the problem.
	Msg string
}

// Error returns the message, prefixed with "values: " and the path if there
// is one: values: at .x: field name "$a" starts with a '$', which is reserved.
func (e *Error) Error() string {
	if e.Path == "" {
		return "values: " + e.Msg
	}
	return "values: at " + e.Path + ": " + e.Msg
}

func newError(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// inField prepends an object field to the error's path. Paths are built
// while an error travels up the recursion, so the success path pays nothing.
func (e *Error) inField(name string) *Error {
	e.Path = "." + name + e.Path
	return e
}

// inIndex prepends an array index to the error's path.
func (e *Error) inIndex(i int) *Error {
	e.Path = "[" + strconv.Itoa(i) + "]" + e.Path
	return e
}

// errTooNested mirrors the server's TooNestedError.
func errTooNested() *Error {
	return newError("value is too nested (maximum nesting is %d)", MaxDepth)
}

// errArrayTooLong mirrors the server's ArrayTooLong. The decoder stops
// counting at the first element too many and passes n = -1.
func errArrayTooLong(n int) *Error {
	if n < 0 {
		return newError("array length is too long (more than maximum length %d)", MaxArrayLen)
	}
	return newError("array length is too long (%d > maximum length %d)", n, MaxArrayLen)
}

// errTooManyFields mirrors the server's TooManyFieldsError. The decoder
// stops counting at the first field too many and passes n = -1.
func errTooManyFields(n int) *Error {
	if n < 0 {
		return newError("object has too many fields (more than maximum number %d)", MaxObjectFields)
	}
	return newError("object has too many fields (%d > maximum number %d)", n, MaxObjectFields)
}

// catchPanic turns a panic in an exported function into an *Error. Nothing
// here should panic; this is the last line of defence, and its message
// says "internal error" so that tests can tell it apart.
func catchPanic(err *error) {
	if r := recover(); r != nil {
		*err = &Error{Msg: fmt.Sprintf("internal error: %v", r)}
	}
}
