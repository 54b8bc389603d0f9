package values

import (
	"slices"
	"strconv"
	"sync"
)

// Marshal encodes v as Convex JSON (the "convex_encoded_json" format), as
// the package documentation describes. It returns an *Error for a value
// with no Convex form: an integer outside ±2^53, an invalid string or field
// name, a value over the limits, or an unsupported Go type.
func Marshal(v any) (b []byte, err error) {
	defer catchPanic(&err)
	e := getEncoder()
	defer putEncoder(e)
	if err := e.encodeAny(v, 0, 0); err != nil {
		return nil, err
	}
	return slices.Clone(e.buf), nil
}

// AppendMarshal appends the Convex JSON encoding of v to dst and returns the
// extended buffer. On error it returns dst unchanged in length.
func AppendMarshal(dst []byte, v any) (b []byte, err error) {
	defer catchPanic(&err)
	e := getEncoder()
	own := e.buf
	e.buf = dst
	defer func() {
		e.buf = own
		putEncoder(e)
	}()
	if err := e.encodeAny(v, 0, 0); err != nil {
		return dst, err
	}
	return e.buf, nil
}

// encoder appends Convex JSON to buf.
type encoder struct {
	buf []byte
	kvs []kv // the fields of the maps being written, innermost last
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

func getEncoder() *encoder {
	e := encoderPool.Get().(*encoder)
	e.buf = e.buf[:0]
	return e
}

func putEncoder(e *encoder) {
	if cap(e.buf) > 4<<20 {
		e.buf = nil
	}
	// The scratch stacks clear what they pop, even on errors.
	if cap(e.kvs) > 64<<10 {
		e.kvs = nil
	}
	encoderPool.Put(e)
}

// maxIndirections bounds the pointers and interfaces followed without a
// container in between, which stops pointer cycles such as p = &p.
const maxIndirections = 1000

// encodeAny encodes v, at container nesting depth after ptrs indirections.
// Common types skip reflection.
func (e *encoder) encodeAny(v any, depth, ptrs int) *Error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		return e.string(x)
	case float64:
		e.buf = appendFloat(e.buf, x, 64)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case map[string]any:
		return e.anyMap(x, depth)
	case []any:
		return e.anySlice(x, depth)
	case Int64:
		e.buf = appendInt64(e.buf, int64(x))
	case int:
		return e.int(int64(x))
	case int64:
		return e.int(x)
	case int32:
		return e.int(int64(x))
	case int16:
		return e.int(int64(x))
	case int8:
		return e.int(int64(x))
	case uint:
		return e.uint(uint64(x))
	case uint64:
		return e.uint(x)
	case uint32:
		return e.uint(uint64(x))
	case uint16:
		return e.uint(uint64(x))
	case uint8:
		return e.uint(uint64(x))
	case float32:
		e.buf = appendFloat(e.buf, float64(x), 32)
	case []byte:
		if x == nil {
			e.buf = append(e.buf, "null"...)
		} else {
			e.buf = appendBytes(e.buf, x)
		}
	case Raw:
		return e.raw(x, depth)
	case CommitTsPlaceholder:
		e.buf = append(e.buf, `{"$commitTs":null}`...)
	default:
		return e.typed(v, depth, ptrs)
	}
	return nil
}

func (e *encoder) string(s string) *Error {
	var bad int
	e.buf, bad = appendStringChecked(e.buf, s)
	if bad >= 0 {
		return newError("string is not valid UTF-8 (invalid byte %#02x at offset %d)", s[bad], bad)
	}
	return nil
}

func (e *encoder) int(i int64) *Error {
	if i > maxSafeInt || i < -maxSafeInt {
		return newError("Go integer %d is outside ±2^53, so a Convex float64 cannot hold it exactly; use values.Int64 for an int64", i)
	}
	e.buf = strconv.AppendInt(e.buf, i, 10)
	return nil
}

func (e *encoder) uint(u uint64) *Error {
	if u > maxSafeInt {
		return newError("Go integer %d is outside ±2^53, so a Convex float64 cannot hold it exactly; use values.Int64 for an int64", u)
	}
	e.buf = strconv.AppendUint(e.buf, u, 10)
	return nil
}

// raw validates r, whose containers start at depth, and appends it.
func (e *encoder) raw(r Raw, depth int) *Error {
	if len(r) == 0 {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	d := getDecoder(r)
	defer putDecoder(d)
	d.skipWS()
	start := d.pos
	if err := d.skipValue(depth, false); err != nil {
		return err
	}
	end := d.pos
	if err := d.end(); err != nil {
		return err
	}
	e.buf = append(e.buf, r[start:end]...)
	return nil
}

func (e *encoder) anySlice(a []any, depth int) *Error {
	if a == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if err := checkContainer(len(a), MaxArrayLen, depth); err != nil {
		return err
	}
	e.buf = append(e.buf, '[')
	for i, x := range a {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encodeAny(x, depth+1, 0); err != nil {
			return err.inIndex(i)
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *encoder) anyMap(m map[string]any, depth int) *Error {
	if m == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if err := checkContainer(len(m), MaxObjectFields, depth); err != nil {
		return err
	}
	base := len(e.kvs)
	for k, v := range m {
		e.kvs = append(e.kvs, kv{k, v})
	}
	return e.object(base, depth)
}

// checkContainer checks an array's length (limit MaxArrayLen) or an
// object's field count (MaxObjectFields), and the depth it is at.
func checkContainer(n, limit, depth int) *Error {
	if n > limit {
		if limit == MaxArrayLen {
			return errArrayTooLong(n)
		}
		return errTooManyFields(n)
	}
	if depth >= MaxDepth {
		return errTooNested()
	}
	return nil
}

// object writes the fields of a map, e.kvs[base:], as an object and pops
// them. Fields go in JS key order (keyorder.go); a name the backend refuses
// fails at its place in that order, as convexToJson reports it.
func (e *encoder) object(base, depth int) *Error {
	fields := e.kvs[base:]
	sortFields(fields)
	defer func() {
		clear(fields)
		e.kvs = e.kvs[:base]
	}()
	e.buf = append(e.buf, '{')
	for i, f := range fields {
		if err := checkFieldName(f.k); err != nil {
			return err
		}
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, f.k)
		e.buf = append(e.buf, ':')
		if err := e.encodeAny(f.v, depth+1, 0); err != nil {
			return err.inField(f.k)
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}
