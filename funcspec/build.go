package funcspec

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/goconvex/convex/client/values"
)

// The constructors below build validators in Go the way the v builder of
// convex/values builds them in TypeScript, for Go code that declares the
// validators of its functions (convextest.Args and convextest.Returns).
// Imported under the name v they read like their TypeScript originals:
//
//	import v "github.com/goconvex/convex/funcspec"
//
//	v.Object(v.Fields{"body": v.String(), "tags": v.Optional(v.Array(v.String()))})
//	v.Union(v.Literal("draft"), v.Literal("published"))
//
// Each returns a new validator; validators are not changed once built.

// Fields are an object validator's fields by name, Object's argument. A
// field is optional when its validator is wrapped in Optional.
type Fields map[string]*Validator

// Null is v.null().
func Null() *Validator { return &Validator{Type: TypeNull} }

// Number is v.number() (v.float64()): a Convex float64.
func Number() *Validator { return &Validator{Type: TypeNumber} }

// Float64 is v.float64(), the same validator as Number.
func Float64() *Validator { return Number() }

// Int64 is v.int64() (v.bigint()): a Convex int64, values.Int64 in Go.
func Int64() *Validator { return &Validator{Type: TypeBigint} }

// CommitTs is v.commitTs(): an int64 commit timestamp.
func CommitTs() *Validator { return &Validator{Type: TypeCommitTs} }

// Boolean is v.boolean().
func Boolean() *Validator { return &Validator{Type: TypeBoolean} }

// String is v.string().
func String() *Validator { return &Validator{Type: TypeString} }

// Bytes is v.bytes(): an ArrayBuffer, []byte in Go.
func Bytes() *Validator { return &Validator{Type: TypeBytes} }

// Any is v.any().
func Any() *Validator { return &Validator{Type: TypeAny} }

// ID is v.id(table): the id of a document of table.
func ID(table string) *Validator {
	if table == "" {
		panic("funcspec: ID needs a table name")
	}
	return &Validator{Type: TypeID, TableName: table}
}

// Literal is v.literal(x): exactly the value x, a string, a bool, a Go
// number (a Convex float64, as a JavaScript number is) or a values.Int64
// (a bigint literal). Any other x panics, as does a number that is not
// finite (the backend refuses those in literal validators).
func Literal(x any) *Validator {
	switch x.(type) {
	case string, bool, values.Int64,
		float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
	default:
		panic(fmt.Sprintf("funcspec: a literal is a string, a bool, a number or a values.Int64, not %T", x))
	}
	lit, err := values.Marshal(x)
	if err != nil {
		panic("funcspec: literal: " + err.Error())
	}
	if bytes.HasPrefix(lit, []byte(`{"$float"`)) {
		panic("funcspec: a literal number must be finite and not -0")
	}
	return &Validator{Type: TypeLiteral, Literal: values.Raw(lit)}
}

// Array is v.array(element).
func Array(element *Validator) *Validator {
	return &Validator{Type: TypeArray, Element: inner("Array", element)}
}

// Record is v.record(keys, values): an object with any keys that keys
// accepts (v.string(), v.id(…), or a union of those) and values that
// values accepts.
func Record(keys, vals *Validator) *Validator {
	return &Validator{Type: TypeRecord, Keys: inner("Record", keys), Values: inner("Record", vals)}
}

// Object is v.object(fields).
func Object(fields Fields) *Validator {
	v := &Validator{Type: TypeObject, Fields: make([]Field, 0, len(fields))}
	for name, fv := range fields {
		if fv == nil {
			panic(fmt.Sprintf("funcspec: Object: field %q has no validator", name))
		}
		f := Field{Name: name, Optional: fv.optional, Validator: fv}
		if fv.optional {
			c := *fv
			c.optional = false
			f.Validator = &c
		}
		v.Fields = append(v.Fields, f)
	}
	sort.Slice(v.Fields, func(a, b int) bool { return v.Fields[a].Name < v.Fields[b].Name })
	return v
}

// Union is v.union(members...).
func Union(members ...*Validator) *Validator {
	v := &Validator{Type: TypeUnion, Members: make([]*Validator, len(members))}
	for i, m := range members {
		v.Members[i] = inner("Union", m)
	}
	return v
}

// Optional is v.optional(x): in Fields only, it makes the field optional.
// Anywhere else it panics, as v.optional fails outside an object in
// TypeScript.
func Optional(x *Validator) *Validator {
	if x == nil {
		panic("funcspec: Optional(nil)")
	}
	c := *x
	c.optional = true
	return &c
}

// inner checks a validator nested in another.
func inner(in string, v *Validator) *Validator {
	if v == nil {
		panic("funcspec: " + in + ": nil validator")
	}
	if v.optional {
		panic("funcspec: " + in + ": Optional is only for the fields of an Object")
	}
	return v
}

// CheckDefinition reports what the backend refuses in a validator when
// functions are pushed (crates/common/src/schemas/json.rs): a record
// whose keys are not a subtype of v.string() ("Records can only have
// string keys. …") or are string literals ("Records cannot have string
// literal keys"), and, when it is the args validator of a function
// (args true), anything but an object or v.any() ("Args validator must be
// an object or any", crates/model/src/modules/function_validators.rs).
func (v *Validator) CheckDefinition(args bool) error {
	if v == nil {
		return nil
	}
	if args && v.Type != TypeObject && v.Type != TypeAny {
		return fmt.Errorf("Args validator must be an object or any")
	}
	if v.optional {
		return fmt.Errorf("Optional is only for the fields of an Object")
	}
	var walk func(v *Validator) error
	walk = func(v *Validator) error {
		switch v.Type {
		case TypeArray:
			return walk(v.Element)
		case TypeRecord:
			if !stringSubtype(v.Keys) {
				return fmt.Errorf("Records can only have string keys. Your validator contains a record with key typed as `%s`, which is not a subtype of `v.string()`", v.Keys)
			}
			if hasStringLiteral(v.Keys) {
				return fmt.Errorf("Records cannot have string literal keys")
			}
			return walk(v.Values)
		case TypeObject:
			for _, f := range v.Fields {
				if err := walk(f.Validator); err != nil {
					return err
				}
			}
		case TypeUnion:
			for _, m := range v.Members {
				if err := walk(m); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v)
}

// stringSubtype is the backend's is_subset(keys, v.string()) for the
// validators a record's keys can be (crates/common/src/schemas/
// validator.rs).
func stringSubtype(v *Validator) bool {
	switch v.Type {
	case TypeString, TypeID:
		return true
	case TypeLiteral:
		return len(v.Literal) > 0 && v.Literal[0] == '"'
	case TypeUnion:
		for _, m := range v.Members {
			if !stringSubtype(m) {
				return false
			}
		}
		return true
	}
	return false
}

// hasStringLiteral is is_string_subtype_with_string_literal.
func hasStringLiteral(v *Validator) bool {
	switch v.Type {
	case TypeLiteral:
		return len(v.Literal) > 0 && v.Literal[0] == '"'
	case TypeUnion:
		for _, m := range v.Members {
			if hasStringLiteral(m) {
				return true
			}
		}
	}
	return false
}
