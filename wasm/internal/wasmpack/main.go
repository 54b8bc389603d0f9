//go:build !js

// Command wasmpack rewrites a WebAssembly module built by Go so that it
// compresses better, without changing what it does:
//
//	go run ./wasm/internal/wasmpack [-max-gap 1024] in.wasm out.wasm
//
// Go's linker splits the data section at every run of eight or more zero
// bytes. That keeps the raw file small, but a Go program's runtime tables
// (findfunctab above all: one 20-byte bucket, two bytes of it non-zero, per
// 4 KiB of the 64 KiB-per-function PC space Go uses on wasm) become tens of
// thousands of tiny segments whose headers gzip cannot predict. wasmpack
// joins segments separated by short zero runs; the memory the module starts
// with is identical, byte for byte, and every other section is kept as is.
// With -strip-custom it also drops the custom sections (Go's go:buildid and
// producers; engines ignore them). `make wasm` runs it on goconvex.wasm
// with -strip-custom.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	maxGap := flag.Uint("max-gap", defaultMaxGap, "longest zero run written out to join two data segments")
	strip := flag.Bool("strip-custom", false, "drop custom sections (go:buildid, producers, name)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: wasmpack [-max-gap n] [-strip-custom] in.wasm out.wasm")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Arg(1), uint32(*maxGap), *strip); err != nil {
		fmt.Fprintln(os.Stderr, "wasmpack:", err)
		os.Exit(1)
	}
}

func run(in, out string, maxGap uint32, strip bool) error {
	module, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	packed, st, err := pack(module, maxGap)
	if err != nil {
		return fmt.Errorf("failed to pack %s: %w", in, err)
	}
	if strip {
		if packed, err = stripCustom(packed); err != nil {
			return fmt.Errorf("failed to strip %s: %w", in, err)
		}
	}
	if err := writeFileAtomic(out, packed); err != nil {
		return err
	}
	fmt.Printf("wasmpack: %s: %d data segments → %d (%d zero bytes written out), %d → %d bytes raw\n",
		out, st.segmentsBefore, st.segmentsAfter, st.zerosWritten, len(module), len(packed))
	return nil
}

// writeFileAtomic writes b to a temporary file beside path and renames it
// over path, so that a reader never sees half a module.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
