package values

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	`null`, `true`, `false`, `0`, `-0`, `3.5`, `1e+300`, `1e400`, `5e-324`, `123456789012345680000`,
	`""`, `"héllo✓"`, `"\u0000\ud83d\ude00\n"`, `"\ud800"`, `[]`, `{}`,
	`{"$float":"AAAAAAAAAIA="}`, `{"$float":"AAAAAAAA+H8="}`, `{"$float":"AAAAAAAA8H8="}`,
	`{"$float":"AAAAAAAA8P8="}`, `{"$float":"AAAAAAAAAAA="}`, `{"$float":"AQAAAAAA8H8="}`,
	`{"$integer":"AAAAAAAAAAA="}`, `{"$integer":"/////////38="}`, `{"$integer":"AQ=="}`, `{"$integer":5}`,
	`{"$bytes":""}`, `{"$bytes":"AAEC/w=="}`, `{"$bytes":"AAEC_w=="}`, `{"$bytes":"AAEC/w"}`, `{"$bytes":"AB=="}`,
	`[1,{"$integer":"AgAAAAAAAAA="},"x"]`, `{"A":4,"_c":3,"a":2,"b":1}`,
	`{"x":[{"y":{"$float":"AAAAAAAA+H8="}}],"z":{"w":{"$integer":"BQAAAAAAAAA="}}}`,
	`{"a b-c.d":1}`, `{"$a":1}`, `{"é":1}`, `{"":1}`, `{"$undefined":null}`, `{"$foo":1}`,
	`{"$integer":"AQAAAAAAAAA=","x":1}`, `{"$integer":"AQAAAAAAAAA=","$integer":"AgAAAAAAAAA="}`,
	`{"$set":[]}`, `{"$map":[]}`, `{"$commitTs":null}`, `{"$commitTs":1}`,
	`{"a":{"$integer":"AgAAAAAAAAA="}}`, `{"a":1,"a":2}`, `{"10":1,"9":2,"01":3}`,
	`{"_id":"x","n":-1.5e-7,"i":{"$integer":"KgAAAAAAAAA="},"b":{"$bytes":"AQI="},"s":["a"],"m":{"k":null},"p":{"i":1}}`,
	`{"\u0041":1}`, `[1,]`, `{"a":1}x`, `01`, " [ 1 , 2 ] ", nestedArrays(64, ""), nestedArrays(65, ""),
}

type fuzzDoc struct {
	ID   string         `json:"_id"`
	N    float64        `json:"n"`
	I    int            `json:"i"`
	I8   int8           `json:"i8"`
	U    uint32         `json:"u"`
	F32  float32        `json:"f32"`
	I64  Int64          `json:"i64"`
	B    []byte         `json:"b"`
	S    []string       `json:"s"`
	M    map[string]any `json:"m"`
	MI   map[string]int `json:"mi"`
	A    any            `json:"a"`
	R    Raw            `json:"r"`
	P    *fuzzDoc       `json:"p"`
	Arr  [2]any         `json:"arr"`
	Bool bool           `json:"bool"`
	TS   *CommitTsPlaceholder
}

// checkErr fails on errors that are not *Error or that come from a
// recovered panic.
func checkErr(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v is a %T, not *Error", what, err, err)
	}
	if strings.Contains(e.Msg, "internal error") {
		t.Fatalf("%s: %v", what, err)
	}
}

// FuzzUnmarshal checks that decoding never panics, agrees with Validate,
// and that whatever decodes re-encodes to canonical bytes that decode and
// re-encode to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		err := Unmarshal(data, &v)
		checkErr(t, err, "Unmarshal")
		verr := Validate(data)
		checkErr(t, verr, "Validate")
		if (err == nil) != (verr == nil) {
			t.Fatalf("Unmarshal says %v but Validate says %v", err, verr)
		}
		if err != nil && err.Error() != verr.Error() {
			t.Fatalf("Unmarshal says %v but Validate says %v", err, verr)
		}

		var raw Raw
		rerr := Unmarshal(data, &raw)
		checkErr(t, rerr, "Unmarshal Raw")
		if (rerr == nil) != (err == nil) {
			t.Fatalf("Unmarshal into Raw says %v, into any %v", rerr, err)
		}

		var doc fuzzDoc
		derr := Unmarshal(data, &doc)
		checkErr(t, derr, "Unmarshal fuzzDoc")
		if derr == nil && err != nil {
			t.Fatalf("typed Unmarshal accepted invalid input: %v", err)
		}
		if derr == nil {
			_, merr := Marshal(doc)
			checkErr(t, merr, "Marshal fuzzDoc")
		}

		if err != nil {
			return
		}
		b1, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal of decoded %q: %v", data, err)
		}
		if err := Validate(b1); err != nil {
			t.Fatalf("Marshal output %s does not validate: %v", b1, err)
		}
		var v2 any
		if err := Unmarshal(b1, &v2); err != nil {
			t.Fatalf("Unmarshal of re-encoded %s: %v", b1, err)
		}
		b2, err := Marshal(v2)
		if err != nil {
			t.Fatalf("second Marshal: %v", err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("not idempotent:\n%s\n%s", b1, b2)
		}
		rb, err := Marshal(raw)
		if err != nil {
			t.Fatalf("Marshal of Raw %s: %v", raw, err)
		}
		if !bytes.Equal(rb, bytes.TrimSpace(data)) {
			t.Fatalf("Raw not verbatim: %q vs %q", rb, data)
		}
	})
}

// FuzzMarshalRoundTrip builds Go values from the fuzzer's bytes and checks
// that whatever encodes decodes to an equal value and re-encodes to the same
// bytes.
func FuzzMarshalRoundTrip(f *testing.F) {
	f.Add([]byte{7, 3, 1, 'a', 2, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	f.Add([]byte{6, 4, 3, 1, 2, 3, 4, 5, 6, 7, 8, 4, 3, 'x', 'y', 'z', 5, 2, 0xff, 0, 9, 1, 2, 3, 4})
	f.Add([]byte{7, 2, 2, '1', '0', 8, 5, 1, '9', 1, 1})
	f.Add([]byte{4, 2, 0xc3, 0x28})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &byteGen{b: data}
		v := g.value(0)
		b, err := Marshal(v)
		checkErr(t, err, "Marshal")
		if err != nil {
			return
		}
		if err := Validate(b); err != nil {
			t.Fatalf("Marshal output %s does not validate: %v", b, err)
		}
		var back any
		if err := Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal of %s: %v", b, err)
		}
		if !sameValue(v, back) {
			t.Fatalf("round trip changed the value:\n%#v\n%#v\n%s", v, back, b)
		}
		b2, err := Marshal(back)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding differs (%v):\n%s\n%s", err, b, b2)
		}
	})
}

// byteGen builds a Go value from bytes.
type byteGen struct{ b []byte }

func (g *byteGen) byte() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *byteGen) bytes(n int) []byte {
	n = min(n, len(g.b))
	out := g.b[:n:n]
	g.b = g.b[n:]
	return out
}

func (g *byteGen) u64() uint64 {
	var buf [8]byte
	copy(buf[:], g.bytes(8))
	return binary.LittleEndian.Uint64(buf[:])
}

func (g *byteGen) value(depth int) any {
	switch g.byte() % 11 {
	case 0:
		return nil
	case 1:
		return g.byte()%2 == 0
	case 2:
		return math.Float64frombits(g.u64())
	case 3:
		return Int64(g.u64())
	case 4:
		return string(g.bytes(int(g.byte() % 16)))
	case 5:
		return bytes.Clone(g.bytes(int(g.byte() % 16)))
	case 6:
		a := []any{}
		for n := g.byte() % 5; n > 0 && depth < 70; n-- {
			a = append(a, g.value(depth+1))
		}
		return a
	case 7:
		m := map[string]any{}
		for n := g.byte() % 5; n > 0 && depth < 70; n-- {
			m[string(g.bytes(int(g.byte()%8)))] = g.value(depth + 1)
		}
		return m
	case 8:
		return int64(g.u64()) >> (g.byte() % 64)
	case 9:
		return math.Float32frombits(uint32(g.u64()))
	default:
		return CommitTsPlaceholder{}
	}
}

// sameFloat32 reports whether decoded, a float64 parsed from the float32's
// shortest digits, rounds back to o.
func sameFloat32(o float32, decoded any) bool {
	f, ok := decoded.(float64)
	return ok && float32(f) == o && math.Signbit(f) == math.Signbit(float64(o))
}

// sameValue reports whether decoded is what Unmarshal should give for the
// Go value orig.
func sameValue(orig, decoded any) bool {
	switch o := orig.(type) {
	case int64:
		f, ok := decoded.(float64)
		return ok && f == float64(o)
	case float32:
		return sameValue(float64(o), decoded) || sameFloat32(o, decoded)
	case float64:
		f, ok := decoded.(float64)
		if !ok {
			return false
		}
		if o != o {
			return f != f
		}
		return f == o && math.Signbit(f) == math.Signbit(o)
	case []any:
		d, ok := decoded.([]any)
		if !ok || len(d) != len(o) {
			return false
		}
		for i := range o {
			if !sameValue(o[i], d[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		d, ok := decoded.(map[string]any)
		if !ok || len(d) != len(o) {
			return false
		}
		for k, v := range o {
			dv, ok := d[k]
			if !ok || !sameValue(v, dv) {
				return false
			}
		}
		return true
	case []byte:
		d, ok := decoded.([]byte)
		return ok && bytes.Equal(o, d)
	}
	return orig == decoded
}

// FuzzDecoder checks the pull Decoder against Validate: reading an object
// field by field as Raw values accepts every object Validate accepts, and
// nothing Validate rejects except for depth (a Raw value's nesting counts
// from itself); each Raw it returns is valid on its own.
func FuzzDecoder(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(`{"v":` + s + `,"w":[` + s + `]}`))
	}
	f.Add([]byte(`{"$integer":"AQAAAAAAAAA="}`)) // a value, not an object
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return // the Decoder reads null as an empty object; arrays and scalars are not objects
		}
		dec := NewDecoder(data)
		var raws []Raw
		dec.Object(func([]byte) { raws = append(raws, dec.Raw()) })
		derr := dec.End()
		verr := Validate(data)
		if verr == nil {
			var v any
			if err := Unmarshal(data, &v); err != nil {
				t.Fatalf("Validate accepts %q, Unmarshal does not: %v", data, err)
			}
			if _, ok := v.(map[string]any); !ok {
				return // {"$integer": …} and the like are values, not objects
			}
		}
		if verr == nil && derr != nil {
			t.Fatalf("Validate accepts %q, the Decoder does not: %v", data, derr)
		}
		if derr == nil && verr != nil && !strings.Contains(verr.Error(), "too nested") {
			t.Fatalf("the Decoder accepts %q, Validate does not: %v", data, verr)
		}
		if derr == nil {
			for _, r := range raws {
				if err := Validate(r); err != nil {
					t.Fatalf("Raw %q of %q is not valid: %v", r, data, err)
				}
			}
		}
	})
}
