package values

// Marshaler is implemented by a type that encodes itself as a Convex value,
// such as the union types that goconvex gen writes. Marshal calls
// MarshalConvex for a value of the type wherever it sits (at the top, in a
// struct field, a slice, a map) and writes the Convex JSON it returns,
// checked as Validate checks it, with the nesting limit counted from where
// the value sits. A type implementing both Marshaler and json.Marshaler is
// encoded with MarshalConvex.
//
// Only the struct codec honours Marshaler: a build with -tags
// convex_omitreflect encodes by kind alone.
type Marshaler interface {
	MarshalConvex() (Raw, error)
}

// Unmarshaler is implemented by a type that decodes itself from a Convex
// value. Unmarshal calls UnmarshalConvex on a pointer to the destination
// with the value's Convex JSON text, already checked as Validate checks it;
// null is passed too, except where a pointer to the type takes it (a nil
// *T). The text is only valid during the call: copy it to keep it.
//
// Only the struct codec honours Unmarshaler: a build with -tags
// convex_omitreflect decodes by kind alone.
type Unmarshaler interface {
	UnmarshalConvex(data Raw) error
}
