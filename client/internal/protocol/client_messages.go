package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ClientMessage is a message from the client to the server.
type ClientMessage interface {
	// AppendJSON appends the wire encoding of the message to dst.
	AppendJSON(dst []byte) []byte
	clientMessage()
}

// Connect opens a session on a new socket (spec §3.1).
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

// Authenticate changes the connection's identity (spec §3.5).
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

// QuerySetModification adds or removes one query (spec §3.2).
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

// Mutation asks the server to run a mutation (spec §3.3).
type Mutation struct {
	RequestID     uint32
	UDFPath       string
	ComponentPath string
	// Args is the encoded Convex object of named arguments.
	Args json.RawMessage
}

// Action asks the server to run an action (spec §3.4).
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

// wireClientMessage has every field any client message can carry.
type wireClientMessage struct {
	Type string `json:"type"`
	// Connect
	SessionID            string  `json:"sessionId"`
	ConnectionCount      uint32  `json:"connectionCount"`
	LastCloseReason      *string `json:"lastCloseReason"`
	ClientTS             float64 `json:"clientTs"`
	MaxObservedTimestamp *TS     `json:"maxObservedTimestamp"`
	// ModifyQuerySet, Authenticate
	BaseVersion   *uint32 `json:"baseVersion"`
	NewVersion    *uint32 `json:"newVersion"`
	Modifications []struct {
		Type          string          `json:"type"`
		QueryID       *uint32         `json:"queryId"`
		UDFPath       string          `json:"udfPath"`
		Args          json.RawMessage `json:"args"`
		Journal       json.RawMessage `json:"journal"`
		ComponentPath string          `json:"componentPath"`
	} `json:"modifications"`
	TokenType     string          `json:"tokenType"`
	Value         string          `json:"value"`
	Impersonating json.RawMessage `json:"impersonating"`
	ActingAs      json.RawMessage `json:"acting_as"`
	// Mutation, Action
	RequestID     *uint32         `json:"requestId"`
	UDFPath       string          `json:"udfPath"`
	ComponentPath string          `json:"componentPath"`
	Args          json.RawMessage `json:"args"`
	// Event
	EventType string          `json:"eventType"`
	Event     json.RawMessage `json:"event"`
}

// DecodeClientMessage parses one client frame, leniently like the real
// server: unknown fields are ignored.
func DecodeClientMessage(data []byte) (ClientMessage, error) {
	var w wireClientMessage
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("failed to parse client message: %w", err)
	}
	switch w.Type {
	case "Connect":
		return &Connect{
			SessionID:            w.SessionID,
			ConnectionCount:      w.ConnectionCount,
			LastCloseReason:      w.LastCloseReason,
			ClientTS:             int64(w.ClientTS),
			MaxObservedTimestamp: w.MaxObservedTimestamp,
		}, nil
	case "ModifyQuerySet":
		if w.BaseVersion == nil || w.NewVersion == nil {
			return nil, errors.New("ModifyQuerySet needs baseVersion and newVersion")
		}
		m := &ModifyQuerySet{BaseVersion: *w.BaseVersion, NewVersion: *w.NewVersion}
		for _, mod := range w.Modifications {
			if mod.QueryID == nil {
				return nil, errors.New("query set modification needs a queryId")
			}
			q := QuerySetModification{Type: mod.Type, QueryID: *mod.QueryID}
			switch mod.Type {
			case ModAdd:
				args, err := unwrapArgs(mod.Args)
				if err != nil {
					return nil, err
				}
				q.UDFPath, q.Args, q.ComponentPath = mod.UDFPath, args, mod.ComponentPath
				if len(mod.Journal) > 0 {
					q.Journal = mod.Journal
				}
			case ModRemove:
			default:
				return nil, fmt.Errorf("unknown query set modification type %q", mod.Type)
			}
			m.Modifications = append(m.Modifications, q)
		}
		return m, nil
	case "Authenticate":
		if w.BaseVersion == nil {
			return nil, errors.New("Authenticate needs a baseVersion")
		}
		a := &Authenticate{BaseVersion: *w.BaseVersion, TokenType: w.TokenType, Value: w.Value}
		switch w.TokenType {
		case TokenUser, TokenNone:
		case TokenAdmin:
			a.Impersonating = w.Impersonating
			if isNull(a.Impersonating) {
				a.Impersonating = w.ActingAs
			}
			if isNull(a.Impersonating) {
				a.Impersonating = nil
			}
		default:
			return nil, fmt.Errorf("unknown tokenType %q", w.TokenType)
		}
		return a, nil
	case "Mutation", "Action":
		if w.RequestID == nil {
			return nil, fmt.Errorf("%s needs a requestId", w.Type)
		}
		args, err := unwrapArgs(w.Args)
		if err != nil {
			return nil, err
		}
		if w.Type == "Mutation" {
			return &Mutation{RequestID: *w.RequestID, UDFPath: w.UDFPath, ComponentPath: w.ComponentPath, Args: args}, nil
		}
		return &Action{RequestID: *w.RequestID, UDFPath: w.UDFPath, ComponentPath: w.ComponentPath, Args: args}, nil
	case "Event":
		return &Event{EventType: w.EventType, Event: w.Event}, nil
	default:
		return nil, fmt.Errorf("unknown client message type %q", w.Type)
	}
}

// unwrapArgs accepts what the real server accepts: a one-element array
// holding an object, or a bare object.
func unwrapArgs(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return json.RawMessage("{}"), nil
	}
	if raw[0] == '{' {
		return raw, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, fmt.Errorf("args must be an array holding one object: %w", err)
	}
	if len(arr) != 1 {
		return nil, fmt.Errorf("args must be an array holding one object, got %d elements", len(arr))
	}
	obj := bytes.TrimSpace(arr[0])
	if len(obj) == 0 || obj[0] != '{' {
		return nil, errors.New("args must be an array holding one object")
	}
	return obj, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}
