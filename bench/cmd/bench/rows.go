package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/goconvex/convex/bench/internal/benchsrv"
	"github.com/goconvex/convex/bench/internal/mono"
	"github.com/goconvex/convex/internal/fixture"
)

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// row is one benchmark of the results table, with what it times.
type row struct {
	id, title string
	metrics   []*metric
	timed     string   // what is timed, for the results file
	notes     []string // findings worth reading next to the numbers
}

type ratioKind int

const (
	lowerIsBetter  ratioKind = iota // a time: the ratio is JS/Go ("× faster")
	higherIsBetter                  // a rate: the ratio is Go/JS
	fractionOfJS                    // a size: the ratio is Go/JS ("× JS")
	noRatio
)

// metric is one line of the table: the per-process values of each side.
type metric struct {
	name     string
	unit     string
	div      float64 // raw value / div = value in unit
	goV, jsV []float64
	goText   string // instead of numbers (e.g. "not measured yet")
	jsText   string
	kind     ratioKind
	target   string
	met      func(g, j float64) bool // nil when there is no target to check
}

func (d *driver) addRow(r *row) *row { d.rows = append(d.rows, r); return r }

func (m *metric) goMed() float64 { return median(m.goV) }
func (m *metric) jsMed() float64 { return median(m.jsV) }

// ---- B1 ----------------------------------------------------------------------

func (d *driver) rowCodec() error {
	file, err := d.fixtureFile()
	if err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	const warm, iters = 10, 40
	ms := func(name string) *metric {
		return &metric{name: name, unit: "ms", div: 1e6, kind: lowerIsBetter, target: "≥ 1.5× faster", met: func(g, j float64) bool { return j/g >= 1.5 }}
	}
	decAny, decTyped := ms("decode → generic values"), ms("decode → typed structs (JS: same jsonToConvex)")
	encAny, encTyped := ms("encode generic values"), ms("encode typed structs (JS: same convexToJson)")
	params := map[string]any{"fixture": file, "warmup": warm, "iters": iters}
	for r := range d.repeats {
		for _, s := range order(r) {
			var res struct {
				DecodeAny   float64 `json:"decode_any_ns"`
				DecodeTyped float64 `json:"decode_typed_ns"`
				EncodeAny   float64 `json:"encode_any_ns"`
				EncodeTyped float64 `json:"encode_typed_ns"`
				Decode      float64 `json:"decode_ns"` // JS
				Encode      float64 `json:"encode_ns"` // JS
			}
			if err := d.once(s, "codec", params, &res); err != nil {
				return err
			}
			if s == goSide {
				decAny.goV = append(decAny.goV, res.DecodeAny)
				decTyped.goV = append(decTyped.goV, res.DecodeTyped)
				encAny.goV = append(encAny.goV, res.EncodeAny)
				encTyped.goV = append(encTyped.goV, res.EncodeTyped)
			} else {
				decAny.jsV = append(decAny.jsV, res.Decode)
				decTyped.jsV = append(decTyped.jsV, res.Decode)
				encAny.jsV = append(encAny.jsV, res.Encode)
				encTyped.jsV = append(encTyped.jsV, res.Encode)
			}
		}
	}
	d.addRow(&row{
		id: "B1", title: "value codec",
		metrics: []*metric{decAny, decTyped, encAny, encTyped},
		timed: fmt.Sprintf("One pass over a %s-byte Convex-JSON query result of %d documents (strings with "+
			"non-ASCII and escapes, float64s, int64s, booleans, nulls, nested objects and arrays, bytes), generated "+
			"deterministically by bench/internal/fixture and read from the same file by both sides. Go: "+
			"`values.Unmarshal` into `any` and into `[]fixture.Doc`, `values.Marshal` of each result. JS: "+
			"`jsonToConvex(JSON.parse(s))` and `JSON.stringify(convexToJson(v))` (there is no typed decoding in JS, "+
			"so the typed rows compare against the same calls). Both sides first check that re-encoding gives the "+
			"fixture back byte for byte. Each process runs %d untimed then %d timed passes of each operation and "+
			"reports the median pass; the table gives the median over %d processes per side.",
			commas(float64(st.Size())), fixture.N, warm, iters, d.repeats),
	})
	return nil
}

// ---- B2 ----------------------------------------------------------------------

func (d *driver) rowFanout() error {
	const n, warm, timed = 1000, 3, 12
	send := &metric{name: "server send → last callback", unit: "ms", div: 1e6, kind: lowerIsBetter, target: "≥ 2× faster", met: func(g, j float64) bool { return j/g >= 2 }}
	first := &metric{name: "first byte in client → last callback", unit: "ms", div: 1e6, kind: lowerIsBetter, target: "—"}
	msg := &metric{name: "JS only: ws message event → last callback", unit: "ms", div: 1e6, kind: noRatio, target: "—", goText: "—"}
	var size int
	var reconnects []string
	for r := range d.repeats {
		for _, s := range order(r) {
			p, err := d.start(s, "fanout", map[string]any{"url": d.srv.URL(), "n": n, "rounds": warm + timed})
			if err != nil {
				return err
			}
			var ready struct{ Event string }
			if err := p.next(&ready, 3*time.Minute); err != nil {
				return err
			}
			if ready.Event != "ready" {
				return fmt.Errorf("%s: expected ready, got %q", p.name, ready.Event)
			}
			var sends, firsts, msgs []float64
			for k := range warm + timed {
				time.Sleep(100 * time.Millisecond)
				d.drainSends()
				gen, err := d.srv.Bump()
				if err != nil {
					return err
				}
				var res struct {
					Event      string
					Gen        int
					TLast      int64 `json:"t_last"`
					TFirstByte int64 `json:"t_first_byte"`
					TMsg       int64 `json:"t_msg"`
				}
				if err := p.next(&res, time.Minute); err != nil {
					return err
				}
				if res.Event != "round" || res.Gen != gen {
					return fmt.Errorf("%s: round for generation %d, got %+v", p.name, gen, res)
				}
				var note sendNote
				select {
				case note = <-d.sends:
				case <-time.After(5 * time.Second):
					return fmt.Errorf("%s: the server sent no Transition of the round", p.name)
				}
				if len(d.sends) > 0 {
					return fmt.Errorf("%s: the round went out in more than one large Transition", p.name)
				}
				size = note.size
				if k < warm {
					continue
				}
				sends = append(sends, float64(res.TLast-note.at))
				if res.TFirstByte > 0 {
					firsts = append(firsts, float64(res.TLast-res.TFirstByte))
				}
				if res.TMsg > 0 {
					msgs = append(msgs, float64(res.TLast-res.TMsg))
				}
			}
			var done struct {
				Event       string
				Connections int
			}
			if err := p.next(&done, time.Minute); err != nil {
				return err
			}
			if done.Connections != 1 {
				reconnects = append(reconnects, fmt.Sprintf("%s: %d connections", p.name, done.Connections))
			}
			if err := p.wait(); err != nil {
				return err
			}
			if s == goSide {
				send.goV = append(send.goV, median(sends))
				first.goV = append(first.goV, median(firsts))
			} else {
				send.jsV = append(send.jsV, median(sends))
				first.jsV = append(first.jsV, median(firsts))
				msg.jsV = append(msg.jsV, median(msgs))
			}
		}
	}
	rw := d.addRow(&row{
		id: "B2", title: "fan-out of one Transition",
		metrics: []*metric{send, first, msg},
		timed: fmt.Sprintf("%d subscriptions (Go `Client.OnUpdate`, JS `ConvexClient.onUpdate`) to `%s` with "+
			"distinct arguments; all of them read one counter document, so one server-side write changes every "+
			"result and the server sends one Transition carrying %d QueryUpdated of ~1 KB each (%s bytes in "+
			"total, one frame). The driver makes the write, and its frame observer takes CLOCK_MONOTONIC just "+
			"before the server writes that frame to the socket. Each subscriber's callback checks the value's "+
			"generation (the Go callback first decodes its `Result` into `any`, the form the JS callback is "+
			"handed after `jsonToConvex`); the callback that completes the %d-th subscriber of the generation "+
			"takes CLOCK_MONOTONIC. **Headline: server send → last callback**, which includes the loopback "+
			"transfer and the client reading the 1 MB frame. Also shown: the first socket read of the frame in "+
			"the client process (Go: a `net.Conn` wrapper on the dialer of `http.DefaultClient`, which the "+
			"client's coder/websocket dial uses; JS: a `data` listener prepended on the `ws` socket) → last "+
			"callback, and for JS the `ws` `message` event (a listener prepended before the client's `onmessage`) "+
			"→ last callback. Per process %d untimed then %d timed rounds 100 ms apart, median round; the "+
			"table gives the median over %d processes per side.",
			n, benchsrv.FanoutQuery, n, commas(float64(size)), n, warm, timed, d.repeats),
	})
	for _, s := range reconnects {
		rw.notes = append(rw.notes, "Reconnected during the row: "+s)
	}
	return nil
}

// ---- B3 ----------------------------------------------------------------------

func (d *driver) rowMutations() error {
	const warm, seq, pipe = 200, 2000, 10000
	p50 := &metric{name: "sequential mutation p50", unit: "µs", div: 1e3, kind: lowerIsBetter}
	p99 := &metric{name: "sequential mutation p99", unit: "µs", div: 1e3, kind: lowerIsBetter, target: "—"}
	server := &metric{name: "… of which in the server (Mutation frame read → its Transition written), p50", unit: "µs", div: 1e3, kind: noRatio, target: "—"}
	small := &metric{name: fmt.Sprintf("%d pipelined mutations (within the server's queue limit)", smallPipe), unit: "/s", div: 1, kind: higherIsBetter, target: "—"}
	tput := &metric{name: fmt.Sprintf("%d pipelined mutations", pipe), unit: "/s", div: 1, kind: higherIsBetter, target: "≥ 10× JS", met: func(g, j float64) bool { return g/j >= 10 }}
	echoP50 := &metric{name: "echo floor: round trip p50 (Go coder/websocket vs node ws client)", unit: "µs", div: 1e3, kind: lowerIsBetter, target: "—"}
	echoTput := &metric{name: fmt.Sprintf("echo floor: %d pipelined messages", pipe), unit: "/s", div: 1, kind: higherIsBetter, target: "—"}
	overEcho := &metric{name: "mutation p50 ÷ echo p50 (each side over its own echo)", unit: "×", div: 1, kind: noRatio, target: "Go ≤ 1.5×", met: func(g, j float64) bool { return g <= 1.5 }}
	rawP50 := &metric{name: "mutation floor: the same Mutation frame over a raw WebSocket, no client library (Go worker), p50", unit: "µs", div: 1e3, kind: noRatio, jsText: "—", target: "—"}
	overRaw := &metric{name: "Go client p50 ÷ that floor", unit: "×", div: 1, kind: noRatio, jsText: "—", target: "—"}
	p50.target = "≤ JS and ≤ 1.5× Go echo p50"
	p50.met = func(g, j float64) bool { return g <= j && g <= 1.5*echoP50.goMed() }
	var notes []string
	for r := range d.repeats {
		for _, s := range order(r) {
			var res struct {
				P50         float64 `json:"p50_ns"`
				P99         float64 `json:"p99_ns"`
				SmallPerSec float64 `json:"small_per_sec"`
				PerSec      float64 `json:"per_sec"`
				Done        int     `json:"pipelined_done"`
				Elapsed     float64 `json:"pipelined_ns"`
				Connections int
				EchoP50     float64 `json:"echo_p50_ns"`
				EchoPerSec  float64 `json:"echo_per_sec"`
				RawP50      float64 `json:"raw_p50_ns"`
			}
			d.track.start(warm, warm+seq)
			err := d.once(s, "mutations", map[string]any{"url": d.srv.URL(), "echo": d.echoURL, "payload": EchoPayload, "warmup": warm, "seq": seq, "pipe": pipe}, &res)
			inServer := d.track.stop()
			if err != nil {
				return err
			}
			if res.Connections != 1 || res.Done != pipe {
				notes = append(notes, fmt.Sprintf("%s client, repeat %d: %d of %d pipelined mutations returned in %.1f s, over %d connections",
					s, r+1, res.Done, pipe, res.Elapsed/1e9, res.Connections))
			}
			if s == goSide {
				p50.goV, p99.goV, tput.goV, small.goV = append(p50.goV, res.P50), append(p99.goV, res.P99), append(tput.goV, res.PerSec), append(small.goV, res.SmallPerSec)
				echoP50.goV, echoTput.goV = append(echoP50.goV, res.EchoP50), append(echoTput.goV, res.EchoPerSec)
				overEcho.goV = append(overEcho.goV, res.P50/res.EchoP50)
				server.goV = append(server.goV, inServer)
				rawP50.goV, overRaw.goV = append(rawP50.goV, res.RawP50), append(overRaw.goV, res.P50/res.RawP50)
			} else {
				p50.jsV, p99.jsV, tput.jsV, small.jsV = append(p50.jsV, res.P50), append(p99.jsV, res.P99), append(tput.jsV, res.PerSec), append(small.jsV, res.SmallPerSec)
				echoP50.jsV, echoTput.jsV = append(echoP50.jsV, res.EchoP50), append(echoTput.jsV, res.EchoPerSec)
				overEcho.jsV = append(overEcho.jsV, res.P50/res.EchoP50)
				server.jsV = append(server.jsV, inServer)
			}
		}
	}
	rw := d.addRow(&row{
		id: "B3", title: "mutations",
		metrics: []*metric{p50, server, p99, overEcho, rawP50, overRaw, small, tput, echoP50, echoTput},
		timed: fmt.Sprintf("`%s` returns its argument and writes nothing; the server still answers each with "+
			"a MutationResponse and a Transition at its commit timestamp, and the call returns (Go `Client.Mutation`, "+
			"JS `ConvexClient.mutation`) once that Transition arrived, with the decoded result. Sequential: %d "+
			"untimed, then %d calls one after the other, each timed from the call to its return; p50 and p99 "+
			"(nearest rank). The server's share is read by the driver's frame observer on the same calls: from "+
			"the server reading the Mutation frame to it starting to write the Transition that confirms it. "+
			"Pipelined: first %d, then %d calls started at once (Go: one goroutine each; JS: `Promise.all`), "+
			"timed from the first call to the last return, with a %s deadline (then the rate is the calls "+
			"returned by the deadline). convextest, like the real server, queues at most %d mutations per "+
			"connection and closes a connection that sends more with 1013 TooManyConcurrentMutations. Echo "+
			"floor: a coder/websocket echo server in the driver process (the same loopback), and a plain "+
			"WebSocket client in the same process as the Convex client (Go: coder/websocket; JS: `ws`) sending "+
			"the %d-byte Mutation message a call sends and waiting for it to come back: %d round trips "+
			"interleaved with the sequential mutations in blocks of %d (so both see the same host conditions), "+
			"and %d pipelined messages at the end. The mutation p50 target compares the Go client with the Go "+
			"echo client. Mutation floor (Go worker only): a second session on a raw coder/websocket connection "+
			"that writes the Connect and Mutation frames by hand and waits for the MutationResponse and the "+
			"Transition at its timestamp, interleaved in the same blocks: the server's work and the loopback "+
			"without a client library. Median over %d processes per side.",
			benchsrv.EchoMutation, warm, seq, smallPipe, pipe, pipeDeadline, smallPipe, len(EchoPayload), seq, block, pipe, d.repeats),
	})
	if len(notes) > 0 {
		rw.notes = append(rw.notes, "Pipelined runs that reconnected or did not finish:\n\n- "+strings.Join(notes, "\n- "))
	}
	return nil
}

// ---- B4 ----------------------------------------------------------------------

func (d *driver) rowMemory() error {
	const n = 10000
	heap := &metric{name: "heap per subscription", unit: "B", div: 1, kind: fractionOfJS, target: "≤ 0.5× JS", met: func(g, j float64) bool { return g <= 0.5*j }}
	rss := &metric{name: "RSS per subscription", unit: "B", div: 1, kind: fractionOfJS, target: "—"}
	reps := max(3, d.repeats-2)
	for r := range reps {
		for _, s := range order(r) {
			var res struct {
				HeapPerSub float64 `json:"heap_per_sub"`
				RSSPerSub  float64 `json:"rss_per_sub"`
			}
			if err := d.once(s, "memory", map[string]any{"url": d.srv.URL(), "n": n}, &res, "--expose-gc"); err != nil {
				return err
			}
			if s == goSide {
				heap.goV, rss.goV = append(heap.goV, res.HeapPerSub), append(rss.goV, res.RSSPerSub)
			} else {
				heap.jsV, rss.jsV = append(heap.jsV, res.HeapPerSub), append(rss.jsV, res.RSSPerSub)
			}
		}
	}
	d.addRow(&row{
		id: "B4", title: fmt.Sprintf("memory at %d subscriptions", n),
		metrics: []*metric{heap, rss},
		timed: fmt.Sprintf("A connected client that has answered one query; then %d subscriptions (Go "+
			"`Client.OnUpdate`, JS `ConvexClient.onUpdate`) to `%s` with distinct arguments, each waited for "+
			"until its first result (a %d-byte object), the subscriptions kept alive. Before and after: Go "+
			"`runtime.GC` + `debug.FreeOSMemory`, then `runtime.MemStats.HeapAlloc` and VmRSS from "+
			"/proc/self/statm; node (`--expose-gc`) `global.gc()` twice, then `process.memoryUsage()` "+
			"`heapUsed` and `rss`. Per subscription = (after − before) / %d. Median over %d processes per side.",
			n, benchsrv.ItemQuery, itemSize(), n, reps),
	})
	return nil
}

func itemSize() int {
	b, _ := jsonSize(benchsrv.Item(1234))
	return b
}

// ---- B6 ----------------------------------------------------------------------

func (d *driver) rowColdStart() error {
	bin := filepath.Join(d.tmp, "coldstart")
	build := exec.Command("go", "build", "-o", bin, "./bench/cmd/coldstart")
	build.Dir, build.Stdout, build.Stderr = d.root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building bench/cmd/coldstart: %w", err)
	}
	st, err := os.Stat(bin)
	if err != nil {
		return err
	}
	// Both programs' files are read once untimed, so the page cache holds
	// them for every timed start.
	spawn := func(s side) (float64, error) {
		var cmd *exec.Cmd
		if s == goSide {
			cmd = exec.Command(bin, d.srv.URL())
		} else {
			cmd = exec.Command(d.node, filepath.Join(d.root, "bench", "js", "coldstart.mjs"), fmt.Sprintf(`{"url":%q}`, d.srv.URL()))
		}
		cmd.Dir = d.root
		if err := d.waitIdle(); err != nil {
			return 0, err
		}
		t0 := mono.Now()
		p, err := d.launch(string(s)+" coldstart", cmd)
		if err != nil {
			return 0, err
		}
		var res struct {
			TResult int64 `json:"t_result"`
		}
		if err := p.next(&res, time.Minute); err != nil {
			return 0, err
		}
		if err := p.wait(); err != nil {
			return 0, err
		}
		return float64(res.TResult - t0), nil
	}
	for _, s := range []side{goSide, jsSide} {
		if _, err := spawn(s); err != nil {
			return err
		}
	}
	const spawns = 15
	m := &metric{name: "process start → first query result", unit: "ms", div: 1e6, kind: lowerIsBetter, target: "— (none set)"}
	var goAll, jsAll []float64
	for r := range spawns {
		for _, s := range order(r) {
			v, err := spawn(s)
			if err != nil {
				return err
			}
			if s == goSide {
				goAll = append(goAll, v)
			} else {
				jsAll = append(jsAll, v)
			}
		}
	}
	m.goV, m.jsV = goAll, jsAll
	d.addRow(&row{
		id: "B6", title: "cold start",
		metrics: []*metric{m},
		timed: fmt.Sprintf("The driver takes CLOCK_MONOTONIC, then spawns the program; the program makes a client, "+
			"runs one query (`%s`) against the running deployment and takes CLOCK_MONOTONIC at its result. Go: "+
			"bench/cmd/coldstart built with plain `go build` (%s bytes); JS: `node bench/js/coldstart.mjs` "+
			"(imports `convex/browser` and `ws`). Each program ran once untimed (warm page cache), then %d spawns "+
			"each, alternating; the table gives the median spawn.",
			benchsrv.ItemQuery, commas(float64(st.Size())), spawns),
	})
	return nil
}

// ---- B5 ----------------------------------------------------------------------

func (d *driver) rowBrowser() error {
	wasm := filepath.Join(d.root, "js", "dist", "goconvex.wasm")
	rw := d.addRow(&row{id: "B5", title: "browser"})
	if _, err := os.Stat(wasm); err != nil {
		reason := "not measured yet: js/dist/goconvex.wasm is missing (`make bench` builds it with `make wasm`; run that when calling the driver directly)"
		rw.metrics = []*metric{{name: "wasm size, page load → first result, render latency", goText: reason, jsText: "—", kind: noRatio, target: "wasm ≤ 1.0 MB gzip"}}
		rw.timed = reason + "."
		return nil
	}
	var sz struct {
		Wasm, Glue, Official struct{ Raw, Gzip, Brotli float64 }
	}
	if err := d.once(jsSide, "sizes", map[string]any{"root": d.root, "wasm": wasm}, &sz); err != nil {
		return err
	}
	one := func(v float64) []float64 { return []float64{v} }
	rw.metrics = append(rw.metrics,
		&metric{name: "goconvex.wasm, gzip -9", unit: "B", div: 1, goV: one(sz.Wasm.Gzip), jsText: "—", kind: noRatio,
			target: "≤ 1,000,000 B (make wasm's budget)", met: func(g, _ float64) bool { return g <= 1_000_000 }},
		&metric{name: "goconvex.wasm, gzip -9, against issue 20's target", unit: "B", div: 1, goV: one(sz.Wasm.Gzip), jsText: "—", kind: noRatio,
			target: "≤ 850,000 B", met: func(g, _ float64) bool { return g <= 850_000 }},
		&metric{name: "client code shipped, raw (Go: wasm + JS glue; JS: bundle)", unit: "B", div: 1, goV: one(sz.Wasm.Raw + sz.Glue.Raw), jsV: one(sz.Official.Raw), kind: fractionOfJS, target: "—"},
		&metric{name: "client code shipped, gzip -9", unit: "B", div: 1, goV: one(sz.Wasm.Gzip + sz.Glue.Gzip), jsV: one(sz.Official.Gzip), kind: fractionOfJS, target: "—"},
		&metric{name: "client code shipped, brotli q11", unit: "B", div: 1, goV: one(sz.Wasm.Brotli + sz.Glue.Brotli), jsV: one(sz.Official.Brotli), kind: fractionOfJS, target: "—"},
	)
	rw.timed = fmt.Sprintf("Sizes are read from the built files (`make bench` runs `make wasm` first): "+
		"js/dist/goconvex.wasm as `make wasm` left it (%s raw, %s gzip -9, %s brotli q11), plus its JS glue "+
		"(wasm_exec.js, the loader and `ConvexWasmClient` from js/dist, bundled and minified by esbuild: %s / %s / %s); "+
		"the official client is `ConvexClient` from `convex/browser` bundled and minified the same way. "+
		"`gzip -9` and `brotli -q 11` (the CLIs when installed, as `make wasm`'s size check, else node's zlib); \"shipped\" adds the separately compressed files.",
		commas(float64(sz.Wasm.Raw)), commas(float64(sz.Wasm.Gzip)), commas(float64(sz.Wasm.Brotli)),
		commas(float64(sz.Glue.Raw)), commas(float64(sz.Glue.Gzip)), commas(float64(sz.Glue.Brotli)))
	return d.browserTimings(rw, wasm)
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
