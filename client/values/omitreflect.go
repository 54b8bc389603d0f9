//go:build convex_omitreflect

package values

// This file replaces the reflection-based codec when the package is built
// with -tags convex_omitreflect, as the browser client is (`make wasm`):
// see "Builds without the struct codec" in the package documentation.

const omitted = ": this build omits the codec for other Go types (built with -tags convex_omitreflect)"

func (e *encoder) typed(v any, _, _ int) *Error {
	return &Error{Msg: "cannot encode " + typeString(v) + omitted}
}

// unmarshalTyped decodes the any form and stores it through the pointer
// types that need no reflection.
func unmarshalTyped(data []byte, v any) error {
	switch v.(type) {
	case *map[string]any, *[]any, *string, *float64, *bool, *Int64:
	default:
		return &Error{Msg: "cannot decode into " + typeString(v) + omitted}
	}
	x, err := decodeAny(data)
	if err != nil {
		return err
	}
	var ok bool
	switch p := v.(type) {
	case *map[string]any:
		ok = store(p, x)
	case *[]any:
		ok = store(p, x)
	case *string:
		ok = store(p, x)
	case *float64:
		ok = store(p, x)
	case *bool:
		ok = store(p, x)
	case *Int64:
		ok = store(p, x)
	}
	if !ok {
		return &Error{Msg: "cannot decode " + typeString(x) + " into " + typeString(v)}
	}
	return nil
}

// store sets *p to x (the zero value for null) if x is a T.
func store[T any](p *T, x any) bool {
	if p == nil {
		return false
	}
	if x == nil {
		var zero T
		*p = zero
		return true
	}
	t, ok := x.(T)
	if ok {
		*p = t
	}
	return ok
}
