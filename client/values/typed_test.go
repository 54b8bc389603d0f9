package values

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type message struct {
	ID        string         `json:"_id"`
	Created   float64        `json:"_creationTime"`
	Author    string         `json:"author"`
	Body      string         `json:"body"`
	Likes     int            `json:"likes"`
	Version   Int64          `json:"version"`
	Tags      []string       `json:"tags"`
	Meta      *meta          `json:"meta"`
	Blob      []byte         `json:"blob"`
	Extra     map[string]any `json:"extra"`
	Raw       Raw            `json:"raw"`
	Any       any            `json:"any"`
	Untouched string         `json:"untouched"`
}

type meta struct {
	Edited bool     `json:"edited"`
	Score  *float64 `json:"score"`
}

func TestUnmarshalStruct(t *testing.T) {
	in := `{"_creationTime":1700000000000.5,"_id":"abc","any":{"$integer":"AwAAAAAAAAA="},` +
		`"author":"ann","blob":{"$bytes":"AQI="},"body":"hi","extra":{"k":[1,"x"]},` +
		`"likes":{"$integer":"KgAAAAAAAAA="},"meta":{"edited":true,"score":2.5},` +
		`"raw":{"$integer":"AQAAAAAAAAA="},"tags":["a","b"],"unknown":{"deep":[{"$bytes":""}]},` +
		`"version":5}`
	m := message{Untouched: "kept"}
	require.NoError(t, Unmarshal([]byte(in), &m))
	score := 2.5
	require.Equal(t, message{
		ID: "abc", Created: 1700000000000.5, Author: "ann", Body: "hi", Likes: 42, Version: 5,
		Tags: []string{"a", "b"}, Meta: &meta{Edited: true, Score: &score}, Blob: []byte{1, 2},
		Extra: map[string]any{"k": []any{1.0, "x"}}, Raw: Raw(`{"$integer":"AQAAAAAAAAA="}`),
		Any: Int64(3), Untouched: "kept",
	}, m)

	// Unknown fields are skipped but still validated.
	err := Unmarshal([]byte(`{"unknown":{"deep":[{"$bytes":"A"}]}}`), &m)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, ".unknown.deep[0]", e.Path)
}

func TestUnmarshalStructMatching(t *testing.T) {
	type s struct {
		Name    string
		Tagged  int `json:"tag"`
		Ignored int `json:"-"`
		Embedded
		*embeddedPtr
	}
	var v s
	require.NoError(t, Unmarshal([]byte(`{"NAME":"n","TAG":1,"Ignored":2,"-":3,"e":4,"shadow":5}`), &v))
	require.Equal(t, "n", v.Name)
	require.Equal(t, 1, v.Tagged)
	require.Equal(t, 0, v.Ignored)
	require.Equal(t, Embedded{E: 4, Shadow: 5}, v.Embedded)

	// As in encoding/json, a nil embedded pointer to an unexported struct
	// cannot be allocated; a non-nil one is filled.
	require.EqualError(t, Unmarshal([]byte(`{"p":6}`), &v),
		"values: at .p: cannot set embedded pointer to unexported struct type values.embeddedPtr")
	v.embeddedPtr = &embeddedPtr{}
	require.NoError(t, Unmarshal([]byte(`{"p":6}`), &v))
	require.Equal(t, &embeddedPtr{P: 6}, v.embeddedPtr)

	type Exported struct{ X int }
	type withPtr struct{ *Exported }
	var w withPtr
	require.NoError(t, Unmarshal([]byte(`{"X":1}`), &w))
	require.Equal(t, &Exported{X: 1}, w.Exported)
}

func TestUnmarshalIntegers(t *testing.T) {
	type ints struct {
		I   int     `json:"i"`
		I8  int8    `json:"i8"`
		U   uint    `json:"u"`
		U16 uint16  `json:"u16"`
		I64 Int64   `json:"i64"`
		F   float64 `json:"f"`
		F32 float32 `json:"f32"`
	}
	ok := []struct {
		in   string
		want ints
	}{
		{`{"i":5}`, ints{I: 5}},
		{`{"i":-9007199254740992}`, ints{I: -(1 << 53)}},
		{`{"i":{"$integer":"/////////38="}}`, ints{I: math.MaxInt64}},
		{`{"i8":-128,"u16":65535}`, ints{I8: -128, U16: 65535}},
		{`{"u":{"$integer":"AQAAAAAAAAA="}}`, ints{U: 1}},
		{`{"i64":1e18}`, ints{I64: 1e18}},
		{`{"i64":{"$integer":"AAAAAAAAAIA="}}`, ints{I64: math.MinInt64}},
		{`{"i":{"$float":"AAAAAAAAAIA="}}`, ints{I: 0}},
		{`{"f":{"$integer":"AAAAAAAAIAA="}}`, ints{F: 1 << 53}},
		{`{"f32":0.1}`, ints{F32: 0.1}},
		{`{"f":1e400}`, ints{F: math.Inf(1)}},
	}
	for _, tt := range ok {
		var got ints
		require.NoError(t, Unmarshal([]byte(tt.in), &got), tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
	var nan ints
	require.NoError(t, Unmarshal([]byte(`{"f32":{"$float":"AAAAAAAA+H8="}}`), &nan))
	require.True(t, math.IsNaN(float64(nan.F32)))

	bad := []struct{ in, path, msg string }{
		{`{"i":1.5}`, ".i", "cannot decode Convex float64 1.5 into Go value of type int: not an integer"},
		{`{"i8":128}`, ".i8", "Convex float64 128 overflows Go type int8"},
		{`{"u":-1}`, ".u", "Convex float64 -1 overflows Go type uint"},
		{`{"i":1e19}`, ".i", "overflows Go type int"},
		{`{"u16":{"$integer":"AAABAAAAAAA="}}`, ".u16", "Convex int64 65536 overflows Go type uint16"},
		{`{"u":{"$integer":"//////////8="}}`, ".u", "Convex int64 -1 overflows Go type uint"},
		{`{"i64":0.5}`, ".i64", "not an integer"},
		{`{"i64":9223372036854775808}`, ".i64", "overflows Go type values.Int64"},
		{`{"i":{"$float":"AAAAAAAA+H8="}}`, ".i", "Convex float64 NaN into Go value of type int: not an integer"},
		{`{"f":{"$integer":"AQAAAAAAIAA="}}`, ".f", "Convex int64 9007199254740993 is outside ±2^53"},
		{`{"f32":1e300}`, ".f32", "Convex float64 1e+300 overflows Go type float32"},
		{`{"i":"5"}`, ".i", "cannot decode Convex string into Go value of type int"},
		{`{"i":true}`, ".i", "cannot decode Convex boolean into Go value of type int"},
		{`{"i":[]}`, ".i", "cannot decode Convex array into Go value of type int"},
		{`{"i":{}}`, ".i", "cannot decode Convex object into Go value of type int"},
		{`{"i":{"$bytes":""}}`, ".i", "cannot decode Convex bytes into Go value of type int"},
		{`{"f":{"$commitTs":null}}`, ".f", "cannot decode Convex commit timestamp placeholder into Go value of type float64"},
	}
	for _, tt := range bad {
		var got ints
		err := Unmarshal([]byte(tt.in), &got)
		var e *Error
		require.ErrorAs(t, err, &e, tt.in)
		require.Equal(t, tt.path, e.Path, tt.in)
		require.Contains(t, e.Msg, tt.msg, tt.in)
	}
}

func TestUnmarshalNull(t *testing.T) {
	type s struct {
		P *int
		S []int
		M map[string]int
		A any
		I int
		B []byte
		R Raw
	}
	one := 1
	v := s{P: &one, S: []int{1}, M: map[string]int{"a": 1}, A: 1, I: 7, B: []byte{1}}
	require.NoError(t, Unmarshal([]byte(`{"P":null,"S":null,"M":null,"A":null,"I":null,"B":null,"R":null}`), &v))
	require.Equal(t, s{I: 7, R: Raw("null")}, v)
	require.NoError(t, Unmarshal([]byte(`null`), &v))
	require.Equal(t, s{I: 7, R: Raw("null")}, v)
	p := &one
	require.NoError(t, Unmarshal([]byte(`null`), &p))
	require.Nil(t, p)
}

func TestUnmarshalCollections(t *testing.T) {
	s := []int{9, 9, 9, 9}
	require.NoError(t, Unmarshal([]byte(`[1,2]`), &s))
	require.Equal(t, []int{1, 2}, s)
	var empty []string
	require.NoError(t, Unmarshal([]byte(`[]`), &empty))
	require.NotNil(t, empty)
	require.Empty(t, empty)

	var arr [3]int
	arr[2] = 9
	require.NoError(t, Unmarshal([]byte(`[1,2]`), &arr))
	require.Equal(t, [3]int{1, 2, 0}, arr)
	require.NoError(t, Unmarshal([]byte(`[1,2,3,4,{"x":[]}]`), &arr))
	require.Equal(t, [3]int{1, 2, 3}, arr)
	require.ErrorContains(t, Unmarshal([]byte(`[1,2,3,{"$x":1}]`), &arr), "reserved")

	m := map[string]int{"old": 1}
	require.NoError(t, Unmarshal([]byte(`{"a":1,"b":2}`), &m))
	require.Equal(t, map[string]int{"old": 1, "a": 1, "b": 2}, m)
	var nm map[named2][]float64
	require.NoError(t, Unmarshal([]byte(`{"k":[1,2]}`), &nm))
	require.Equal(t, map[named2][]float64{"k": {1, 2}}, nm)

	var ma map[string]any
	require.NoError(t, Unmarshal([]byte(`{"a":{"b":[true]}}`), &ma))
	require.Equal(t, map[string]any{"a": map[string]any{"b": []any{true}}}, ma)
	require.ErrorContains(t, Unmarshal([]byte(`{"$integer":"AQAAAAAAAAA="}`), &ma),
		"cannot decode Convex int64 into Go value of type map[string]interface {}")
	var sa []any
	require.NoError(t, Unmarshal([]byte(`[1,"a",null]`), &sa))
	require.Equal(t, []any{1.0, "a", nil}, sa)
	var bs []byte
	require.NoError(t, Unmarshal([]byte(`{"$bytes":"AQI="}`), &bs))
	require.Equal(t, []byte{1, 2}, bs)
	require.ErrorContains(t, Unmarshal([]byte(`"AQI="`), &bs), "cannot decode Convex string into Go value of type []uint8")
	var pp **int
	require.NoError(t, Unmarshal([]byte(`3`), &pp))
	require.Equal(t, 3, **pp)
	var ct struct{ T CommitTsPlaceholder }
	require.NoError(t, Unmarshal([]byte(`{"T":{"$commitTs":null}}`), &ct))

	err := Unmarshal([]byte(`{"a":[1,"x"]}`), &struct{ A []int }{})
	require.EqualError(t, err, "values: at .a[1]: cannot decode Convex string into Go value of type int")
	err = Unmarshal([]byte(`{"k":{"n":"x"}}`), &map[string]map[string]int{})
	require.EqualError(t, err, "values: at .k.n: cannot decode Convex string into Go value of type int")
}

func TestUnmarshalUnsupported(t *testing.T) {
	tests := []struct {
		target any
		want   string
	}{
		{new(time.Time), "unsupported type time.Time"},
		{new(json.Number), "unsupported type json.Number"},
		{new(json.RawMessage), "unsupported type json.RawMessage"},
		{new(chan int), "unsupported type chan int"},
		{new(fmt.Stringer), "unsupported type fmt.Stringer"},
		{new(interface{ M() }), "only the empty interface"},
		{new(map[int]string), "unsupported type map[int]string"},
		{new(complex64), "unsupported type complex64"},
	}
	for _, tt := range tests {
		require.ErrorContains(t, Unmarshal([]byte(`"2024-01-01T00:00:00Z"`), tt.target), tt.want, "%T", tt.target)
	}
}

func TestUnmarshalRaw(t *testing.T) {
	var r Raw
	require.NoError(t, Unmarshal([]byte(" [1, {\"b\":2,\"a\":1}] \n"), &r))
	require.Equal(t, `[1, {"b":2,"a":1}]`, string(r))
	require.Error(t, Unmarshal([]byte(`[1,{"$a":1}]`), &r))

	var s struct {
		R  Raw  `json:"r"`
		RP *Raw `json:"rp"`
	}
	in := []byte(`{"r":{"$float":"AAAAAAAA+H8="},"rp":[ 1 ]}`)
	require.NoError(t, Unmarshal(in, &s))
	require.Equal(t, `{"$float":"AAAAAAAA+H8="}`, string(s.R))
	require.Equal(t, `[ 1 ]`, string(*s.RP))
	in[10] = 'X' // the Raw is a copy
	require.Equal(t, `{"$float":"AAAAAAAA+H8="}`, string(s.R))
}

func TestTypedRoundTrip(t *testing.T) {
	score := 0.25
	in := message{
		ID: "id", Created: 1.5, Author: "a", Body: "b\n", Likes: -3, Version: math.MinInt64,
		Tags: []string{}, Meta: &meta{Score: &score}, Blob: []byte{}, Extra: map[string]any{"x": nil},
		Raw: Raw(`{"$bytes":""}`), Any: "s", Untouched: "u",
	}
	b := marshalString(t, in)
	var out message
	require.NoError(t, Unmarshal([]byte(b), &out))
	require.Equal(t, in, out)
	require.Equal(t, b, marshalString(t, out))
}
