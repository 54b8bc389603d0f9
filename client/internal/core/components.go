//go:build !js

package core

import (
	"slices"

	"github.com/goconvex/convex/client/internal/protocol"
)

// Calls into a component (a componentPath other than the root) need a
// deployment admin: an admin key not acting as a user. The backend checks
// it when it runs the call (parse_admin_component_path in crates/sync/src/
// worker.rs) and otherwise fails the whole connection with an internal
// error, which a reconnect would only repeat. So the client makes such
// calls only with admin auth, and ends them before its identity becomes
// another one (the client package: component.go).

// componentToken makes a component's query another query than the app's
// of the same path and arguments.
func componentToken(componentPath string, t QueryToken) QueryToken {
	if componentPath == "" {
		return t
	}
	return QueryToken(componentPath+"\x01") + t
}

// AdminAuth reports whether the client presents an admin key without an
// acting-as identity, and no token provider is about to replace it.
func (c *Core) AdminAuth() bool {
	return c.am.phase == authOff && c.auth != nil && c.auth.TokenType == protocol.TokenAdmin && len(c.auth.Impersonating) == 0
}

// DroppedQuery is a query of a component that DropComponentQueries
// removed.
type DroppedQuery struct {
	Token     QueryToken
	Component string
}

// DropComponentQueries removes every query of a component from the query
// set, whatever its subscriber count, and returns them. The Removes are
// queued ahead of whatever is sent after.
func (c *Core) DropComponentQueries() []DroppedQuery {
	var out []DroppedQuery
	for _, q := range c.local.byID {
		if q.componentPath == "" {
			continue
		}
		q.subscribers = 1
		c.Unsubscribe(q.token)
		out = append(out, DroppedQuery{Token: q.token, Component: q.componentPath})
	}
	return out
}

// DroppedRequest is a call into a component that DropComponentRequests
// ended.
type DroppedRequest struct {
	RequestID uint32
	Component string
	// Outcome is set for a mutation that succeeded and waited for the
	// Transition that reflects it.
	Outcome *Outcome
	// MayHaveRun reports a request that went out on a socket without an
	// answer: the deployment may have run it.
	MayHaveRun bool
}

// DropComponentRequests forgets every mutation and action into a
// component not settled yet, so that none is resent under another
// identity, and returns them in request id order.
func (c *Core) DropComponentRequests() []DroppedRequest {
	rs := c.requests
	var out []DroppedRequest
	for _, r := range rs.order {
		component := requestComponent(r.msg)
		if r.settled || component == "" {
			continue
		}
		d := DroppedRequest{RequestID: r.id, Component: component, MayHaveRun: r.status != notSent || r.olderThanRestart}
		if r.status == completed {
			o := r.outcome
			d.Outcome = &o
			rs.awaitingTS = slices.DeleteFunc(rs.awaitingTS, func(id uint32) bool { return id == r.id })
		}
		rs.remove(r.id)
		out = append(out, d)
	}
	return out
}

func requestComponent(m protocol.ClientMessage) string {
	switch m := m.(type) {
	case *protocol.Mutation:
		return m.ComponentPath
	case *protocol.Action:
		return m.ComponentPath
	}
	return ""
}
