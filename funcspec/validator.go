package funcspec

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/goconvex/convex/client/values"
)

// The validator types, as the "type" field of a validator's JSON form
// names them (ValidatorJSON in npm-packages/convex/src/values/validators.ts).
const (
	TypeNull     = "null"     // v.null()
	TypeNumber   = "number"   // v.number(), v.float64(): a Convex float64
	TypeBigint   = "bigint"   // v.int64(): a Convex int64
	TypeCommitTs = "commitTs" // v.commitTs(): an int64, or the commit timestamp placeholder
	TypeBoolean  = "boolean"  // v.boolean()
	TypeString   = "string"   // v.string()
	TypeBytes    = "bytes"    // v.bytes()
	TypeAny      = "any"      // v.any()
	TypeLiteral  = "literal"  // v.literal(x)
	TypeID       = "id"       // v.id("table")
	TypeArray    = "array"    // v.array(element)
	TypeRecord   = "record"   // v.record(keys, values)
	TypeObject   = "object"   // v.object({...})
	TypeUnion    = "union"    // v.union(...members)
)

// Validator is a validator in its JSON form.
type Validator struct {
	Type string
	// Literal is a literal's value in compact Convex JSON: a string, a
	// number, a boolean, or {"$integer":"…"} for a bigint.
	Literal values.Raw
	// TableName is an id's table.
	TableName string
	// Element is an array's element validator.
	Element *Validator
	// Keys and Values are a record's validators (its values are never
	// optional).
	Keys, Values *Validator
	// Fields are an object's fields, sorted by name.
	Fields []Field
	// Members are a union's members, in order.
	Members []*Validator

	// optional marks a validator made by Optional, for Object to read.
	optional bool
}

// Field is a field of an object validator.
type Field struct {
	Name      string
	Optional  bool
	Validator *Validator
}

// validatorJSON is a validator as its JSON form writes it.
type validatorJSON struct {
	Type      string          `json:"type"`
	Value     json.RawMessage `json:"value"`
	TableName string          `json:"tableName"`
	Keys      json.RawMessage `json:"keys"`
	Values    *fieldJSON      `json:"values"`
}

type fieldJSON struct {
	FieldType json.RawMessage `json:"fieldType"`
	Optional  bool            `json:"optional"`
}

// ParseValidator reads a validator's JSON form.
func ParseValidator(data []byte) (*Validator, error) {
	var j validatorJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, err
	}
	v := &Validator{Type: j.Type}
	var err error
	switch j.Type {
	case TypeNull, TypeNumber, TypeBigint, TypeCommitTs, TypeBoolean, TypeString, TypeBytes, TypeAny:
	case TypeLiteral:
		if len(j.Value) == 0 {
			return nil, fmt.Errorf("literal without a value")
		}
		var x any
		if err := values.Unmarshal(j.Value, &x); err != nil {
			return nil, fmt.Errorf("literal: %w", err)
		}
		lit, err := values.Marshal(x) // compact, as convexToJson writes it
		if err != nil {
			return nil, fmt.Errorf("literal: %w", err)
		}
		v.Literal = values.Raw(lit)
	case TypeID:
		if j.TableName == "" {
			return nil, fmt.Errorf("id without a tableName")
		}
		v.TableName = j.TableName
	case TypeArray:
		if v.Element, err = ParseValidator(j.Value); err != nil {
			return nil, fmt.Errorf("array: %w", err)
		}
	case TypeRecord:
		if j.Values == nil {
			return nil, fmt.Errorf("record without values")
		}
		if v.Keys, err = ParseValidator(j.Keys); err != nil {
			return nil, fmt.Errorf("record keys: %w", err)
		}
		if v.Values, err = ParseValidator(j.Values.FieldType); err != nil {
			return nil, fmt.Errorf("record values: %w", err)
		}
	case TypeObject:
		var fields map[string]fieldJSON
		if err := json.Unmarshal(j.Value, &fields); err != nil {
			return nil, fmt.Errorf("object: %w", err)
		}
		v.Fields = make([]Field, 0, len(fields))
		for name, f := range fields {
			fv, err := ParseValidator(f.FieldType)
			if err != nil {
				return nil, fmt.Errorf("object field %q: %w", name, err)
			}
			v.Fields = append(v.Fields, Field{Name: name, Optional: f.Optional, Validator: fv})
		}
		sort.Slice(v.Fields, func(a, b int) bool { return v.Fields[a].Name < v.Fields[b].Name })
	case TypeUnion:
		var members []json.RawMessage
		if err := json.Unmarshal(j.Value, &members); err != nil {
			return nil, fmt.Errorf("union: %w", err)
		}
		for i, m := range members {
			mv, err := ParseValidator(m)
			if err != nil {
				return nil, fmt.Errorf("union member %d: %w", i, err)
			}
			v.Members = append(v.Members, mv)
		}
	case "":
		return nil, fmt.Errorf("validator without a type")
	default:
		return nil, fmt.Errorf("unknown validator type %q", j.Type)
	}
	return v, nil
}

// JSON returns the validator's JSON form, keys sorted.
func (v *Validator) JSON() ([]byte, error) {
	return json.Marshal(v.jsonForm())
}

// jsonForm is the validator as maps, so that encoding/json sorts its keys.
func (v *Validator) jsonForm() map[string]any {
	m := map[string]any{"type": v.Type}
	switch v.Type {
	case TypeLiteral:
		m["value"] = json.RawMessage(v.Literal)
	case TypeID:
		m["tableName"] = v.TableName
	case TypeArray:
		m["value"] = v.Element.jsonForm()
	case TypeRecord:
		m["keys"] = v.Keys.jsonForm()
		m["values"] = map[string]any{"fieldType": v.Values.jsonForm(), "optional": false}
	case TypeObject:
		fields := make(map[string]any, len(v.Fields))
		for _, f := range v.Fields {
			fields[f.Name] = map[string]any{"fieldType": f.Validator.jsonForm(), "optional": f.Optional}
		}
		m["value"] = fields
	case TypeUnion:
		members := make([]any, len(v.Members))
		for i, mv := range v.Members {
			members[i] = mv.jsonForm()
		}
		m["value"] = members
	}
	return m
}
