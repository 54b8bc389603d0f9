package values

import "slices"

// Decoder reads one Convex JSON document piece by piece, in one pass and
// without reflection, for code that decodes a fixed shape: the client
// decodes its protocol messages with it. Unmarshal into a struct does the
// same work through reflection, which costs time per field and, in a
// WebAssembly build, binary size.
//
// A Decoder is used from the outside in: Object and Array call back for
// each field or element, and the callback reads that value with exactly one
// of the reading methods (String, Number, Bool, Null, Raw, Skip, SkipJSON,
// Object, JSONObject, Array, JSONArray). The first error is recorded; from
// then on the reading methods return zero values and the callbacks are not
// called. End reports the error.
//
//	dec := values.NewDecoder(data)
//	dec.Object(func(key []byte) {
//		switch string(key) {
//		case "name":
//			name = dec.String()
//		default:
//			dec.Skip()
//		}
//	})
//	if err := dec.End(); err != nil { … }
type Decoder struct {
	d     *decoder
	err   *Error
	depth int
}

// NewDecoder returns a Decoder reading data, which must stay unchanged until
// End. Values read from it do not alias data.
func NewDecoder(data []byte) *Decoder {
	return &Decoder{d: getDecoder(data)}
}

// End checks that nothing but whitespace follows the value read, releases
// the Decoder, and returns the first error (an *Error), if any.
func (dec *Decoder) End() error {
	if dec.d != nil {
		if dec.err == nil {
			dec.err = dec.d.end()
		}
		putDecoder(dec.d)
		dec.d = nil
	}
	if dec.err != nil {
		return dec.err
	}
	return nil
}

// next skips whitespace and returns the next byte, recording an error at
// the end of the input. ok is false once an error is recorded.
func (dec *Decoder) next() (c byte, ok bool) {
	if dec.err != nil || dec.d == nil {
		return 0, false
	}
	d := dec.d
	d.skipWS()
	if d.pos >= len(d.data) {
		dec.err = d.syntaxError("")
		return 0, false
	}
	return d.data[d.pos], true
}

func (dec *Decoder) fail(err *Error) {
	if dec.err == nil {
		dec.err = err
	}
}

func (dec *Decoder) mismatch(want string) {
	d := dec.d
	dec.fail(newError("expected %s at offset %d", want, d.pos))
}

// Null consumes a null and reports whether there was one; another value is
// left to read.
func (dec *Decoder) Null() bool {
	if c, ok := dec.next(); !ok || c != 'n' {
		return false
	}
	if err := dec.d.literal("null"); err != nil {
		dec.fail(err)
		return false
	}
	return true
}

// String reads a string; null reads as "".
func (dec *Decoder) String() string {
	c, ok := dec.next()
	if !ok || dec.Null() {
		return ""
	}
	if c != '"' {
		dec.mismatch("a string")
		return ""
	}
	s, err := dec.d.readString()
	if err != nil {
		dec.fail(err)
		return ""
	}
	return string(s)
}

// Number reads a JSON number as a float64 (not an $integer or $float
// object); null reads as 0.
func (dec *Decoder) Number() float64 {
	c, ok := dec.next()
	if !ok || dec.Null() {
		return 0
	}
	if c != '-' && (c < '0' || c > '9') {
		dec.mismatch("a number")
		return 0
	}
	f, err := dec.d.readNumber()
	if err != nil {
		dec.fail(err)
	}
	return f
}

// Bool reads a boolean; null reads as false.
func (dec *Decoder) Bool() bool {
	c, ok := dec.next()
	if !ok || dec.Null() {
		return false
	}
	switch c {
	case 't':
		dec.fail(dec.d.literal("true"))
		return dec.err == nil
	case 'f':
		dec.fail(dec.d.literal("false"))
	default:
		dec.mismatch("a boolean")
	}
	return false
}

// Raw reads one value of any type, checked as Convex JSON on its own (its
// nesting counted from itself), and returns a copy of its text.
func (dec *Decoder) Raw() Raw {
	if _, ok := dec.next(); !ok {
		return nil
	}
	d := dec.d
	start := d.pos
	if err := d.skipValue(0, false); err != nil {
		dec.fail(err)
		return nil
	}
	return slices.Clone(Raw(d.data[start:d.pos]))
}

// Skip reads and discards one value, checked as Convex JSON.
func (dec *Decoder) Skip() {
	if _, ok := dec.next(); ok {
		dec.fail(dec.d.skipValue(0, false))
	}
}

// SkipJSON reads and discards one value, checked as JSON only (its nesting
// still bounded by MaxDepth): for the parts of a message that are not
// Convex values, such as a field a newer peer added.
func (dec *Decoder) SkipJSON() {
	if _, ok := dec.next(); ok {
		dec.fail(dec.d.skipValue(0, true))
	}
}

// open starts reading an object or array, whose first byte is delim:
// false when the value is null, is something else (recorded as a mismatch
// with what) or nests too deep; true means the caller must leave.
func (dec *Decoder) open(delim byte, what string) bool {
	c, ok := dec.next()
	if !ok || dec.Null() {
		return false
	}
	if c != delim {
		dec.mismatch(what)
		return false
	}
	return dec.enter()
}

// Object reads an object, calling field with each key; key is valid until
// field reads the value. null reads as an object without fields.
func (dec *Decoder) Object(field func(key []byte)) { dec.object(field, true) }

// JSONObject reads an object as Object does, but as plain JSON rather than
// a Convex value: its keys are not checked as field names and their number
// is not limited. It is for the envelopes of protocol messages, whose
// fields are not Convex values.
func (dec *Decoder) JSONObject(field func(key []byte)) { dec.object(field, false) }

func (dec *Decoder) object(field func(key []byte), convex bool) {
	if !dec.open('{', "an object") {
		return
	}
	defer dec.leave()
	d := dec.d
	key, more, err := d.firstKey()
	for n := 1; more && err == nil; n++ {
		if convex {
			if err = checkFieldName(key); err != nil {
				break
			}
			if n > MaxObjectFields {
				err = errTooManyFields(-1)
				break
			}
		}
		name := key
		if d.escaped {
			name = append([]byte(nil), key...) // d.buf is about to be reused
		}
		if err = d.expectColon(); err != nil {
			break
		}
		field(key)
		if dec.err != nil {
			dec.err.inField(string(name))
			return
		}
		key, more, err = d.nextKey()
	}
	dec.fail(err)
}

// Array reads an array, calling elem for each element; null reads as an
// empty array.
func (dec *Decoder) Array(elem func()) { dec.array(elem, MaxArrayLen) }

// JSONArray reads an array as Array does, but as plain JSON rather than a
// Convex value: the number of elements is not limited by MaxArrayLen. It is
// for the arrays of protocol messages (a Transition's modifications, log
// lines), which the backend does not limit as it limits values.
func (dec *Decoder) JSONArray(elem func()) { dec.array(elem, -1) }

func (dec *Decoder) array(elem func(), limit int) {
	if !dec.open('[', "an array") {
		return
	}
	defer dec.leave()
	d := dec.d
	more := d.firstElem()
	for i := 0; more; i++ {
		if i == limit {
			dec.fail(errArrayTooLong(-1))
			return
		}
		elem()
		if dec.err != nil {
			dec.err.inIndex(i)
			return
		}
		var err *Error
		if more, err = d.nextElem(); err != nil {
			dec.fail(err)
			return
		}
	}
}

// enter counts one level of nesting, failing beyond MaxDepth.
func (dec *Decoder) enter() bool {
	if dec.depth >= MaxDepth {
		dec.fail(errTooNested())
		return false
	}
	dec.depth++
	return true
}

func (dec *Decoder) leave() { dec.depth-- }
