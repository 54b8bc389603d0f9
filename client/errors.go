package client

import (
	"errors"
	"fmt"

	"github.com/goconvex/convex/client/internal/udfpath"
	"github.com/goconvex/convex/client/values"
)

var (
	// ErrClosed is returned by calls on a closed Client or Subscription.
	ErrClosed = errors.New("convex: client closed")
	// ErrConnectionLost matches the failure of an action that was in flight
	// when its connection dropped. The action may or may not have run; the
	// client does not resend it.
	ErrConnectionLost = errors.New("convex: connection lost while action was in flight")
	// ErrNoErrorData is returned by ErrorData for an error that carries no
	// ConvexError data.
	ErrNoErrorData = errors.New("convex: error carries no ConvexError data")
	// ErrInvalidFunctionPath matches the error of a call whose function
	// path the deployment would refuse (for example "messages:li-st", or
	// "/messages:list"). The call fails at once and nothing is sent; the
	// error's text names the rule the path breaks.
	ErrInvalidFunctionPath = errors.New("convex: invalid function path")
)

// checkPath parses a function path by the backend's rules (see package
// udfpath); a bad one is an error matching ErrInvalidFunctionPath.
func checkPath(name string) (udfpath.Path, error) {
	p, err := udfpath.Parse(name)
	if err != nil {
		return udfpath.Path{}, fmt.Errorf("%w: %w", ErrInvalidFunctionPath, err)
	}
	return p, nil
}

// FatalError is the error of a client that stopped for good: the deployment
// answered its session with a FatalError message (it found a message of
// the client's invalid, which a reconnect does not change) three times in
// a row (see the package doc). Calls in flight then, later calls, and every
// subscription fail with it; ConnectionState.Failed is set. Close the
// client and create a new one to start over.
type FatalError struct {
	// Message is the server's text of the last FatalError, e.g.
	// "WSMessageInvalidJson: Received Invalid JSON on websocket: …".
	Message string
}

func (e *FatalError) Error() string {
	return "convex: the deployment refused this client's session: " + e.Message
}

// FunctionKind says which kind of function failed.
type FunctionKind byte

// Function kinds, as the JS client prints them.
const (
	KindQuery    FunctionKind = 'Q'
	KindMutation FunctionKind = 'M'
	KindAction   FunctionKind = 'A'
)

func (k FunctionKind) String() string {
	switch k {
	case KindQuery:
		return "query"
	case KindMutation:
		return "mutation"
	case KindAction:
		return "action"
	}
	return fmt.Sprintf("FunctionKind(%d)", byte(k))
}

// FunctionError is a failure of a Convex function: the server ran it and it
// threw, or it could not be run.
type FunctionError struct {
	Kind     FunctionKind
	Function string
	// Message is the server's error text, e.g.
	// "[Request ID: …] Server Error\nUncaught Error: boom".
	Message string
	// Data is the ConvexError data the function threw, decoded as
	// values.Unmarshal decodes into any; nil when the function threw
	// another error, and also for a ConvexError(null): IsConvexError tells
	// the two apart. Use ErrorData for typed access.
	Data any
	// LogLines are the function's console output.
	LogLines []string

	rawData values.Raw
	cause   error
}

// Error formats the error as the JS client does: "[CONVEX M(messages:send)] <message>".
func (e *FunctionError) Error() string {
	return fmt.Sprintf("[CONVEX %c(%s)] %s", byte(e.Kind), e.Function, e.Message)
}

// Unwrap returns ErrConnectionLost for an action lost with its connection.
func (e *FunctionError) Unwrap() error { return e.cause }

// IsConvexError reports whether the function threw a ConvexError, which
// carries Data (possibly null: ConvexError(null)).
func (e *FunctionError) IsConvexError() bool { return e.rawData != nil }

// ErrorData decodes the ConvexError data carried by err (or an error it
// wraps) into v; the data of a ConvexError(null) decodes as null. It
// returns ErrNoErrorData when err is not a ConvexError.
func ErrorData(err error, v any) error {
	fe, ok := errors.AsType[*FunctionError](err)
	if !ok || fe.rawData == nil {
		return ErrNoErrorData
	}
	if err := values.Unmarshal(fe.rawData, v); err != nil {
		return fmt.Errorf("failed to decode ConvexError data: %w", err)
	}
	return nil
}

func newFunctionError(kind FunctionKind, name, message string, data []byte, logLines []string) *FunctionError {
	fe := &FunctionError{Kind: kind, Function: name, Message: message, LogLines: logLines}
	if data != nil {
		fe.rawData = values.Raw(data)
		if err := values.Unmarshal(data, &fe.Data); err != nil {
			fe.Data = nil
		}
	}
	return fe
}
