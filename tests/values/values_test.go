// Package values_test checks client/values against the official JS
// implementation, convex/values (convexToJson / jsonToConvex), through
// roundtrip.mjs under node. It needs node on PATH and node_modules installed
// (npm ci at the repo root); without them it fails rather than skips.
package values_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
)

// seeds returns the PRNG seeds to use: fixed ones, or CONVEX_VALUES_SEED.
func seeds(t *testing.T) []uint64 {
	if s := os.Getenv("CONVEX_VALUES_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		require.NoError(t, err, "CONVEX_VALUES_SEED")
		return []uint64{n}
	}
	return []uint64{1, 20240613}
}

// node runs roundtrip.mjs with args, stdin as its input, and returns its
// output lines.
func node(t *testing.T, stdin []byte, args ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH (%v): install Node 20 and run `npm ci` at the repo root", err)
	}
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "..", "..", "node_modules", "convex", "package.json")); err != nil {
		t.Fatalf("node_modules/convex is missing (%v): run `npm ci` at the repo root", err)
	}
	cmd := exec.Command("node", append([]string{"roundtrip.mjs"}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node roundtrip.mjs %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// echo pipes lines through convex/values and returns its answers.
func echo(t *testing.T, lines []string) []string {
	t.Helper()
	in := strings.Join(lines, "\n") + "\n"
	out := node(t, []byte(in), "echo")
	require.Len(t, out, len(lines), "one answer per line")
	return out
}

// TestJSGeneratedValues decodes values that convex/values encoded and
// requires Marshal to give back the same bytes.
func TestJSGeneratedValues(t *testing.T) {
	const n = 1000
	for _, seed := range seeds(t) {
		lines := node(t, nil, "gen", strconv.Itoa(n), strconv.FormatUint(seed, 10))
		require.Len(t, lines, n)
		for i, line := range lines {
			require.NoError(t, values.Validate([]byte(line)), "seed %d line %d: %s", seed, i, line)
			var v any
			require.NoError(t, values.Unmarshal([]byte(line), &v), "seed %d line %d: %s", seed, i, line)
			got, err := values.Marshal(v)
			require.NoError(t, err, "seed %d line %d: %s", seed, i, line)
			require.Equal(t, line, string(got), "seed %d line %d", seed, i)

			var raw values.Raw
			require.NoError(t, values.Unmarshal([]byte(line), &raw))
			got, err = values.Marshal(raw)
			require.NoError(t, err)
			require.Equal(t, line, string(got), "Raw passthrough, seed %d line %d", seed, i)
		}
	}
}

// TestGoGeneratedValues encodes random Go values and requires convex/values
// to decode and re-encode them to the same bytes.
func TestGoGeneratedValues(t *testing.T) {
	const n = 1500
	for _, seed := range seeds(t) {
		g := &gen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
		lines := make([]string, n)
		for i := range lines {
			b, err := values.Marshal(g.value(0))
			require.NoError(t, err)
			lines[i] = string(b)
		}
		for i, got := range echo(t, lines) {
			require.False(t, strings.HasPrefix(got, "ERR "), "seed %d line %d: %s rejected: %s", seed, i, lines[i], got)
			require.Equal(t, lines[i], got, "seed %d line %d", seed, i)
		}
	}
}

// TestFloatFormatting requires numbers to print exactly as JSON.stringify
// prints them, on the edges of each ECMAScript layout rule.
func TestFloatFormatting(t *testing.T) {
	fs := []float64{1, -1, 0.1, 1e20, 1e21, -1e21, 1.2345e21, 123456789012345680000, 1 << 53,
		1<<53 + 2, 1 << 64, 1e-6, 1.5e-6, 1e-7, -1e-7, 1.234e-7, 5e-324, 2.2250738585072014e-308,
		math.MaxFloat64, 1e300, 1e-300, 0.1 + 0.2, 1.0 / 3, 4.35, 1e15, 1e16, 1e17, 12345678.9,
		0.00001234, 1234.5e-10, 3e-5, 999999999999999900000, 1e-5, 0.000123}
	var lines []string
	for e := -330; e <= 310; e++ {
		for _, m := range []float64{1, 1.5, 9.87654321, 2.5e-5} {
			fs = append(fs, m*math.Pow(10, float64(e)))
		}
	}
	for _, f := range fs {
		if math.IsInf(f, 0) || f == 0 {
			continue
		}
		b, err := values.Marshal(f)
		require.NoError(t, err)
		lines = append(lines, string(b))
	}
	for i, got := range echo(t, lines) {
		require.Equal(t, lines[i], got)
	}
}

// invalid lists inputs that convex/values and client/values both reject.
var invalid = []string{
	`{"$integer":"AQ=="}`,
	`{"$integer":"AQAAAAAAAAAA"}`,
	`{"$integer":5}`,
	`{"$integer":null}`,
	`{"$float":"AAAAAAAAAAA="}`,
	`{"$float":"AAAAAAAA8D8="}`,
	`{"$float":"AQ=="}`,
	`{"$float":1}`,
	`{"$bytes":"AAEC/w"}`,
	`{"$bytes":"AAEC/w="}`,
	`{"$bytes":5}`,
	`{"$bytes":["AA=="]}`,
	`{"$undefined":null}`,
	`{"$foo":1}`,
	`{"$":1}`,
	`{"$integer":"AQAAAAAAAAA=","x":1}`,
	`{"x":1,"$integer":"AQAAAAAAAAA="}`,
	`{"$set":[]}`,
	`{"$map":[]}`,
	`{"$commitTs":1}`,
	`{"$commitTs":"x"}`,
	`{"é":1}`,
	`{"a\u0000":1}`,
	`{"a\u001f":1}`,
	`{"a\u007f":1}`,
	`{"\n":1}`,
	`{"x":{"$a":1}}`,
	`[{"$foo":1}]`,
	`[1,{"a":[{"$integer":"AQ=="}]}]`,
	`{"` + strings.Repeat("a", 1025) + `":1}`,
	`{`,
	`[1,]`,
	`[1 2]`,
	`{"a" 1}`,
	`{"a":1,}`,
	`{a:1}`,
	`01`,
	`+1`,
	`.5`,
	`1.`,
	`1e`,
	`-`,
	`NaN`,
	`Infinity`,
	`'a'`,
	`"\x"`,
	`"\u12"`,
	"\"a\tb\"",
	`{"a":1}x`,
	`1 2`,
	`nul`,
	`True`,
	`undefined`,
	"\ufeff1",
}

// TestInvalidRejectedByBoth requires both implementations to reject each
// invalid input.
func TestInvalidRejectedByBoth(t *testing.T) {
	for i, got := range echo(t, invalid) {
		require.True(t, strings.HasPrefix(got, "ERR "), "convex/values accepted %q: %s", invalid[i], got)
		var v any
		err := values.Unmarshal([]byte(invalid[i]), &v)
		require.Error(t, err, "client/values accepted %q", invalid[i])
		require.Error(t, values.Validate([]byte(invalid[i])), "Validate accepted %q", invalid[i])
		require.NotContains(t, err.Error(), "internal error")
	}
}

// TestEmptyFieldNameAcceptedByBoth: "" is a valid field name for the
// backend (check_valid_field_name in crates/convex/sync_types/src/identifier.rs)
// and for convex/values; both codecs accept it and write it alike.
func TestEmptyFieldNameAcceptedByBoth(t *testing.T) {
	in := []string{`{"":1}`, `{"":{"":null},"a":[{"":"x"}]}`}
	for i, got := range echo(t, in) {
		require.False(t, strings.HasPrefix(got, "ERR "), "convex/values rejected %s: %s", in[i], got)
		var v any
		require.NoError(t, values.Unmarshal([]byte(in[i]), &v))
		b, err := values.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, got, string(b))
	}
}

// TestKnownDivergences pins down the inputs on which client/values is
// deliberately stricter than convex/values (the server rejects them too,
// or they are malformed), and the one where it re-encodes differently.
func TestKnownDivergences(t *testing.T) {
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	elems := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("0,", n), ",") + "]" }
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"f%d":0`, i)
		}
		b.WriteString("}")
		return b.String()
	}
	stricter := []struct{ name, in string }{
		{"nesting 65 (server: TooNestedError)", nested(65)},
		{"8193 elements (server: ArrayTooLong)", elems(8193)},
		{"1025 fields (server: TooManyFieldsError)", fields(1025)},
		{"base64 with characters outside both alphabets (JS reads them as 0)", `{"$bytes":"!!!!"}`},
		{"base64 with padding inside (JS truncates)", `{"$bytes":"A==="}`},
		{"lone surrogate escape (no UTF-8 form; the server rejects it)", `"\ud800"`},
		{"lone low surrogate escape", `["\udc00"]`},
	}
	var lines []string
	for _, c := range stricter {
		lines = append(lines, c.in)
	}
	for i, got := range echo(t, lines) {
		c := stricter[i]
		require.False(t, strings.HasPrefix(got, "ERR "), "%s: convex/values now rejects it too: %s", c.name, got)
		var v any
		require.Error(t, values.Unmarshal([]byte(c.in), &v), c.name)
	}
	// The limits themselves are the same on both sides.
	for _, in := range []string{nested(64), elems(8192), fields(1024)} {
		var v any
		require.NoError(t, values.Unmarshal([]byte(in), &v))
	}

	// A NaN's payload bits: JS keeps them, Go writes the canonical NaN.
	payloadNaN := `{"$float":"AQAAAAAA8H8="}`
	got := echo(t, []string{payloadNaN})
	require.Equal(t, payloadNaN, got[0])
	var v any
	require.NoError(t, values.Unmarshal([]byte(payloadNaN), &v))
	b, err := values.Marshal(v)
	require.NoError(t, err)
	require.Equal(t, `{"$float":"AAAAAAAA+H8="}`, string(b))
}

// gen makes random Go values of every Convex type.
type gen struct{ rnd *rand.Rand }

func (g *gen) value(depth int) any {
	n := 7
	if depth < 6 {
		n = 10
	}
	switch g.rnd.IntN(n) {
	case 0:
		return nil
	case 1:
		return g.rnd.IntN(2) == 0
	case 2, 6:
		return g.float()
	case 3:
		return g.int64()
	case 4:
		return g.string()
	case 5:
		b := make([]byte, g.rnd.IntN(24))
		for i := range b {
			b[i] = byte(g.rnd.Uint32())
		}
		return b
	case 7, 8:
		a := make([]any, g.rnd.IntN(6))
		for i := range a {
			a[i] = g.value(depth + 1)
		}
		return a
	default:
		m := map[string]any{}
		for range g.rnd.IntN(7) {
			m[g.fieldName()] = g.value(depth + 1)
		}
		return m
	}
}

var specialFloats = []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, 1, -1,
	0.5, 1e300, -1e300, 5e-324, -5e-324, 1e21, 1e-7, 1e-6, 123456789012345680000, 1 << 53,
	-(1 << 53), math.MaxFloat64, -math.MaxFloat64, 2.2250738585072014e-308, 0.1 + 0.2}

func (g *gen) float() float64 {
	switch g.rnd.IntN(5) {
	case 0:
		return specialFloats[g.rnd.IntN(len(specialFloats))]
	case 1:
		f := float64(g.rnd.Int64N(1<<53 + 1))
		if g.rnd.IntN(2) == 0 {
			f = -f
		}
		return f
	case 2:
		return math.Float64frombits(g.rnd.Uint64())
	case 3:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(g.rnd.Float64()*math.Pow(10, float64(g.rnd.IntN(20)-10)), 'g', 1+g.rnd.IntN(17), 64), 64)
		return f
	default:
		return (g.rnd.Float64() - 0.5) * math.Pow(10, float64(g.rnd.IntN(40)-20))
	}
}

func (g *gen) int64() values.Int64 {
	extremes := []int64{0, 1, -1, 256, math.MaxInt64, math.MinInt64, 1<<53 + 1, -(1 << 32)}
	if g.rnd.IntN(3) == 0 {
		return values.Int64(extremes[g.rnd.IntN(len(extremes))])
	}
	return values.Int64(g.rnd.Uint64())
}

var specialRunes = []rune{0, 1, 0x1f, '\b', '\f', '\n', '\r', '\t', '"', '\\', '/', 0x7f, 0x80,
	0x2028, 0x2029, 'é', '✓', '<', '>', '&', '\'', 0xfeff, 0xfffd, 0xffff, '😀', 0x10ffff, '𝄞'}

func (g *gen) string() string {
	var b []byte
	for range g.rnd.IntN(16) {
		var r rune
		switch g.rnd.IntN(5) {
		case 0:
			r = specialRunes[g.rnd.IntN(len(specialRunes))]
		case 1:
			r = rune(g.rnd.IntN(0x110000 - 0x800))
			if r >= 0xd800 {
				r += 0x800 // skip the surrogates
			}
		case 2:
			r = rune(g.rnd.IntN(0x80))
		default:
			r = rune(32 + g.rnd.IntN(95))
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

var numericNames = []string{"0", "1", "9", "10", "01", "-1", "1.5", "4294967294", "4294967295", "99999999999"}

func (g *gen) fieldName() string {
	if g.rnd.IntN(100) < 15 {
		if g.rnd.IntN(2) == 0 {
			return numericNames[g.rnd.IntN(len(numericNames))]
		}
		return strconv.FormatInt(g.rnd.Int64N(1<<g.rnd.IntN(34)), 10)
	}
	prefixes := []string{"", "", "", "_", "_id", "a", "A"}
	b := []byte(prefixes[g.rnd.IntN(len(prefixes))])
	for range 1 + g.rnd.IntN(10) {
		b = append(b, byte(32+g.rnd.IntN(95)))
	}
	if b[0] == '$' {
		b = append([]byte{'x'}, b...)
	}
	return string(b)
}
