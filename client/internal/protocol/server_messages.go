package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/goconvex/convex/client/values"
)

// ServerMessage is a message from the server to the client.
type ServerMessage interface {
	// AppendWire appends the wire encoding of the message to dst. (Client
	// messages call theirs AppendJSON. The names differ because the linker
	// keeps every method whose name and signature match a method called
	// through an interface: the client's calls to ClientMessage.AppendJSON
	// would otherwise keep these server-side encoders in the wasm client.)
	AppendWire(dst []byte) []byte
	serverMessage()
}

// Kinds of StateModification.
const (
	QueryUpdated = "QueryUpdated"
	QueryFailed  = "QueryFailed"
	QueryRemoved = "QueryRemoved"
)

// StateModification is one query's change inside a Transition
// (docs/protocol.md#transition).
type StateModification struct {
	// Type is QueryUpdated, QueryFailed or QueryRemoved.
	Type    string
	QueryID uint32
	// Value is the encoded result of a QueryUpdated (null when absent).
	Value json.RawMessage
	// ErrorMessage and ErrorData describe a QueryFailed; ErrorData is the
	// encoded ConvexError data, nil when the error is not a ConvexError
	// (and "null" for a ConvexError(null): the backend keeps a null
	// errorData, see deserialize_some in crates/convex/sync_types/src/types/json.rs).
	ErrorMessage string
	ErrorData    json.RawMessage
	LogLines     []string
	// Journal is the raw journal, a JSON string or null.
	Journal json.RawMessage
}

// Transition moves the client's remote query set from StartVersion to
// EndVersion (docs/protocol.md#transition).
type Transition struct {
	StartVersion  StateVersion
	EndVersion    StateVersion
	Modifications []StateModification
	// ClientClockSkew is in milliseconds; nil encodes as null.
	ClientClockSkew *float64
	// ServerTS is the server's wall clock in nanoseconds; nil encodes as null.
	ServerTS *int64
	// Skipped lists the types of the modifications that were left out
	// because this client does not know them (a newer server's); it is not
	// encoded.
	Skipped []string
}

// TransitionChunk is one part of a Transition too large for one frame
// (docs/protocol.md#transitionchunk).
type TransitionChunk struct {
	Chunk        string
	PartNumber   uint32
	TotalParts   uint32
	TransitionID string
}

// MutationResponse answers a Mutation (docs/protocol.md#mutationresponse).
type MutationResponse struct {
	RequestID uint32
	Success   bool
	// Result is the encoded return value on success, or the error message
	// as a JSON string on failure.
	Result json.RawMessage
	// TS is the commit timestamp of a successful mutation.
	TS       *TS
	LogLines []string
	// ErrorData is the encoded ConvexError data of a failure; nil when the
	// error is not a ConvexError, "null" for a ConvexError(null).
	ErrorData json.RawMessage
}

// ActionResponse answers an Action (docs/protocol.md#actionresponse).
type ActionResponse struct {
	RequestID uint32
	Success   bool
	// Result is the encoded return value on success, or the error message
	// as a JSON string on failure.
	Result   json.RawMessage
	LogLines []string
	// ErrorData is the encoded ConvexError data of a failure; nil when the
	// error is not a ConvexError, "null" for a ConvexError(null).
	ErrorData json.RawMessage
}

// AuthError reports a rejected or expired identity; the server closes the
// socket after sending it (docs/protocol.md#autherror).
type AuthError struct {
	Error string
	// BaseVersion is the server's last transitioned identity version; nil is null.
	BaseVersion         *uint32
	AuthUpdateAttempted bool
}

// FatalError reports a deterministic client error before the server closes
// the socket (docs/protocol.md#fatalerror).
type FatalError struct {
	Error string
}

// Ping is the server's keepalive (docs/protocol.md#ping).
type Ping struct{}

// Unknown is a server message of a type this client does not know, from a
// newer server. The JS client ignores such messages and keeps the socket;
// so does this client.
type Unknown struct {
	Type string
}

func (*Transition) serverMessage()       {}
func (*TransitionChunk) serverMessage()  {}
func (*MutationResponse) serverMessage() {}
func (*ActionResponse) serverMessage()   {}
func (*AuthError) serverMessage()        {}
func (*FatalError) serverMessage()       {}
func (*Ping) serverMessage()             {}
func (*Unknown) serverMessage()          {}

// AppendWire implements ServerMessage.
func (m *Transition) AppendWire(dst []byte) []byte {
	dst = append(dst, `{"type":"Transition","startVersion":`...)
	dst = m.StartVersion.appendJSON(dst)
	dst = append(dst, `,"endVersion":`...)
	dst = m.EndVersion.appendJSON(dst)
	dst = append(dst, `,"modifications":[`...)
	for i := range m.Modifications {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = m.Modifications[i].appendJSON(dst)
	}
	dst = append(dst, `],"clientClockSkew":`...)
	if m.ClientClockSkew == nil {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendFloat(dst, *m.ClientClockSkew, 'f', -1, 64)
	}
	dst = append(dst, `,"serverTs":`...)
	if m.ServerTS == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendInt(dst, *m.ServerTS)
	}
	return append(dst, '}')
}

func (s *StateModification) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, s.Type)
	dst = append(dst, `,"queryId":`...)
	dst = appendUint(dst, uint64(s.QueryID))
	switch s.Type {
	case QueryRemoved:
		return append(dst, '}')
	case QueryFailed:
		dst = append(dst, `,"errorMessage":`...)
		dst = appendString(dst, s.ErrorMessage)
	default:
		dst = append(dst, `,"value":`...)
		dst = appendRaw(dst, s.Value)
	}
	dst = append(dst, `,"logLines":`...)
	dst = appendStrings(dst, s.LogLines)
	dst = append(dst, `,"journal":`...)
	dst = appendRaw(dst, s.Journal)
	if s.Type == QueryFailed && len(s.ErrorData) > 0 {
		dst = append(dst, `,"errorData":`...)
		dst = append(dst, s.ErrorData...)
	}
	return append(dst, '}')
}

// AppendWire implements ServerMessage.
func (m *TransitionChunk) AppendWire(dst []byte) []byte {
	dst = append(dst, `{"type":"TransitionChunk","chunk":`...)
	dst = appendString(dst, m.Chunk)
	dst = append(dst, `,"partNumber":`...)
	dst = appendUint(dst, uint64(m.PartNumber))
	dst = append(dst, `,"totalParts":`...)
	dst = appendUint(dst, uint64(m.TotalParts))
	dst = append(dst, `,"transitionId":`...)
	dst = appendString(dst, m.TransitionID)
	return append(dst, '}')
}

// AppendWire implements ServerMessage.
func (m *MutationResponse) AppendWire(dst []byte) []byte {
	dst = appendResponseHead(dst, "MutationResponse", m.RequestID, m.Success, m.Result)
	dst = append(dst, `,"ts":`...)
	if m.TS == nil {
		dst = append(dst, "null"...)
	} else {
		dst = m.TS.appendJSON(dst)
	}
	return appendResponseTail(dst, m.Success, m.LogLines, m.ErrorData)
}

// AppendWire implements ServerMessage.
func (m *ActionResponse) AppendWire(dst []byte) []byte {
	dst = appendResponseHead(dst, "ActionResponse", m.RequestID, m.Success, m.Result)
	return appendResponseTail(dst, m.Success, m.LogLines, m.ErrorData)
}

func appendResponseHead(dst []byte, typ string, id uint32, success bool, result json.RawMessage) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `","requestId":`...)
	dst = appendUint(dst, uint64(id))
	dst = append(dst, `,"success":`...)
	dst = strconv.AppendBool(dst, success)
	dst = append(dst, `,"result":`...)
	return appendRaw(dst, result)
}

func appendResponseTail(dst []byte, success bool, logLines []string, errorData json.RawMessage) []byte {
	dst = append(dst, `,"logLines":`...)
	dst = appendStrings(dst, logLines)
	if !success && len(errorData) > 0 {
		dst = append(dst, `,"errorData":`...)
		dst = append(dst, errorData...)
	}
	return append(dst, '}')
}

// AppendWire implements ServerMessage.
func (m *AuthError) AppendWire(dst []byte) []byte {
	dst = append(dst, `{"type":"AuthError","error":`...)
	dst = appendString(dst, m.Error)
	dst = append(dst, `,"baseVersion":`...)
	if m.BaseVersion == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendUint(dst, uint64(*m.BaseVersion))
	}
	dst = append(dst, `,"authUpdateAttempted":`...)
	dst = strconv.AppendBool(dst, m.AuthUpdateAttempted)
	return append(dst, '}')
}

// AppendWire implements ServerMessage.
func (m *FatalError) AppendWire(dst []byte) []byte {
	dst = append(dst, `{"type":"FatalError","error":`...)
	dst = appendString(dst, m.Error)
	return append(dst, '}')
}

// AppendWire implements ServerMessage.
func (*Ping) AppendWire(dst []byte) []byte { return append(dst, `{"type":"Ping"}`...) }

// AppendWire implements ServerMessage: the type alone.
func (m *Unknown) AppendWire(dst []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, m.Type)
	return append(dst, '}')
}

// wireVersion is a StateVersion as it arrives, before its ts is parsed.
type wireVersion struct {
	QuerySet uint32
	Identity uint32
	TS       string
}

func (w *wireVersion) version() (StateVersion, error) {
	ts, err := ParseTS(w.TS)
	return StateVersion{QuerySet: w.QuerySet, Identity: w.Identity, TS: ts}, err
}

// wireServerMessage has every field any server message can carry. It is
// decoded in one pass by a values.Decoder (decodeWire): the values it
// carries stay raw (values.Raw) until a caller decodes them.
type wireServerMessage struct {
	Type string
	// Transition
	StartVersion    *wireVersion
	EndVersion      *wireVersion
	Modifications   []wireModification
	ClientClockSkew *float64
	ServerTS        values.Raw // nanoseconds: more than a float64 holds
	// TransitionChunk
	Chunk        string
	PartNumber   uint32
	TotalParts   uint32
	TransitionID string
	// MutationResponse, ActionResponse
	RequestID *uint32
	Success   bool
	Result    values.Raw
	TS        *string
	LogLines  []string
	ErrorData values.Raw
	// AuthError, FatalError
	Error               string
	BaseVersion         *uint32
	AuthUpdateAttempted *bool
}

// wireModification is one state modification of a Transition as it arrives.
type wireModification struct {
	Type         string
	QueryID      *uint32
	Value        values.Raw
	ErrorMessage string
	ErrorData    values.Raw
	LogLines     []string
	Journal      values.Raw
}

// DecodeServerMessage parses one server frame. It returns an error for a
// frame that is not valid JSON, lacks a required field, or carries a value
// (a result, errorData) that is not valid Convex JSON. What a newer server
// may add is left out, as the JS client ignores it: an unknown message type
// decodes as *Unknown, a modification of an unknown type is dropped from
// its Transition (and named in Skipped), and unknown fields are skipped.
func DecodeServerMessage(data []byte) (ServerMessage, error) {
	w, err := decodeWire(data)
	if err != nil {
		return nil, fmt.Errorf("failed to parse server message: %w", err)
	}
	switch w.Type {
	case "Transition":
		if w.StartVersion == nil || w.EndVersion == nil {
			return nil, errors.New("Transition needs startVersion and endVersion")
		}
		start, err := w.StartVersion.version()
		if err != nil {
			return nil, err
		}
		end, err := w.EndVersion.version()
		if err != nil {
			return nil, err
		}
		t := &Transition{StartVersion: start, EndVersion: end, ClientClockSkew: w.ClientClockSkew}
		if raw := string(w.ServerTS); raw != "" && raw != "null" {
			if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
				t.ServerTS = &n
			} else if f, err := strconv.ParseFloat(raw, 64); err == nil {
				n := int64(f)
				t.ServerTS = &n
			}
		}
		t.Modifications = make([]StateModification, 0, len(w.Modifications))
		for _, mod := range w.Modifications {
			switch mod.Type {
			case QueryUpdated, QueryFailed, QueryRemoved:
			default:
				t.Skipped = append(t.Skipped, mod.Type)
				continue
			}
			if mod.QueryID == nil {
				return nil, errors.New("state modification needs a queryId")
			}
			s := StateModification{Type: mod.Type, QueryID: *mod.QueryID, LogLines: mod.LogLines, Journal: json.RawMessage(mod.Journal)}
			switch mod.Type {
			case QueryUpdated:
				s.Value = json.RawMessage(mod.Value)
				if len(s.Value) == 0 {
					s.Value = json.RawMessage("null")
				}
			case QueryFailed:
				s.ErrorMessage = mod.ErrorMessage
				s.ErrorData = errorData(mod.ErrorData)
			}
			t.Modifications = append(t.Modifications, s)
		}
		return t, nil
	case "TransitionChunk":
		return &TransitionChunk{Chunk: w.Chunk, PartNumber: w.PartNumber, TotalParts: w.TotalParts, TransitionID: w.TransitionID}, nil
	case "MutationResponse", "ActionResponse":
		if w.RequestID == nil {
			return nil, fmt.Errorf("%s needs a requestId", w.Type)
		}
		var errData json.RawMessage
		if !w.Success {
			errData = errorData(w.ErrorData)
		}
		result := json.RawMessage(w.Result)
		if w.Type == "ActionResponse" {
			return &ActionResponse{RequestID: *w.RequestID, Success: w.Success, Result: result, LogLines: w.LogLines, ErrorData: errData}, nil
		}
		m := &MutationResponse{RequestID: *w.RequestID, Success: w.Success, Result: result, LogLines: w.LogLines, ErrorData: errData}
		if w.Success {
			if w.TS == nil {
				return nil, errors.New("successful MutationResponse needs a ts")
			}
			ts, err := ParseTS(*w.TS)
			if err != nil {
				return nil, err
			}
			m.TS = &ts
		}
		return m, nil
	case "AuthError":
		a := &AuthError{Error: w.Error, BaseVersion: w.BaseVersion}
		if w.AuthUpdateAttempted != nil {
			a.AuthUpdateAttempted = *w.AuthUpdateAttempted
		}
		return a, nil
	case "FatalError":
		return &FatalError{Error: w.Error}, nil
	case "Ping":
		return &Ping{}, nil
	default:
		return &Unknown{Type: w.Type}, nil
	}
}

// errorData keeps a failure's errorData as it came: nil when the field was
// absent (not a ConvexError), "null" for a ConvexError(null). The backend
// tells the two apart (deserialize_some in
// crates/convex/sync_types/src/types/json.rs), and so does the JS client.
func errorData(raw values.Raw) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return json.RawMessage(raw)
}

// ErrorMessage returns the error text of a failed response: its Result when
// that is a JSON string, else the raw Result.
func ErrorMessage(result json.RawMessage) string {
	var v any
	if values.Unmarshal(result, &v) == nil {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return string(result)
}
