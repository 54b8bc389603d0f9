package protocol

import (
	"encoding/json"
	"strconv"

	"github.com/goconvex/convex/client/internal/jsonstr"
)

// The encoders in this package append JSON by hand: the field order must be
// the JS client's, and strings must be escaped exactly as JSON.stringify
// escapes them (encoding/json also escapes <, > and &, which JS does not).

func appendUint(dst []byte, n uint64) []byte { return strconv.AppendUint(dst, n, 10) }

// appendString appends s as a JSON string, escaped like JSON.stringify.
// Invalid UTF-8 is replaced with U+FFFD.
func appendString(dst []byte, s string) []byte { return jsonstr.Append(dst, s) }

// appendRaw appends an already-encoded JSON value, or null when it is empty.
func appendRaw(dst []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

// appendOptString appends a JSON string, or null for a nil pointer.
func appendOptString(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendString(dst, *s)
}

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
