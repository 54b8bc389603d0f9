package values

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func decodeAnyOK(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, Unmarshal([]byte(s), &v), "%s", s)
	require.NoError(t, Validate([]byte(s)), "%s", s)
	return v
}

func TestUnmarshalNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"5", 5},
		{"-5", -5},
		{"0", 0},
		{"0.1", 0.1},
		{"1.5e3", 1500},
		{"1E+2", 100},
		{"2.5e-3", 0.0025},
		{"1e22", 1e22},
		{"1e23", 1e23},
		{"9007199254740993", 9007199254740992},
		{"123456789012345678901234567890", 123456789012345678901234567890},
		{"0.000000000000000000000000000001", 1e-30},
		{"1.7976931348623157e308", math.MaxFloat64},
		{"5e-324", 5e-324},
		{"2e-324", 0},
		{"1e400", math.Inf(1)},
		{"-1e400", math.Inf(-1)},
		{"  7  ", 7},
		{"\t\r\n8\n", 8},
		{"1.00000000000000011102230246251565404236316680908203126", 1.0000000000000002},
		{"1.00000000000000011102230246251565404236316680908203125", 1}, // a tie: to even
		{"1.00000000000000011102230246251565404236316680908203124", 1},
	}
	for _, tt := range tests {
		got := decodeAnyOK(t, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
	for _, in := range []string{"-0", "-0.0", "-0e5", "-1e-400"} {
		f := decodeAnyOK(t, in).(float64)
		require.True(t, f == 0 && math.Signbit(f), in)
		b, err := Marshal(f)
		require.NoError(t, err)
		require.Equal(t, `{"$float":"AAAAAAAAAIA="}`, string(b))
	}
}

func TestUnmarshalSyntaxErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "unexpected end of JSON input"},
		{"   ", "unexpected end of JSON input"},
		{"[", "unexpected end of JSON input"},
		{`{"a":`, "unexpected end of JSON input"},
		{`"abc`, "unexpected end of JSON input"},
		{"[1,]", "invalid character ']' looking for beginning of value"},
		{"[1 2]", "invalid character '2' after array element"},
		{`{"a" 1}`, "invalid character '1' after object key"},
		{`{"a":1,}`, "invalid character '}' looking for beginning of object key string"},
		{`{"a":1 "b":2}`, `invalid character '"' after object key:value pair`},
		{"{a:1}", "invalid character 'a' looking for beginning of object key string"},
		{"01", "invalid character '1' after top-level value"},
		{"+1", "invalid character '+' looking for beginning of value"},
		{".5", "invalid character '.' looking for beginning of value"},
		{"1.", "unexpected end of JSON input"},
		{"1.e5", "invalid character 'e' after decimal point"},
		{"1e", "unexpected end of JSON input"},
		{"1e+", "unexpected end of JSON input"},
		{"-", "unexpected end of JSON input"},
		{"-a", "invalid character 'a' in numeric literal"},
		{"NaN", "invalid character 'N' looking for beginning of value"},
		{"nul", "unexpected end of JSON input"},
		{"nulL", "invalid character 'L' in literal null"},
		{"True", "invalid character 'T' looking for beginning of value"},
		{`"\x"`, "invalid character 'x' in string escape code"},
		{`"\u12g4"`, "invalid character 'g' in \\u hexadecimal character escape"},
		{"\"a\tb\"", `invalid character '\t' in string literal`},
		{"\"a\x00b\"", `invalid character '\x00' in string literal`},
		{`{"a":1}x`, "invalid character 'x' after top-level value (offset 7)"},
		{"1 2", "invalid character '2' after top-level value"},
		{"\ufeff1", `invalid character '\ufeff' looking for beginning of value`},
		{"\"\xff\"", "invalid UTF-8 in string (offset 1)"},
		{`"\ud800"`, `lone surrogate \ud800`},
		{`"\udc00x"`, `lone surrogate \udc00`},
		{`"\ud800\u0041"`, `lone surrogate \ud800`},
		{`"\ud800\n"`, `lone surrogate \ud800`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v any
			err := Unmarshal([]byte(tt.in), &v)
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, Validate([]byte(tt.in)), tt.want)
			var typed struct{ A []int }
			require.Error(t, Unmarshal([]byte(tt.in), &typed))
		})
	}
}

func TestUnmarshalStrings(t *testing.T) {
	tests := []struct{ in, want string }{
		{`""`, ""},
		{`"abc"`, "abc"},
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t"},
		{`"\u0000\u001F\u00e9\u2028"`, "\x00\x1f\u00e9\u2028"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\uD834\uDD1E"`, "𝄞"},
		{`"a\u0041b"`, "aAb"},
		{`"héllo✓😀"`, "héllo✓😀"},
		{"\"\x7f\"", "\x7f"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, decodeAnyOK(t, tt.in), tt.in)
	}
	// Escaped keys are validated after unescaping.
	require.Equal(t, map[string]any{"A/": 1.0}, decodeAnyOK(t, `{"\u0041\/":1}`))
	var v any
	require.ErrorContains(t, Unmarshal([]byte(`{"\u0024a":1}`), &v), "starts with a '$'")
	require.ErrorContains(t, Unmarshal([]byte(`{"a\n":1}`), &v), "has invalid character")
}

func TestUnmarshalDuplicateKeys(t *testing.T) {
	// The last value wins, as with JSON.parse.
	require.Equal(t, map[string]any{"a": 2.0, "b": 3.0}, decodeAnyOK(t, `{"a":1,"b":3,"a":2}`))
	require.Equal(t, Int64(2), decodeAnyOK(t, `{"$integer":"AQAAAAAAAAA=","$integer":"AgAAAAAAAAA="}`))
	require.Equal(t, Int64(1), decodeAnyOK(t, `{"$integer":{"$foo":[1]},"\u0024integer":"AQAAAAAAAAA="}`))
	require.Equal(t, CommitTsPlaceholder{}, decodeAnyOK(t, `{"$commitTs":1,"$commitTs":null}`))
	var v any
	require.ErrorContains(t, Unmarshal([]byte(`{"$integer":"AQAAAAAAAAA=","$integer":5}`), &v), "malformed $integer field")
	require.ErrorContains(t, Unmarshal([]byte(`{"$integer":"AQAAAAAAAAA=","$bytes":""}`), &v), `"$integer" starts with a '$'`)

	var s struct{ A int }
	require.NoError(t, Unmarshal([]byte(`{"A":1,"a":2}`), &s))
	require.Equal(t, 2, s.A)
}

func TestUnmarshalBase64(t *testing.T) {
	ok := []struct {
		in   string
		want []byte
	}{
		{`{"$bytes":"aGVsbG8="}`, []byte("hello")},
		{`{"$bytes":"aGVsbA=="}`, []byte("hell")},
		{`{"$bytes":"aGVs"}`, []byte("hel")},
		{`{"$bytes":"-_-_"}`, []byte{0xfb, 0xff, 0xbf}},
		{`{"$bytes":"+/-_"}`, []byte{0xfb, 0xff, 0xbf}},
		{`{"$bytes":"AB=="}`, []byte{0}}, // trailing bits are ignored, as in JS
		{`{"$bytes":"\u0041Q=="}`, []byte{1}},
	}
	for _, tt := range ok {
		require.Equal(t, tt.want, decodeAnyOK(t, tt.in), tt.in)
	}
	bad := []struct{ in, want string }{
		{`{"$bytes":"A"}`, "length must be a multiple of 4"},
		{`{"$bytes":"!!!!"}`, `invalid character "!" at offset 0`},
		{`{"$bytes":"A==="}`, `invalid character "=" at offset 1`},
		{`{"$bytes":"===="}`, `invalid character "="`},
		{`{"$bytes":"AA=A"}`, `invalid character "="`},
		{`{"$bytes":"A AA"}`, `invalid character " "`},
		{`{"$bytes":"AAAAAAé"}`, `invalid character "é"`},
		{`{"$integer":"AQAAAAAAAAAA"}`, "received 9 bytes, expected 8 for $integer"},
		{`{"$integer":""}`, "received 0 bytes, expected 8 for $integer"},
		{`{"$integer":"AQAAAAAAA!A="}`, `invalid character "!"`},
	}
	for _, tt := range bad {
		var v any
		require.ErrorContains(t, Unmarshal([]byte(tt.in), &v), tt.want, tt.in)
		require.ErrorContains(t, Validate([]byte(tt.in)), tt.want, tt.in)
	}
}

func TestUnmarshalSpecials(t *testing.T) {
	f := decodeAnyOK(t, `{"$float":"AQAAAAAA8H8="}`).(float64) // a NaN with a payload
	require.True(t, math.IsNaN(f))
	require.Equal(t, Int64(-1), decodeAnyOK(t, `{"$integer":"//////////8="}`))
	require.Equal(t, Int64(math.MinInt64), decodeAnyOK(t, ` { "$integer" : "AAAAAAAAAIA=" } `))

	bad := []struct{ in, want string }{
		{`{"$float":"AAAAAAAAAAA="}`, "float 0 should be encoded as a number"},
		{`{"$float":"AQAAAAAAAAA="}`, "float 5e-324 should be encoded as a number"},
		{`{"$float":"mpmZmZmZ8T8="}`, "float 1.1 should be encoded as a number"},
		{`{"$float":null}`, "malformed $float field: value must be a string, not null"},
		{`{"$bytes":[]}`, "malformed $bytes field: value must be a string, not an array"},
		{`{"$integer":true}`, "malformed $integer field: value must be a string, not a boolean"},
		{`{"$commitTs":"x"}`, "malformed $commitTs field: value must be null, not a string"},
		{`{"$commitTs":{}}`, "malformed $commitTs field"},
		{`{"$set":[1,2]}`, "received a Set"},
		{`{"$map":[[1,2]]}`, "received a Map"},
		{`{"$":1}`, `field name "$" starts with a '$'`},
		{`{"$bytes":"","a":1}`, `field name "$bytes" starts with a '$'`},
		{`{"$integer":"AQAAAAAAAAA="`, "unexpected end of JSON input"},
		{`{"$integer" "AQAAAAAAAAA="}`, "after object key"},
		{`{"$integer":"AQAAAAAAAAA=",}`, "looking for beginning of object key string"},
		{`{"$integer":[1,}`, "looking for beginning of value"},
	}
	for _, tt := range bad {
		var v any
		require.ErrorContains(t, Unmarshal([]byte(tt.in), &v), tt.want, tt.in)
		require.ErrorContains(t, Validate([]byte(tt.in)), tt.want, tt.in)
	}
}

func TestUnmarshalErrorPaths(t *testing.T) {
	tests := []struct{ in, path string }{
		{`{"messages":[{"body":{"$integer":"AQ=="}}]}`, ".messages[0].body"},
		{`[0,[1,{"a b":{"$x":1}}]]`, "[1][1].a b"},
		{`{"a":{"b":{"c":"\ud800"}}}`, ".a.b.c"},
		{`{"a":{"é":1}}`, ".a"},
		{`[[[[` + nestedArrays(61, "") + `]]]]`, "[0][0][0][0]" + strings.Repeat("[0]", 60)},
	}
	for _, tt := range tests {
		var v any
		err := Unmarshal([]byte(tt.in), &v)
		var e *Error
		require.ErrorAs(t, err, &e, tt.in)
		require.Equal(t, tt.path, e.Path, tt.in)
		verr := Validate([]byte(tt.in))
		require.ErrorAs(t, verr, &e)
		require.Equal(t, tt.path, e.Path, tt.in)
	}
}

func TestUnmarshalBadTargets(t *testing.T) {
	var nilPtr *int
	for _, target := range []any{nil, 1, nilPtr, (*any)(nil), (*Raw)(nil), map[string]any{}} {
		err := Unmarshal([]byte(`1`), target)
		var e *Error
		require.ErrorAs(t, err, &e, "%T", target)
		require.Contains(t, e.Msg, "Unmarshal needs a non-nil pointer")
	}
}

func TestRoundTripCanonical(t *testing.T) {
	// Canonical Convex JSON, as JSON.stringify(convexToJson(v)) writes it,
	// decodes and re-encodes to the same bytes.
	inputs := []string{
		`null`, `true`, `false`, `0`, `-1.5`, `1e+21`, `1e-7`, `123456789012345680000`, `""`,
		`"\u0000\"\\\n😀"`, `[]`, `{}`, `[[],{},[{}]]`,
		`{"$bytes":"AAEC/w=="}`, `{"$integer":"/////////38="}`, `{"$float":"AAAAAAAA8P8="}`,
		`{"$commitTs":null}`,
		`{"0":1,"10":2,"_id":"x","a":[1,{"$integer":"AQAAAAAAAAA="}],"b":{"c":null}}`,
	}
	for _, in := range inputs {
		v := decodeAnyOK(t, in)
		require.Equal(t, in, marshalString(t, v))
		var raw Raw
		require.NoError(t, Unmarshal([]byte(" "+in+"\n"), &raw))
		require.Equal(t, in, string(raw))
		require.Equal(t, in, marshalString(t, raw))
	}
}
