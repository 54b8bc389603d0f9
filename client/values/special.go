package values

import "math"

// An object whose only key is one of these has a special meaning in
// Convex JSON.
type specialKind uint8

const (
	notSpecial specialKind = iota
	specialBytes
	specialInteger
	specialFloat
	specialCommitTs
	specialSet
	specialMap
)

var specialNames = [...]string{
	specialBytes:    "$bytes",
	specialInteger:  "$integer",
	specialFloat:    "$float",
	specialCommitTs: "$commitTs",
	specialSet:      "$set",
	specialMap:      "$map",
}

func specialKindOf(key []byte) specialKind {
	switch string(key) {
	case "$bytes":
		return specialBytes
	case "$integer":
		return specialInteger
	case "$float":
		return specialFloat
	case "$commitTs":
		return specialCommitTs
	case "$set":
		return specialSet
	case "$map":
		return specialMap
	}
	return notSpecial
}

// special is a decoded special object.
type special struct {
	kind specialKind
	bits uint64 // $integer: the int64's bits; $float: the float64's bits
	b    []byte // $bytes, unless decoded with validateOnly
}

func (s special) int64() int64     { return int64(s.bits) }
func (s special) float64() float64 { return math.Float64frombits(s.bits) }

// convexType names the Convex type of s, for error messages.
func (s special) convexType() string {
	switch s.kind {
	case specialBytes:
		return "bytes"
	case specialInteger:
		return "int64"
	case specialFloat:
		return "float64"
	}
	return "commit timestamp placeholder"
}

// value returns s as decoding into any gives it.
func (s special) value() any {
	switch s.kind {
	case specialBytes:
		return s.b
	case specialInteger:
		return Int64(s.int64())
	case specialFloat:
		return s.float64()
	}
	return CommitTsPlaceholder{}
}

func errReserved[T string | []byte](key T) *Error {
	return newError("field name %q starts with a '$', which is reserved", shorten(string(key)))
}

// specialObject reads the rest of an object whose first key, key (just
// read), starts with '$'. Such an object is valid only if its one key (which
// may repeat: the last value wins, as in JSON.parse) is $bytes, $integer,
// $float or $commitTs, with a value of the right form. With validateOnly,
// $bytes are checked but not decoded.
func (d *decoder) specialObject(key []byte, depth int, validateOnly bool) (special, *Error) {
	kind := specialKindOf(key)
	if kind == notSpecial {
		return special{}, errReserved(key)
	}
	name := specialNames[kind]
	var (
		str   []byte // the value, if it is a string
		isStr bool
		kind0 byte // first byte of the value
	)
	for {
		if err := d.expectColon(); err != nil {
			return special{}, err
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return special{}, d.syntaxError("")
		}
		kind0 = d.data[d.pos]
		isStr = kind0 == '"' && kind != specialCommitTs
		if isStr {
			s, err := d.readString()
			if err != nil {
				return special{}, err
			}
			if d.escaped {
				d.spec = append(d.spec[:0], s...)
				s = d.spec
			}
			str = s
		} else if err := d.skipValue(depth+1, true); err != nil {
			return special{}, err
		}
		next, more, err := d.nextKey()
		if err != nil {
			return special{}, err
		}
		if !more {
			break
		}
		if string(next) != name {
			return special{}, errReserved(name)
		}
	}

	sp := special{kind: kind}
	switch kind {
	case specialSet:
		return sp, newError("received a Set which is no longer supported as a Convex type")
	case specialMap:
		return sp, newError("received a Map which is no longer supported as a Convex type")
	case specialCommitTs:
		if kind0 != 'n' { // skipValue accepted it, so it is null
			return sp, newError("malformed $commitTs field: value must be null, not %s", jsonType(kind0))
		}
		return sp, nil
	}
	if !isStr {
		return sp, newError("malformed %s field: value must be a string, not %s", name, jsonType(kind0))
	}
	var err *Error
	switch kind {
	case specialBytes:
		sp.b, err = decodeBytes(str, validateOnly)
	case specialInteger:
		sp.bits, err = decode8(str, name)
	case specialFloat:
		sp.bits, err = decode8(str, name)
		if f := sp.float64(); err == nil && !isSpecialFloat(f) {
			err = newError("float %s should be encoded as a number", formatNumber(f))
		}
	}
	return sp, err
}

// jsonType names the JSON type of a value that starts with c.
func jsonType(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
