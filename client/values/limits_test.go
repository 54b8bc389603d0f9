package values

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func nestedArrays(n int, inner string) string {
	return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
}

func nestedObjects(n int, inner string) string {
	return strings.Repeat(`{"a":`, n) + inner + strings.Repeat("}", n)
}

func nestedGo(n int) any {
	var v any = "leaf"
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			v = []any{v}
		} else {
			v = map[string]any{"a": v}
		}
	}
	return v
}

// decodeErr decodes s into an any and checks Validate agrees.
func decodeErr(t *testing.T, s string) error {
	t.Helper()
	var v any
	err := Unmarshal([]byte(s), &v)
	verr := Validate([]byte(s))
	if err == nil {
		require.NoError(t, verr)
	} else {
		require.Error(t, verr)
	}
	return err
}

func TestDepthLimit(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		valid bool
	}{
		{"64 arrays", nestedArrays(64, ""), true},
		{"65 arrays", nestedArrays(65, ""), false},
		{"64 arrays around a scalar", nestedArrays(64, "1"), true},
		{"64 objects", nestedObjects(64, "1"), true},
		{"65 objects", nestedObjects(65, "1"), false},
		{"63 objects around {}", nestedObjects(63, "{}"), true},
		{"64 objects around {}", nestedObjects(64, "{}"), false},
		{"64 arrays around $integer", nestedArrays(64, `{"$integer":"AQAAAAAAAAA="}`), true},
		{"64 arrays around $bytes", nestedArrays(64, `{"$bytes":""}`), true},
		{"64 arrays around $commitTs", nestedArrays(64, `{"$commitTs":null}`), true},
		{"deep inside a later element", "[1," + nestedArrays(64, "") + "]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeErr(t, tt.in)
			if tt.valid {
				require.NoError(t, err)
				var v any
				require.NoError(t, Unmarshal([]byte(tt.in), &v))
				b, err := Marshal(v)
				require.NoError(t, err)
				require.Equal(t, tt.in, string(b))
				return
			}
			require.ErrorContains(t, err, "value is too nested")
		})
	}

	t.Run("Marshal", func(t *testing.T) {
		_, err := Marshal(nestedGo(64))
		require.NoError(t, err)
		_, err = Marshal(nestedGo(65))
		require.ErrorContains(t, err, "value is too nested")
	})
	t.Run("typed", func(t *testing.T) {
		var v []any
		require.NoError(t, Unmarshal([]byte(nestedArrays(64, "")), &v))
		require.ErrorContains(t, Unmarshal([]byte(nestedArrays(65, "")), &v), "value is too nested")
		type deep struct{ A *deep }
		var d deep
		require.NoError(t, Unmarshal([]byte(nestedObjects(63, "{}")), &d))
		require.ErrorContains(t, Unmarshal([]byte(nestedObjects(64, "{}")), &d), "value is too nested")
	})
	t.Run("Raw counts from where it sits", func(t *testing.T) {
		_, err := Marshal([]any{Raw(nestedArrays(63, ""))})
		require.NoError(t, err)
		_, err = Marshal([]any{Raw(nestedArrays(64, ""))})
		require.ErrorContains(t, err, "value is too nested")
	})
}

func TestArrayLimit(t *testing.T) {
	array := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("0,", n), ",") + "]" }
	require.NoError(t, decodeErr(t, array(8192)))
	require.ErrorContains(t, decodeErr(t, array(8193)), "array length is too long")

	var ints []int
	require.NoError(t, Unmarshal([]byte(array(8192)), &ints))
	require.Len(t, ints, 8192)
	require.ErrorContains(t, Unmarshal([]byte(array(8193)), &ints), "array length is too long")

	_, err := Marshal(make([]any, 8192))
	require.NoError(t, err)
	_, err = Marshal(make([]any, 8193))
	require.EqualError(t, err, "values: array length is too long (8193 > maximum length 8192)")
	_, err = Marshal(make([]int, 8193))
	require.ErrorContains(t, err, "array length is too long")
	_, err = Marshal([8193]int{})
	require.ErrorContains(t, err, "array length is too long")
	_, err = Marshal(make([]byte, 100000)) // bytes are not an array
	require.NoError(t, err)
}

func TestFieldLimit(t *testing.T) {
	object := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"f%d":0`, i)
		}
		b.WriteString("}")
		return b.String()
	}
	require.NoError(t, decodeErr(t, object(1024)))
	require.ErrorContains(t, decodeErr(t, object(1025)), "object has too many fields")

	var m map[string]int
	require.NoError(t, Unmarshal([]byte(object(1024)), &m))
	require.Len(t, m, 1024)
	require.ErrorContains(t, Unmarshal([]byte(object(1025)), &m), "object has too many fields")
	var s struct{}
	require.ErrorContains(t, Unmarshal([]byte(object(1025)), &s), "object has too many fields")

	big := map[string]any{}
	for i := 0; i < 1024; i++ {
		big[fmt.Sprintf("f%d", i)] = i
	}
	_, err := Marshal(big)
	require.NoError(t, err)
	big["one more"] = 0
	_, err = Marshal(big)
	require.EqualError(t, err, "values: object has too many fields (1025 > maximum number 1024)")
	bigInts := map[string]int{}
	for i := 0; i < 1025; i++ {
		bigInts[fmt.Sprintf("f%d", i)] = i
	}
	_, err = Marshal(bigInts)
	require.ErrorContains(t, err, "object has too many fields")
}

// TestFieldNames follows the backend's check_valid_field_name
// (crates/convex/sync_types/src/identifier.rs, through FieldName in
// crates/value/src/field_name.rs): at most 1024 bytes, no leading '$',
// non-control ASCII only; "" is valid. convex/values applies the same rules.
func TestFieldNames(t *testing.T) {
	tests := []struct {
		name, key, err string
	}{
		{"1024 chars", strings.Repeat("k", 1024), ""},
		{"1025 chars", strings.Repeat("k", 1025), "exceeds maximum field name length 1024"},
		{"underscore", "_id", ""},
		{"punctuation and space", ` !"#%&'()*+,-./:;<=>?@[\]^_{|}~`, ""},
		{"dollar inside", "a$b", ""},
		{"dollar first", "$a", "starts with a '$', which is reserved"},
		{"empty", "", ""},
		{"dollar alone", "$", "starts with a '$', which is reserved"},
		{"tab", "a\tb", "has invalid character"},
		{"unit separator", "\x1f", "has invalid character"},
		{"non-ASCII letter", "ñame", "has invalid character"},
		{"NUL", "a\x00", "has invalid character"},
		{"newline", "\n", "has invalid character"},
		{"DEL", "a\x7f", "has invalid character"},
		{"non-ASCII", "é", "has invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(map[string]any{tt.key: 1})
			key := appendString(nil, tt.key)
			in := "{" + string(key) + ":1}"
			derr := decodeErr(t, in)
			if tt.err == "" {
				require.NoError(t, err)
				require.Equal(t, in, string(b))
				require.NoError(t, derr)
				return
			}
			require.ErrorContains(t, err, tt.err)
			require.ErrorContains(t, derr, tt.err)
		})
	}
}

func TestCyclesStop(t *testing.T) {
	type node struct {
		Name string
		Next *node
	}
	n := &node{Name: "a"}
	n.Next = n
	_, err := Marshal(n)
	require.ErrorContains(t, err, "value is too nested")

	m := map[string]any{}
	m["self"] = m
	_, err = Marshal(m)
	require.ErrorContains(t, err, "value is too nested")

	s := []any{nil}
	s[0] = s
	_, err = Marshal(s)
	require.ErrorContains(t, err, "value is too nested")

	var p any
	p = &p
	_, err = Marshal(p)
	require.ErrorContains(t, err, "pointer cycle")
}
