// Command soak runs the soak lane (make soak): the native client and the
// auth stack under faults, on loopback only, for a few minutes, and writes
// every figure it measured to a Markdown report (bench/SOAK.md).
//
//	R1  4 clients, connections cut every 0.5–3 s for 60 s, 5,000 mutations
//	R2  5 s tokens for 60 s, 20 % of the refresh requests failing
//	R3  each fuzz target for -fuzztime
//	R4  forged and broken JWTs against customjwt.Verifier and the deployment
//	R5  OAuth attacks against the issuer and the middleware's callback
//	R6  issued tokens searched for in the logs of R1 and R2; store file modes
//
// R1 and R2 run side by side; R3 runs after them (fuzzing takes every core).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

func main() {
	out := flag.String("out", "bench/SOAK.md", "where to write the report")
	dur := flag.Duration("duration", 60*time.Second, "how long R1 and R2 run")
	muts := flag.Int("mutations", 5000, "R1's mutations, over all clients")
	fuzztime := flag.String("fuzztime", "10s", "R3: -fuzztime of each fuzz target")
	flag.Parse()

	start := time.Now()
	logs := &sink{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tokens := &tokenSet{}

	var r1 r1Result
	var r2 r2Result
	var wg sync.WaitGroup
	wg.Go(func() { r1 = runR1(*dur, *muts, logger, tokens) })
	wg.Go(func() { r2 = runR2(*dur, logger, tokens) })
	wg.Wait()
	fmt.Fprintln(os.Stderr, "soak: R1 and R2 done")
	r3 := runR3(*fuzztime)
	fmt.Fprintln(os.Stderr, "soak: R3 done")
	r4 := runR4()
	r5 := runR5()
	r6 := runR6(logs, tokens)

	var b bytes.Buffer
	fmt.Fprintf(&b, "# Soak: figures under faults\n\n")
	fmt.Fprintf(&b, "Written by `make soak` (`go run ./tests/soak`) on %s, %s/%s, %d CPUs, %s, in %s. "+
		"Every figure below was measured by that run; loopback only.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(),
		time.Since(start).Round(time.Second))
	r1.write(&b)
	r2.write(&b)
	r3.write(&b)
	r4.write(&b)
	r5.write(&b)
	r6.write(&b)
	failed := r1.failed() || r2.failed() || r3.failed() || r4.failed() || r5.failed() || r6.failed()
	verdict := "every check held"
	if failed {
		verdict = "SOME CHECKS FAILED (marked ✗ above)"
	}
	fmt.Fprintf(&b, "## Verdict\n\n%s.\n", verdict)
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "soak: wrote %s (%s)\n", *out, verdict)
	if failed {
		os.Exit(1)
	}
}

// sink collects every log line of R1 and R2.
type sink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tokenSet is every access and refresh token issued during R1 and R2.
type tokenSet struct {
	mu     sync.Mutex
	tokens map[string]string // token → kind
}

func (t *tokenSet) add(kind, tok string) {
	if tok == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tokens == nil {
		t.tokens = map[string]string{}
	}
	t.tokens[tok] = kind
}

func (t *tokenSet) snapshot() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]string, len(t.tokens))
	for k, v := range t.tokens {
		out[k] = v
	}
	return out
}

// mark is ✓ when ok, ✗ otherwise.
func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// countLines counts the lines of s.
func countLines(s string) int { return strings.Count(s, "\n") }

// withTimeout is context.WithTimeout on Background.
func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
