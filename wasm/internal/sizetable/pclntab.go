//go:build !js

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// linkerTable is one table the linker writes into the data image.
type linkerTable struct {
	name, what string
	raw, gzip  int
}

// linkerTables finds runtime.firstmoduledata in the data image (by the
// pcHeader it points to) and sizes the tables it describes: the pclntab's
// parts, findfunctab, the type descriptors' span and the type and itab
// links (runtime/symtab.go, moduledata and pcHeader, 64-bit pointers).
func linkerTables(m *module) ([]linkerTable, error) {
	le := binary.LittleEndian
	mem := m.mem
	// pcHeader: magic 0xfffffff1, two zero pads, minLC 1, ptrSize 8.
	hdr := bytes.Index(mem, []byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8})
	if hdr < 0 {
		return nil, errors.New("no pcHeader in the data image")
	}
	u := func(off int) int {
		if off < 0 || off+8 > len(mem) {
			return -1
		}
		return int(le.Uint64(mem[off:]))
	}
	hdrAddr := m.base + hdr
	funcnameOff := u(hdr + 32)
	// moduledata starts with the pcHeader pointer and funcnametab's.
	md := -1
	for off := (8 - m.base%8) % 8; off+16 <= len(mem); off += 8 { // 8-aligned addresses
		if u(off) == hdrAddr && u(off+8) == hdrAddr+funcnameOff {
			md = off
			break
		}
	}
	if md < 0 {
		return nil, errors.New("no moduledata pointing at the pcHeader")
	}
	region := func(addr, n int) []byte { // zero bytes before the first segment are not in mem
		a := addr - m.base
		if n <= 0 || a+n <= 0 || a+n > len(mem) {
			return nil
		}
		return mem[max(a, 0) : a+n]
	}
	slice := func(off, elem int) (int, int) { return u(md + off), u(md+off+8) * elem }
	var out []linkerTable
	add := func(name, what string, addr, n int) {
		b := region(addr, n)
		if b == nil {
			return
		}
		out = append(out, linkerTable{name: name, what: what, raw: n, gzip: gzipLen(b)})
	}
	a, n := slice(8, 1)
	add("funcnametab", "function names (counted for their packages above)", a, n)
	a, n = slice(32, 4)
	add("cutab", "per compilation unit: file indices", a, n)
	a, n = slice(56, 1)
	add("filetab", "source file names", a, n)
	a, n = slice(80, 1)
	add("pctab", "pc-value tables: stack depth, file, line, unsafe points per function", a, n)
	a, n = slice(104, 1)
	add("pclntable", "the function table and a `_func` record per function", a, n)
	findfunctab, minpc, maxpc := u(md+152), u(md+160), u(md+168)
	if findfunctab > 0 && maxpc > minpc {
		// One 20-byte findfuncbucket per 4096 bytes of PC space; a wasm PC is
		// the function's index << 16 plus a block index.
		buckets := (maxpc-minpc)/4096 + 1
		add("findfunctab", "PC → function lookup buckets", findfunctab, buckets*20)
	}
	types, etypes := u(md+296), u(md+304)
	add("types", "the type descriptors' span (counted for their packages above)", types, etypes-types)
	a, n = slice(360, 4)
	add("typelinks", "offsets of the type descriptors", a, n)
	a, n = slice(384, 8)
	add("itablinks", "pointers to the itabs", a, n)
	return out, nil
}
