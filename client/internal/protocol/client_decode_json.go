package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// object is a JSON object's fields, read with serde's rules for typed
// fields. A repeated key keeps its last value, as serde_json's maps do.
type object map[string]json.RawMessage

// asObject reads raw as a JSON object; expecting names the Rust type the
// backend deserializes, for the error.
func asObject(raw []byte, expecting string) (object, error) {
	raw = bytes.TrimSpace(raw)
	if rawKind(raw) != '{' {
		return nil, refuse("invalid type: %s, expected %s", unexpected(raw), expecting)
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, refuse("%s", jsonSyntaxReason(err))
	}
	return o, nil
}

func (o object) get(name string) (json.RawMessage, bool) {
	v, ok := o[name]
	return bytes.TrimSpace(v), ok
}

// tag reads an internally tagged enum's tag.
func (o object) tag(name string, variants ...string) (string, error) {
	raw, ok := o.get(name)
	if !ok {
		return "", refuse("missing field `%s`", name)
	}
	var s string
	if rawKind(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return "", refuse("invalid type: %s, expected variant identifier", unexpected(raw))
	}
	for _, v := range variants {
		if s == v {
			return s, nil
		}
	}
	return "", refuse("unknown variant `%s`, expected one of `%s`", s, strings.Join(variants, "`, `"))
}

// str reads a required string field.
func (o object) str(name string) (string, error) {
	raw, ok := o.get(name)
	if !ok {
		return "", refuse("missing field `%s`", name)
	}
	return readString(raw)
}

// optStr reads an optional string field: absent and null are nil.
func (o object) optStr(name string) (*string, error) {
	raw, ok := o.get(name)
	if !ok || isNullRaw(raw) {
		return nil, nil
	}
	s, err := readString(raw)
	return &s, err
}

func readString(raw json.RawMessage) (string, error) {
	var s string
	if rawKind(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return "", refuse("invalid type: %s, expected a string", unexpected(raw))
	}
	return s, nil
}

// u32 reads a required u32 field.
func (o object) u32(name string) (uint32, error) {
	raw, ok := o.get(name)
	if !ok {
		return 0, refuse("missing field `%s`", name)
	}
	n, err := readInt(raw, "u32", 0, math.MaxUint32)
	return uint32(n), err
}

// optU32 reads an optional u32 field: absent and null are nil.
func (o object) optU32(name string) (*uint32, error) {
	raw, ok := o.get(name)
	if !ok || isNullRaw(raw) {
		return nil, nil
	}
	n, err := readInt(raw, "u32", 0, math.MaxUint32)
	v := uint32(n)
	return &v, err
}

// optI64 reads an optional i64 field: absent and null are nil.
func (o object) optI64(name string) (*int64, error) {
	raw, ok := o.get(name)
	if !ok || isNullRaw(raw) {
		return nil, nil
	}
	n, err := readInt(raw, "i64", math.MinInt64, math.MaxInt64)
	return &n, err
}

// readInt reads an integer field as serde reads one from a JSON number:
// only a number written without a fraction or exponent is an integer, and
// it must be in [lo, hi].
func readInt(raw json.RawMessage, typ string, lo, hi int64) (int64, error) {
	if rawKind(raw) != '0' || isFloatLiteral(raw) {
		return 0, refuse("invalid type: %s, expected %s", unexpected(raw), typ)
	}
	s := string(raw)
	if strings.HasPrefix(s, "-") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < lo {
			return 0, refuse("invalid value: integer `%s`, expected %s", s, typ)
		}
		return n, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > uint64(hi) {
		return 0, refuse("invalid value: integer `%s`, expected %s", s, typ)
	}
	return int64(n), nil
}

// isFloatLiteral reports whether a JSON number reads as a float in
// serde_json: it has a fraction or an exponent, is "-0", or does not fit
// in 64 bits.
func isFloatLiteral(raw json.RawMessage) bool {
	s := string(raw)
	if strings.ContainsAny(s, ".eE") || s == "-0" {
		return true
	}
	if strings.HasPrefix(s, "-") {
		_, err := strconv.ParseInt(s, 10, 64)
		return err != nil
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err != nil
}

// rawKind classifies a JSON value by its first byte: '{', '[', '"', 'n'
// (null), 'b' (a boolean) or '0' (a number); 0 when empty.
func rawKind(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; c {
	case '{', '[', '"', 'n':
		return c
	case 't', 'f':
		return 'b'
	default:
		return '0'
	}
}

func isNullRaw(raw []byte) bool { return rawKind(raw) == 'n' }

// unexpected describes a JSON value as serde's "invalid type" errors do.
func unexpected(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	switch rawKind(raw) {
	case '{':
		return "map"
	case '[':
		return "sequence"
	case 'n':
		return "null"
	case 'b':
		return "boolean `" + string(raw) + "`"
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return "string " + strconv.Quote(s)
	case '0':
		if !isFloatLiteral(raw) {
			return "integer `" + string(raw) + "`"
		}
		f, _ := strconv.ParseFloat(string(raw), 64)
		s := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnI") {
			s += ".0"
		}
		return "floating point `" + s + "`"
	}
	return "nothing"
}

// jsonSyntaxReason words a JSON syntax error.
func jsonSyntaxReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at offset %d", se.Error(), se.Offset)
	}
	return err.Error()
}

// decodeStdBase64 decodes the standard base64 alphabet, with or without
// padding.
func decodeStdBase64(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
