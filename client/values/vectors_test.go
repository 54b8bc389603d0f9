package values

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Test vectors of the value encoding (docs/protocol.md#values), verified
// against convex/values 1.48.0.
// JS-only inputs map to their nearest Go analogues.

func TestMarshalVectors(t *testing.T) {
	type withUndefined struct {
		A float64  `json:"a"`
		B *float64 `json:"b,omitempty"` // JS {a:1,b:undefined}
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"null", nil, `null`},
		{"true", true, `true`},
		{"0", 0.0, `0`},
		{"3.5", 3.5, `3.5`},
		{"-0", math.Copysign(0, -1), `{"$float":"AAAAAAAAAIA="}`},
		{"NaN", math.NaN(), `{"$float":"AAAAAAAA+H8="}`},
		{"Infinity", math.Inf(1), `{"$float":"AAAAAAAA8H8="}`},
		{"-Infinity", math.Inf(-1), `{"$float":"AAAAAAAA8P8="}`},
		{"0n", Int64(0), `{"$integer":"AAAAAAAAAAA="}`},
		{"1n", Int64(1), `{"$integer":"AQAAAAAAAAA="}`},
		{"-1n", Int64(-1), `{"$integer":"//////////8="}`},
		{"256n", Int64(256), `{"$integer":"AAEAAAAAAAA="}`},
		{"2n**63n-1n", Int64(math.MaxInt64), `{"$integer":"/////////38="}`},
		{"-(2n**63n)", Int64(math.MinInt64), `{"$integer":"AAAAAAAAAIA="}`},
		{"1e300", 1e300, `1e+300`},
		{`""`, "", `""`},
		{`"héllo✓"`, "héllo✓", `"héllo✓"`},
		{"new ArrayBuffer(0)", []byte{}, `{"$bytes":""}`},
		{"bytes [0,1,2,255]", []byte{0, 1, 2, 255}, `{"$bytes":"AAEC/w=="}`},
		{`bytes of "hello"`, []byte("hello"), `{"$bytes":"aGVsbG8="}`},
		{`[1, 2n, "x"]`, []any{1, Int64(2), "x"}, `[1,{"$integer":"AgAAAAAAAAA="},"x"]`},
		{"{b:1,a:2,_c:3,A:4}", map[string]any{"b": 1, "a": 2, "_c": 3, "A": 4}, `{"A":4,"_c":3,"a":2,"b":1}`},
		{"{a:1,b:undefined}", withUndefined{A: 1}, `{"a":1}`},
		{"{x:[{y:NaN}],z:{w:5n}}",
			map[string]any{"x": []any{map[string]any{"y": math.NaN()}}, "z": map[string]any{"w": Int64(5)}},
			`{"x":[{"y":{"$float":"AAAAAAAA+H8="}}],"z":{"w":{"$integer":"BQAAAAAAAAA="}}}`},
		{`{"a b-c.d":1}`, map[string]any{"a b-c.d": 1}, `{"a b-c.d":1}`},
		{"{}", map[string]any{}, `{}`},
		{"commit ts placeholder", CommitTsPlaceholder{}, `{"$commitTs":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
			require.NoError(t, Validate(got))
		})
	}
}

func TestMarshalVectorErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		path    string
		wantMsg string
	}{
		{"2n**63n (a uint64 beyond int64 is beyond ±2^53 too)", uint64(1 << 63), "", "outside ±2^53"},
		{"undefined (a func has no Convex form)", func() {}, "", "unsupported type func()"},
		{"[undefined]", []any{func() {}}, "[0]", "unsupported type func()"},
		{"{$a:1}", map[string]any{"$a": 1}, "", `field name "$a" starts with a '$', which is reserved`},
		{"{$a:1} nested", map[string]any{"x": map[string]any{"$a": 1}}, ".x", `field name "$a" starts with a '$', which is reserved`},
		{`{"é":1}`, map[string]any{"é": 1}, "", `field name "é" has invalid character "é": field names can only contain non-control ASCII characters`},
		{"new Date(0)", time.Unix(0, 0), "", "unsupported type time.Time"},
		{"new Map()", map[int]string{}, "", "unsupported type map[int]string"},
		{"new Set()", make(chan int), "", "unsupported type chan int"},
		{"new Uint8Array([1])", json.RawMessage("1"), "", "unsupported type json.RawMessage"},
		{"key of 1025 chars", map[string]any{strings.Repeat("k", 1025): 1}, "", "exceeds maximum field name length 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Marshal(tt.in)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.path, e.Path)
			require.Contains(t, e.Msg, tt.wantMsg)
		})
	}
}

func TestUnmarshalVectors(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`{"$integer":"AQAAAAAAAAA="}`, Int64(1)},
		{`{"$float":"AAAAAAAAAIA="}`, math.Copysign(0, -1)},
		{`{"$float":"AAAAAAAA8H8="}`, math.Inf(1)},
		{`{"$float":"AAAAAAAA8P8="}`, math.Inf(-1)},
		{`{"$bytes":"AAEC/w=="}`, []byte{0, 1, 2, 255}},
		{`{"$bytes":"AAEC_w=="}`, []byte{0, 1, 2, 255}},
		{`{"$bytes":""}`, []byte{}},
		{`{"$commitTs":null}`, CommitTsPlaceholder{}},
		{`{"a":{"$integer":"AgAAAAAAAAA="}}`, map[string]any{"a": Int64(2)}},
		{`[1,{"$integer":"AgAAAAAAAAA="},"x"]`, []any{1.0, Int64(2), "x"}},
		{`5`, 5.0},
		{`null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got any
			require.NoError(t, Unmarshal([]byte(tt.in), &got))
			require.Equal(t, tt.want, got)
			if f, ok := tt.want.(float64); ok {
				require.Equal(t, math.Signbit(f), math.Signbit(got.(float64)))
			}
			require.NoError(t, Validate([]byte(tt.in)))
		})
	}

	t.Run("NaN", func(t *testing.T) {
		var got any
		require.NoError(t, Unmarshal([]byte(`{"$float":"AAAAAAAA+H8="}`), &got))
		require.True(t, math.IsNaN(got.(float64)))
	})
}

func TestUnmarshalVectorErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"$integer":"AQ=="}`, "received 1 bytes, expected 8 for $integer"},
		{`{"$integer":5}`, "malformed $integer field"},
		{`{"$float":"AAAAAAAAAAA="}`, "float 0 should be encoded as a number"},
		{`{"$float":"AAAAAAAA8D8="}`, "float 1 should be encoded as a number"},
		{`{"$float":"AQ=="}`, "received 1 bytes, expected 8 for $float"},
		{`{"$bytes":"AAEC/w"}`, "length must be a multiple of 4"},
		{`{"$undefined":null}`, `field name "$undefined" starts with a '$', which is reserved`},
		{`{"$foo":1}`, `field name "$foo" starts with a '$', which is reserved`},
		{`{"$integer":"AQAAAAAAAAA=","x":1}`, `field name "$integer" starts with a '$', which is reserved`},
		{`{"x":1,"$integer":"AQAAAAAAAAA="}`, `field name "$integer" starts with a '$', which is reserved`},
		{`{"$set":[]}`, "received a Set which is no longer supported as a Convex type"},
		{`{"$map":[]}`, "received a Map which is no longer supported as a Convex type"},
		{`{"$commitTs":1}`, "malformed $commitTs field"},
		{`{"é":1}`, `field name "é" has invalid character "é"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got any
			err := Unmarshal([]byte(tt.in), &got)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Contains(t, e.Msg, tt.want)
			require.Nil(t, got)

			verr := Validate([]byte(tt.in))
			require.Error(t, verr)
			require.Equal(t, err.Error(), verr.Error())
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Marshal(map[string]any{"x": map[string]any{"$a": 1}})
	require.EqualError(t, err, `values: at .x: field name "$a" starts with a '$', which is reserved`)

	var v any
	err = Unmarshal([]byte(`{"messages":[1,2,3,{"body":{"$integer":"AQ=="}}]}`), &v)
	var e *Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, ".messages[3].body", e.Path)
	require.EqualError(t, err, "values: at .messages[3].body: received 1 bytes, expected 8 for $integer")

	err = Unmarshal([]byte(`"`), &v)
	require.EqualError(t, err, "values: unexpected end of JSON input")
}
