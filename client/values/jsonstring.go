package values

import "github.com/goconvex/convex/client/internal/jsonstr"

// appendStringChecked appends s as a JSON string escaped exactly as
// JSON.stringify escapes it. It returns the offset of the first invalid
// UTF-8 byte, or -1.
func appendStringChecked(dst []byte, s string) ([]byte, int) { return jsonstr.AppendChecked(dst, s) }

// appendString appends s, known to be valid UTF-8, as a JSON string.
func appendString(dst []byte, s string) []byte {
	dst, _ = jsonstr.AppendChecked(dst, s)
	return dst
}
