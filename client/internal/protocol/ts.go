package protocol

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// TS is a Convex server timestamp: an unsigned 64-bit count of nanoseconds
// since the Unix epoch. On the wire it is an EncodedU64: standard base64,
// with padding, of the 8 little-endian bytes.
type TS uint64

// String returns the wire form of t.
func (t TS) String() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(t))
	return base64.StdEncoding.EncodeToString(b[:])
}

// appendJSON appends t as a quoted EncodedU64.
func (t TS) appendJSON(dst []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, t.String()...)
	return append(dst, '"')
}

// MarshalJSON encodes t as a quoted EncodedU64.
func (t TS) MarshalJSON() ([]byte, error) { return t.appendJSON(nil), nil }

// UnmarshalJSON decodes a quoted EncodedU64. Like the official clients it
// accepts the standard and the URL-safe base64 alphabets, and requires
// padding and exactly 8 bytes.
func (t *TS) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("timestamp must be a base64 string, got %.40s", b)
	}
	v, err := ParseTS(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseTS decodes an EncodedU64 string.
func ParseTS(s string) (TS, error) {
	if len(s)%4 != 0 {
		return 0, fmt.Errorf("invalid timestamp %q: base64 length must be a multiple of 4", s)
	}
	// The URL-safe alphabet differs from the standard one in two letters.
	std := []byte(s)
	for i, c := range std {
		switch c {
		case '-':
			std[i] = '+'
		case '_':
			std[i] = '/'
		}
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(std)))
	n, err := base64.StdEncoding.Decode(b, std)
	if err != nil {
		return 0, fmt.Errorf("invalid timestamp %q: %w", s, err)
	}
	if n != 8 {
		return 0, fmt.Errorf("invalid timestamp %q: got %d bytes, expected 8", s, n)
	}
	return TS(binary.LittleEndian.Uint64(b)), nil
}

// StateVersion is the version of a connection's sync state: the client's
// query set version, its identity version, and the server timestamp at which
// the query results were computed.
type StateVersion struct {
	QuerySet uint32 `json:"querySet"`
	Identity uint32 `json:"identity"`
	TS       TS     `json:"ts"`
}

// String formats v as the JS client does in its error messages: ts:querySet:identity.
func (v StateVersion) String() string {
	return fmt.Sprintf("%d:%d:%d", v.TS, v.QuerySet, v.Identity)
}

func (v StateVersion) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"querySet":`...)
	dst = appendUint(dst, uint64(v.QuerySet))
	dst = append(dst, `,"identity":`...)
	dst = appendUint(dst, uint64(v.Identity))
	dst = append(dst, `,"ts":`...)
	dst = v.TS.appendJSON(dst)
	return append(dst, '}')
}

// MarshalJSON encodes v as the wire StateVersion object.
func (v StateVersion) MarshalJSON() ([]byte, error) { return v.appendJSON(nil), nil }
