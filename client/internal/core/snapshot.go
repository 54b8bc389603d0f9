package core

import (
	"encoding/json"

	"github.com/goconvex/convex/client/internal/protocol"
)

// StateTS returns the timestamp of the server state the client holds: the
// end timestamp of the last Transition it applied on the current socket,
// and false before the first one. Every result Results gives is as of it.
// A Transition is applied whole (remoteQueries.apply), so the results are
// never a mix of two Transitions.
func (c *Core) StateTS() (protocol.TS, bool) {
	v := c.remote.version
	return v.TS, v != protocol.StateVersion{}
}

// Results calls fn with every subscribed query that has a result in the
// state StateTS names: its token, component path ("" for the app's),
// canonical path, encoded arguments and result. Queries added since, whose
// first result has not arrived, are left out.
func (c *Core) Results(fn func(token QueryToken, component, path string, args json.RawMessage, r *QueryResult)) {
	for _, q := range c.local.byID {
		if r, ok := c.remote.results[q.id]; ok {
			fn(q.token, q.componentPath, q.path, q.args, r)
		}
	}
}
