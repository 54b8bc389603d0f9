package protocol

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/goconvex/convex/client/internal/udfpath"
)

// The decoding side of client messages: DecodeClientMessage accepts exactly
// the frames the Convex backend's parser accepts (get-convex/convex-backend
// crates/convex/sync_types/src/types/json.rs, `TryFrom<JsonValue> for
// ClientMessage`, with serde's semantics: unknown fields are ignored,
// integer fields take only integers in their type's range, required fields
// must be present), plus the checks the backend makes on the parsed message
// before it runs anything: the session id is a UUID, function paths follow
// udfpath, an admin's acting-as identity names a user.

// InvalidJSONPrefix starts the FatalError the backend sends for a client
// frame it cannot parse (crates/local_backend/src/subs/mod.rs).
const InvalidJSONPrefix = "Received Invalid JSON on websocket: "

// ErrInvalidArguments is the FatalError text for arguments that are not a
// JSON array (crates/value/src/serialized_args_ext.rs: the backend reads
// SerializedArgs as an array when it runs the function; a failure is a
// BadRequest "InvalidArguments" that ends the connection).
var ErrInvalidArguments = errors.New("Invalid arguments provided")

// decodeError is a frame the backend's parser refuses; its text is the
// FatalError message the backend sends for it.
type decodeError struct{ reason string }

func (e *decodeError) Error() string { return InvalidJSONPrefix + e.reason }

func refuse(format string, a ...any) error {
	return &decodeError{reason: fmt.Sprintf(format, a...)}
}

// DecodeClientMessage parses one client frame as the backend does. The
// error for a refused frame reads as the FatalError the backend sends for
// it: "Received Invalid JSON on websocket: <reason>" for what its parser
// refuses, ErrInvalidArguments for arguments that are not an array.
//
// On a decoded Mutation, Action or query Add, Args is the argument object
// when the frame's args array holds exactly one object (what every client
// sends); for any other array it is that array as sent (it starts with '['),
// which the backend passes on to the function as positional arguments. A
// decoded Connect's SessionID is in the canonical UUID form (lowercase,
// hyphenated).
func DecodeClientMessage(data []byte) (ClientMessage, error) {
	var top any
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, refuse("%s", jsonSyntaxReason(err))
	}
	o, err := asObject(data, "struct ClientMessageJson")
	if err != nil {
		return nil, err
	}
	// Outer fields of ClientMessageJson, read on every message type.
	if raw, ok := o.get("modifications"); ok && !isNullRaw(raw) && rawKind(raw) != '[' {
		return nil, refuse("invalid type: %s, expected a sequence", unexpected(raw))
	}
	typ, err := o.tag("type", "Connect", "ModifyQuerySet", "Mutation", "Action", "Authenticate", "Event")
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Connect":
		return decodeConnect(o)
	case "ModifyQuerySet":
		return decodeModifyQuerySet(o)
	case "Mutation", "Action":
		return decodeRequest(o, typ)
	case "Authenticate":
		return decodeAuthenticate(o)
	default:
		return decodeEvent(o)
	}
}

func decodeConnect(o object) (ClientMessage, error) {
	session, err := o.str("sessionId")
	if err != nil {
		return nil, err
	}
	count, err := o.u32("connectionCount")
	if err != nil {
		return nil, err
	}
	reason, err := o.optStr("lastCloseReason")
	if err != nil {
		return nil, err
	}
	maxTS, err := o.optStr("maxObservedTimestamp")
	if err != nil {
		return nil, err
	}
	clientTS, err := o.optI64("clientTs")
	if err != nil {
		return nil, err
	}
	uuid, ok := canonicalUUID(session)
	if !ok {
		return nil, refuse("invalid session id %q: not a UUID", session)
	}
	m := &Connect{SessionID: uuid, ConnectionCount: count, LastCloseReason: reason}
	if clientTS != nil {
		m.ClientTS = *clientTS
	}
	if maxTS != nil {
		ts, err := parseClientTS(*maxTS)
		if err != nil {
			return nil, err
		}
		m.MaxObservedTimestamp = &ts
	}
	return m, nil
}

func decodeModifyQuerySet(o object) (ClientMessage, error) {
	base, err := o.u32("baseVersion")
	if err != nil {
		return nil, err
	}
	next, err := o.u32("newVersion")
	if err != nil {
		return nil, err
	}
	raw, ok := o.get("modifications")
	if !ok || isNullRaw(raw) {
		return nil, refuse("ModifyQuerySet lacks modifications")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, refuse("invalid type: %s, expected a sequence", unexpected(raw))
	}
	m := &ModifyQuerySet{BaseVersion: base, NewVersion: next}
	// The parser refuses a bad modification anywhere in the list before
	// any query runs; arguments fail only when their query runs.
	var argsErr error
	for _, item := range items {
		q, err := decodeModification(item)
		if err == ErrInvalidArguments {
			argsErr = cmp.Or(argsErr, err)
		} else if err != nil {
			return nil, err
		}
		m.Modifications = append(m.Modifications, q)
	}
	if argsErr != nil {
		return nil, argsErr
	}
	return m, nil
}

// decodeModification reads one query set modification. An Add's fields
// all have defaults on the backend (queryId 0, udfPath ""), so only their
// types are checked; the empty path then fails the path rules.
func decodeModification(raw json.RawMessage) (QuerySetModification, error) {
	o, err := asObject(raw, "struct QuerySetModificationJson")
	if err != nil {
		return QuerySetModification{}, err
	}
	typ, err := o.tag("type", ModAdd, ModRemove)
	if err != nil {
		return QuerySetModification{}, err
	}
	if typ == ModRemove {
		id, err := o.u32("queryId")
		return QuerySetModification{Type: ModRemove, QueryID: id}, err
	}
	q := QuerySetModification{Type: ModAdd}
	if id, err := o.optU32("queryId"); err != nil {
		return q, err
	} else if id != nil {
		q.QueryID = *id
	}
	path, err := o.optStr("udfPath")
	if err != nil {
		return q, err
	}
	if path != nil {
		q.UDFPath = *path
	}
	if journal, ok := o.get("journal"); ok {
		if !isNullRaw(journal) && rawKind(journal) != '"' {
			return q, refuse("invalid type: %s, expected a string", unexpected(journal))
		}
		q.Journal = bytes.TrimSpace(journal)
	}
	component, err := o.optStr("componentPath")
	if err != nil {
		return q, err
	}
	if component != nil {
		q.ComponentPath = *component
	}
	if err := checkPath(q.UDFPath); err != nil {
		return q, err
	}
	args, _ := o.get("args")
	if q.Args, err = decodeArgs(args); err != nil {
		return q, err
	}
	return q, nil
}

func decodeRequest(o object, typ string) (ClientMessage, error) {
	id, err := o.u32("requestId")
	if err != nil {
		return nil, err
	}
	path, err := o.str("udfPath")
	if err != nil {
		return nil, err
	}
	component, err := o.optStr("componentPath")
	if err != nil {
		return nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	raw, ok := o.get("args")
	if !ok || isNullRaw(raw) {
		return nil, refuse("%s lacks args", typ)
	}
	args, err := decodeArgs(raw)
	if err != nil {
		return nil, err
	}
	var comp string
	if component != nil {
		comp = *component
	}
	if typ == "Mutation" {
		return &Mutation{RequestID: id, UDFPath: path, ComponentPath: comp, Args: args}, nil
	}
	return &Action{RequestID: id, UDFPath: path, ComponentPath: comp, Args: args}, nil
}

func decodeAuthenticate(o object) (ClientMessage, error) {
	base, err := o.u32("baseVersion")
	if err != nil {
		return nil, err
	}
	tokenType, err := o.tag("tokenType", TokenAdmin, TokenUser, TokenNone)
	if err != nil {
		return nil, err
	}
	a := &Authenticate{BaseVersion: base, TokenType: tokenType}
	if tokenType == TokenNone {
		return a, nil
	}
	if a.Value, err = o.str("value"); err != nil {
		return nil, err
	}
	if tokenType == TokenUser {
		return a, nil
	}
	// acting_as, or its alias impersonating; both at once is a duplicate.
	actingAs, hasActing := o.get("acting_as")
	impersonating, hasImp := o.get("impersonating")
	if hasActing && hasImp {
		return nil, refuse("duplicate field `acting_as`")
	}
	if hasImp {
		actingAs = impersonating
	}
	if len(actingAs) > 0 && !isNullRaw(actingAs) {
		if err := checkIdentityAttributes(actingAs); err != nil {
			return nil, err
		}
		a.Impersonating = bytes.TrimSpace(actingAs)
	}
	return a, nil
}

func decodeEvent(o object) (ClientMessage, error) {
	eventType, err := o.str("eventType")
	if err != nil {
		return nil, err
	}
	event, ok := o.get("event")
	if !ok {
		return nil, refuse("missing field `event`")
	}
	return &Event{EventType: eventType, Event: bytes.TrimSpace(event)}, nil
}

// CheckIdentityAttributes checks an admin's acting-as identity as the
// backend parses UserIdentityAttributes (sync_types/src/types/json.rs): a
// JSON object whose known attributes have their types (strings;
// emailVerified and phoneNumberVerified booleans; null for absent), naming
// the user by tokenIdentifier or by issuer and subject. Other keys are
// custom claims of any JSON type. The error reads as the backend's.
func CheckIdentityAttributes(raw []byte) error {
	err := checkIdentityAttributes(raw)
	var d *decodeError
	if errors.As(err, &d) {
		return errors.New(d.reason)
	}
	return err
}

// identityStringAttributes are UserIdentityAttributes' string-typed keys.
var identityStringAttributes = []string{
	"tokenIdentifier", "issuer", "subject", "name", "givenName", "familyName", "nickname",
	"preferredUsername", "profileUrl", "pictureUrl", "websiteUrl", "email", "gender",
	"birthday", "timezone", "language", "phoneNumber", "address", "updatedAt",
}

func checkIdentityAttributes(raw []byte) error {
	o, err := asObject(raw, "struct UserIdentityAttributesJson")
	if err != nil {
		return err
	}
	set := map[string]bool{}
	for _, k := range identityStringAttributes {
		v, err := o.optStr(k)
		if err != nil {
			return err
		}
		set[k] = v != nil
	}
	for _, k := range []string{"emailVerified", "phoneNumberVerified"} {
		if v, ok := o.get(k); ok && !isNullRaw(v) && rawKind(v) != 'b' {
			return refuse("invalid type: %s, expected a boolean", unexpected(v))
		}
	}
	if !set["tokenIdentifier"] && !(set["issuer"] && set["subject"]) {
		return refuse(`Either "tokenIdentifier" or "issuer" and "subject" must be set`)
	}
	return nil
}

// checkPath applies the backend's function path rules (udfpath).
func checkPath(path string) error {
	if err := udfpath.Check(path); err != nil {
		var pe *udfpath.Error
		if errors.As(err, &pe) {
			return refuse("%s", pe.Reason)
		}
		return refuse("%s", err.Error())
	}
	return nil
}

// decodeArgs reads a frame's args: absent or not an array, the backend
// fails the frame when it runs the function (ErrInvalidArguments); an
// array holding one object gives that object; any other array is kept as
// sent.
func decodeArgs(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if rawKind(raw) != '[' {
		return nil, ErrInvalidArguments
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, ErrInvalidArguments
	}
	if len(elems) == 1 {
		if obj := bytes.TrimSpace(elems[0]); rawKind(obj) == '{' {
			return obj, nil
		}
	}
	return raw, nil
}

// parseClientTS reads maxObservedTimestamp: base64 (standard alphabet) of
// 8 little-endian bytes, at most the backend's largest timestamp (i64 max).
func parseClientTS(s string) (TS, error) {
	b, err := decodeStdBase64(s)
	if err != nil {
		return 0, refuse("%s", err.Error())
	}
	if len(b) != 8 {
		return 0, refuse("u64 must be 8 bytes")
	}
	v := binary.LittleEndian.Uint64(b)
	if v > 1<<63-1 {
		return 0, refuse("ts %d too large", v)
	}
	return TS(v), nil
}

// canonicalUUID parses a UUID in the forms the backend's uuid parser
// accepts: 32 hex digits, hyphenated 8-4-4-4-12, braced {…}, or with a
// "urn:uuid:" prefix; hex digits of either case. It returns the lowercase
// hyphenated form.
func canonicalUUID(s string) (string, bool) {
	switch {
	case len(s) == 38 && s[0] == '{' && s[37] == '}':
		s = s[1:37]
	case len(s) == 45 && strings.HasPrefix(s, "urn:uuid:"):
		s = s[9:]
	}
	var hex []byte
	switch len(s) {
	case 32:
		hex = []byte(s)
	case 36:
		for i := 0; i < 36; i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return "", false
				}
				continue
			}
			hex = append(hex, s[i])
		}
	default:
		return "", false
	}
	for i, c := range hex {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			hex[i] = c + 'a' - 'A'
		default:
			return "", false
		}
	}
	h := string(hex)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
}
