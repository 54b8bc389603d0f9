//go:build convex_omitreflect

package values

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOmitReflect checks the build without the reflection-based codec (run
// with -tags convex_omitreflect): the any forms still encode and decode,
// and other types get an error naming the type and the tag.
func TestOmitReflect(t *testing.T) {
	in := map[string]any{
		"n": nil, "b": true, "f": 1.5, "i": 7, "u": uint8(3), "s": "é",
		"bytes": []byte{1, 2}, "big": Int64(1 << 60), "inf": math.Inf(-1),
		"list": []any{"x", []any{}}, "raw": Raw(`{"$integer":"AQAAAAAAAAA="}`),
	}
	b, err := Marshal(in)
	require.NoError(t, err)
	assert.Equal(t, `{"b":true,"big":{"$integer":"AAAAAAAAABA="},"bytes":{"$bytes":"AQI="},"f":1.5,"i":7,"inf":{"$float":"AAAAAAAA8P8="},"list":["x",[]],"n":null,"raw":{"$integer":"AQAAAAAAAAA="},"s":"é","u":3}`, string(b))

	var v any
	require.NoError(t, Unmarshal(b, &v))
	assert.Equal(t, Int64(1<<60), v.(map[string]any)["big"])
	var raw Raw
	require.NoError(t, Unmarshal(b, &raw))
	assert.Equal(t, string(b), string(raw))

	var m map[string]any
	require.NoError(t, Unmarshal(b, &m))
	assert.Equal(t, "é", m["s"])
	var list []any
	require.NoError(t, Unmarshal([]byte(`[1,"a"]`), &list))
	assert.Equal(t, []any{1.0, "a"}, list)
	var s string
	require.NoError(t, Unmarshal([]byte(`"x"`), &s))
	assert.Equal(t, "x", s)
	require.ErrorContains(t, Unmarshal([]byte(`1`), &s), "cannot decode float64 into *string")
	var n float64
	require.NoError(t, Unmarshal([]byte(`2.5`), &n))
	assert.Equal(t, 2.5, n)
	var i Int64
	require.NoError(t, Unmarshal([]byte(`{"$integer":"AQAAAAAAAAA="}`), &i))
	assert.Equal(t, Int64(1), i)

	type point struct{ X int }
	_, err = Marshal(point{1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "values.point")
	assert.Contains(t, err.Error(), "convex_omitreflect")
	var p point
	err = Unmarshal([]byte(`{"X":1}`), &p)
	var verr *Error
	require.ErrorAs(t, err, &verr)
	assert.Contains(t, err.Error(), "*values.point")
	assert.Contains(t, err.Error(), "convex_omitreflect")
}
