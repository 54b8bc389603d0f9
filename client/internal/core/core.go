package core

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/goconvex/convex/client/internal/protocol"
)

// Auth is the identity the client presents: a user JWT, or an admin key
// optionally acting as a user.
type Auth struct {
	// TokenType is protocol.TokenUser or protocol.TokenAdmin.
	TokenType string
	Value     string
	// Impersonating is the acting-as identity of admin auth, a JSON object.
	Impersonating json.RawMessage
}

func (a *Auth) message(baseVersion uint32) *protocol.Authenticate {
	return &protocol.Authenticate{BaseVersion: baseVersion, TokenType: a.TokenType, Value: a.Value, Impersonating: a.Impersonating}
}

// ConnectMeta is what the socket layer knows when a socket opens.
type ConnectMeta struct {
	ConnectionCount uint32
	LastCloseReason *string
	ClientTS        int64
}

// Update is what one server message changed.
type Update struct {
	// Queries are the tokens whose results changed.
	Queries []QueryToken
	// Completed are the requests the message settled.
	Completed []Completion
	// AuthConfirmed reports a Transition that accepted the current identity.
	AuthConfirmed bool
	// AuthError is set when the server rejected the identity.
	AuthError *protocol.AuthError
	// Auth is what the auth manager asks the event loop to do.
	Auth AuthEffects
	// SyncedPastReconnect reports that nothing from before the last
	// reconnect is outstanding any more: the backoff may reset.
	SyncedPastReconnect bool
}

// FatalServerError is returned for a FatalError message: the deployment
// judged a message of this client's invalid and closes the socket. The JS
// client stops for good; this client reconnects a bounded number of times,
// then stops (see the client package).
type FatalServerError struct{ Message string }

func (e *FatalServerError) Error() string { return "server reported a fatal error: " + e.Message }

// Core is the client's sync state (the JS BaseConvexClient without I/O).
// Operations queue messages in an outbox while a socket is ready; when a
// socket opens, Opened rebuilds the session from the state. Core is not safe
// for concurrent use: one event loop owns it.
type Core struct {
	sessionID string
	local     *localQueries
	remote    *remoteQueries
	requests  *requests
	nextReqID uint32

	auth            *Auth
	identityVersion uint32
	// authOutstanding holds back the backoff reset until the server
	// confirmed the identity sent on the last restart.
	authOutstanding bool

	// serverHasAuth says whether the last identity sent on this socket was
	// a token (so that clearing it during a pause is still transmitted).
	serverHasAuth bool
	am            authManager

	maxObservedTS *protocol.TS
	ready         bool
	// paused holds query set changes and requests back while the client
	// waits for an auth token; restartPending marks a socket that opened
	// during the pause and still needs its session rebuilt.
	paused         bool
	restartPending bool
	outbox         []protocol.ClientMessage
}

// New returns the state of a client with the given session id.
func New(sessionID string) *Core {
	return &Core{sessionID: sessionID, local: newLocalQueries(), remote: newRemoteQueries(), requests: newRequests()}
}

// SessionID returns the session id the client keeps for its whole life.
func (c *Core) SessionID() string { return c.sessionID }

func (c *Core) send(m protocol.ClientMessage) bool {
	if !c.ready || c.paused {
		return false
	}
	c.outbox = append(c.outbox, m)
	return true
}

// sendRequests queues for sending the requests the flow-control window
// admits; nothing goes out while no socket is ready or while paused. It
// runs whenever the window or the queue may have changed: a new request, a
// response, a restart, a resume.
func (c *Core) sendRequests() {
	if !c.ready || c.paused {
		return
	}
	c.outbox = append(c.outbox, c.requests.release()...)
}

// TakeOutbox returns the messages to send, in order, and empties the outbox.
func (c *Core) TakeOutbox() []protocol.ClientMessage {
	out := c.outbox
	c.outbox = nil
	return out
}

// Opened starts the session on a new socket
// (docs/protocol.md#connection-lifecycle): Connect, then Authenticate when
// the client has auth, the whole query set, and the requests to resend. It
// returns the actions that were still in flight, failed with
// ConnectionLostMessage. While paused only Connect goes out; the rest follows
// on Resume.
func (c *Core) Opened(meta ConnectMeta) []Completion {
	c.ready = true
	c.remote = newRemoteQueries()
	c.outbox = append(c.outbox, &protocol.Connect{
		SessionID: c.sessionID, ConnectionCount: meta.ConnectionCount, LastCloseReason: meta.LastCloseReason,
		ClientTS: meta.ClientTS, MaxObservedTimestamp: c.maxObservedTS,
	})
	if c.paused {
		c.restartPending = true
		return c.requests.connectionLost()
	}
	return c.restart()
}

// restart rebuilds the session on a fresh socket.
func (c *Core) restart() []Completion {
	c.restartPending = false
	querySet := c.local.restart()
	c.serverHasAuth = c.auth != nil
	if c.auth != nil {
		c.send(c.auth.message(0))
		c.identityVersion = 1
		c.authOutstanding = true
	} else {
		c.identityVersion = 0
	}
	c.send(querySet)
	failed := c.requests.restart()
	c.sendRequests()
	return failed
}

// Pause holds query set changes and requests back until Resume, as the JS
// client does while it fetches an auth token.
func (c *Core) Pause() {
	c.paused = true
	c.local.paused = true
}

// Resume ends a pause: on a socket that opened meanwhile it rebuilds the
// session; otherwise it sends the identity (a token, or None when a token
// was cleared during the pause), the held query set changes, and the
// requests made meanwhile. It returns actions failed by a rebuild.
func (c *Core) Resume() []Completion {
	if !c.paused {
		return nil
	}
	c.paused = false
	if c.restartPending && c.ready {
		return c.restart()
	}
	mods := c.local.resume()
	if !c.ready {
		return nil // the next Opened rebuilds everything
	}
	switch {
	case c.auth != nil:
		c.send(c.auth.message(c.identityVersion))
		c.identityVersion++
		c.serverHasAuth = true
	case c.serverHasAuth:
		c.send(&protocol.Authenticate{BaseVersion: c.identityVersion, TokenType: protocol.TokenNone})
		c.identityVersion++
		c.serverHasAuth = false
	}
	if mods != nil {
		c.send(mods)
	}
	c.sendRequests()
	return nil
}

// Closed records that the socket is gone. Messages are no longer queued
// until the next Opened.
func (c *Core) Closed() {
	c.ready = false
	c.outbox = nil
}

// Subscribe adds a subscriber to a query; args is the encoded argument
// object. The query goes out under its canonical path. Subscribers of equal
// queries share one server query.
func (c *Core) Subscribe(path string, args json.RawMessage, componentPath string) QueryToken {
	token, mod := c.local.subscribe(path, args, componentPath)
	if mod != nil {
		c.send(mod)
	}
	return token
}

// Unsubscribe removes one subscriber from a query.
func (c *Core) Unsubscribe(token QueryToken) {
	if mod := c.local.unsubscribe(token); mod != nil {
		c.send(mod)
	}
}

// Result returns the latest server result of a subscribed query, if any.
func (c *Core) Result(token QueryToken) (*QueryResult, bool) {
	q, ok := c.local.byToken[token]
	if !ok {
		return nil, false
	}
	r, ok := c.remote.results[q.id]
	return r, ok
}

// QueryPath returns the canonical path of a subscribed query.
func (c *Core) QueryPath(token QueryToken) string {
	if q, ok := c.local.byToken[token]; ok {
		return q.path
	}
	return ""
}

// Mutation queues a mutation made at now and returns its request id. It
// goes out at once unless flow control holds it back (MaxInflightMutations
// unanswered already) or no socket is ready.
func (c *Core) Mutation(path string, args json.RawMessage, componentPath string, now time.Time) uint32 {
	id := c.nextReqID
	c.nextReqID++
	m := &protocol.Mutation{RequestID: id, UDFPath: path, ComponentPath: componentPath, Args: args}
	c.requests.add(m, now)
	c.sendRequests()
	return id
}

// Action queues an action made at now and returns its request id; like a
// mutation it may wait for room (MaxInflightActions).
func (c *Core) Action(path string, args json.RawMessage, componentPath string, now time.Time) uint32 {
	id := c.nextReqID
	c.nextReqID++
	m := &protocol.Action{RequestID: id, UDFPath: path, ComponentPath: componentPath, Args: args}
	c.requests.add(m, now)
	c.sendRequests()
	return id
}

// setAuth presents a new identity; nil clears it (Authenticate None).
// While paused the change waits for Resume.
func (c *Core) setAuth(a *Auth) {
	c.auth = a
	if c.paused || !c.ready {
		return
	}
	base := c.identityVersion
	c.identityVersion++
	if a == nil {
		c.authOutstanding = false
		c.serverHasAuth = false
		c.send(&protocol.Authenticate{BaseVersion: base, TokenType: protocol.TokenNone})
		return
	}
	c.serverHasAuth = true
	c.send(a.message(base))
}

// HasAuth reports whether the client presents an identity.
func (c *Core) HasAuth() bool { return c.auth != nil }

// IdentityVersion is the version of the last identity change sent.
func (c *Core) IdentityVersion() uint32 { return c.identityVersion }

// Receive applies one server message received at now. An error means the
// socket must be dropped and reconnected: a Transition out of order or a
// FatalError. A MutationResponse or ActionResponse frees a slot of the
// flow-control window, so the outbox may then hold requests to send.
func (c *Core) Receive(msg protocol.ServerMessage, now time.Time) (Update, error) {
	var u Update
	switch m := msg.(type) {
	case *protocol.Transition:
		c.observe(m.EndVersion.TS)
		start := m.StartVersion.Identity
		changed, err := c.remote.apply(m)
		if err != nil {
			return u, err
		}
		if m.EndVersion.Identity > start && m.EndVersion.Identity >= c.identityVersion {
			u.AuthConfirmed = c.auth != nil
			c.authOutstanding = false
			if u.AuthConfirmed {
				u.Auth = c.am.confirmed(c, now)
			}
		}
		for _, mod := range changed {
			c.local.saveJournal(mod.QueryID, mod.Journal)
			if q, ok := c.local.byID[mod.QueryID]; ok {
				u.Queries = append(u.Queries, q.token)
			}
		}
		u.Completed = c.requests.removeCompleted(m.EndVersion.TS)
	case *protocol.MutationResponse:
		if m.Success && m.TS != nil {
			c.observe(*m.TS)
		}
		if done, ok := c.requests.onMutationResponse(m); ok {
			u.Completed = append(u.Completed, done)
		}
		c.sendRequests() // the response freed a slot in the window
	case *protocol.ActionResponse:
		if done, ok := c.requests.onActionResponse(m); ok {
			u.Completed = append(u.Completed, done)
		}
		c.sendRequests()
	case *protocol.AuthError:
		u.AuthError = m
		u.Auth = c.am.authError(c, m)
	case *protocol.FatalError:
		return u, &FatalServerError{Message: m.Error}
	case *protocol.Ping:
	case *protocol.TransitionChunk:
		return u, fmt.Errorf("core: TransitionChunk must be reassembled before Receive")
	}
	u.SyncedPastReconnect = len(c.local.outstanding) == 0 && !c.requests.hasOlderThanRestart() && !c.authOutstanding
	return u, nil
}

func (c *Core) observe(ts protocol.TS) {
	if c.maxObservedTS == nil || *c.maxObservedTS < ts {
		c.maxObservedTS = &ts
	}
}

// Requests summarizes the requests in flight.
func (c *Core) Requests() RequestStats { return c.requests.stats() }

// Abandon forgets every mutation and action not settled yet, and returns
// their request ids in order, for the client to fail them: it stopped for
// good and will not send them.
func (c *Core) Abandon() []uint32 {
	c.outbox = nil
	return c.requests.abandon()
}

// ConnectionLost fails the actions sent on the socket that just closed: they
// may or may not have run, and their results cannot arrive on another
// socket. The JS client fails them only when the next socket opens; failing
// them at once lets callers react without waiting for a reconnect.
func (c *Core) ConnectionLost() []Completion { return c.requests.connectionLost() }
