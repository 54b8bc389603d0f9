//go:build !convex_omitreflect

package values

import (
	"fmt"
	"math"
	"reflect"
	"slices"
)

// typedValue decodes one value at container nesting depth into v, which is
// settable; ptrs counts the pointers followed since the last container.
// unmarshalTyped is Unmarshal into anything but *any and *Raw.
func unmarshalTyped(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Msg: fmt.Sprintf("Unmarshal needs a non-nil pointer, not %s", typeString(v))}
	}
	d := getDecoder(data)
	defer putDecoder(d)
	if err := d.typedValue(rv.Elem(), 0, 0); err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	return nil
}

func (d *decoder) typedValue(v reflect.Value, depth, ptrs int) *Error {
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.syntaxError("")
	}
	c := d.data[d.pos]
	t := v.Type()

	switch t {
	case rawType:
		start := d.pos
		if err := d.skipValue(depth, false); err != nil {
			return err
		}
		v.SetBytes(slices.Clone(d.data[start:d.pos]))
		return nil
	case anyType:
		return d.setAny(v, depth)
	}

	var info *typeInfo
	if needsInfo(t) {
		info = typeInfoOf(t)
		if info.unmarshals {
			return d.unmarshalConvex(v, depth)
		}
	}

	if c == 'n' {
		if err := d.literal("null"); err != nil {
			return err
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return nil
	}

	if info != nil {
		if info.decErr != "" {
			return newError("%s", info.decErr)
		}
	} else if p := kindProblem(t); p != "" {
		return newError("%s", p)
	}

	switch v.Kind() {
	case reflect.Pointer:
		if ptrs >= maxIndirections {
			return newError("more than %d pointer indirections in a row", maxIndirections)
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.typedValue(v.Elem(), depth, ptrs+1)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return newError("unsupported type %s: only the empty interface can be decoded into", t)
		}
		return d.setAny(v, depth)
	}

	switch c {
	case '"':
		s, err := d.readString()
		if err != nil {
			return err
		}
		if v.Kind() != reflect.String {
			return errMismatch("string", t)
		}
		v.SetString(string(s))
	case 't', 'f':
		b := c == 't'
		lit := "false"
		if b {
			lit = "true"
		}
		if err := d.literal(lit); err != nil {
			return err
		}
		if v.Kind() != reflect.Bool {
			return errMismatch("boolean", t)
		}
		v.SetBool(b)
	case '[':
		return d.typedArray(v, depth)
	case '{':
		return d.typedObject(v, info, depth)
	default:
		f, err := d.readNumber()
		if err != nil {
			return err
		}
		return setFloat(v, f)
	}
	return nil
}

func errMismatch(convexType string, t reflect.Type) *Error {
	return newError("cannot decode Convex %s into Go value of type %s", convexType, t)
}

// setAny decodes into v, an empty interface, the any form of the value.
func (d *decoder) setAny(v reflect.Value, depth int) *Error {
	x, err := d.anyValue(depth)
	if err != nil {
		return err
	}
	if x == nil {
		v.SetZero()
	} else {
		v.Set(reflect.ValueOf(x))
	}
	return nil
}

// setFloat stores a Convex float64 into v, if that loses nothing (but a
// float32 may round).
func setFloat(v reflect.Value, f float64) *Error {
	switch v.Kind() {
	case reflect.Float64:
		v.SetFloat(f)
	case reflect.Float32:
		if v.OverflowFloat(f) {
			return newError("Convex float64 %s overflows Go type %s", formatNumber(f), v.Type())
		}
		v.SetFloat(f)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f != math.Trunc(f) {
			return newError("cannot decode Convex float64 %s into Go value of type %s: not an integer", formatNumber(f), v.Type())
		}
		if f < -(1<<63) || f >= 1<<63 || v.OverflowInt(int64(f)) {
			return newError("Convex float64 %s overflows Go type %s", formatNumber(f), v.Type())
		}
		v.SetInt(int64(f))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if f != math.Trunc(f) {
			return newError("cannot decode Convex float64 %s into Go value of type %s: not an integer", formatNumber(f), v.Type())
		}
		if f < 0 || f >= 1<<64 || v.OverflowUint(uint64(f)) {
			return newError("Convex float64 %s overflows Go type %s", formatNumber(f), v.Type())
		}
		v.SetUint(uint64(f))
	default:
		return errMismatch("float64", v.Type())
	}
	return nil
}

// setSpecial stores the value of a special object into v.
func setSpecial(v reflect.Value, sp special) *Error {
	t := v.Type()
	switch sp.kind {
	case specialBytes:
		if v.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			v.SetBytes(sp.b)
			return nil
		}
	case specialInteger:
		i := sp.int64()
		switch v.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if v.OverflowInt(i) {
				return newError("Convex int64 %d overflows Go type %s", i, t)
			}
			v.SetInt(i)
			return nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if i < 0 || v.OverflowUint(uint64(i)) {
				return newError("Convex int64 %d overflows Go type %s", i, t)
			}
			v.SetUint(uint64(i))
			return nil
		case reflect.Float32, reflect.Float64:
			if i > maxSafeInt || i < -maxSafeInt {
				return newError("Convex int64 %d is outside ±2^53, so Go type %s cannot hold it exactly", i, t)
			}
			v.SetFloat(float64(i))
			return nil
		}
	case specialFloat:
		return setFloat(v, sp.float64())
	case specialCommitTs:
		if t == commitTsType {
			return nil
		}
	}
	return errMismatch(sp.convexType(), t)
}

func (d *decoder) typedObject(v reflect.Value, info *typeInfo, depth int) *Error {
	t := v.Type()
	if t == mapStringAnyType && v.IsNil() {
		x, err := d.anyObject(depth)
		if err != nil {
			return err
		}
		m, ok := x.(map[string]any)
		if !ok {
			return errMismatch(convexTypeOf(x), t)
		}
		v.Set(reflect.ValueOf(m))
		return nil
	}
	key, more, err := d.firstKey()
	if err != nil {
		return err
	}
	if more && len(key) > 0 && key[0] == '$' {
		sp, err := d.specialObject(key, depth, false)
		if err != nil {
			return err
		}
		return setSpecial(v, sp)
	}
	if depth >= MaxDepth {
		return errTooNested()
	}
	var (
		fs   *structFields
		elem reflect.Value // map element scratch
	)
	switch v.Kind() {
	case reflect.Struct:
		fs = info.fields
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		elem = reflect.New(t.Elem()).Elem()
	default:
		return errMismatch("object", t)
	}
	for n := 1; more; n++ {
		if err := checkFieldName(key); err != nil {
			return err
		}
		if n > MaxObjectFields {
			return errTooManyFields(-1)
		}
		name := d.intern(key)
		if err := d.expectColon(); err != nil {
			return err
		}
		if fs != nil {
			if f := fs.lookup(key); f == nil {
				err = d.skipValue(depth+1, false)
			} else if fv, ferr := fieldForDecode(v, f.index); ferr != nil {
				err = ferr
			} else {
				err = d.typedValue(fv, depth+1, 0)
			}
		} else {
			elem.SetZero()
			if err = d.typedValue(elem, depth+1, 0); err == nil {
				k := reflect.ValueOf(name)
				if k.Type() != t.Key() {
					k = k.Convert(t.Key())
				}
				v.SetMapIndex(k, elem)
			}
		}
		if err != nil {
			return err.inField(name)
		}
		if key, more, err = d.nextKey(); err != nil {
			return err
		}
	}
	return nil
}

// fieldForDecode follows index from struct v, allocating nil embedded
// pointers on the way.
func fieldForDecode(v reflect.Value, index []int) (reflect.Value, *Error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, newError("cannot set embedded pointer to unexported struct type %s", v.Type().Elem())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

func (d *decoder) typedArray(v reflect.Value, depth int) *Error {
	t := v.Type()
	if t == sliceAnyType {
		x, err := d.anyArray(depth)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(x))
		return nil
	}
	more := d.firstElem()
	if depth >= MaxDepth {
		return errTooNested()
	}
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(t, 0, 0))
		}
		v.SetLen(0)
	case reflect.Array:
	default:
		return errMismatch("array", t)
	}
	i := 0
	for ; more; i++ {
		if i >= MaxArrayLen {
			return errArrayTooLong(-1)
		}
		var err *Error
		switch {
		case v.Kind() == reflect.Slice:
			if i >= v.Cap() {
				v.Grow(1)
			}
			v.SetLen(i + 1)
			ev := v.Index(i)
			ev.SetZero()
			err = d.typedValue(ev, depth+1, 0)
		case i < v.Len():
			err = d.typedValue(v.Index(i), depth+1, 0)
		default:
			err = d.skipValue(depth+1, false)
		}
		if err != nil {
			return err.inIndex(i)
		}
		if more, err = d.nextElem(); err != nil {
			return err
		}
	}
	if v.Kind() == reflect.Array {
		for ; i < v.Len(); i++ {
			v.Index(i).SetZero()
		}
	}
	return nil
}

// convexTypeOf names the Convex type of a value in the any form.
func convexTypeOf(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "float64"
	case Int64:
		return "int64"
	case string:
		return "string"
	case []byte:
		return "bytes"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case CommitTsPlaceholder:
		return "commit timestamp placeholder"
	}
	return "value"
}
