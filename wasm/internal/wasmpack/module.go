//go:build !js

package main

import (
	"bytes"
	"errors"
	"fmt"
)

// The parts of the WebAssembly binary format (core spec, §5) that packing
// needs: the module's sections, kept as opaque payloads, and the data
// section's active segments.

const (
	sectionData      = 11
	sectionDataCount = 12

	opI32Const = 0x41
	opEnd      = 0x0b
)

var moduleHeader = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// section is one section of a module: its id and its payload.
type section struct {
	id      byte
	payload []byte
}

// segment is an active data segment of memory 0: bytes copied to addr when
// the module is instantiated.
type segment struct {
	addr uint32
	data []byte
}

func parseModule(b []byte) ([]section, error) {
	if !bytes.HasPrefix(b, moduleHeader) {
		return nil, errors.New("not a WebAssembly 1.0 module (bad magic or version)")
	}
	r := reader{b: b, off: len(moduleHeader)}
	var sections []section
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		payload, err := r.vec()
		if err != nil {
			return nil, fmt.Errorf("failed to read section %d: %w", id, err)
		}
		sections = append(sections, section{id: id, payload: payload})
	}
	return sections, nil
}

func encodeModule(sections []section) []byte {
	out := append([]byte(nil), moduleHeader...)
	for _, s := range sections {
		out = append(out, s.id)
		out = appendU32(out, uint32(len(s.payload)))
		out = append(out, s.payload...)
	}
	return out
}

// parseData reads a data section. Only the form Go's linker writes is
// accepted: active segments of memory 0 (flags 0) placed by an i32.const.
func parseData(payload []byte) ([]segment, error) {
	r := reader{b: payload}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("failed to read the segment count: %w", err)
	}
	// Each segment takes five bytes at least: do not let a bogus count
	// allocate more than the section could hold.
	segs := make([]segment, 0, min(int64(n), int64(len(payload)/5)))
	for i := range n {
		flags, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("segment %d: %w", i, err)
		}
		if flags != 0 {
			return nil, fmt.Errorf("segment %d: unsupported kind (flags %d); only active segments of memory 0 are packed", i, flags)
		}
		if op, err := r.byte(); err != nil || op != opI32Const {
			return nil, fmt.Errorf("segment %d: offset is not an i32.const expression", i)
		}
		addr, err := r.s32()
		if err != nil {
			return nil, fmt.Errorf("segment %d: offset: %w", i, err)
		}
		if op, err := r.byte(); err != nil || op != opEnd {
			return nil, fmt.Errorf("segment %d: offset expression has more than one instruction", i)
		}
		if addr < 0 {
			return nil, fmt.Errorf("segment %d: negative offset %d", i, addr)
		}
		data, err := r.vec()
		if err != nil {
			return nil, fmt.Errorf("segment %d: %w", i, err)
		}
		segs = append(segs, segment{addr: uint32(addr), data: data})
	}
	if !r.done() {
		return nil, fmt.Errorf("%d bytes after the last segment", len(payload)-r.off)
	}
	return segs, nil
}

func encodeData(segs []segment) []byte {
	out := appendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		out = append(out, 0, opI32Const)
		out = appendS32(out, int32(s.addr))
		out = append(out, opEnd)
		out = appendU32(out, uint32(len(s.data)))
		out = append(out, s.data...)
	}
	return out
}

// reader decodes LEB128 integers and length-prefixed vectors.
type reader struct {
	b   []byte
	off int
}

var errTruncated = errors.New("truncated")

func (r *reader) done() bool { return r.off >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) u32() (uint32, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if v > 0xffffffff {
				return 0, errors.New("u32 out of range")
			}
			return uint32(v), nil
		}
	}
	return 0, errors.New("u32 longer than 5 bytes")
}

func (r *reader) s32() (int32, error) {
	var v int64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		if c < 0x80 {
			if c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			if v < -1<<31 || v > 1<<31-1 {
				return 0, errors.New("s32 out of range")
			}
			return int32(v), nil
		}
	}
	return 0, errors.New("s32 longer than 5 bytes")
}

func (r *reader) vec() ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("length %d runs past the end (%d bytes left)", n, len(r.b)-r.off)
	}
	v := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return v, nil
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
