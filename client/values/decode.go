package values

import "reflect"

// Unmarshal decodes the Convex JSON value in data into v, which must be a
// non-nil pointer. Into an any it stores nil, bool, float64, Int64, string,
// []byte, []any, map[string]any or CommitTsPlaceholder; typed targets are
// filled as the package documentation describes. Unmarshal rejects input
// that is not valid Convex JSON, returning an *Error, and then v may be
// partly filled. Nothing decoded aliases data.
func Unmarshal(data []byte, v any) (err error) {
	defer catchPanic(&err)
	switch p := v.(type) {
	case *any:
		if p != nil {
			x, err := decodeAny(data)
			if err != nil {
				return err
			}
			*p = x
			return nil
		}
	case *Raw:
		if p != nil {
			d := getDecoder(data)
			defer putDecoder(d)
			d.skipWS()
			start := d.pos
			if err := d.skipValue(0, false); err != nil {
				return err
			}
			end := d.pos
			if err := d.end(); err != nil {
				return err
			}
			*p = append((*p)[:0:0], data[start:end]...)
			return nil
		}
	}
	return unmarshalTyped(data, v)
}

func typeString(v any) string {
	if v == nil {
		return "nil"
	}
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil() {
		return "nil " + t.String()
	}
	return t.String()
}

// decodeAny decodes data as one value into the any form.
func decodeAny(data []byte) (any, *Error) {
	d := getDecoder(data)
	defer putDecoder(d)
	x, err := d.anyValue(0)
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return x, nil
}

// anyValue decodes one value at container nesting depth into the any form.
func (d *decoder) anyValue(depth int) (any, *Error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, d.syntaxError("")
	}
	switch c := d.data[d.pos]; c {
	case '"':
		s, err := d.readString()
		if err != nil {
			return nil, err
		}
		return string(s), nil
	case '{':
		return d.anyObject(depth)
	case '[':
		return d.anyArray(depth)
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		f, err := d.readNumber()
		if err != nil {
			return nil, err
		}
		return f, nil
	}
}

func (d *decoder) anyObject(depth int) (any, *Error) {
	key, more, err := d.firstKey()
	if err != nil {
		return nil, err
	}
	if more && len(key) > 0 && key[0] == '$' {
		sp, err := d.specialObject(key, depth, false)
		if err != nil {
			return nil, err
		}
		return sp.value(), nil
	}
	if depth >= MaxDepth {
		return nil, errTooNested()
	}
	base := len(d.kvs)
	for n := 1; more; n++ {
		if err := checkFieldName(key); err != nil {
			return nil, err
		}
		if n > MaxObjectFields {
			return nil, errTooManyFields(-1)
		}
		k := d.intern(key)
		if err := d.expectColon(); err != nil {
			return nil, err
		}
		v, err := d.anyValue(depth + 1)
		if err != nil {
			return nil, err.inField(k)
		}
		d.kvs = append(d.kvs, kv{k, v})
		if key, more, err = d.nextKey(); err != nil {
			return nil, err
		}
	}
	fields := d.kvs[base:]
	m := make(map[string]any, len(fields))
	for _, f := range fields {
		m[f.k] = f.v // a repeated key: the last value wins
	}
	clear(fields)
	d.kvs = d.kvs[:base]
	return m, nil
}

func (d *decoder) anyArray(depth int) (any, *Error) {
	more := d.firstElem()
	if depth >= MaxDepth {
		return nil, errTooNested()
	}
	base := len(d.vals)
	for i := 0; more; i++ {
		if i >= MaxArrayLen {
			return nil, errArrayTooLong(-1)
		}
		v, err := d.anyValue(depth + 1)
		if err != nil {
			return nil, err.inIndex(i)
		}
		d.vals = append(d.vals, v)
		if more, err = d.nextElem(); err != nil {
			return nil, err
		}
	}
	elems := d.vals[base:]
	a := make([]any, len(elems))
	copy(a, elems)
	clear(elems)
	d.vals = d.vals[:base]
	return a, nil
}
