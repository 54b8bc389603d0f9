package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
)

// environment is the machine and the versions the numbers come from.
type environment struct {
	Date     time.Time
	NProc    int
	CPU      string
	MemTotal string
	Kernel   string
	Go       string
	Node     string
	Convex   string
	WS       string
	Duration time.Duration
	Loads    []float64
}

func readEnvironment(root, node string) environment {
	e := environment{Date: time.Now().UTC(), NProc: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:")), "%f", &kb)
				e.MemTotal = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := exec.Command(node, "--version").Output(); err == nil {
		e.Node = strings.TrimSpace(string(b))
	}
	e.Convex = npmVersion(root, "convex")
	e.WS = npmVersion(root, "ws")
	return e
}

func npmVersion(root, pkg string) string {
	b, err := os.ReadFile(filepath.Join(root, "node_modules", pkg, "package.json"))
	if err != nil {
		return "?"
	}
	var p struct{ Version string }
	_ = json.Unmarshal(b, &p)
	return p.Version
}

func jsonSize(v any) (int, error) {
	b, err := values.Marshal(v)
	return len(b), err
}

// ---- formatting ----------------------------------------------------------------

// commas formats v rounded to an integer with thousands separators.
func commas(v float64) string { return withCommas(fmt.Sprintf("%.0f", v)) }

func fmtNum(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 10_000:
		return commas(v)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func withCommas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (m *metric) cell(vals []float64, text string) string {
	if text != "" {
		return text
	}
	if len(vals) == 0 {
		return "—"
	}
	v := median(vals) / m.div
	switch m.unit {
	case "B":
		return commas(v) + " B"
	case "/s":
		return commas(v) + " /s"
	case "×":
		return fmtNum(v) + "×"
	}
	return fmtNum(v) + " " + m.unit
}

func (m *metric) ratio() string {
	if len(m.goV) == 0 || len(m.jsV) == 0 {
		return "—"
	}
	g, j := m.goMed(), m.jsMed()
	switch m.kind {
	case lowerIsBetter:
		if g <= j {
			return fmt.Sprintf("%.2f× faster", j/g)
		}
		return fmt.Sprintf("%.2f× slower", g/j)
	case higherIsBetter:
		return fmt.Sprintf("%.2f× JS", g/j)
	case fractionOfJS:
		return fmt.Sprintf("%.2f× JS", g/j)
	}
	return "—"
}

func (m *metric) verdict() string {
	if m.met == nil {
		return "—"
	}
	if m.goText != "" || len(m.goV) == 0 || (len(m.jsV) == 0 && m.jsText == "") {
		return "not measured"
	}
	if m.met(m.goMed(), m.jsMed()) {
		return "yes"
	}
	return "**no**"
}

func spread(m *metric, vals []float64) string {
	if len(vals) == 0 {
		return "—"
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmtNum(v / m.div)
	}
	return strings.Join(parts, ", ")
}

func (d *driver) report() string {
	var b bytes.Buffer
	e := d.env
	fmt.Fprintf(&b, "# goconvex benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (bench/cmd/bench) on %s; the whole run took %s. "+
		"Each row ran the Go client (goconvex %s) and the official `convex` JS client against the same "+
		"convextest deployment with the same data, in separate processes, alternating which side went first; "+
		"numbers are medians over the repeats (the value of each repeat is listed under its row). "+
		"Timings that cross processes read CLOCK_MONOTONIC on both sides. Nothing here is asserted by a test.\n\n",
		e.Date.Format("2006-01-02 15:04 UTC"), e.Duration.Round(time.Second), client.Version)

	fmt.Fprintf(&b, "| row | what | Go | JS | Go vs JS | target | met? |\n|---|---|---|---|---|---|---|\n")
	for _, r := range d.rows {
		for _, m := range r.metrics {
			fmt.Fprintf(&b, "| %s %s | %s | %s | %s | %s | %s | %s |\n", r.id, r.title, m.name,
				m.cell(m.goV, m.goText), m.cell(m.jsV, m.jsText), m.ratio(), m.target, m.verdict())
		}
	}

	fmt.Fprintf(&b, "\n## Machine and versions\n\n")
	fmt.Fprintf(&b, "- CPU: %s, %d logical CPUs (nproc); memory %s; Linux %s\n", e.CPU, e.NProc, e.MemTotal, e.Kernel)
	fmt.Fprintf(&b, "- Go %s (client and convextest); node %s with `convex` %s and `ws` %s (JS side); convextest server in the driver process\n", e.Go, e.Node, e.Convex, e.WS)
	loads := make([]string, len(e.Loads))
	for i, l := range e.Loads {
		loads[i] = fmt.Sprintf("%.2f", l)
	}
	fmt.Fprintf(&b, "- 1-minute load average at the start, before each row and at the end: %s\n", strings.Join(loads, ", "))
	fmt.Fprintf(&b, "\nCPU time used while each row ran, from /proc/stat and getrusage: the benchmark's own processes "+
		"(driver with the convextest server, workers, node, Chromium) and everything else on the host, as shares of the "+
		"%d CPUs' time.\n\n| row | wall | benchmark | other work |\n|---|---|---|---|\n", e.NProc)
	maxOther := 0.0
	for _, c := range d.spans {
		fmt.Fprintf(&b, "| %s | %s | %.1f CPU-s (%s) | %.1f CPU-s (%s) |\n", c.label, c.wall.Round(100*time.Millisecond),
			c.ours, c.share(c.ours, e.NProc), c.other, c.share(c.other, e.NProc))
		if c.wall > 0 {
			maxOther = max(maxOther, c.other/(c.wall.Seconds()*float64(e.NProc)))
		}
	}
	if maxOther >= 0.05 {
		fmt.Fprintf(&b, "\n**The host was shared**: other work (other engineers' builds and tests) used up to %.0f%% of the "+
			"CPU time during a row. Both sides ran under the same conditions, alternating, but single numbers are noisier "+
			"than on an idle host; the per-process values under each row show the spread.\n", 100*maxOther)
	} else {
		fmt.Fprintf(&b, "\nOther work used under 5%% of the CPU time during every row: the benchmark had the host to itself.\n")
	}

	fmt.Fprintf(&b, "\n## What each row times\n")
	for _, r := range d.rows {
		fmt.Fprintf(&b, "\n### %s %s\n\n%s\n", r.id, r.title, r.timed)
		for _, n := range r.notes {
			fmt.Fprintf(&b, "\n%s\n", n)
		}
		var per []string
		for _, m := range r.metrics {
			if len(m.goV)+len(m.jsV) == 0 {
				continue
			}
			per = append(per, fmt.Sprintf("- %s (%s): Go %s; JS %s", m.name, m.unit, spread(m, m.goV), spread(m, m.jsV)))
		}
		if len(per) > 0 {
			fmt.Fprintf(&b, "\nThe value of each repeat (a process; for B5 a page load, for B6 a spawn), in run order:\n\n%s\n", strings.Join(per, "\n"))
		}
	}
	return b.String()
}
