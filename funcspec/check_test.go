package funcspec_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
	v "github.com/goconvex/convex/funcspec"
)

// The builder writes the validators the TypeScript v builder writes, in
// their JSON form (codegen's TestServedSpecGeneratesTheGoldenPackage
// checks every kind against the fixture); Parse gives the same Go value.
func TestBuilderJSON(t *testing.T) {
	built := v.Object(v.Fields{
		"body":  v.String(),
		"n":     v.Optional(v.Union(v.Literal(1), v.Literal(values.Int64(2)), v.Null())),
		"by":    v.Record(v.ID("users"), v.Array(v.Bytes())),
		"shape": v.Union(v.Object(v.Fields{"kind": v.Literal("circle")}), v.Any()),
	})
	data, err := built.JSON()
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"object","value":{
		"body":{"fieldType":{"type":"string"},"optional":false},
		"by":{"fieldType":{"type":"record","keys":{"type":"id","tableName":"users"},"values":{"fieldType":{"type":"array","value":{"type":"bytes"}},"optional":false}},"optional":false},
		"n":{"fieldType":{"type":"union","value":[{"type":"literal","value":1},{"type":"literal","value":{"$integer":"AgAAAAAAAAA="}},{"type":"null"}]},"optional":true},
		"shape":{"fieldType":{"type":"union","value":[{"type":"object","value":{"kind":{"fieldType":{"type":"literal","value":"circle"},"optional":false}}},{"type":"any"}]},"optional":false}}}`, string(data))
	parsed, err := v.ParseValidator(data)
	require.NoError(t, err)
	require.Equal(t, parsed, built)
}

func TestBuilderMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"optional in an array": func() { v.Array(v.Optional(v.String())) },
		"optional in a union":  func() { v.Union(v.String(), v.Optional(v.Null())) },
		"nil field":            func() { v.Object(v.Fields{"a": nil}) },
		"map literal":          func() { v.Literal(map[string]any{}) },
		"NaN literal":          func() { v.Literal(math.NaN()) },
		"id without table":     func() { v.ID("") },
	} {
		assert.Panics(t, f, name)
	}
}

// CheckDefinition refuses what the backend refuses when functions are
// pushed (crates/common/src/schemas/json.rs; the args rule in
// crates/model/src/modules/function_validators.rs).
func TestCheckDefinition(t *testing.T) {
	for _, c := range []struct {
		v    *v.Validator
		args bool
		want string
	}{
		{v.String(), true, "Args validator must be an object or any"},
		{v.Any(), true, ""},
		{v.String(), false, ""},
		{v.Record(v.Number(), v.String()), false, "Records can only have string keys. Your validator contains a record with key typed as `v.float64()`, which is not a subtype of `v.string()`"},
		{v.Array(v.Record(v.Union(v.ID("a"), v.Literal("x")), v.String())), false, "Records cannot have string literal keys"},
		{v.Record(v.Union(v.ID("a"), v.String()), v.String()), false, ""},
		{v.Optional(v.String()), false, "Optional is only for the fields of an Object"},
	} {
		err := c.v.CheckDefinition(c.args)
		if c.want == "" {
			assert.NoError(t, err, c.v.String())
		} else {
			assert.EqualError(t, err, c.want, c.v.String())
		}
	}
}

// String writes validators as the backend's Display does
// (crates/common/src/schemas/validator.rs): v.float64() for v.number(),
// literals as serde_json writes them, <bigint> for an int64 literal.
func TestValidatorString(t *testing.T) {
	for want, val := range map[string]*v.Validator{
		`v.object({a: v.string(), b: v.optional(v.float64())})`:        v.Object(v.Fields{"b": v.Optional(v.Number()), "a": v.String()}),
		`v.union(v.literal("x\"y"), v.literal(42.0), v.literal(true))`: v.Union(v.Literal(`x"y`), v.Literal(42), v.Literal(true)),
		`v.literal(<bigint>)`:                                v.Literal(values.Int64(7)),
		`v.literal(0.5)`:                                     v.Literal(0.5),
		`v.literal(1e16)`:                                    v.Literal(1e16),
		`v.literal(0.00001)`:                                 v.Literal(0.00001),
		`v.literal(1e-6)`:                                    v.Literal(0.000001),
		`v.record(v.id("users"), v.array(v.int64()))`:        v.Record(v.ID("users"), v.Array(v.Int64())),
		`v.union(v.null(), v.bytes(), v.any(), v.boolean())`: v.Union(v.Null(), v.Bytes(), v.Any(), v.Boolean()),
		`v.object({})`:                                       v.Object(nil),
		`v.commitTs()`:                                       v.CommitTs(),
	} {
		assert.Equal(t, want, val.String())
	}
}

func decode(t *testing.T, js string) any {
	t.Helper()
	var x any
	require.NoError(t, values.Unmarshal([]byte(js), &x))
	return x
}

// Check answers as Validator::check_value does, with its texts
// (ValidationError in crates/common/src/schemas/validator.rs; values as
// ConvexValue's Display writes them, crates/value/src/lib.rs: floats as
// Rust's {:?}, strings quoted, bytes as b"base64", objects {k: v}).
func TestCheck(t *testing.T) {
	send := v.Object(v.Fields{"body": v.String(), "n": v.Optional(v.Number())})
	tables := func(id string) (string, bool) {
		switch id {
		case "m1":
			return "messages", true
		case "u1":
			return "users", true
		}
		return "", false
	}
	for _, c := range []struct {
		v     *v.Validator
		value string // Convex JSON
		want  string // "" for valid
	}{
		{send, `{"body":"hi"}`, ""},
		{send, `{"body":"hi","n":1}`, ""},
		{send, `{}`, "Object is missing the required field `body`. Consider wrapping the field validator in `v.optional(...)` if this is expected.\n\nObject: {}\nValidator: v.object({body: v.string(), n: v.optional(v.float64())})"},
		{send, `{"body":"hi","extra":true}`, "Object contains extra field `extra` that is not in the validator.\n\nObject: {body: \"hi\", extra: true}\nValidator: v.object({body: v.string(), n: v.optional(v.float64())})"},
		{send, `{"body":1}`, "Value does not match validator.\nPath: .body\nValue: 1.0\nValidator: v.string()"},
		{send, `[]`, "Value does not match validator.\n\nValue: []\nValidator: v.object({body: v.string(), n: v.optional(v.float64())})"},
		// Fields are checked in name order: n's bad value before body's absence.
		{v.Object(v.Fields{"z": v.String(), "a": v.Number()}), `{"a":"x"}`, "Value does not match validator.\nPath: .a\nValue: \"x\"\nValidator: v.float64()"},
		{v.Array(v.Object(v.Fields{"tags": v.Array(v.String())})), `[{"tags":["a"]},{"tags":["b",{"$integer":"BwAAAAAAAAA="}]}]`, "Value does not match validator.\nPath: [1].tags[1]\nValue: 7\nValidator: v.string()"},
		{v.Record(v.String(), v.Number()), `{"a":1,"b":null}`, "Value does not match validator.\nPath: .values()\nValue: null\nValidator: v.float64()"},
		{v.Record(v.ID("users"), v.Number()), `{"u1":1,"x":2}`, "Value does not match validator.\nPath: .keys()\nValue: \"x\"\nValidator: v.id(\"users\")"},
		{v.Literal("fast"), `"slow"`, "`\"slow\"` does not match literal validator `v.literal(\"fast\")`."},
		{v.Object(v.Fields{"n": v.Literal(42)}), `{"n":{"$integer":"KgAAAAAAAAA="}}`, "`42` does not match literal validator `v.literal(42.0)`.Path: .n"},
		{v.Literal(values.Int64(7)), `{"$integer":"BwAAAAAAAAA="}`, ""},
		{v.Literal(0), `{"$float":"AAAAAAAAAIA="}`, "`-0.0` does not match literal validator `v.literal(0.0)`."},
		{v.ID("messages"), `"m1"`, ""},
		{v.ID("messages"), `"u1"`, "Found ID \"u1\" from table `users`, which does not match the table name in validator `v.id(\"messages\")`."},
		{v.ID("messages"), `"nope"`, "Value does not match validator.\n\nValue: \"nope\"\nValidator: v.id(\"messages\")"},
		{v.Union(v.String(), v.Null()), `null`, ""},
		{v.Union(v.String(), v.Null()), `1.5`, "Value does not match validator.\n\nValue: 1.5\nValidator: v.union(v.string(), v.null())"},
		// A one-member union is its member.
		{v.Union(v.Object(v.Fields{"a": v.String()})), `{"a":2}`, "Value does not match validator.\nPath: .a\nValue: 2.0\nValidator: v.string()"},
		{v.Int64(), `{"$bytes":"AQI="}`, "Value does not match validator.\n\nValue: b\"AQI=\"\nValidator: v.int64()"},
		{v.CommitTs(), `{"$integer":"BwAAAAAAAAA="}`, ""},
		{v.Any(), `{"whatever":[1,{"$bytes":""}]}`, ""},
	} {
		err := c.v.Check(decode(t, c.value), tables)
		if c.want == "" {
			assert.NoError(t, err, "%s %s", c.v, c.value)
			continue
		}
		if assert.Error(t, err, "%s %s", c.v, c.value) {
			assert.Equal(t, c.want, err.Error())
			var ve *v.ValidationError
			assert.ErrorAs(t, err, &ve)
		}
	}
	// The placeholder a mutation may return checks as the int64 it becomes.
	require.NoError(t, v.Int64().Check(values.CommitTsPlaceholder{}, nil))
	// Without a table resolver any string is an id.
	require.NoError(t, v.ID("messages").Check("anything", nil))
}

// Values are written as ConvexValue's Display writes them.
func TestCheckValueDisplay(t *testing.T) {
	for value, want := range map[string]string{
		`1`:                                    `1.0`,
		`100`:                                  `100.0`,
		`0.1`:                                  `0.1`,
		`1e16`:                                 `1e16`,
		`1.5e-7`:                               `1.5e-7`,
		`0.0001`:                               `0.0001`,
		`0.00001`:                              `1e-5`,
		`-2.5`:                                 `-2.5`,
		`{"$float":"AAAAAAAA+H8="}`:            `NaN`,
		`{"$float":"AAAAAAAA8H8="}`:            `inf`,
		`{"$float":"AAAAAAAA8P8="}`:            `-inf`,
		`"tab\there \"q\" \\ \u0001 é \u0301"`: `"tab\there \"q\" \\ \u{1} é \u{301}"`,
		`{"b":[true,null],"a":{"$integer":"/////////38="}}`: `{a: 9223372036854775807, b: [true, null]}`,
	} {
		err := v.Boolean().Check(decode(t, value), nil)
		require.Error(t, err)
		got := err.Error()
		prefix := "Value does not match validator.\n\nValue: "
		suffix := "\nValidator: v.boolean()"
		require.Equal(t, prefix+want+suffix, got, value)
	}
}
