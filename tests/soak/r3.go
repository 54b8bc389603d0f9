package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type fuzzRun struct {
	pkg, target string
	execs       int64
	elapsed     time.Duration
	outcome     string // "ok", "finding", "build failed", …
	detail      string
}

type r3Result struct {
	fuzztime string
	runs     []fuzzRun
	err      error
}

var (
	fuzzFunc  = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(\w+ \*testing\.F\)`)
	fuzzExecs = regexp.MustCompile(`execs: (\d+)`)
	fuzzFail  = regexp.MustCompile(`(?m)^\s*(Failing input written to .*|--- FAIL: .*)$`)
)

// runR3 runs each fuzz target of the module for fuzztime, as `make fuzz`
// does, and reads its execution count from go test's progress lines.
func runR3(fuzztime string) (r r3Result) {
	r.fuzztime = fuzztime
	targets := map[string][]string{} // ./dir → targets
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllSubmatch(b, -1) {
			dir := "./" + filepath.ToSlash(filepath.Dir(path))
			targets[dir] = append(targets[dir], string(m[1]))
		}
		return nil
	})
	if err != nil {
		r.err = err
		return r
	}
	dirs := slices.Sorted(func(yield func(string) bool) {
		for d := range targets {
			if !yield(d) {
				return
			}
		}
	})
	for _, dir := range dirs {
		slices.Sort(targets[dir])
		for _, target := range targets[dir] {
			fmt.Fprintf(os.Stderr, "soak: R3 fuzzing %s %s for %s\n", dir, target, fuzztime)
			r.runs = append(r.runs, fuzzOne(dir, target, fuzztime))
		}
	}
	return r
}

func fuzzOne(dir, target, fuzztime string) fuzzRun {
	run := fuzzRun{pkg: dir, target: target}
	start := time.Now()
	cmd := exec.Command("go", "test", dir, "-run=^$", "-fuzz=^"+target+"$", "-fuzztime="+fuzztime)
	out, err := cmd.CombinedOutput()
	run.elapsed = time.Since(start)
	if m := fuzzExecs.FindAllSubmatch(out, -1); len(m) > 0 {
		run.execs, _ = strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	}
	switch {
	case err == nil:
		run.outcome = "ok"
	case bytes.Contains(out, []byte("Failing input written to")) || bytes.Contains(out, []byte("--- FAIL: "+target)):
		run.outcome = "finding"
		var lines []string
		for _, m := range fuzzFail.FindAllSubmatch(out, -1) {
			lines = append(lines, strings.TrimSpace(string(m[1])))
		}
		run.detail = strings.Join(lines, "; ")
	case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
		run.outcome = "build failed"
		run.detail = firstLine(out)
	default:
		run.outcome = "error"
		run.detail = firstLine(out)
	}
	return run
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func (r r3Result) findings() int {
	n := 0
	for _, run := range r.runs {
		if run.outcome != "ok" {
			n++
		}
	}
	return n
}

func (r r3Result) failed() bool { return r.err != nil || r.findings() > 0 || len(r.runs) == 0 }

func (r r3Result) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "## R3: fuzz targets, %s each\n\n", r.fuzztime)
	if r.err != nil {
		fmt.Fprintf(b, "✗ could not list the fuzz targets: %v\n\n", r.err)
		return
	}
	var total int64
	fmt.Fprintf(b, "| package | target | executions | outcome | |\n|---|---|---|---|---|\n")
	for _, run := range r.runs {
		total += run.execs
		detail := run.outcome
		if run.detail != "" {
			detail += ": " + strings.ReplaceAll(run.detail, "|", "\\|")
		}
		fmt.Fprintf(b, "| `%s` | %s | %d | %s | %s |\n", run.pkg, run.target, run.execs, detail, mark(run.outcome == "ok"))
	}
	fmt.Fprintf(b, "\n%d targets, %d executions in all, %d findings.\n\n", len(r.runs), total, r.findings())
}
