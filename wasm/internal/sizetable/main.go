//go:build !js

// Command sizetable writes docs/wasm-size.md (`make wasm-size-table`): what
// goconvex.wasm links, per Go package, with its share of the gzip size and
// why each package is linked.
//
//	go run ./wasm/internal/sizetable -out docs/wasm-size.md -shipped js/dist/goconvex.wasm -- <go build flags>
//
// It builds ./wasm again with the shipped build's flags (the Makefile passes
// them after --) but keeps the wasm name section (no -s) and asks the
// linker for its dependency graph (-ldflags=-dumpdep), then:
//
//   - code: every function body of the code section, named by the name
//     section, is attributed to the package of its name; a package's gzip
//     share is the gzip -9 size of its bodies compressed on their own,
//     scaled so that all packages add up to the code section's gzip size;
//   - data: every data symbol the linker kept (a symbol the dependency
//     graph reaches) is sized from its package's compiled archive
//     (`go tool nm -size`); symbols without a package of their own (string
//     literals, stack maps, composite type descriptors) go to the package
//     whose code or data first needed them; the function-name table of the
//     pclntab goes to the functions' packages; what is left (the rest of
//     the pclntab, type and itab links, alignment) is one row of its own.
//     Data gzip shares are estimates: raw bytes × the data section's gzip
//     ratio;
//   - why: the edge of the dependency graph that first reached the package
//     (the linker's mark order), and the chain of packages from the entry
//     point to it.
//
// The table is regenerated; the hand-written part of the output file after
// the marker line is kept.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const marker = "<!-- Hand-written below this line: `make wasm-size-table` keeps it. -->"

func main() {
	out := flag.String("out", "docs/wasm-size.md", "the file to write")
	shipped := flag.String("shipped", "js/dist/goconvex.wasm", "the shipped binary (for its total sizes)")
	pkg := flag.String("pkg", "./wasm", "the main package")
	top := flag.Int("top", 40, "packages listed on their own (the rest are summed)")
	flag.Parse()
	if err := run(*out, *shipped, *pkg, *top, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "sizetable:", err)
		os.Exit(1)
	}
}

func run(out, shipped, mainPkg string, top int, buildFlags []string) error {
	tmp, err := os.MkdirTemp("", "sizetable-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	named := filepath.Join(tmp, "named.wasm")

	// The build: the shipped flags, with -dumpdep and without -s.
	args := []string{"build", "-o", named}
	ldflags := "-w -dumpdep"
	for _, f := range buildFlags {
		if v, ok := strings.CutPrefix(f, "-ldflags="); ok {
			for _, x := range strings.Fields(strings.Trim(v, `'"`)) {
				if x != "-s" && x != "-w" {
					ldflags += " " + x
				}
			}
			continue
		}
		args = append(args, f)
	}
	args = append(args, "-ldflags="+ldflags, mainPkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var deps bytes.Buffer
	cmd.Stderr = &deps
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, tail(deps.String()))
	}
	g := parseDeps(deps.String())

	wasm, err := os.ReadFile(named)
	if err != nil {
		return err
	}
	m, err := parseModule(wasm)
	if err != nil {
		return fmt.Errorf("%s: %w", named, err)
	}
	ship, err := os.ReadFile(shipped)
	if err != nil {
		return fmt.Errorf("the shipped binary (make wasm builds it): %w", err)
	}
	sm, err := parseModule(ship)
	if err != nil {
		return fmt.Errorf("%s: %w", shipped, err)
	}
	if len(sm.code) != len(m.code) {
		return fmt.Errorf("the shipped binary's code section (%d B) differs from the rebuilt one's (%d B): rebuild it with make wasm", len(sm.code), len(m.code))
	}

	// Archives of every package, for the data symbols' sizes.
	syms, imports, err := archiveSymbols(buildFlags, mainPkg)
	if err != nil {
		return err
	}

	g.known = map[string]bool{}
	var paths []string
	importedBy := map[string][]string{}
	for p, imps := range imports {
		g.known[p] = true
		paths = append(paths, p)
		for _, q := range imps {
			importedBy[q] = append(importedBy[q], p)
		}
	}
	t := attribute(m, g, syms, newFuncNamer(paths))
	t.importedBy = importedBy
	t.shippedRaw, t.shippedGzip = len(ship), gzipCLI(ship)
	t.codeGzip, t.dataGzip = gzipLen(sm.code), gzipLen(sm.data)
	t.codeRaw, t.dataRaw = len(sm.code), len(sm.data)
	t.flags = strings.Join(buildFlags, " ")
	if rev, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		t.commit = strings.TrimSpace(string(rev))
	}
	if v, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		t.goVersion = strings.TrimSpace(string(v))
	}
	if t.tables, err = linkerTables(m); err != nil {
		fmt.Fprintln(os.Stderr, "sizetable: the linker's tables are not sized:", err)
	}

	var kept string
	if old, err := os.ReadFile(out); err == nil {
		if _, after, ok := strings.Cut(string(old), marker); ok {
			kept = after
		}
	}
	doc := t.render(top) + "\n" + marker + kept
	if kept == "" {
		doc += "\n"
	}
	return os.WriteFile(out, []byte(doc), 0o644)
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

// gzipCLI is the size under the gzip CLI (the budget check's measure, js/scripts/wasm-size.mjs)
// when it is installed, else gzipLen.
func gzipCLI(b []byte) int {
	cmd := exec.Command("gzip", "-9", "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		return gzipLen(b)
	}
	return len(out)
}

// gzipLen is the size under Go's compress/gzip at level 9 (a few KB more
// than the gzip CLI's on the whole binary; used for the parts).
func gzipLen(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Len()
}

// ---- the linker's dependency graph ---------------------------------------------

// depGraph is -dumpdep's output: each reachable symbol with the symbol that
// first reached it ("_" for the roots), in mark order.
type depGraph struct {
	parent map[string]string
	order  []string        // symbols in the order they were marked
	known  map[string]bool // the import paths the build links
}

func parseDeps(s string) *depGraph {
	g := &depGraph{parent: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		from, to, ok := strings.Cut(sc.Text(), " -> ")
		if !ok {
			continue
		}
		if _, seen := g.parent[to]; seen {
			continue
		}
		g.parent[to] = from
		g.order = append(g.order, to)
	}
	return g
}

// ---- packages of symbol names ------------------------------------------------

// ownPkg is the package a symbol's name says it belongs to, or "" when the
// name has none (string literals, stack maps, composite types …).
func ownPkg(name string) string {
	switch {
	case strings.HasPrefix(name, "go:itab."):
		// go:itab.*pkg.T,pkg.I: the concrete type's package.
		name, _, _ = strings.Cut(strings.TrimPrefix(name, "go:itab."), ",")
		return ownPkg(strings.TrimLeft(name, "*"))
	case strings.HasPrefix(name, "type:"):
		name = strings.TrimPrefix(name, "type:")
		if strings.HasPrefix(name, ".namedata.") || strings.HasPrefix(name, ".importpath.") {
			return "" // names of fields and methods: for the type that needs them
		}
		for _, p := range []string{".eq.", ".hash.", "noalg."} {
			name = strings.TrimPrefix(name, p)
		}
		name = strings.TrimLeft(name, "*")
		if strings.HasPrefix(name, "[") || strings.HasPrefix(name, "map[") || strings.HasPrefix(name, "func(") ||
			strings.HasPrefix(name, "struct {") || strings.HasPrefix(name, "interface {") || strings.HasPrefix(name, "chan ") {
			return ""
		}
		return pkgPrefix(name)
	case strings.HasPrefix(name, "go:"), strings.HasPrefix(name, "gclocals·"), strings.HasPrefix(name, "runtime.pclntab"):
		return ""
	}
	// A function's stack maps and argument info are content-addressed: their
	// names are those of whichever function the linker saw first.
	for _, suffix := range []string{".arginfo0", ".arginfo1", ".argliveinfo", ".stkobj", ".opendefer", ".wrapinfo", ".args_stackmap"} {
		if strings.HasSuffix(name, suffix) {
			return ""
		}
	}
	if i := strings.LastIndex(name, "..stmp_"); i > 0 {
		return ""
	}
	if !strings.Contains(name, ".") {
		return "runtime" // the runtime's assembly and the wasm entry points
	}
	return pkgPrefix(name)
}

// pkgPrefix is the import path before the first dot after the last slash
// (type arguments in brackets removed first).
func pkgPrefix(name string) string {
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	i := strings.LastIndexByte(name, '/')
	j := strings.IndexByte(name[i+1:], '.')
	if j < 0 {
		return ""
	}
	return name[:i+1+j]
}

// own is ownPkg when that names a package of the build.
func (g *depGraph) own(name string) string {
	p := ownPkg(name)
	if p == "main" || g.known[p] {
		return p
	}
	return ""
}

// pkgOf is the symbol's own package, or that of the first symbol on its
// chain of first reasons that has one.
func (g *depGraph) pkgOf(name string) string {
	for range 64 {
		if p := g.own(name); p != "" {
			return p
		}
		next, ok := g.parent[name]
		if !ok || next == "_" {
			return ""
		}
		name = next
	}
	return ""
}

// funcNamer maps the wasm name section's function names back to packages:
// Go's linker writes them with every character but letters, digits, '_'
// and '.' replaced by '_' (github.com_goconvex_convex_client.__socket_.dial).
type funcNamer struct {
	prefixes []string          // sanitized import paths, longest first
	path     map[string]string // sanitized → import path
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = '_'
		}
	}
	return string(b)
}

func newFuncNamer(paths []string) *funcNamer {
	n := &funcNamer{path: map[string]string{"main": "main"}}
	for _, p := range paths {
		n.path[sanitize(p)] = p
	}
	for k := range n.path {
		n.prefixes = append(n.prefixes, k)
	}
	sort.Slice(n.prefixes, func(i, j int) bool { return len(n.prefixes[i]) > len(n.prefixes[j]) })
	return n
}

// pkg is the import path of a name-section function name.
func (n *funcNamer) pkg(name string) string {
	name = strings.TrimPrefix(name, "type_.eq.") // type:.eq.T, the equality of a type
	name = strings.TrimPrefix(name, "type_.hash.")
	for _, p := range n.prefixes {
		if len(name) > len(p) && name[len(p)] == '.' && strings.HasPrefix(name, p) {
			return n.path[p]
		}
	}
	return "runtime" // the runtime's assembly (memeqbody, _rt0_wasm_js, wasm_export_*) and composite types' equality
}

// ---- archives ------------------------------------------------------------------

type symInfo struct {
	size int
	kind byte // R, D (B is zero-filled and takes no file space)
}

// archiveSymbols reads the data symbols of every package the build links
// (and returns the packages' import paths).
func archiveSymbols(buildFlags []string, mainPkg string) (map[string]symInfo, map[string][]string, error) {
	args := []string{"list", "-deps", "-export", "-json=ImportPath,Export,Imports"}
	for _, f := range buildFlags {
		if strings.HasPrefix(f, "-tags") || strings.HasPrefix(f, "-gcflags") || f == "-trimpath" {
			args = append(args, f)
		}
	}
	args = append(args, mainPkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("go list: %v: %s", err, tail(stderr.String()))
	}
	syms := map[string]symInfo{}
	imports := map[string][]string{} // import path → the packages it imports
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var p struct {
			ImportPath, Export string
			Imports            []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("go list: %w", err)
		}
		imports[p.ImportPath] = p.Imports
		if p.Export == "" {
			continue
		}
		nm := exec.Command("go", "tool", "nm", "-size", "-sort", "none", p.Export)
		o, err := nm.Output()
		if err != nil {
			return nil, nil, fmt.Errorf("go tool nm %s (%s): %w", p.Export, p.ImportPath, err)
		}
		for _, l := range strings.Split(string(o), "\n") {
			// addr size kind name (the name may contain spaces)
			f := make([]string, 0, 4)
			rest := l
			for range 3 {
				rest = strings.TrimLeft(rest, " ")
				i := strings.IndexByte(rest, ' ')
				if i < 0 {
					break
				}
				f, rest = append(f, rest[:i]), rest[i+1:]
			}
			if len(f) < 3 || len(f[2]) != 1 || rest == "" {
				continue
			}
			k := f[2][0]
			if k != 'R' && k != 'D' && k != 'r' && k != 'd' { // r, d: static symbols
				continue
			}
			size, err := strconv.Atoi(f[1])
			if err != nil {
				continue
			}
			name := rest
			if i := strings.LastIndexByte(name, '<'); i > 0 && strings.HasSuffix(name, ">") {
				name = name[:i] // a static symbol's version
			}
			if _, ok := syms[name]; !ok {
				syms[name] = symInfo{size: size, kind: k}
			}
		}
	}
	return syms, imports, nil
}
