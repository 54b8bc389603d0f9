//go:build !convex_omitreflect

package values

import (
	"reflect"
	"strconv"
)

// typed encodes a value of a type the any forms do not cover.
func (e *encoder) typed(v any, depth, ptrs int) *Error {
	return e.reflectValue(reflect.ValueOf(v), depth, ptrs)
}

// reflectValue encodes v, at container nesting depth after ptrs
// indirections, for the types encodeAny does not know statically.
func (e *encoder) reflectValue(v reflect.Value, depth, ptrs int) *Error {
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if ptrs >= maxIndirections {
			return newError("more than %d pointer or interface indirections in a row (a pointer cycle?)", maxIndirections)
		}
		elem := v.Elem()
		if v.Kind() == reflect.Interface && elem.CanInterface() {
			return e.encodeAny(elem.Interface(), depth, ptrs+1)
		}
		return e.reflectValue(elem, depth, ptrs+1)
	}

	t := v.Type()
	var info *typeInfo
	if needsInfo(t) {
		switch t {
		case int64Type:
			e.buf = appendInt64(e.buf, v.Int())
			return nil
		case rawType:
			return e.raw(Raw(v.Bytes()), depth)
		case commitTsType:
			e.buf = append(e.buf, `{"$commitTs":null}`...)
			return nil
		}
		info = typeInfoOf(t)
		if info.encErr != "" {
			return newError("%s", info.encErr)
		}
		if info.marshals {
			return e.marshalConvex(v, depth)
		}
	}

	switch v.Kind() {
	case reflect.Bool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return e.uint(v.Uint())
	case reflect.Float32:
		e.buf = appendFloat(e.buf, v.Float(), 32)
	case reflect.Float64:
		e.buf = appendFloat(e.buf, v.Float(), 64)
	case reflect.String:
		return e.string(v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			e.buf = appendBytes(e.buf, v.Bytes())
			return nil
		}
		if t == sliceAnyType && v.CanInterface() {
			return e.anySlice(v.Interface().([]any), depth)
		}
		return e.array(v, depth)
	case reflect.Array:
		return e.array(v, depth)
	case reflect.Map:
		if t == mapStringAnyType && v.CanInterface() {
			return e.anyMap(v.Interface().(map[string]any), depth)
		}
		if p := kindProblem(t); p != "" {
			return newError("%s", p)
		}
		return e.reflectMap(v, depth)
	case reflect.Struct:
		return e.structValue(v, info.fields, depth)
	default:
		return newError("%s", kindProblem(t))
	}
	return nil
}

func (e *encoder) array(v reflect.Value, depth int) *Error {
	n := v.Len()
	if err := checkContainer(n, MaxArrayLen, depth); err != nil {
		return err
	}
	e.buf = append(e.buf, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.reflectValue(v.Index(i), depth+1, 0); err != nil {
			return err.inIndex(i)
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *encoder) reflectMap(v reflect.Value, depth int) *Error {
	if v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if err := checkContainer(v.Len(), MaxObjectFields, depth); err != nil {
		return err
	}
	base := len(e.kvs)
	for it := v.MapRange(); it.Next(); {
		e.kvs = append(e.kvs, kv{it.Key().String(), it.Value().Interface()})
	}
	return e.object(base, depth)
}

func (e *encoder) structValue(v reflect.Value, fs *structFields, depth int) *Error {
	if fs.nameErr != "" {
		return newError("%s", fs.nameErr)
	}
	if depth >= MaxDepth {
		return errTooNested()
	}
	e.buf = append(e.buf, '{')
	n := 0
	for i := range fs.list {
		f := &fs.list[i]
		fv, ok := fieldValue(v, f.index)
		if !ok || f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv) {
			continue
		}
		if n++; n > MaxObjectFields {
			return errTooManyFields(-1)
		}
		if n > 1 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, f.quoted...)
		if err := e.reflectValue(fv, depth+1, 0); err != nil {
			return err.inField(f.name)
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// fieldValue follows index from struct v, through embedded pointers. It
// reports false if one of them is nil.
func fieldValue(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// isEmptyValue is omitempty's test, as in encoding/json.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroValue is omitzero's test, as in encoding/json: the type's IsZero
// method if it has one, else the zero value.
func isZeroValue(v reflect.Value) bool {
	t := v.Type()
	switch {
	case t.Implements(isZeroerInterface):
		if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
			return true
		}
		if v.CanInterface() {
			return v.Interface().(interface{ IsZero() bool }).IsZero()
		}
	case reflect.PointerTo(t).Implements(isZeroerInterface) && v.CanAddr():
		if p := v.Addr(); p.CanInterface() {
			return p.Interface().(interface{ IsZero() bool }).IsZero()
		}
	}
	return v.IsZero()
}
