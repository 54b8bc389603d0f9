package protocol

import (
	"encoding/json"
)

// ClientMessage is a message from the client to the server.
type ClientMessage interface {
	// AppendJSON appends the wire encoding of the message to dst.
	AppendJSON(dst []byte) []byte
	clientMessage()
}

// Connect opens a session on a new socket (docs/protocol.md#connect).
type Connect struct {
	SessionID       string
	ConnectionCount uint32
	// LastCloseReason is why the previous socket ended; nil encodes as null.
	LastCloseReason *string
	// ClientTS is the client's wall clock in milliseconds.
	ClientTS int64
	// MaxObservedTimestamp is omitted until the client has observed a ts.
	MaxObservedTimestamp *TS
}

// Token types of an Authenticate message.
const (
	TokenUser  = "User"
	TokenAdmin = "Admin"
	TokenNone  = "None"
)

// Authenticate changes the connection's identity
// (docs/protocol.md#authenticate).
type Authenticate struct {
	BaseVersion uint32
	// TokenType is TokenUser, TokenAdmin or TokenNone.
	TokenType string
	// Value is the JWT or the admin key; empty for TokenNone.
	Value string
	// Impersonating holds UserIdentityAttributes as a JSON object, for admin
	// auth acting as a user; nil when absent.
	Impersonating json.RawMessage
}

// Query set modification types.
const (
	ModAdd    = "Add"
	ModRemove = "Remove"
)

// QuerySetModification adds or removes one query
// (docs/protocol.md#modifyqueryset).
type QuerySetModification struct {
	// Type is ModAdd or ModRemove.
	Type    string
	QueryID uint32
	// The fields below are for ModAdd only.
	UDFPath string
	// Args is the encoded Convex object of named arguments; on the wire it is
	// wrapped in a one-element array.
	Args json.RawMessage
	// Journal is the raw journal (a JSON string or null); nil omits it.
	Journal       json.RawMessage
	ComponentPath string
}

// ModifyQuerySet changes the client's query set from BaseVersion to NewVersion.
type ModifyQuerySet struct {
	BaseVersion   uint32
	NewVersion    uint32
	Modifications []QuerySetModification
}

// Mutation asks the server to run a mutation (docs/protocol.md#mutation).
type Mutation struct {
	RequestID     uint32
	UDFPath       string
	ComponentPath string
	// Args is the encoded Convex object of named arguments.
	Args json.RawMessage
}

// Action asks the server to run an action (docs/protocol.md#action).
type Action struct {
	RequestID     uint32
	UDFPath       string
	ComponentPath string
	// Args is the encoded Convex object of named arguments.
	Args json.RawMessage
}

// Event is client telemetry; servers log it and otherwise ignore it.
type Event struct {
	EventType string
	Event     json.RawMessage
}

func (*Connect) clientMessage()        {}
func (*Authenticate) clientMessage()   {}
func (*ModifyQuerySet) clientMessage() {}
func (*Mutation) clientMessage()       {}
func (*Action) clientMessage()         {}
func (*Event) clientMessage()          {}

// AppendJSON implements ClientMessage, in the JS client's field order.
func (m *Connect) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"connectionCount":`...)
	dst = appendUint(dst, uint64(m.ConnectionCount))
	dst = append(dst, `,"lastCloseReason":`...)
	dst = appendOptString(dst, m.LastCloseReason)
	dst = append(dst, `,"clientTs":`...)
	dst = appendInt(dst, m.ClientTS)
	dst = append(dst, `,"type":"Connect","sessionId":`...)
	dst = appendString(dst, m.SessionID)
	if m.MaxObservedTimestamp != nil {
		dst = append(dst, `,"maxObservedTimestamp":`...)
		dst = m.MaxObservedTimestamp.appendJSON(dst)
	}
	return append(dst, '}')
}

// AppendJSON implements ClientMessage, in the JS client's field order.
func (m *Authenticate) AppendJSON(dst []byte) []byte {
	if m.TokenType == TokenNone {
		dst = append(dst, `{"type":"Authenticate","tokenType":"None","baseVersion":`...)
		dst = appendUint(dst, uint64(m.BaseVersion))
		return append(dst, '}')
	}
	dst = append(dst, `{"type":"Authenticate","baseVersion":`...)
	dst = appendUint(dst, uint64(m.BaseVersion))
	dst = append(dst, `,"tokenType":`...)
	dst = appendString(dst, m.TokenType)
	dst = append(dst, `,"value":`...)
	dst = appendString(dst, m.Value)
	if len(m.Impersonating) > 0 {
		dst = append(dst, `,"impersonating":`...)
		dst = append(dst, m.Impersonating...)
	}
	return append(dst, '}')
}

// AppendJSON implements ClientMessage, in the JS client's field order.
func (m *ModifyQuerySet) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"type":"ModifyQuerySet","baseVersion":`...)
	dst = appendUint(dst, uint64(m.BaseVersion))
	dst = append(dst, `,"newVersion":`...)
	dst = appendUint(dst, uint64(m.NewVersion))
	dst = append(dst, `,"modifications":[`...)
	for i := range m.Modifications {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = m.Modifications[i].appendJSON(dst)
	}
	return append(dst, "]}"...)
}

func (q *QuerySetModification) appendJSON(dst []byte) []byte {
	if q.Type == ModRemove {
		dst = append(dst, `{"type":"Remove","queryId":`...)
		dst = appendUint(dst, uint64(q.QueryID))
		return append(dst, '}')
	}
	dst = append(dst, `{"type":"Add","queryId":`...)
	dst = appendUint(dst, uint64(q.QueryID))
	dst = append(dst, `,"udfPath":`...)
	dst = appendString(dst, q.UDFPath)
	dst = appendArgs(dst, q.Args)
	if q.Journal != nil {
		dst = append(dst, `,"journal":`...)
		dst = append(dst, q.Journal...)
	}
	if q.ComponentPath != "" {
		dst = append(dst, `,"componentPath":`...)
		dst = appendString(dst, q.ComponentPath)
	}
	return append(dst, '}')
}

// AppendJSON implements ClientMessage, in the JS client's field order.
func (m *Mutation) AppendJSON(dst []byte) []byte {
	return appendRequest(dst, "Mutation", m.RequestID, m.UDFPath, m.ComponentPath, m.Args)
}

// AppendJSON implements ClientMessage, in the JS client's field order.
func (m *Action) AppendJSON(dst []byte) []byte {
	return appendRequest(dst, "Action", m.RequestID, m.UDFPath, m.ComponentPath, m.Args)
}

func appendRequest(dst []byte, typ string, id uint32, path, component string, args json.RawMessage) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `","requestId":`...)
	dst = appendUint(dst, uint64(id))
	dst = append(dst, `,"udfPath":`...)
	dst = appendString(dst, path)
	if component != "" {
		dst = append(dst, `,"componentPath":`...)
		dst = appendString(dst, component)
	}
	dst = appendArgs(dst, args)
	return append(dst, '}')
}

// appendArgs appends the "args" field: the object wrapped in an array, and
// an empty object when args is empty.
func appendArgs(dst []byte, args json.RawMessage) []byte {
	dst = append(dst, `,"args":[`...)
	if len(args) == 0 {
		dst = append(dst, "{}"...)
	} else {
		dst = append(dst, args...)
	}
	return append(dst, ']')
}

// AppendJSON implements ClientMessage.
func (m *Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"type":"Event","eventType":`...)
	dst = appendString(dst, m.EventType)
	dst = append(dst, `,"event":`...)
	dst = appendRaw(dst, m.Event)
	return append(dst, '}')
}
