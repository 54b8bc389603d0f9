//go:build !convex_omitreflect

package values

import (
	"errors"
	"reflect"
)

var (
	marshalerType   = reflect.TypeFor[Marshaler]()
	unmarshalerType = reflect.TypeFor[Unmarshaler]()
)

// marshalConvex encodes v, whose type implements Marshaler (itself or
// through its pointer), with its MarshalConvex method.
func (e *encoder) marshalConvex(v reflect.Value, depth int) *Error {
	var m Marshaler
	switch t := v.Type(); {
	case t.Implements(marshalerType):
		m = v.Interface().(Marshaler)
	case v.CanAddr():
		m = v.Addr().Interface().(Marshaler)
	default:
		p := reflect.New(t)
		p.Elem().Set(v)
		m = p.Interface().(Marshaler)
	}
	raw, err := m.MarshalConvex()
	if err != nil {
		return methodError("MarshalConvex", v.Type(), err)
	}
	if len(raw) == 0 {
		return newError("%s.MarshalConvex returned no value", v.Type())
	}
	return e.raw(raw, depth)
}

// unmarshalConvex decodes the value at d's position into v, whose pointer
// implements Unmarshaler, with its UnmarshalConvex method.
func (d *decoder) unmarshalConvex(v reflect.Value, depth int) *Error {
	start := d.pos
	if err := d.skipValue(depth, false); err != nil {
		return err
	}
	u := v.Addr().Interface().(Unmarshaler)
	if err := u.UnmarshalConvex(Raw(d.data[start:d.pos])); err != nil {
		return methodError("UnmarshalConvex", v.Type(), err)
	}
	return nil
}

// methodError turns the error of a MarshalConvex or UnmarshalConvex method
// into an *Error. An *Error (from values.Unmarshal inside the method) keeps
// its path, which the callers up the recursion then extend.
func methodError(method string, t reflect.Type, err error) *Error {
	if ve, ok := errors.AsType[*Error](err); ok {
		cp := *ve
		return &cp
	}
	return newError("%s.%s: %v", t, method, err)
}
