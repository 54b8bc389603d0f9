//go:build !js

package main

import (
	"bytes"
	"errors"
	"fmt"
)

// module is what the size table reads of a WebAssembly binary (core spec
// §5): the function bodies, their names, and the data section.
type module struct {
	imports int      // imported functions: the first function indices
	bodies  [][]byte // the code section's bodies, in order
	code    []byte   // the code section's payload
	data    []byte   // the data section's payload
	image   int      // the data segments' span in memory: last end − first start
	base    int      // the first segment's address
	mem     []byte   // the data image from base (zero between segments)
	names   map[int]string
}

type reader struct {
	b   []byte
	off int
}

func (r *reader) done() bool { return r.off >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errors.New("unexpected end")
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 too long")
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		return nil, errors.New("unexpected end")
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) vec() ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	return r.bytes(n)
}

func parseModule(b []byte) (*module, error) {
	if !bytes.HasPrefix(b, []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	m := &module{names: map[int]string{}}
	r := reader{b: b, off: 8}
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		p, err := r.vec()
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		switch id {
		case 0:
			if err := m.custom(p); err != nil {
				return nil, fmt.Errorf("custom section: %w", err)
			}
		case 2:
			if err := m.importSection(p); err != nil {
				return nil, fmt.Errorf("import section: %w", err)
			}
		case 10:
			m.code = p
			if err := m.codeSection(p); err != nil {
				return nil, fmt.Errorf("code section: %w", err)
			}
		case 11:
			m.data = p
			if err := m.dataSection(p); err != nil {
				return nil, fmt.Errorf("data section: %w", err)
			}
		}
	}
	return m, nil
}

func (m *module) importSection(p []byte) error {
	r := reader{b: p}
	n, err := r.u32()
	if err != nil {
		return err
	}
	for range n {
		if _, err := r.vec(); err != nil { // module
			return err
		}
		if _, err := r.vec(); err != nil { // name
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0: // func: type index
			m.imports++
			_, err = r.u32()
		case 1: // table: reftype, limits
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case 2: // memory: limits
			err = r.limits()
		case 3: // global: valtype, mut
			if _, err = r.byte(); err == nil {
				_, err = r.byte()
			}
		default:
			return fmt.Errorf("import kind %d", kind)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) limits() error {
	flag, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = r.u32()
	}
	return err
}

func (m *module) codeSection(p []byte) error {
	r := reader{b: p}
	n, err := r.u32()
	if err != nil {
		return err
	}
	m.bodies = make([][]byte, 0, n)
	for range n {
		body, err := r.vec()
		if err != nil {
			return err
		}
		m.bodies = append(m.bodies, body)
	}
	return nil
}

// dataSection reads the span of Go's active segments (flags 0, i32.const
// offset).
func (m *module) dataSection(p []byte) error {
	r := reader{b: p}
	n, err := r.u32()
	if err != nil {
		return err
	}
	type seg struct {
		addr int
		d    []byte
	}
	var segs []seg
	lo, hi := -1, 0
	for range n {
		flags, err := r.u32()
		if err != nil {
			return err
		}
		if flags != 0 {
			return fmt.Errorf("segment flags %d", flags)
		}
		if op, err := r.byte(); err != nil || op != 0x41 {
			return errors.New("segment offset is not an i32.const")
		}
		addr, err := r.u32() // an unsigned read of a small positive sleb
		if err != nil {
			return err
		}
		if op, err := r.byte(); err != nil || op != 0x0b {
			return errors.New("segment offset does not end")
		}
		d, err := r.vec()
		if err != nil {
			return err
		}
		if lo < 0 || int(addr) < lo {
			lo = int(addr)
		}
		hi = max(hi, int(addr)+len(d))
		segs = append(segs, seg{int(addr), d})
	}
	if lo >= 0 {
		m.image = hi - lo
		m.base = lo
		m.mem = make([]byte, hi-lo)
		for _, s := range segs {
			copy(m.mem[s.addr-lo:], s.d)
		}
	}
	return nil
}

// custom reads the name section's function names (subsection 1).
func (m *module) custom(p []byte) error {
	r := reader{b: p}
	name, err := r.vec()
	if err != nil || string(name) != "name" {
		return err
	}
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return err
		}
		sub, err := r.vec()
		if err != nil {
			return err
		}
		if id != 1 {
			continue
		}
		s := reader{b: sub}
		n, err := s.u32()
		if err != nil {
			return err
		}
		for range n {
			idx, err := s.u32()
			if err != nil {
				return err
			}
			nm, err := s.vec()
			if err != nil {
				return err
			}
			m.names[int(idx)] = string(nm)
		}
	}
	return nil
}
