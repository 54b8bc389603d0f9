// Command bench runs goconvex's benchmarks side by side with the official
// convex JS client and writes bench/RESULTS.md (`make bench`).
//
// It starts one convextest deployment (and a WebSocket echo server) in this
// process, then, for every row, runs the Go side (this binary, re-executed
// as `bench worker <row>`) and the JS side (node bench/js/<row>.mjs)
// against it, alternating which goes first, and reports the median over
// the repeats. Timings that cross processes read CLOCK_MONOTONIC on both
// sides (unix.ClockGettime in Go, process.hrtime.bigint() in node).
//
//	go run ./bench/cmd/bench [-out bench/RESULTS.md] [-rows B1,B3] [-repeats 5] [-b5-loads 8] [-b5-rtt 50,150]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/goconvex/convex/bench/internal/benchsrv"
	"github.com/goconvex/convex/bench/internal/mono"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/fixture"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		if err := runWorker(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type driver struct {
	root    string // repository root
	tmp     string
	self    string // this executable, for the Go workers
	node    string
	repeats int
	profile string // directory for CPU profiles of the Go workers, or ""

	b5Loads  int           // B5: cold+warm pairs per page and network
	rtts     []int         // B5: round trip times (ms) of the delaying proxies
	warmWait time.Duration // B5: pause between a cold load and the warm one

	srv     *benchsrv.Server
	sends   chan sendNote // server send times of large Transitions
	echoURL string
	fixture string

	track mutationTrack

	rows   []*row
	env    environment
	loadMu sync.Mutex
	loads  []float64
	spans  []cpuSpan
}

// sendNote is the server's frame observer seeing a large Transition go out.
type sendNote struct {
	conn uint64
	at   int64 // CLOCK_MONOTONIC just before the server writes the frame
	size int
}

func run() error {
	out := flag.String("out", "bench/RESULTS.md", "results file to write (relative to the repository root)")
	rowsFlag := flag.String("rows", "B1,B2,B3,B4,B5,B6", "rows to run")
	repeats := flag.Int("repeats", 5, "processes per side for each row (alternating Go and JS)")
	profile := flag.String("profile", "", "write CPU profiles of the Go workers into this directory")
	b5Loads := flag.Int("b5-loads", 8, "B5: cold and warm load pairs per page and network")
	rtts := flag.String("b5-rtt", "50,150", "B5: round trip times in ms between the pages and the deployment (besides loopback)")
	warmWait := flag.Duration("b5-warm-wait", time.Second, "B5: pause between a cold load and the warm one")
	flag.Parse()

	start := time.Now()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node is needed for the JS side: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "convex", "package.json")); err != nil {
		return fmt.Errorf("node_modules/convex is missing: run `npm ci` (make deps-npm) first")
	}
	tmp, err := os.MkdirTemp("", "goconvex-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	d := &driver{root: root, tmp: tmp, self: self, node: node, repeats: *repeats, sends: make(chan sendNote, 64),
		b5Loads: *b5Loads, warmWait: *warmWait}
	for _, f := range strings.Split(*rtts, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return fmt.Errorf("-b5-rtt: %q is not a positive number of milliseconds", f)
		}
		d.rtts = append(d.rtts, n)
	}
	if *profile != "" {
		d.profile, _ = filepath.Abs(*profile)
		if err := os.MkdirAll(d.profile, 0o755); err != nil {
			return err
		}
	}
	d.env = readEnvironment(root, node)
	adoptOrphans()
	d.sampleLoad()

	srv, err := benchsrv.New(convextest.WithFrameObserver(d.observe))
	if err != nil {
		return err
	}
	defer srv.Close()
	d.srv = srv
	echo, err := startEcho()
	if err != nil {
		return err
	}
	defer echo.Close()
	d.echoURL = echo.url

	want := map[string]bool{}
	for _, r := range strings.Split(*rowsFlag, ",") {
		want[strings.ToUpper(strings.TrimSpace(r))] = true
	}
	steps := []struct {
		id string
		fn func() error
	}{
		{"B1", d.rowCodec},
		{"B2", d.rowFanout},
		{"B3", d.rowMutations},
		{"B4", d.rowMemory},
		{"B5", d.rowBrowser},
		{"B6", d.rowColdStart},
	}
	all := sampleCPU()
	for _, s := range steps {
		if !want[s.id] {
			continue
		}
		t := time.Now()
		d.sampleLoad()
		logf("== %s", s.id)
		before := sampleCPU()
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.id, err)
		}
		reapOrphans()
		d.spans = append(d.spans, spanOf(s.id, before, sampleCPU()))
		logf("== %s done in %s", s.id, time.Since(t).Round(100*time.Millisecond))
	}
	d.spans = append(d.spans, spanOf("all rows", all, sampleCPU()))
	d.sampleLoad()
	d.env.Duration = time.Since(start)
	d.env.Loads = d.loads
	path := *out
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	if err := os.WriteFile(path, []byte(d.report()), 0o644); err != nil {
		return err
	}
	logf("wrote %s (%s)", path, d.env.Duration.Round(time.Second))
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// repoRoot finds the directory of the module's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/goconvex/convex\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run bench inside the goconvex repository")
		}
		dir = parent
	}
}

func (d *driver) observe(dir convextest.Direction, conn uint64, frame []byte) {
	if d.track.on.Load() {
		d.track.observe(dir, conn, frame)
	}
	if dir != convextest.ToClient || len(frame) < 500_000 {
		return
	}
	at := mono.Now()
	if !bytes.HasPrefix(frame, transitionPrefix) {
		return
	}
	select {
	case d.sends <- sendNote{conn: conn, at: at, size: len(frame)}:
	default:
	}
}

// mutationTrack measures, from the frame observer, how long the server
// holds each sequential mutation: from reading its Mutation frame to
// starting to write the Transition after it.
type mutationTrack struct {
	on     atomic.Bool
	mu     sync.Mutex
	lo, hi uint64 // request ids to track
	at     map[uint64]int64
	diffs  []float64
}

var (
	mutationPrefix   = []byte(`{"type":"Mutation","requestId":`)
	transitionPrefix = []byte(`{"type":"Transition"`)
)

func (t *mutationTrack) start(lo, hi int) {
	t.mu.Lock()
	t.lo, t.hi, t.at, t.diffs = uint64(lo), uint64(hi), map[uint64]int64{}, nil
	t.mu.Unlock()
	t.on.Store(true)
}

// stop returns the median.
func (t *mutationTrack) stop() float64 {
	t.on.Store(false)
	t.mu.Lock()
	defer t.mu.Unlock()
	return median(t.diffs)
}

func (t *mutationTrack) observe(dir convextest.Direction, conn uint64, frame []byte) {
	now := mono.Now()
	switch {
	case dir == convextest.ToServer && bytes.HasPrefix(frame, mutationPrefix):
		rest := frame[len(mutationPrefix):]
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		id, err := strconv.ParseUint(string(rest[:i]), 10, 32)
		if err != nil || id < t.lo || id >= t.hi {
			return
		}
		t.mu.Lock()
		t.at[conn] = now
		t.mu.Unlock()
	case dir == convextest.ToClient && bytes.HasPrefix(frame, transitionPrefix):
		t.mu.Lock()
		if at, ok := t.at[conn]; ok {
			t.diffs = append(t.diffs, float64(now-at))
			delete(t.at, conn)
		}
		t.mu.Unlock()
	}
}

func (d *driver) drainSends() {
	for {
		select {
		case <-d.sends:
		default:
			return
		}
	}
}

// sampleLoad records the 1-minute load average: the host is shared.
func (d *driver) sampleLoad() {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	var l float64
	if _, err := fmt.Sscan(string(b), &l); err == nil {
		d.loadMu.Lock()
		d.loads = append(d.loads, l)
		d.loadMu.Unlock()
	}
}

// waitIdle waits until no client is connected to the deployment, so that
// each run starts alone.
func (d *driver) waitIdle() error {
	deadline := time.Now().Add(10 * time.Second)
	for d.srv.Connections() > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d connections still open", d.srv.Connections())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// ---- child processes ---------------------------------------------------------

type side string

const (
	goSide side = "Go"
	jsSide side = "JS"
)

// order alternates which side runs first in repeat r.
func order(r int) []side {
	if r%2 == 0 {
		return []side{goSide, jsSide}
	}
	return []side{jsSide, goSide}
}

type proc struct {
	name   string
	cmd    *exec.Cmd
	lines  chan []byte
	stderr *bytes.Buffer
	done   chan struct{}
}

// start runs one side of a row: `bench worker <row> -k=v …` or
// `node [nodeFlags] bench/js/<row>.mjs '<params JSON>'`.
func (d *driver) start(s side, row string, params map[string]any, nodeFlags ...string) (*proc, error) {
	if err := d.waitIdle(); err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if s == goSide {
		args := []string{"worker", row}
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			args = append(args, fmt.Sprintf("-%s=%v", k, params[k]))
		}
		if d.profile != "" {
			args = append(args, "-cpuprofile="+filepath.Join(d.profile, fmt.Sprintf("%s-%d.pprof", row, time.Now().UnixNano())))
		}
		cmd = exec.Command(d.self, args...)
	} else {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		args := append(slices.Clone(nodeFlags), filepath.Join(d.root, "bench", "js", row+".mjs"), string(b))
		cmd = exec.Command(d.node, args...)
	}
	cmd.Dir = d.root
	return d.launch(fmt.Sprintf("%s %s", s, row), cmd)
}

func (d *driver) launch(name string, cmd *exec.Cmd) (*proc, error) {
	p := &proc{name: name, cmd: cmd, lines: make(chan []byte, 64), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = &lockedWriter{w: p.stderr}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if bytes.HasPrefix(line, []byte(`{"bench":`)) {
				p.lines <- bytes.Clone(line)
			} else {
				fmt.Fprintf(os.Stderr, "  [%s] %s\n", name, line)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	return p, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// next decodes the next result line into v.
func (p *proc) next(v any, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line := <-p.lines:
		return json.Unmarshal(line, v)
	case <-p.done:
		select {
		case line := <-p.lines:
			return json.Unmarshal(line, v)
		default:
		}
		err := p.cmd.Wait()
		return fmt.Errorf("%s exited before its result (%v): %s", p.name, err, p.stderrText())
	case <-t.C:
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("%s: no result after %s: %s", p.name, timeout, p.stderrText())
	}
}

func (p *proc) stderrText() string {
	s := strings.TrimSpace(p.stderr.String())
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// wait waits for a clean exit.
func (p *proc) wait() error {
	t := time.AfterFunc(60*time.Second, func() { _ = p.cmd.Process.Kill() })
	defer t.Stop()
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %v: %s", p.name, err, p.stderrText())
	}
	if s := p.stderrText(); s != "" {
		logf("[%s stderr] %s", p.name, s)
	}
	return nil
}

// once runs one side of a row to completion and decodes its single result.
func (d *driver) once(s side, row string, params map[string]any, v any, nodeFlags ...string) error {
	p, err := d.start(s, row, params, nodeFlags...)
	if err != nil {
		return err
	}
	if err := p.next(v, 5*time.Minute); err != nil {
		return err
	}
	return p.wait()
}

// ---- the echo server (row B3's floor) ----------------------------------------

type echoServer struct {
	url string
	srv *http.Server
}

func (e *echoServer) Close() { _ = e.srv.Close() }

// startEcho serves a coder/websocket echo on loopback: every text message
// comes back as it is.
func startEcho() (*echoServer, error) {
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, b); err != nil {
				return
			}
		}
	})
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	return &echoServer{url: "ws://" + ln.Addr().String() + "/echo", srv: srv}, nil
}

// fixtureFile writes the B1 fixture once.
func (d *driver) fixtureFile() (string, error) {
	if d.fixture != "" {
		return d.fixture, nil
	}
	b, err := fixture.JSON()
	if err != nil {
		return "", err
	}
	path := filepath.Join(d.tmp, "fixture.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", err
	}
	d.fixture = path
	return path, nil
}
