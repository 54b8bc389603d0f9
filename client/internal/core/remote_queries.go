package core

import (
	"fmt"

	"github.com/goconvex/convex/client/internal/protocol"
)

// QueryResult is the server's latest result for a query: a value, or a
// failure with its message and ConvexError data.
type QueryResult struct {
	// Value is the encoded result when the query succeeded.
	Value []byte
	// Failed reports a QueryFailed; ErrorMessage and ErrorData describe it.
	Failed       bool
	ErrorMessage string
	ErrorData    []byte
	LogLines     []string
}

// remoteQueries mirrors the server's view of this socket
// (docs/protocol.md#remote-query-set): the state version and the latest
// result of each query. A new socket starts with an empty one.
type remoteQueries struct {
	version protocol.StateVersion
	results map[uint32]*QueryResult
}

func newRemoteQueries() *remoteQueries {
	return &remoteQueries{results: map[uint32]*QueryResult{}}
}

// StartVersionError is returned for a Transition that does not start at the
// client's current version. The JS client throws and wedges; this client
// drops the socket and reconnects.
type StartVersionError struct {
	Got, Want protocol.StateVersion
}

func (e *StartVersionError) Error() string {
	return fmt.Sprintf("invalid start version: %s, transitioning from %s", e.Got, e.Want)
}

// apply applies a Transition and returns the modifications that updated or
// failed a query.
func (r *remoteQueries) apply(t *protocol.Transition) ([]*protocol.StateModification, error) {
	if t.StartVersion != r.version {
		return nil, &StartVersionError{Got: t.StartVersion, Want: r.version}
	}
	changed := make([]*protocol.StateModification, 0, len(t.Modifications))
	for i := range t.Modifications {
		m := &t.Modifications[i]
		switch m.Type {
		case protocol.QueryUpdated:
			r.results[m.QueryID] = &QueryResult{Value: m.Value, LogLines: m.LogLines}
		case protocol.QueryFailed:
			r.results[m.QueryID] = &QueryResult{Failed: true, ErrorMessage: m.ErrorMessage, ErrorData: m.ErrorData, LogLines: m.LogLines}
		case protocol.QueryRemoved:
			delete(r.results, m.QueryID)
			continue
		}
		changed = append(changed, m)
	}
	r.version = t.EndVersion
	return changed, nil
}
