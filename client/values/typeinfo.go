//go:build !convex_omitreflect

package values

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
)

var (
	int64Type         = reflect.TypeFor[Int64]()
	rawType           = reflect.TypeFor[Raw]()
	commitTsType      = reflect.TypeFor[CommitTsPlaceholder]()
	anyType           = reflect.TypeFor[any]()
	mapStringAnyType  = reflect.TypeFor[map[string]any]()
	sliceAnyType      = reflect.TypeFor[[]any]()
	jsonNumberType    = reflect.TypeFor[json.Number]()
	jsonMarshaler     = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler   = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler     = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
	isZeroerInterface = reflect.TypeFor[interface{ IsZero() bool }]()
)

// typeInfo is what the codec needs to know about a Go type, computed once.
type typeInfo struct {
	encErr string        // why Marshal cannot encode the type, or ""
	decErr string        // why Unmarshal cannot decode into the type, or ""
	fields *structFields // for structs
	// marshals and unmarshals: the type encodes itself (Marshaler, on
	// the type or its pointer) or decodes itself (Unmarshaler on its
	// pointer), which takes over from the kind.
	marshals, unmarshals bool
}

var typeCache sync.Map // reflect.Type → *typeInfo

// needsInfo reports whether t may need more than its kind to be encoded or
// decoded: it may have methods, or it is a struct. Predeclared and unnamed
// non-struct types only need their kind.
func needsInfo(t reflect.Type) bool {
	return t.PkgPath() != "" || t.Kind() == reflect.Struct
}

func typeInfoOf(t reflect.Type) *typeInfo {
	if ti, ok := typeCache.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti := &typeInfo{
		encErr:     encodeProblem(t),
		decErr:     decodeProblem(t),
		marshals:   t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType),
		unmarshals: reflect.PointerTo(t).Implements(unmarshalerType),
	}
	if ti.marshals {
		ti.encErr = ""
	}
	if ti.unmarshals {
		ti.decErr = ""
	}
	if t.Kind() == reflect.Struct {
		ti.fields = typeFields(t)
	}
	actual, _ := typeCache.LoadOrStore(t, ti)
	return actual.(*typeInfo)
}

// kindProblem reports kinds that have no Convex form.
func kindProblem(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Complex64, reflect.Complex128, reflect.Chan, reflect.Func,
		reflect.UnsafePointer, reflect.Uintptr, reflect.Invalid:
		return fmt.Sprintf("unsupported type %s", t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fmt.Sprintf("unsupported type %s: map keys must be strings", t)
		}
	}
	if t == jsonNumberType {
		return fmt.Sprintf("unsupported type %s: convert it to float64 or Int64", t)
	}
	return ""
}

func encodeProblem(t reflect.Type) string {
	if p := kindProblem(t); p != "" {
		return p
	}
	pt := reflect.PointerTo(t)
	for _, i := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(i) || pt.Implements(i) {
			return fmt.Sprintf("unsupported type %s: it implements %s, and Convex values are encoded by kind, so convert it first", t, i)
		}
	}
	return ""
}

func decodeProblem(t reflect.Type) string {
	if p := kindProblem(t); p != "" {
		return p
	}
	if t.Kind() == reflect.Interface && t.NumMethod() > 0 {
		return fmt.Sprintf("unsupported type %s: only the empty interface can be decoded into", t)
	}
	pt := reflect.PointerTo(t)
	for _, i := range []reflect.Type{jsonUnmarshaler, textUnmarshaler} {
		if pt.Implements(i) {
			return fmt.Sprintf("unsupported type %s: it implements %s, and Convex values are decoded by kind, so decode into a plain type first", t, i)
		}
	}
	return ""
}
