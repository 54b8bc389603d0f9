//go:build !js

package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seg(addr uint32, data string) segment { return segment{addr: addr, data: []byte(data)} }

func TestMergeSegments(t *testing.T) {
	tests := []struct {
		name   string
		in     []segment
		maxGap uint32
		want   []segment
		zeros  int
		err    string
	}{
		{name: "none", in: nil, maxGap: 8, want: nil},
		{name: "touching", in: []segment{seg(10, "ab"), seg(12, "cd")}, maxGap: 0, want: []segment{seg(10, "abcd")}},
		{name: "gap within", in: []segment{seg(10, "ab"), seg(15, "cd")}, maxGap: 3, want: []segment{seg(10, "ab\x00\x00\x00cd")}, zeros: 3},
		{name: "gap beyond", in: []segment{seg(10, "ab"), seg(16, "cd")}, maxGap: 3, want: []segment{seg(10, "ab"), seg(16, "cd")}},
		{name: "out of order", in: []segment{seg(20, "x"), seg(10, "ab"), seg(13, "c")}, maxGap: 8,
			want: []segment{seg(10, "ab\x00c\x00\x00\x00\x00\x00\x00x")}, zeros: 7},
		{name: "empty dropped", in: []segment{seg(10, "a"), seg(100, ""), seg(200, "b")}, maxGap: 8, want: []segment{seg(10, "a"), seg(200, "b")}},
		{name: "overlap", in: []segment{seg(10, "abcd"), seg(12, "x")}, maxGap: 8, err: "segments at 0xa and 0xc overlap"},
		{name: "past 4 GiB", in: []segment{seg(0xffffffff, "ab")}, maxGap: 8, err: "runs past 4 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, zeros, err := mergeSegments(tt.in, tt.maxGap)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.zeros, zeros)
			assert.Equal(t, memoryImage(t, tt.in), memoryImage(t, got))
		})
	}
}

// dataSection encodes a data section with one segment written by hand.
func dataSection(segBytes ...byte) []byte {
	return append([]byte{1}, segBytes...)
}

func TestPackRejects(t *testing.T) {
	module := func(sections ...section) []byte { return encodeModule(sections) }
	tests := []struct {
		name   string
		module []byte
		err    string
	}{
		{name: "not wasm", module: []byte("\x7fELF...."), err: "not a WebAssembly 1.0 module"},
		{name: "section past the end", module: append(bytes.Clone(moduleHeader), sectionData, 10, 0), err: "failed to read section 11: length 10 runs past the end"},
		{name: "passive segment", module: module(section{sectionData, dataSection(1, 1, 'x')}), err: "segment 0: unsupported kind (flags 1)"},
		{name: "global offset", module: module(section{sectionData, dataSection(0, 0x23, 0, opEnd, 1, 'x')}), err: "segment 0: offset is not an i32.const expression"},
		{name: "long offset expression", module: module(section{sectionData, dataSection(0, opI32Const, 0, opI32Const, 0, opEnd, 1, 'x')}), err: "more than one instruction"},
		{name: "negative offset", module: module(section{sectionData, dataSection(0, opI32Const, 0x7f, opEnd, 1, 'x')}), err: "negative offset -1"},
		{name: "truncated segment", module: module(section{sectionData, dataSection(0, opI32Const, 4, opEnd, 5, 'x')}), err: "segment 0: length 5 runs past the end"},
		{name: "trailing bytes", module: module(section{sectionData, append(dataSection(0, opI32Const, 4, opEnd, 1, 'x'), 9)}), err: "1 bytes after the last segment"},
		{name: "overlap", module: module(section{sectionData, []byte{2, 0, opI32Const, 4, opEnd, 2, 'a', 'b', 0, opI32Const, 5, opEnd, 1, 'c'}}), err: "overlap"},
		{name: "two data sections", module: module(section{sectionData, []byte{0}}, section{sectionData, []byte{0}}), err: "more than one data section"},
		{name: "huge segment count", module: module(section{sectionData, []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0}}), err: "segment 0: offset is not an i32.const"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := pack(tt.module, defaultMaxGap)
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestPackUpdatesDataCount(t *testing.T) {
	data := encodeData([]segment{seg(16, "a"), seg(20, "b"), seg(5000, "c")})
	in := encodeModule([]section{{sectionDataCount, []byte{3}}, {sectionData, data}, {0, []byte("\x04namex")}})
	out, st, err := pack(in, 16)
	require.NoError(t, err)
	assert.Equal(t, packStats{segmentsBefore: 3, segmentsAfter: 2, zerosWritten: 3}, st)
	sections, err := parseModule(out)
	require.NoError(t, err)
	require.Len(t, sections, 3)
	assert.Equal(t, section{sectionDataCount, []byte{2}}, sections[0])
	assert.Equal(t, section{0, []byte("\x04namex")}, sections[2], "custom sections are kept")
}

func TestPackWithoutData(t *testing.T) {
	in := encodeModule([]section{{1, []byte{0}}})
	out, _, err := pack(in, defaultMaxGap)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

// TestPackGoProgram packs a real Go js/wasm program: its memory image and
// every other section are unchanged, it is smaller under gzip, and it runs
// under node with the same output (its strings, maps, PC tables, stack
// growth and a recovered panic) as before.
func TestStripCustom(t *testing.T) {
	in := encodeModule([]section{{0, []byte("\x0ago:buildid1234")}, {1, []byte{0}}, {sectionData, encodeData([]segment{seg(8, "x")})}, {0, []byte("\x09producers")}})
	out, err := stripCustom(in)
	require.NoError(t, err)
	assert.Equal(t, encodeModule([]section{{1, []byte{0}}, {sectionData, encodeData([]segment{seg(8, "x")})}}), out)
	_, err = stripCustom([]byte("not wasm"))
	assert.Error(t, err)
}

func TestPackGoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm program")
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "probe.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", orig, "./testdata/probe")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	before, err := os.ReadFile(orig)
	require.NoError(t, err)
	after, st, err := pack(before, defaultMaxGap)
	require.NoError(t, err)
	assert.Less(t, st.segmentsAfter, st.segmentsBefore/10, "segments: %+v", st)
	assert.Less(t, gzipLen(t, after), gzipLen(t, before))

	secBefore, err := parseModule(before)
	require.NoError(t, err)
	secAfter, err := parseModule(after)
	require.NoError(t, err)
	require.Equal(t, len(secBefore), len(secAfter))
	for i := range secBefore {
		require.Equal(t, secBefore[i].id, secAfter[i].id)
		if secBefore[i].id == sectionData {
			assert.Equal(t, dataImage(t, secBefore[i].payload), dataImage(t, secAfter[i].payload), "memory image")
			continue
		}
		assert.Equal(t, secBefore[i].payload, secAfter[i].payload, "section %d", secBefore[i].id)
	}

	node, err := exec.LookPath("node")
	require.NoError(t, err, "node runs the packed program")
	packed := filepath.Join(dir, "packed.wasm")
	require.NoError(t, os.WriteFile(packed, after, 0o644))
	runIt := func(wasm string) string {
		goroot, err := exec.Command("go", "env", "GOROOT").Output()
		require.NoError(t, err)
		execJS := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec_node.js")
		out, err := exec.Command(node, execJS, wasm).CombinedOutput()
		require.NoError(t, err, "%s: %s", wasm, out)
		return string(out)
	}
	want := runIt(orig)
	assert.Contains(t, want, "recovered: assignment to entry in nil map true")
	assert.Contains(t, want, "main.main github.com/goconvex/convex/wasm/internal/wasmpack/testdata/probe/main.go:")
	assert.Equal(t, want, runIt(packed))

	// Without its custom sections it runs the same.
	stripped, err := stripCustom(after)
	require.NoError(t, err)
	assert.Less(t, len(stripped), len(after))
	require.NoError(t, os.WriteFile(packed, stripped, 0o644))
	assert.Equal(t, want, runIt(packed))
}

func dataImage(t *testing.T, payload []byte) []byte {
	segs, err := parseData(payload)
	require.NoError(t, err)
	return memoryImage(t, segs)
}

// memoryImage is linear memory after the segments are applied in order, up
// to the last byte any of them writes.
func memoryImage(t *testing.T, segs []segment) []byte {
	var mem []byte
	for _, s := range segs {
		end := int(s.addr) + len(s.data)
		require.Less(t, end, 64<<20, "test images stay small")
		if end > len(mem) {
			mem = append(mem, make([]byte, end-len(mem))...)
		}
		copy(mem[s.addr:], s.data)
	}
	return mem
}

func gzipLen(t *testing.T, b []byte) int {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Len()
}

// FuzzPack feeds pack arbitrary modules: it must not panic, and whatever it
// packs must hold the same bytes at the same addresses, with only zeros
// added between them.
func FuzzPack(f *testing.F) {
	f.Add(encodeModule([]section{{sectionData, encodeData([]segment{seg(16, "ab"), seg(30, "c"), seg(5000, "d")})}}), uint32(16))
	f.Add(encodeModule([]section{{1, []byte{0}}, {sectionData, encodeData([]segment{seg(100, "x"), seg(8, "yz")})}, {0, []byte("\x01n")}}), uint32(1024))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0b\x07\x01\x00\x41\x7f\x0b\x01x"), uint32(0))
	f.Fuzz(func(t *testing.T, module []byte, maxGap uint32) {
		out, _, err := pack(module, maxGap)
		if err != nil {
			return
		}
		before, err := parseModule(module)
		require.NoError(t, err)
		after, err := parseModule(out)
		require.NoError(t, err, "pack wrote a module it cannot read")
		require.Len(t, after, len(before))
		for i := range before {
			require.Equal(t, before[i].id, after[i].id)
			if before[i].id != sectionData {
				require.Equal(t, before[i].payload, after[i].payload)
				continue
			}
			orig, err := parseData(before[i].payload)
			require.NoError(t, err)
			merged, err := parseData(after[i].payload)
			require.NoError(t, err)
			requireSameImage(t, orig, merged)
		}
	})
}

// requireSameImage checks, without building the image, that merged writes
// exactly what orig does: each merged segment is orig's segments in address
// order with zeros between them.
func requireSameImage(t *testing.T, orig, merged []segment) {
	var sorted []segment
	for _, s := range orig {
		if len(s.data) > 0 {
			sorted = append(sorted, s)
		}
	}
	slices.SortStableFunc(sorted, func(a, b segment) int { return cmp.Compare(a.addr, b.addr) })
	k := 0
	for _, m := range merged {
		require.NotEmpty(t, m.data)
		at := m.addr
		end := uint64(m.addr) + uint64(len(m.data))
		for k < len(sorted) && uint64(sorted[k].addr) < end {
			o := sorted[k]
			require.GreaterOrEqual(t, o.addr, at, "segment at %#x lost or overlapping", o.addr)
			require.Zero(t, bytes.Count(m.data[at-m.addr:o.addr-m.addr], []byte{0})-int(o.addr-at), "gap before %#x is not zeros", o.addr)
			require.Equal(t, o.data, m.data[o.addr-m.addr:o.addr-m.addr+uint32(len(o.data))])
			at = o.addr + uint32(len(o.data))
			k++
		}
		require.Equal(t, end, uint64(at), "merged segment at %#x ends past its last source", m.addr)
	}
	require.Equal(t, len(sorted), k, "segments not carried over")
}
