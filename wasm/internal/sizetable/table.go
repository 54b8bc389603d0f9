//go:build !js

package main

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// pkgRow is one package's part of the binary.
type pkgRow struct {
	pkg    string
	funcs  int
	code   int // function body bytes
	codeGz int // gzip -9 of its bodies on their own
	data   int // data symbols' bytes
	names  int // its functions' names in the pclntab
	first  string
	entry  string // the edge that first reached it
	chain  []string

	// estimates of its share of the shipped gzip size
	gzCode, gzData float64
}

func (p *pkgRow) gz() float64 { return p.gzCode + p.gzData }

type table struct {
	rows        []*pkgRow
	unnamed     int // data bytes of symbols no package could be found for
	linker      int // the data image's rest: pclntab tables but names, links, alignment
	image       int
	funcs, code int

	shippedRaw, shippedGzip int
	codeRaw, codeGzip       int
	dataRaw, dataGzip       int
	flags                   string
	commit, goVersion       string
	tables                  []linkerTable
	importedBy              map[string][]string
	largest                 []fnSize
}

type fnSize struct {
	name string
	pkg  string
	size int
}

func attribute(m *module, g *depGraph, syms map[string]symInfo, fn *funcNamer) *table {
	t := &table{image: m.image}
	rows := map[string]*pkgRow{}
	row := func(p string) *pkgRow {
		if p == "" {
			p = "runtime"
		}
		r := rows[p]
		if r == nil {
			r = &pkgRow{pkg: p}
			rows[p] = r
		}
		return r
	}
	bodies := map[string]*bytes.Buffer{}
	for i, b := range m.bodies {
		name := m.names[m.imports+i]
		r := row(fn.pkg(name))
		r.funcs++
		r.code += len(b)
		r.names += len(name) + 1
		if bodies[r.pkg] == nil {
			bodies[r.pkg] = &bytes.Buffer{}
		}
		bodies[r.pkg].Write(b)
		t.largest = append(t.largest, fnSize{name, r.pkg, len(b)})
		t.funcs++
		t.code += len(b)
	}
	for _, name := range g.order {
		s, ok := syms[name]
		if lit, isString := strings.CutPrefix(name, "go:string."); !ok && isString {
			if v, err := strconv.Unquote(lit); err == nil {
				s, ok = symInfo{size: len(v), kind: 'R'}, true
			}
		}
		if !ok {
			continue
		}
		p := g.pkgOf(name)
		if p == "" {
			t.unnamed += s.size
			continue
		}
		row(p).data += s.size
	}
	// Why: the first symbol of each package the linker marked, and its chain.
	for _, name := range g.order {
		p := g.own(name)
		r := rows[p]
		if r == nil || r.first != "" {
			continue
		}
		r.first = name
		r.entry = g.parent[name]
		r.chain = g.chain(name)
	}
	for p, r := range rows {
		if b := bodies[p]; b != nil {
			r.codeGz = gzipLen(b.Bytes())
		}
		t.rows = append(t.rows, r)
	}
	return t
}

// chain is the packages on the way from a root to name, following first
// reasons, consecutive repeats dropped.
func (g *depGraph) chain(name string) []string {
	var rev []string
	for range 512 {
		if p := g.pkgOf(name); p != "" && (len(rev) == 0 || rev[len(rev)-1] != p) {
			rev = append(rev, p)
		}
		next, ok := g.parent[name]
		if !ok || next == "_" {
			break
		}
		name = next
	}
	slices.Reverse(rev)
	return rev
}

func commas(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

const self = "github.com/goconvex/convex/"

func short(p string) string {
	if p == "main" {
		return "main (./wasm)"
	}
	if rest, ok := strings.CutPrefix(p, self); ok {
		return "./" + rest
	}
	return p
}

// group is the kind of package: ours, the standard library or another module.
func group(p string) string {
	switch {
	case strings.HasPrefix(p, self) || p == "main":
		return "goconvex"
	case strings.Contains(strings.SplitN(p, "/", 2)[0], "."):
		return "other modules"
	}
	return "standard library"
}

func (t *table) render(top int) string {
	// The code section's gzip size is shared by the packages in proportion
	// to their bodies' own gzip sizes; data at the data section's ratio.
	var sumGz int
	for _, r := range t.rows {
		sumGz += r.codeGz
	}
	dataRatio := float64(t.dataGzip) / float64(t.dataRaw)
	for _, r := range t.rows {
		r.gzCode = float64(r.codeGz) / float64(sumGz) * float64(t.codeGzip)
		r.gzData = float64(r.data+r.names) * dataRatio
	}
	slices.SortFunc(t.rows, func(a, b *pkgRow) int {
		if a.gz() != b.gz() {
			if a.gz() > b.gz() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.pkg, b.pkg)
	})
	pct := func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x/float64(t.shippedGzip)) }

	var b strings.Builder
	b.WriteString("# What goconvex.wasm links\n\n")
	b.WriteString("Written by `make wasm-size-table` (wasm/internal/sizetable); do not edit above the marker line. ")
	fmt.Fprintf(&b, "At commit %s with %s. The shipped binary (`make wasm`, flags `%s`): %s B raw, **%s B gzip -9** "+
		"(code section %s B raw / %s B gzip, data section %s B / %s B; the gzip sizes of the sections on their own).\n\n",
		t.commit, t.goVersion, t.flags, commas(t.shippedRaw), commas(t.shippedGzip), commas(t.codeRaw), commas(t.codeGzip), commas(t.dataRaw), commas(t.dataGzip))
	b.WriteString("How it is counted: the binary is built again with the same flags but with its name section and " +
		"`-ldflags=-dumpdep`. **code** is the size of the package's function bodies (named by the name section); " +
		"**gzip (code)** shares the code section's gzip size among packages in proportion to each package's bodies " +
		"compressed on their own. **data** is the package's data symbols the linker kept (sizes from the package " +
		"archives, `go tool nm -size`; string literals, stack maps and composite type descriptors counted for the " +
		"package that first needed them) plus its functions' names in the pclntab; **gzip (data)** is that at the " +
		"data section's gzip ratio, an estimate. **why** is the linker's first reason for the package: the " +
		"dependency edge that first reached one of its symbols, and the packages on the way there from the entry " +
		"point (`_rt0_wasm_js` for the runtime, `main.main`, package inits).\n\n")

	// Groups first.
	type sum struct {
		n              int
		code, data     int
		gzCode, gzData float64
	}
	groups := map[string]*sum{}
	for _, r := range t.rows {
		k := group(r.pkg)
		if groups[k] == nil {
			groups[k] = &sum{}
		}
		s := groups[k]
		s.n++
		s.code += r.code
		s.data += r.data + r.names
		s.gzCode += r.gzCode
		s.gzData += r.gzData
	}
	b.WriteString("| group | packages | code | data | gzip (code + data) | share of the gzip size |\n|---|---|---|---|---|---|\n")
	for _, k := range []string{"standard library", "goconvex", "other modules"} {
		s := groups[k]
		if s == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s B | %s B | %s B | %s |\n", k, s.n, commas(s.code), commas(s.data),
			commas(int(s.gzCode+s.gzData)), pct(s.gzCode+s.gzData))
	}
	rest := t.image - t.sumData()
	fmt.Fprintf(&b, "| linker tables (the pclntab but function names, type and itab links, module data, alignment) and unattributed data | — | — | %s B | %s B | %s |\n",
		commas(rest), commas(int(float64(rest)*dataRatio)), pct(float64(rest)*dataRatio))

	fmt.Fprintf(&b, "\n%d functions, %s B of code, in %d packages. By package, largest gzip share first:\n\n", t.funcs, commas(t.code), len(t.rows))
	b.WriteString("| package | funcs | code | gzip (code) | data | gzip (data, est.) | share | why it is linked |\n|---|---|---|---|---|---|---|---|\n")
	var other pkgRow
	n := 0
	for _, r := range t.rows {
		if n >= top {
			other.funcs += r.funcs
			other.code += r.code
			other.data += r.data + r.names
			other.gzCode += r.gzCode
			other.gzData += r.gzData
			other.pkg = fmt.Sprintf("%d more packages", n-top+1)
			n++
			continue
		}
		n++
		why := r.why()
		if by := t.importedBy[r.pkg]; len(by) > 0 && r.pkg != "runtime" {
			sh := make([]string, len(by))
			for i, p := range by {
				sh[i] = short(p)
			}
			slices.Sort(sh)
			if len(sh) > 8 {
				sh = append(sh[:8:8], fmt.Sprintf("%d more", len(by)-8))
			}
			why += "; imported by " + strings.Join(sh, ", ")
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", short(r.pkg), r.funcs, commas(r.code), commas(int(r.gzCode)),
			commas(r.data+r.names), commas(int(r.gzData)), pct(r.gz()), why)
	}
	if other.pkg != "" {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | — |\n", other.pkg, other.funcs, commas(other.code), commas(int(other.gzCode)),
			commas(other.data), commas(int(other.gzData)), pct(other.gz()))
	}
	slices.SortFunc(t.largest, func(a, b fnSize) int { return b.size - a.size })
	b.WriteString("\nThe largest functions (body bytes; names as the name section writes them):\n\n| function | package | code |\n|---|---|---|\n")
	for _, f := range t.largest[:min(25, len(t.largest))] {
		fmt.Fprintf(&b, "| `%s` | %s | %s B |\n", esc(f.name), short(f.pkg), commas(f.size))
	}
	if len(t.tables) > 0 {
		b.WriteString("\nThe tables the linker writes into the data image, read through `runtime.firstmoduledata` " +
			"(exact sizes; gzip -9 of each table on its own, its share an estimate):\n\n" +
			"| table | what | raw | gzip | share |\n|---|---|---|---|---|\n")
		for _, l := range t.tables {
			fmt.Fprintf(&b, "| %s | %s | %s B | %s B | %s |\n", l.name, l.what, commas(l.raw), commas(l.gzip), pct(float64(l.gzip)))
		}
	}
	return b.String()
}

// sumData is the data attributed to packages.
func (t *table) sumData() int {
	s := 0
	for _, r := range t.rows {
		s += r.data + r.names
	}
	return s
}

func (r *pkgRow) why() string {
	if r.first == "" {
		return "—"
	}
	var via string
	switch {
	case r.entry == "_":
		via = fmt.Sprintf("a linker root (`%s`)", esc(r.first))
	default:
		via = fmt.Sprintf("`%s` → `%s`", esc(r.entry), esc(r.first))
	}
	ch := make([]string, len(r.chain))
	for i, p := range r.chain {
		ch[i] = short(p)
	}
	if len(ch) > 7 {
		ch = append(append(ch[:3:3], "…"), ch[len(ch)-3:]...)
	}
	if len(ch) > 1 {
		return via + "; " + strings.Join(ch, " → ")
	}
	return via
}

// esc keeps a symbol name from breaking the table.
func esc(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > 90 {
		s = s[:87] + "…"
	}
	return s
}
