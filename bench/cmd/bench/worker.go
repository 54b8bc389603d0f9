package main

// The Go side of each row. The driver runs these in a child process of its
// own (`bench worker <row> …`), as it runs the JS side in node, so that
// neither client shares a process (heap, GC, scheduler) with the convextest
// server. Each prints JSON lines {"bench": …} on stdout, the same lines the
// scripts in bench/js print.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/goconvex/convex/bench/internal/benchsrv"
	"github.com/goconvex/convex/bench/internal/mono"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/internal/fixture"
)

func runWorker(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("worker: which row?")
	}
	fs := flag.NewFlagSet("worker "+args[0], flag.ContinueOnError)
	url := fs.String("url", "", "deployment URL")
	echoURL := fs.String("echo", "", "B3 echo server URL")
	file := fs.String("fixture", "", "B1 fixture file")
	iters := fs.Int("iters", 40, "B1 timed iterations per operation")
	warm := fs.Int("warmup", 10, "untimed iterations first")
	n := fs.Int("n", 1000, "subscriptions (B2, B4)")
	rounds := fs.Int("rounds", 10, "B2 rounds")
	seq := fs.Int("seq", 2000, "B3 sequential calls")
	pipe := fs.Int("pipe", 10000, "B3 pipelined calls")
	payload := fs.String("payload", EchoPayload, "echo message")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole worker")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	switch args[0] {
	case "codec":
		return workCodec(*file, *warm, *iters)
	case "fanout":
		return workFanout(*url, *n, *rounds)
	case "mutations":
		return workMutations(*url, *echoURL, *payload, *warm, *seq, *pipe)
	case "memory":
		return workMemory(*url, *n)
	}
	return fmt.Errorf("worker: unknown row %q", args[0])
}

var out = json.NewEncoder(os.Stdout)

func emit(v map[string]any) {
	if err := out.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "emit:", err)
		os.Exit(1)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile is the nearest-rank percentile p (0 < p ≤ 100).
func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	k := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(k, len(s)-1))]
}

// ---- B1: value codec ------------------------------------------------------

func workCodec(file string, warm, iters int) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	// Correctness first (untimed): both decodings re-encode to the fixture.
	var generic any
	if err := values.Unmarshal(data, &generic); err != nil {
		return err
	}
	var typed []fixture.Doc
	if err := values.Unmarshal(data, &typed); err != nil {
		return err
	}
	for name, v := range map[string]any{"generic": generic, "typed": typed} {
		b, err := values.Marshal(v)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, data) {
			return fmt.Errorf("codec: re-encoding the %s decoding does not give the fixture back", name)
		}
	}
	ops := []struct {
		name string
		fn   func() error
	}{
		{"decode_any", func() error { var v any; return values.Unmarshal(data, &v) }},
		{"decode_typed", func() error { var v []fixture.Doc; return values.Unmarshal(data, &v) }},
		{"encode_any", func() error { _, err := values.Marshal(generic); return err }},
		{"encode_typed", func() error { _, err := values.Marshal(typed); return err }},
	}
	res := map[string]any{"bench": "codec", "bytes": len(data)}
	for _, op := range ops {
		samples := make([]float64, 0, iters)
		for i := range warm + iters {
			t0 := mono.Now()
			if err := op.fn(); err != nil {
				return err
			}
			if i >= warm {
				samples = append(samples, float64(mono.Now()-t0))
			}
		}
		res[op.name+"_ns"] = median(samples)
	}
	emit(res)
	return nil
}

// ---- B2: fan-out ----------------------------------------------------------

// firstByte records when the first bytes of a frame reach the client
// process: the first socket read after the worker arms it. The client's
// sync socket dials through http.DefaultClient (coder/websocket's default),
// so the worker points that at a dialer whose connections note their reads.
type firstByte struct {
	armed atomic.Bool
	at    atomic.Int64
}

type timedConn struct {
	net.Conn
	fb *firstByte
}

func (c *timedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.fb.armed.CompareAndSwap(true, false) {
		c.fb.at.Store(mono.Now())
	}
	return n, err
}

func (fb *firstByte) install() {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &timedConn{Conn: c, fb: fb}, nil
	}
	http.DefaultClient = &http.Client{Transport: tr}
}

func workFanout(url string, n, rounds int) error {
	var fb firstByte
	fb.install()
	c, err := client.New(url)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	type round struct {
		gen       int
		last      int64
		firstByte int64
	}
	done := make(chan round, 4)
	// Callbacks run one at a time on the client's callback goroutine, so
	// this state needs no lock.
	counts := map[int]int{}
	var cbErr atomic.Value
	unsubs := make([]func(), n)
	for i := range n {
		unsub, err := c.OnUpdate(ctx, benchsrv.FanoutQuery, client.Args{"i": i}, func(res *client.Result, err error) {
			if err != nil {
				cbErr.Store(err)
				return
			}
			// A subscriber uses the value: decode it (as the JS client
			// decodes every value with jsonToConvex before its callbacks).
			var v any
			if err := res.Decode(&v); err != nil {
				cbErr.Store(err)
				return
			}
			gen := int(v.(map[string]any)["gen"].(float64))
			counts[gen]++
			if counts[gen] == n {
				t := mono.Now()
				fb2 := fb.at.Swap(0)
				fb.armed.Store(true)
				delete(counts, gen)
				done <- round{gen: gen, last: t, firstByte: fb2}
			}
		})
		if err != nil {
			return err
		}
		unsubs[i] = unsub
	}
	// The initial results can arrive over several Transitions: wait until
	// every subscriber has one generation in common.
	select {
	case r := <-done:
		emit(map[string]any{"bench": "fanout", "event": "ready", "gen": r.gen})
	case <-ctx.Done():
		return fmt.Errorf("fanout: initial results: %w (callback error: %v)", ctx.Err(), cbErr.Load())
	}
	for range rounds {
		select {
		case r := <-done:
			emit(map[string]any{"bench": "fanout", "event": "round", "gen": r.gen, "t_last": r.last, "t_first_byte": r.firstByte})
		case <-ctx.Done():
			return fmt.Errorf("fanout: %w (callback error: %v)", ctx.Err(), cbErr.Load())
		}
	}
	if e := cbErr.Load(); e != nil {
		return fmt.Errorf("fanout: callback: %v", e)
	}
	st := c.ConnectionState()
	emit(map[string]any{"bench": "fanout", "event": "done", "connections": st.ConnectionCount})
	for _, u := range unsubs {
		u()
	}
	return nil
}

// ---- B3: mutations ----------------------------------------------------------

// workMutations times sequential mutations interleaved, in blocks of
// `block`, with echo round trips of the same message size on the same
// loopback (so that both see the same host conditions), then pipelined
// mutations, then pipelined echoes.
func workMutations(url, echoURL, payload string, warm, seq, pipe int) error {
	c, err := client.New(url)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	echo, err := dialEcho(ctx, echoURL, payload)
	if err != nil {
		return err
	}
	defer echo.close()
	raw, err := dialRawSync(ctx, url)
	if err != nil {
		return err
	}
	defer raw.close()
	call := func(ctx context.Context, i int) error {
		var got float64
		if err := c.Mutation(ctx, benchsrv.EchoMutation, client.Args{"n": i}, &got); err != nil {
			return err
		}
		if got != float64(i) {
			return fmt.Errorf("mutation %d returned %v", i, got)
		}
		return nil
	}
	for i := range warm {
		if err := call(ctx, i); err != nil {
			return err
		}
		if err := echo.roundTrip(ctx); err != nil {
			return err
		}
		if err := raw.mutation(ctx, i); err != nil {
			return err
		}
	}
	lat := make([]float64, 0, seq)
	echoLat := make([]float64, 0, seq)
	rawLat := make([]float64, 0, seq)
	for i := 0; i < seq; i += block {
		for j := i; j < min(i+block, seq); j++ {
			t0 := mono.Now()
			if err := call(ctx, j); err != nil {
				return err
			}
			lat = append(lat, float64(mono.Now()-t0))
		}
		for j := i; j < min(i+block, seq); j++ {
			t0 := mono.Now()
			if err := echo.roundTrip(ctx); err != nil {
				return err
			}
			echoLat = append(echoLat, float64(mono.Now()-t0))
		}
		for j := i; j < min(i+block, seq); j++ {
			t0 := mono.Now()
			if err := raw.mutation(ctx, j); err != nil {
				return err
			}
			rawLat = append(rawLat, float64(mono.Now()-t0))
		}
	}
	small := pipelined(ctx, call, smallPipe)
	big := pipelined(ctx, call, pipe)
	if small.err != nil {
		return small.err
	}
	if big.err != nil {
		return big.err
	}
	echoElapsed, err := echo.pipelined(ctx, pipe)
	if err != nil {
		return err
	}
	emit(map[string]any{
		"bench": "mutations", "p50_ns": median(lat), "p99_ns": percentile(lat, 99),
		"small": small.done, "small_ns": small.elapsed, "small_per_sec": small.perSec(),
		"pipelined": pipe, "pipelined_done": big.done, "pipelined_ns": big.elapsed, "per_sec": big.perSec(),
		"connections": c.ConnectionState().ConnectionCount,
		"echo_p50_ns": median(echoLat), "echo_p99_ns": percentile(echoLat, 99),
		"echo_per_sec": float64(pipe) / (float64(echoElapsed) / 1e9),
		"raw_p50_ns":   median(rawLat),
	})
	return nil
}

// block is how many sequential mutations, then echo round trips, run in
// turn.
const block = 100

// smallPipe is the pipelined run that stays within convextest's (and the
// real server's) per-connection queue of 1,000 mutations.
const smallPipe = 1000

// pipeDeadline bounds a pipelined run: past it the run reports how many
// calls had returned.
const pipeDeadline = 30 * time.Second

type pipeResult struct {
	done    int
	elapsed int64
	err     error
}

func (p pipeResult) perSec() float64 { return float64(p.done) / (float64(p.elapsed) / 1e9) }

// pipelined starts n calls at once, one goroutine each, and waits for all
// of them or pipeDeadline.
func pipelined(ctx context.Context, call func(context.Context, int) error, n int) pipeResult {
	ctx, cancel := context.WithTimeout(ctx, pipeDeadline)
	defer cancel()
	var wg sync.WaitGroup
	var done atomic.Int64
	var firstErr atomic.Value
	t0 := mono.Now()
	for i := range n {
		wg.Go(func() {
			if err := call(ctx, i); err != nil {
				if ctx.Err() == nil {
					firstErr.CompareAndSwap(nil, err)
				}
				return
			}
			done.Add(1)
		})
	}
	wg.Wait()
	r := pipeResult{done: int(done.Load()), elapsed: mono.Now() - t0}
	if r.done == n {
		return r
	}
	if e := firstErr.Load(); e != nil {
		r.err = e.(error)
	}
	return r
}

// EchoPayload is what the echo floor sends: a Mutation message of the
// size the B3 mutations send.
const EchoPayload = `{"type":"Mutation","requestId":1234,"udfPath":"bench:echo","args":[{"n":1234}]}`

// echoClient is a plain coder/websocket client of the echo server.
type echoClient struct {
	conn    *websocket.Conn
	payload []byte
}

func dialEcho(ctx context.Context, url, payload string) (*echoClient, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	return &echoClient{conn: conn, payload: []byte(payload)}, nil
}

func (e *echoClient) close() { _ = e.conn.Close(websocket.StatusNormalClosure, "") }

func (e *echoClient) roundTrip(ctx context.Context) error {
	if err := e.conn.Write(ctx, websocket.MessageText, e.payload); err != nil {
		return err
	}
	_, b, err := e.conn.Read(ctx)
	if err != nil {
		return err
	}
	if len(b) != len(e.payload) {
		return fmt.Errorf("echo: got %d bytes back", len(b))
	}
	return nil
}

// pipelined sends n messages at once, one reader counting the replies, and
// returns the time from the first send to the last reply.
func (e *echoClient) pipelined(ctx context.Context, n int) (int64, error) {
	readErr := make(chan error, 1)
	t0 := mono.Now()
	go func() {
		for range n {
			if _, _, err := e.conn.Read(ctx); err != nil {
				readErr <- err
				return
			}
		}
		readErr <- nil
	}()
	for range n {
		if err := e.conn.Write(ctx, websocket.MessageText, e.payload); err != nil {
			return 0, err
		}
	}
	if err := <-readErr; err != nil {
		return 0, err
	}
	return mono.Now() - t0, nil
}

// ---- B4: memory -------------------------------------------------------------

// rssBytes reads the resident set size from /proc/self/statm.
func rssBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("statm: %q", b)
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()), err
}

// settledMemory collects garbage, returns freed memory to the OS, and reads
// the live heap and the RSS.
func settledMemory() (heap uint64, rss int64, err error) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err = rssBytes()
	return ms.HeapAlloc, rss, err
}

func workMemory(url string, n int) error {
	c, err := client.New(url)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Connected, with one query answered: the baseline is a live client.
	if err := c.Query(ctx, benchsrv.ItemQuery, client.Args{"i": -1}, nil); err != nil {
		return err
	}
	heap0, rss0, err := settledMemory()
	if err != nil {
		return err
	}
	var got atomic.Int64
	all := make(chan struct{})
	unsubs := make([]func(), n)
	for i := range n {
		unsub, err := c.OnUpdate(ctx, benchsrv.ItemQuery, client.Args{"i": i}, func(res *client.Result, err error) {
			if err == nil && got.Add(1) == int64(n) {
				close(all)
			}
		})
		if err != nil {
			return err
		}
		unsubs[i] = unsub
	}
	select {
	case <-all:
	case <-ctx.Done():
		return fmt.Errorf("memory: %d of %d results: %w", got.Load(), n, ctx.Err())
	}
	heap1, rss1, err := settledMemory()
	if err != nil {
		return err
	}
	emit(map[string]any{
		"bench": "memory", "n": n,
		"heap_before": heap0, "heap_after": heap1, "rss_before": rss0, "rss_after": rss1,
		"heap_per_sub": (float64(heap1) - float64(heap0)) / float64(n),
		"rss_per_sub":  float64(rss1-rss0) / float64(n),
	})
	runtime.KeepAlive(unsubs)
	return nil
}
