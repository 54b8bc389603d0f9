package values

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func marshalString(t *testing.T, v any) string {
	t.Helper()
	b, err := Marshal(v)
	require.NoError(t, err)
	require.NoError(t, Validate(b), "Marshal output must validate: %s", b)
	return string(b)
}

func TestMarshalIntegerRange(t *testing.T) {
	type myInt int32
	ok := []struct {
		in   any
		want string
	}{
		{int(1 << 53), "9007199254740992"},
		{int(-(1 << 53)), "-9007199254740992"},
		{int64(1<<53 - 1), "9007199254740991"},
		{uint64(1 << 53), "9007199254740992"},
		{int8(-128), "-128"},
		{int16(32767), "32767"},
		{int32(math.MinInt32), "-2147483648"},
		{uint8(255), "255"},
		{uint16(65535), "65535"},
		{uint32(math.MaxUint32), "4294967295"},
		{uint(7), "7"},
		{myInt(-5), "-5"},
		{[]int{1, -2, 3}, "[1,-2,3]"},
		{Int64(1<<53 + 1), `{"$integer":"AQAAAAAAIAA="}`},
	}
	for _, tt := range ok {
		require.Equal(t, tt.want, marshalString(t, tt.in), "%T %v", tt.in, tt.in)
	}
	bad := []any{
		int(1<<53 + 1), int64(-(1 << 53) - 1), int64(math.MaxInt64), int64(math.MinInt64),
		uint64(math.MaxUint64), uint(1<<53 + 1), myIntBig(1 << 60),
	}
	for _, in := range bad {
		_, err := Marshal(in)
		require.ErrorContains(t, err, "outside ±2^53", "%T %v", in, in)
		require.ErrorContains(t, err, "use values.Int64")
	}
	_, err := Marshal(map[string]any{"n": []any{1, uint64(math.MaxUint64)}})
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, ".n[1]", e.Path)
}

type myIntBig int64

func TestMarshalFloats(t *testing.T) {
	point1, point2 := 0.1, 0.2 // variables: constant arithmetic is exact
	tests := []struct {
		in   any
		want string
	}{
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{123456789012345680000.0, "123456789012345680000"},
		{0.000001, "0.000001"},
		{1e-7, "1e-7"},
		{1.5e-7, "1.5e-7"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{point1 + point2, "0.30000000000000004"},
		{-1.0 / 3, "-0.3333333333333333"},
		{float64(1 << 64), "18446744073709552000"},
		{float64(1<<53 + 2), "9007199254740994"},
		{1e15, "1000000000000000"},
		{12345678.9, "12345678.9"},
		{1234.5e-10, "1.2345e-7"},
		{float32(0.1), "0.1"},
		{float32(16777216), "16777216"},
		{float32(1e20), "100000000000000000000"},
		{float32(3.4028235e38), "3.4028235e+38"},
		{float32(math.Copysign(0, -1)), `{"$float":"AAAAAAAAAIA="}`},
		{float32(math.NaN()), `{"$float":"AAAAAAAA+H8="}`},
		{math.Float64frombits(0x7ff0000000000001), `{"$float":"AAAAAAAA+H8="}`}, // NaNs are canonical
		{float32(math.Inf(-1)), `{"$float":"AAAAAAAA8P8="}`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, marshalString(t, tt.in), "%T %v", tt.in, tt.in)
	}
}

func TestMarshalKeyOrder(t *testing.T) {
	require.Equal(t, `{"A":4,"_c":3,"a":2,"b":1}`,
		marshalString(t, map[string]int{"b": 1, "a": 2, "_c": 3, "A": 4}))
	// Array-index keys come first, in numeric order, as JSON.stringify
	// writes a JS object; other numeric-looking keys sort as strings.
	require.Equal(t, `{"0":0,"9":0,"10":0,"4294967294":0," 1":0,"-1":0,"01":0,"1.5":0,"4294967295":0,"A":0,"b":0}`,
		marshalString(t, map[string]int{"b": 0, "10": 0, "9": 0, "01": 0, "0": 0, "4294967294": 0,
			"4294967295": 0, "-1": 0, "1.5": 0, "A": 0, " 1": 0}))
	type s struct {
		Z  int `json:"z"`
		N2 int `json:"2"`
		N1 int `json:"10"`
		A  int `json:"a"`
	}
	require.Equal(t, `{"2":0,"10":0,"a":0,"z":0}`, marshalString(t, s{}))
}

func TestSortFields(t *testing.T) {
	// Both the insertion sort (up to 12 fields) and the heapsort must give
	// compareKeys order, array indexes first, for any input order.
	rng := rand.New(rand.NewPCG(1, 2))
	pool := []string{"0", "1", "2", "9", "10", "11", "4294967294", "4294967295", "01", "-1", "1.5", " 1", "A", "B", "_a", "a", "aa", "ab", "b", "z", "é"}
	for i := range 300 {
		pool = append(pool, strconv.Itoa(rng.IntN(1000)), "k"+strconv.Itoa(i))
	}
	for n := range 70 {
		keys := map[string]bool{}
		for len(keys) < n {
			keys[pool[rng.IntN(len(pool))]] = true
		}
		var fields []kv
		for k := range keys {
			fields = append(fields, kv{k: k, v: k})
		}
		rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
		want := slices.Clone(fields)
		slices.SortFunc(want, func(a, b kv) int { return compareKeys(a.k, b.k) })
		sortFields(fields)
		require.Equal(t, want, fields, "%d fields", n)
	}
	// Through Marshal of a map[string]any.
	require.Equal(t, `{"2":0,"10":0,"a":0,"z":0}`, marshalString(t, map[string]any{"z": 0.0, "a": 0.0, "10": 0.0, "2": 0.0}))
}

func TestMarshalStrings(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{`"\/`, `"\"\\/"`},
		{"<>&'", `"<>&'"`},
		{"\x7f\u0080\u2028\u2029\ufeff", "\"\x7f\u0080\u2028\u2029\ufeff\""},
		{"😀𝄞\U0010ffff", `"😀𝄞` + "\U0010ffff" + `"`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, marshalString(t, tt.in))
		var back any
		require.NoError(t, Unmarshal([]byte(tt.want), &back))
		require.Equal(t, tt.in, back)
	}
	for _, bad := range []string{"\xff", "a\xc3", "\xed\xa0\x80" /* a surrogate */, "\xc0\x80"} {
		_, err := Marshal(map[string]any{"s": bad})
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, ".s", e.Path)
		require.Contains(t, e.Msg, "string is not valid UTF-8")
	}
}

type Embedded struct {
	E      int `json:"e"`
	Shadow int `json:"shadow"`
}

type embeddedPtr struct {
	P int `json:"p"`
}

type taggedThing struct {
	Plain     string
	Renamed   int             `json:"renamed"`
	Omit      string          `json:"omit,omitempty"`
	OmitNil   *int            `json:"omitNil,omitempty"`
	OmitSlice []int           `json:"omitSlice,omitempty"`
	OmitMap   map[string]int  `json:"omitMap,omitempty"`
	Zero      zeroer          `json:"zero,omitzero"`
	ZeroPlain struct{ A int } `json:"zeroPlain,omitzero"`
	Skipped   int             `json:"-"`
	Dash      int             `json:"-,"`
	unexp     int
	Shadow    string `json:"shadow"`
	Embedded
	*embeddedPtr
	Nil   *int
	Bytes []byte `json:"bytes"`
	Int   Int64  `json:"int"`
	Raw   Raw    `json:"raw"`
	Any   any    `json:"any"`
}

type zeroer struct{ v int }

func (z zeroer) IsZero() bool { return z.v < 0 }

func TestMarshalStruct(t *testing.T) {
	v := taggedThing{
		Plain:    "p",
		Renamed:  1,
		Zero:     zeroer{v: -1},
		Skipped:  9,
		Dash:     2,
		unexp:    3,
		Shadow:   "outer",
		Embedded: Embedded{E: 4, Shadow: 5},
		Bytes:    []byte{1},
		Int:      7,
		Raw:      Raw(` {"b": 1, "a": [true]} `),
		Any:      []any{1.5},
	}
	require.Equal(t, `{"-":2,"Nil":null,"Plain":"p","any":[1.5],"bytes":{"$bytes":"AQ=="},"e":4,`+
		`"int":{"$integer":"BwAAAAAAAAA="},"raw":{"b": 1, "a": [true]},"renamed":1,"shadow":"outer"}`,
		marshalString(t, v))

	v.embeddedPtr = &embeddedPtr{P: 8}
	v.Zero = zeroer{v: 1}
	v.ZeroPlain.A = 1
	v.Omit = "o"
	v.OmitSlice = []int{}
	got := marshalString(t, &v)
	require.Contains(t, got, `"p":8`)
	require.Contains(t, got, `"zero":{}`)
	require.Contains(t, got, `"zeroPlain":{"A":1}`)
	require.Contains(t, got, `"omit":"o"`)
	require.NotContains(t, got, "omitSlice")
}

func TestMarshalStructFieldConflicts(t *testing.T) {
	type A struct{ X, Y int }
	type B struct {
		X int
		Y int `json:"Y"`
	}
	type both struct {
		A
		B
	}
	// X is ambiguous (dropped); the tagged Y wins.
	require.Equal(t, `{"Y":2}`, marshalString(t, both{A{1, 1}, B{2, 2}}))

	type dup struct {
		A
		Inner struct{ A } `json:"inner"`
	}
	require.Equal(t, `{"X":1,"Y":2,"inner":{"X":3,"Y":4}}`, marshalString(t, dup{A: A{1, 2}, Inner: struct{ A }{A{3, 4}}}))
}

func TestMarshalStructBadFieldName(t *testing.T) {
	type bad struct {
		A int `json:"$a"`
	}
	_, err := Marshal(map[string]any{"x": bad{}})
	require.EqualError(t, err, `values: at .x: field name "$a" starts with a '$', which is reserved`)
	type unicode struct{ Ü int }
	_, err = Marshal(unicode{})
	require.ErrorContains(t, err, "has invalid character")
}

func TestMarshalNilsAndBytes(t *testing.T) {
	type bs []byte
	type named []string
	var nilMap map[string]int
	var nilPtr *int
	var nilIface error
	tests := []struct {
		in   any
		want string
	}{
		{[]byte(nil), "null"},
		{[]int(nil), "null"},
		{named(nil), "null"},
		{nilMap, "null"},
		{nilPtr, "null"},
		{nilIface, "null"},
		{[]any{nil, nilPtr, nilMap}, "[null,null,null]"},
		{bs{1, 2}, `{"$bytes":"AQI="}`},
		{[3]byte{1, 2, 3}, "[1,2,3]"},
		{[]int{}, "[]"},
		{map[string]int{}, "{}"},
		{&[]string{"a"}, `["a"]`},
		{map[string]*int{"a": nil}, `{"a":null}`},
		{Raw(nil), "null"},
		{Raw(""), "null"},
		{Raw(" null "), "null"},
		{&CommitTsPlaceholder{}, `{"$commitTs":null}`},
		{struct{ P *CommitTsPlaceholder }{&CommitTsPlaceholder{}}, `{"P":{"$commitTs":null}}`},
		{new(any), "null"},
		{map[named2]bool{"k": true}, `{"k":true}`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, marshalString(t, tt.in), "%T", tt.in)
	}
}

type named2 string

func TestMarshalRaw(t *testing.T) {
	require.Equal(t, `[{"$integer":"AQAAAAAAAAA="},{"b":1,"a":2}]`,
		marshalString(t, []any{Raw(`{"$integer":"AQAAAAAAAAA="}`), Raw("\n{\"b\":1,\"a\":2}\t")}))
	_, err := Marshal(map[string]any{"r": Raw(`{"$integer":"AQ=="}`)})
	require.EqualError(t, err, "values: at .r: received 1 bytes, expected 8 for $integer")
	_, err = Marshal(Raw(`[1,{"x":{"$foo":1}}]`))
	require.EqualError(t, err, `values: at [1].x: field name "$foo" starts with a '$', which is reserved`)
	_, err = Marshal(Raw(`1 2`))
	require.ErrorContains(t, err, "after top-level value")
}

func TestMarshalUnsupported(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{make(chan int), "unsupported type chan int"},
		{func() {}, "unsupported type func()"},
		{complex(1, 2), "unsupported type complex128"},
		{uintptr(1), "unsupported type uintptr"},
		{unsafe.Pointer(nil), "unsupported type unsafe.Pointer"},
		{time.Time{}, "unsupported type time.Time"},
		{&time.Time{}, "unsupported type time.Time"},
		{json.Number("1"), "unsupported type json.Number"},
		{json.RawMessage("1"), "unsupported type json.RawMessage"},
		{map[int]string{1: "a"}, "unsupported type map[int]string"},
		{struct{ T time.Duration }{1}, ""}, // a Duration is an int64
		{struct{ C chan int }{}, "unsupported type chan int"},
	}
	for _, tt := range tests {
		_, err := Marshal(tt.in)
		if tt.want == "" {
			require.NoError(t, err)
			continue
		}
		require.ErrorContains(t, err, tt.want, "%T", tt.in)
	}
	_, err := Marshal(struct {
		A []any `json:"a"`
	}{A: []any{1, make(chan int)}})
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, ".a[1]", e.Path)
}

func TestAppendMarshal(t *testing.T) {
	dst := []byte("prefix:")
	out, err := AppendMarshal(dst, map[string]any{"a": 1})
	require.NoError(t, err)
	require.Equal(t, `prefix:{"a":1}`, string(out))

	out, err = AppendMarshal(dst, map[string]any{"a": 1, "$b": 2})
	require.Error(t, err)
	require.Equal(t, "prefix:", string(out))
}

func TestMarshalLargeRoundTrip(t *testing.T) {
	docs := make([]any, 0, 500)
	for i := 0; i < 500; i++ {
		docs = append(docs, map[string]any{
			"_id":  strings.Repeat("x", i%40),
			"n":    float64(i) / 7,
			"i":    Int64(i * 1_000_003),
			"tags": []any{"a", "b", nil, true},
			"blob": []byte{byte(i)},
		})
	}
	b := marshalString(t, docs)
	var back any
	require.NoError(t, Unmarshal([]byte(b), &back))
	require.Equal(t, docs, back)
}
