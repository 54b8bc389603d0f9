package client

import (
	"fmt"

	"github.com/goconvex/convex/client/values"
)

// Args are the named arguments of a function call. Any Go value that
// encodes as a Convex object (a map with string keys, a struct) works too.
type Args = map[string]any

// Result is one result of a query.
type Result struct {
	function string
	raw      values.Raw
	// LogLines are the query's console output for this result.
	LogLines []string
}

// Decode decodes the result into v, as values.Unmarshal does.
func (r *Result) Decode(v any) error {
	if err := values.Unmarshal(r.raw, v); err != nil {
		return fmt.Errorf("failed to decode result of %s: %w", r.function, err)
	}
	return nil
}

// Raw returns the result as Convex JSON.
func (r *Result) Raw() values.Raw { return r.raw }

// encodeArgs encodes function arguments, which must form an object.
func encodeArgs(args any) ([]byte, error) {
	if args == nil {
		return []byte("{}"), nil
	}
	b, err := values.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("failed to encode arguments: %w", err)
	}
	if len(b) == 0 || b[0] != '{' {
		if string(b) == "null" {
			return []byte("{}"), nil
		}
		return nil, fmt.Errorf("the arguments to a Convex function must be an object, got %T", args)
	}
	return b, nil
}

// decodeInto decodes an encoded result into out, unless out is nil.
func decodeInto(function string, raw []byte, out any) error {
	if out == nil {
		return nil
	}
	if err := values.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("failed to decode result of %s: %w", function, err)
	}
	return nil
}
