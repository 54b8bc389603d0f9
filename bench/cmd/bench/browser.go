package main

import (
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/goconvex/convex/bench/internal/benchsrv"
	"github.com/goconvex/convex/bench/internal/latproxy"
)

// b5Condition is one network between the page and the deployment.
type b5Condition struct {
	Name       string `json:"name"`
	RTT        int    `json:"rtt"` // ms; 0 is plain loopback
	Deployment string `json:"deployment"`
}

// b5Load is one page load as bench/js/browser.mjs reports it.
type b5Load struct {
	Cond, Side, Temp string
	First, Ready     float64
	Render           *float64
	RenderGo         *float64 // message → batch handed to JS (Go pages)
	Marks            map[string]float64
}

// b5Trace is what V8's trace events tell about one load's wasm.
type b5Trace struct {
	LazyCompileMs float64  `json:"lazyCompileMs"`
	TopTierMs     float64  `json:"topTierMs"`
	Serialized    []string `json:"serialized"`
	Deserialized  []string `json:"deserialized"`
}

// b5Targets are issue 20's: the first result against the official client's,
// per network and cache state.
var b5Targets = map[string]float64{
	"loopback cold": 2.0,
	"50 ms cold":    1.2,
	"50 ms warm":    1.0,
	"150 ms cold":   1.1,
}

// browserTimings measures page load, first result and render latency in
// Chromium, on loopback and through the delaying proxies.
func (d *driver) browserTimings(rw *row, wasm string) error {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	notMeasured := func(reason string) error {
		rw.metrics = append(rw.metrics, &metric{name: "page load → first result, render latency (Chromium)",
			goText: "not measured yet: " + reason, jsText: "—", kind: noRatio, target: "first result ≤ 2.0× JS"})
		return nil
	}
	if _, err := os.Stat(chromium); err != nil {
		return notMeasured(chromium + " is missing (make ensure-chromium installs it)")
	}
	if _, err := os.Stat(filepath.Join(d.root, "node_modules", "playwright-core", "package.json")); err != nil {
		return notMeasured("playwright-core is not installed")
	}
	web := filepath.Join(d.tmp, "web")
	if err := os.MkdirAll(web, 0o755); err != nil {
		return err
	}
	ln, err := listenLoopback()
	if err != nil {
		return err
	}
	// As a static host serves an app: the page revalidated on every load,
	// the script and the wasm cached (a real app names them by content hash).
	files := http.FileServer(http.Dir(web))
	static := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".html") {
			w.Header().Set("Cache-Control", "no-cache")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		files.ServeHTTP(w, r)
	})}
	go func() { _ = static.Serve(ln) }()
	defer static.Close()

	dep, err := url.Parse(d.srv.URL())
	if err != nil {
		return err
	}
	conds := []b5Condition{{Name: "loopback", Deployment: d.srv.URL()}}
	for _, rtt := range d.rtts {
		p, err := latproxy.New(dep.Host, time.Duration(rtt)*time.Millisecond)
		if err != nil {
			return err
		}
		defer p.Close()
		conds = append(conds, b5Condition{Name: fmt.Sprintf("%d ms", rtt), RTT: rtt, Deployment: dep.Scheme + "://" + p.Addr()})
	}

	floor := filepath.Join(d.tmp, "floor.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", floor, "./bench/cmd/wasmfloor")
	build.Dir, build.Stdout, build.Stderr = d.root, os.Stderr, os.Stderr
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if err := build.Run(); err != nil {
		return fmt.Errorf("building bench/cmd/wasmfloor: %w", err)
	}

	const rounds = 8
	loads := d.b5Loads
	var res struct {
		Chromium string
		Loads    []b5Load
		Probe    struct{ Cold, Warm *b5Trace }
	}
	// One process for the whole row, which launches Chromium some hundred
	// times: allow it an hour (d.once allows five minutes).
	p, err := d.start(jsSide, "browser", map[string]any{
		"root": d.root, "web": web, "base": "http://" + ln.Addr().String(), "deployment": d.srv.URL(),
		"conditions": conds, "wasm": wasm, "floorWasm": floor, "loads": loads, "rounds": rounds,
		"warmWait": d.warmWait.Milliseconds(),
	})
	if err != nil {
		return err
	}
	if err := p.next(&res, time.Hour); err != nil {
		return err
	}
	if err := p.wait(); err != nil {
		return err
	}

	// sel returns the values of f over the loads of one page, network and cache state.
	sel := func(side, cond, temp string, f func(b5Load) (float64, bool)) []float64 {
		var out []float64
		for _, l := range res.Loads {
			if l.Side == side && l.Cond == cond && l.Temp == temp {
				if v, ok := f(l); ok {
					out = append(out, v)
				}
			}
		}
		return out
	}
	first := func(l b5Load) (float64, bool) { return l.First, true }
	fromScript := func(l b5Load) (float64, bool) { return l.First - l.Marks["scriptStart"], true }
	mark := func(key string) func(b5Load) (float64, bool) {
		return func(l b5Load) (float64, bool) { x, ok := l.Marks[key]; return x, ok }
	}
	span := func(a, b string) func(b5Load) (float64, bool) {
		return func(l b5Load) (float64, bool) {
			x, okA := l.Marks[a]
			y, okB := l.Marks[b]
			return y - x, okA && okB
		}
	}
	ratioTarget := func(name string) (string, func(g, j float64) bool) {
		t, ok := b5Targets[name]
		if !ok {
			return "—", nil
		}
		return fmt.Sprintf("≤ %.1f× JS", t), func(g, j float64) bool { return g <= t*j }
	}
	firstMetric := func(cond b5Condition, temp string) *metric {
		label := "page load → first result"
		if cond.RTT > 0 {
			label = fmt.Sprintf("%d ms RTT: page load → first result", cond.RTT)
		} else {
			label = "loopback: page load → first result"
		}
		target, met := ratioTarget(cond.Name + " " + temp)
		return &metric{name: label + ", " + temp, unit: "ms", div: 1, goV: sel("go", cond.Name, temp, first), jsV: sel("js", cond.Name, temp, first),
			kind: lowerIsBetter, target: target, met: met}
	}
	lo := conds[0]
	rw.metrics = append(rw.metrics,
		firstMetric(lo, "cold"),
		&metric{name: "… loopback cold, of which script start → first result", unit: "ms", div: 1,
			goV: sel("go", lo.Name, "cold", fromScript), jsV: sel("js", lo.Name, "cold", fromScript), kind: lowerIsBetter, target: "—"},
		&metric{name: "… loopback cold, of which script start → wasm client ready (fetch, compile, Go start)", unit: "ms", div: 1,
			goV: sel("go", lo.Name, "cold", func(l b5Load) (float64, bool) { return l.Ready - l.Marks["scriptStart"], l.Ready > 0 }), jsText: "—", kind: noRatio, target: "—"},
		firstMetric(lo, "warm"),
		&metric{name: fmt.Sprintf("reference: the smallest Go wasm (%s B), page load → Go running, cold", commas(float64(fileSize(floor)))), unit: "ms", div: 1,
			goV: sel("floor", lo.Name, "cold", first), jsText: "—", kind: noRatio, target: "—"},
		&metric{name: "reference: … warm", unit: "ms", div: 1, goV: sel("floor", lo.Name, "warm", first), jsText: "—", kind: noRatio, target: "—"},
		&metric{name: "render latency: WebSocket message → value in the DOM", unit: "ms", div: 1,
			goV:  sel("go", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.Render) }),
			jsV:  sel("js", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.Render) }),
			kind: lowerIsBetter, target: "≤ 1.2× JS", met: func(g, j float64) bool { return g <= 1.2*j }},
		&metric{name: "… render latency, Go with a head start that also compiles (`compile: true`)", unit: "ms", div: 1,
			goV:  sel("gocompile", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.Render) }),
			jsV:  sel("js", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.Render) }),
			kind: lowerIsBetter, target: "—"},
		&metric{name: "… render latency, Go without the head start (loader only)", unit: "ms", div: 1,
			goV:  sel("goloader", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.Render) }),
			jsV:  sel("js", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.Render) }),
			kind: lowerIsBetter, target: "—"},
		&metric{name: "… of which WebSocket message → results handed to JS (Go: transport, sync core, delivery; the rest is JSON.parse, jsonToConvex and the DOM)", unit: "ms", div: 1,
			goV:    sel("go", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.RenderGo) }),
			jsText: "—", kind: noRatio, target: "—"},
	)
	for _, c := range conds[1:] {
		rw.metrics = append(rw.metrics, firstMetric(c, "cold"), firstMetric(c, "warm"))
	}
	// The same Go client without the head start (the loader fetches the
	// wasm and opens the socket once the page's script runs), and without
	// any early socket (the Go client opens it once it runs): the
	// before/after of each overlap.
	for _, v := range []struct{ side, label string }{
		{"gocompile", "Go with a head start that also compiles (`compile: true`)"},
		{"goloader", "Go without the head start (loader only)"},
		{"golate", "Go without head start or early socket (`preconnect: false`)"},
	} {
		for _, c := range conds {
			for _, temp := range []string{"cold", "warm"} {
				rw.metrics = append(rw.metrics, &metric{
					name: fmt.Sprintf("… %s %s, %s", c.Name, temp, v.label), unit: "ms", div: 1,
					goV: sel(v.side, c.Name, temp, first), jsV: sel("js", c.Name, temp, first), kind: lowerIsBetter, target: "—"})
			}
		}
	}
	// What lazy compilation costs: the same page in a Chromium told to
	// compile the whole module before running it. Not what users get.
	for _, temp := range []string{"cold", "warm"} {
		rw.metrics = append(rw.metrics, &metric{
			name: fmt.Sprintf("what-if: loopback %s, Go with the module compiled before it runs (`--js-flags=--no-wasm-lazy-compilation`)", temp), unit: "ms", div: 1,
			goV: sel("goeager", lo.Name, temp, first), jsV: sel("js", lo.Name, temp, first), kind: lowerIsBetter, target: "—"})
	}

	rw.timed += fmt.Sprintf("\n\nIn the browser (%s, headless, driven by playwright-core): pages built by bench/js/browser.mjs "+
		"(esbuild, minified), one with `ConvexWasmClient` (the Go client in wasm, goconvex.wasm fetched beside the page) "+
		"and one with the official `ConvexClient`, served uncompressed over loopback by the driver. The Go page is "+
		"the shipped configuration: its HTML carries the head start that `@goconvex/react/vite` writes into an app's "+
		"index.html (js/src/head.ts), which starts downloading goconvex.wasm and opens the deployment's socket from "+
		"the `<head>`, while the page's script is still being fetched; the loader takes both over and compiles the "+
		"download as it streams. Three more Go pages show each overlap's worth: **Go compile**, a head start that also "+
		"compiles the wasm (`compile: true`), **Go loader only**, the same client without the head start (the loader fetches "+
		"the wasm and opens the socket once the page's script runs), and **Go late**, `preconnect: false` as well "+
		"(the Go client opens its socket once it runs). A what-if, on loopback only: the Go page in a Chromium "+
		"started with `--js-flags=--no-wasm-lazy-compilation` (**Go eager**), which compiles the whole module before "+
		"it runs instead of each function on the main thread at its first call. "+
		"The HTML is served with "+
		"`Cache-Control: no-cache`, the script and the wasm with `max-age=3600`, as a host serves content-hashed assets. "+
		"Each page subscribes with `onUpdate(\"%s\", {i: 0})` and writes the value into the DOM (then reads offsetHeight "+
		"to force layout). **page load → first result** is `performance.now()` (from navigation start) when the first "+
		"value is in the DOM, which for Go includes fetching, compiling and starting the %s-byte wasm binary.\n\n"+
		"Networks: **loopback**, and the deployment behind a delaying TCP proxy on loopback (bench/internal/latproxy) "+
		"at **%s RTT**: every byte is held RTT/2 in each direction, and a new connection forwards nothing from the "+
		"browser before one RTT (the TCP handshake) has passed; TLS is not emulated (a wss:// deployment costs both "+
		"clients one RTT more), nor is bandwidth limited. Only the deployment is behind the proxy: the page, its script "+
		"and the wasm come from loopback, which is kind to the Go client (on a real network the 1 MB of gzip wasm also "+
		"has to arrive).\n\n"+
		"Cache states: each pair of loads launches Chromium on a fresh profile directory; **cold** is its first load "+
		"(empty HTTP cache and compiled-code cache), then the page is closed, the browser left alone for %s, "+
		"and **warm** is the same page loaded again in a new tab of the same profile. "+
		"An empty page is loaded first in each browser, so its start-up is not the page's. On the loopback cold load "+
		"the bench then bumps the data %d times through the HTTP API (`%s`) and the page records the WebSocket "+
		"`message` event (a listener added to every WebSocket before the client's handler) and the moment the new "+
		"value is in the DOM: **render latency** is the difference (median per load). A fourth page is a reference for "+
		"what any Go wasm costs before client code runs: bench/cmd/wasmfloor (a main that only calls back into the "+
		"page), compiled from its head and started the same way (the same head start naming floor.wasm, Go's wasm_exec.js).\n\n"+
		"One untimed pair first, then %d pairs per page and network, the networks and the pages alternating in order; "+
		"medians over loads. Targets are issue 20's.",
		res.Chromium, benchsrv.FanoutQuery, commas(float64(fileSize(wasm))), rttList(d.rtts), d.warmWait, rounds,
		benchsrv.BumpMutation, loads)

	// Where the time goes.
	var b strings.Builder
	b.WriteString("Where the time goes before the first result: the median, over the loads, of each milestone " +
		"(ms since navigation start, `performance.now()` in the page; from bench/js/browser/instrument.mjs, which " +
		"wraps WebSocket, WebAssembly's instantiate calls and Go's `run`, and catches main installing " +
		"`globalThis.__goconvex`; Connect and ModifyQuerySet are the first of each the page sends (the first " +
		"ModifyQuerySet that adds the query: the Go client sends an empty one first), the Transition is the first " +
		"that carries a query result; the HTML, script and wasm transfers from Resource Timing). Medians of separate " +
		"milestones need not add up; the spans below them are medians of per-load differences.\n")
	for _, c := range conds {
		if c.RTT > 50 {
			continue // the brief breakdown: loopback and the first RTT
		}
		fmt.Fprintf(&b, "\n**%s** (Go: the shipped configuration, with the head start; Go compile: a head start that also compiles; Go loader: none; Go eager: the what-if without lazy compilation):\n\n", c.Name)
		b.WriteString("| milestone | Go cold | Go compile cold | Go loader cold | Go eager cold | JS cold | Go warm | Go compile warm | Go loader warm | JS warm |\n|---|---|---|---|---|---|---|---|---|---|\n")
		cols := [][2]string{{"go", "cold"}, {"gocompile", "cold"}, {"goloader", "cold"}, {"goeager", "cold"}, {"js", "cold"}, {"go", "warm"}, {"gocompile", "warm"}, {"goloader", "warm"}, {"js", "warm"}}
		// row writes one line of medians per column, unless no column has a value.
		row := func(label string, f func(b5Load) (float64, bool)) {
			var cells []string
			has := false
			for _, col := range cols {
				v := sel(col[0], c.Name, col[1], f)
				if len(v) == 0 {
					cells = append(cells, "—")
					continue
				}
				has = true
				cells = append(cells, fmtNum(median(v)))
			}
			if has {
				fmt.Fprintf(&b, "| %s | %s |\n", label, strings.Join(cells, " | "))
			}
		}
		for _, ms := range b5Milestones {
			row(ms.label, mark(ms.key))
		}
		for _, sp := range b5Spans {
			row("*span:* "+sp.label, span(sp.from, sp.to))
		}
	}
	// The critical path in words: what the Go page waits for while the
	// official client is already done.
	b.WriteString("\nReading the cold loads (medians):\n\n")
	medOf := func(side, cond, temp, key string) float64 {
		return median(sel(side, cond, temp, mark(key)))
	}
	for _, c := range conds {
		var before, n int
		for _, l := range res.Loads {
			if l.Side == "go" && l.Cond == c.Name {
				n++
				if o, ok := l.Marks["wsOpen"]; ok && o <= l.Marks["goMain"] {
					before++
				}
			}
		}
		fmt.Fprintf(&b, "- %s: the official client has its first result at %s ms. The Go page has its wasm compiled and "+
			"instantiated at %s ms (%s ms without the head start) and Go's main running at %s ms; it sends its ModifyQuerySet "+
			"at %s ms (%s ms without the head start, %s ms without any early socket) and has its first result at %s ms. "+
			"The early socket was open before Go's main ran in %d of %d Go loads.\n",
			c.Name, fmtNum(medOf("js", c.Name, "cold", "dom")), fmtNum(medOf("go", c.Name, "cold", "wasmCompiled")),
			fmtNum(medOf("goloader", c.Name, "cold", "wasmCompiled")),
			fmtNum(medOf("go", c.Name, "cold", "goMain")), fmtNum(medOf("go", c.Name, "cold", "querySetSent")),
			fmtNum(medOf("goloader", c.Name, "cold", "querySetSent")),
			fmtNum(medOf("golate", c.Name, "cold", "querySetSent")), fmtNum(medOf("go", c.Name, "cold", "dom")), before, n)
	}
	if f := sel("floor", conds[0].Name, "cold", first); len(f) > 0 {
		fmt.Fprintf(&b, "- the smallest Go wasm runs its main at %s ms after navigation start (cold, loopback): what any Go "+
			"program pays before its first line, against the official client's whole first result at %s ms.\n",
			fmtNum(median(f)), fmtNum(medOf("js", conds[0].Name, "cold", "dom")))
	}

	b.WriteString(b5Unmet(conds, sel, medOf))
	render := func(side string) []float64 {
		return sel(side, lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.Render) })
	}
	goShare := sel("go", lo.Name, "cold", func(l b5Load) (float64, bool) { return deref(l.RenderGo) })
	if g, j := render("go"), render("js"); len(g) > 0 && len(j) > 0 && len(goShare) > 0 && median(g) > 1.2*median(j) {
		fmt.Fprintf(&b, "- render latency: the target is %s ms (1.2× the official client's %s ms, its whole path from the "+
			"message to the DOM); the Go page took %s ms, of which %s ms from the message to the results handed to JS "+
			"(the Go side: the frame copied into Go, decoded, applied by the sync core and delivered in one call) and "+
			"the rest, about %s ms, in JS (JSON.parse, jsonToConvex, the page's DOM write and layout).\n",
			fmtNum(1.2*median(j)), fmtNum(median(j)), fmtNum(median(g)), fmtNum(median(goShare)), fmtNum(median(g)-median(goShare)))
	}
	if fz, err := gzipSize(floor); err == nil {
		wz, _ := gzipSize(wasm)
		fmt.Fprintf(&b, "- size (issue 20's target: 850,000 B): compressed with compress/gzip at level 9 (the table above "+
			"uses the gzip CLI), goconvex.wasm is %s B and the smallest Go wasm (bench/cmd/wasmfloor: the Go runtime, "+
			"syscall/js and a main that calls back into the page; built `-trimpath -ldflags='-s -w'`, not packed) is %s B: "+
			"that leaves %s B for everything the client adds, which now takes %s B. docs/wasm-size.md "+
			"(`make wasm-size-table`) attributes the binary package by package.\n",
			commas(wz), commas(fz), commas(850_000-fz), commas(wz-fz))
	}

	// Did the warm loads use the caches?
	var warmCached, warm int
	for _, l := range res.Loads {
		if l.Side == "go" && l.Temp == "warm" {
			warm++
			if t, ok := l.Marks["wasmTransfer"]; ok && t == 0 {
				warmCached++
			}
		}
	}
	fmt.Fprintf(&b, "\nThe wasm came from the HTTP cache (transferSize 0) in %d of the %d warm Go loads.", warmCached, warm)
	if c, w := res.Probe.Cold, res.Probe.Warm; c != nil && w != nil {
		names := func(xs []string) string {
			if len(xs) == 0 {
				return "none"
			}
			return "`" + strings.Join(xs, "`, `") + "`"
		}
		fmt.Fprintf(&b, " Chromium's code cache: a last, untimed pair of Go loads traced V8's wasm events "+
			"(categories `v8.wasm` and `disabled-by-default-v8.wasm.detailed`). Cold load: %.0f ms of lazy "+
			"compilation (`wasm.CompileLazy`, on the main thread), %.0f ms of top-tier compilation, serialization "+
			"events: %s. Warm load: %.0f ms of lazy compilation, deserialization events: %s",
			c.LazyCompileMs, c.TopTierMs, names(c.Serialized), w.LazyCompileMs, names(w.Deserialized))
		if len(w.Deserialized) == 0 {
			b.WriteString(": the warm load compiled the module again; only its download was saved.")
		} else {
			b.WriteString(": the warm load took the compiled module from the code cache.")
		}
	}
	b.WriteString("\n")
	rw.notes = append(rw.notes, b.String())
	return nil
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

func rttList(rtts []int) string {
	s := make([]string, len(rtts))
	for i, r := range rtts {
		s[i] = fmt.Sprintf("%d ms", r)
	}
	return strings.Join(s, " and ")
}

var b5Milestones = []struct{ key, label string }{
	{"htmlEnd", "HTML received"},
	{"jsEnd", "script received"},
	{"scriptStart", "script running"},
	{"wasmFetchStart", "wasm fetch started"},
	{"wasmCompileStart", "streaming compile started"},
	{"wasmEnd", "wasm received"},
	{"wasmCompiled", "wasm compiled (Go loader: and instantiated)"},
	{"goRun", "Go runtime started (`go.run`)"},
	{"goMain", "Go main running (API installed)"},
	{"ready", "client created (`ready`)"},
	{"wsNew", "WebSocket created"},
	{"wsOpen", "WebSocket open"},
	{"connectSent", "Connect sent"},
	{"querySetSent", "ModifyQuerySet sent"},
	{"transition", "first Transition received"},
	{"dom", "value in the DOM"},
}

var b5Spans = []struct{ from, to, label string }{
	{"wasmFetchStart", "wasmCompiled", "wasm fetch + compile"},
	{"goRun", "goMain", "Go runtime start → main"},
	{"goMain", "wsNew", "main → WebSocket created"},
	{"goMain", "querySetSent", "main → ModifyQuerySet sent"},
	{"scriptStart", "wsNew", "script running → WebSocket created"},
	{"wsNew", "wsOpen", "WebSocket created → open"},
	{"wsOpen", "querySetSent", "open → ModifyQuerySet sent"},
	{"querySetSent", "transition", "ModifyQuerySet sent → Transition"},
	{"transition", "dom", "Transition → DOM"},
}

// b5Unmet explains, from the loads' own milestones, each first-result
// target the Go page missed: what the official client had done by then,
// where the Go page's time went, and what the reference pages show of the
// part no client code can change.
func b5Unmet(conds []b5Condition, sel func(side, cond, temp string, f func(b5Load) (float64, bool)) []float64,
	medOf func(side, cond, temp, key string) float64) string {
	first := func(l b5Load) (float64, bool) { return l.First, true }
	var b strings.Builder
	for _, c := range conds {
		for _, temp := range []string{"cold", "warm"} {
			t, ok := b5Targets[c.Name+" "+temp]
			g, j := sel("go", c.Name, temp, first), sel("js", c.Name, temp, first)
			if !ok || len(g) == 0 || len(j) == 0 || median(g) <= t*median(j) {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("\nTargets not met, and where the Go page's time went (medians):\n\n")
			}
			jsDom, goDom := median(j), median(g)
			fmt.Fprintf(&b, "- %s %s: the target is %s ms (%.1f× the official client's %s ms); the Go page took %s ms. "+
				"Its wasm was compiled at %s ms, Go's main ran at %s ms, the client was ready at %s ms and sent its "+
				"ModifyQuerySet at %s ms; the socket had been open since %s ms. The official client had its socket open at "+
				"%s ms and its result %s ms later.",
				c.Name, temp, fmtNum(t*jsDom), t, fmtNum(jsDom), fmtNum(goDom),
				fmtNum(medOf("go", c.Name, temp, "wasmCompiled")), fmtNum(medOf("go", c.Name, temp, "goMain")),
				fmtNum(medOf("go", c.Name, temp, "ready")), fmtNum(medOf("go", c.Name, temp, "querySetSent")),
				fmtNum(medOf("go", c.Name, temp, "wsOpen")), fmtNum(medOf("js", c.Name, temp, "wsOpen")),
				fmtNum(jsDom-medOf("js", c.Name, temp, "wsOpen")))
			if f := sel("floor", c.Name, temp, first); len(f) > 0 {
				fmt.Fprintf(&b, " The smallest Go wasm, compiled from its head the same way, runs its main at %s ms (%.2f× the "+
					"official client's whole first result): the Go runtime's start alone", fmtNum(median(f)), median(f)/jsDom)
				if median(f) > t*jsDom {
					b.WriteString(" is over the target on this machine.")
				} else {
					fmt.Fprintf(&b, " leaves %s ms for the client.", fmtNum(t*jsDom-median(f)))
				}
			}
			if e := sel("goeager", c.Name, temp, first); len(e) > 0 {
				fmt.Fprintf(&b, " With the module compiled before it runs (the what-if Chromium) the first result comes at %s ms", fmtNum(median(e)))
				if d := goDom - median(e); d > 0 {
					fmt.Fprintf(&b, ": lazy compilation on the main thread accounts for about %s ms.", fmtNum(d))
				} else {
					b.WriteString(", no sooner: compiling everything first costs what lazy compilation saves, within these loads' spread.")
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// gzipSize is the size of the file compressed with compress/gzip at its
// best compression (gzip -9's level).
func gzipSize(path string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var n countWriter
	zw, err := gzip.NewWriterLevel(&n, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(data); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return float64(n), nil
}

// countWriter counts the bytes written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
