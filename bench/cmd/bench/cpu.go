package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// cpuSample is what the machine and the benchmark had used by a moment:
// the busy time of every CPU (/proc/stat), and this process's CPU time plus
// that of its children it has waited for (the workers, node, Chromium, go
// build). The difference of two samples tells how much other work shared
// the host meanwhile.
type cpuSample struct {
	at   time.Time
	busy float64 // CPU-seconds, all processes
	ours float64 // CPU-seconds, this process and its reaped children
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on Linux.
const clockTicks = 100

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		// cpu user nice system idle iowait irq softirq steal …
		if len(f) >= 9 && f[0] == "cpu" {
			for i, v := range f[1:9] {
				if i == 3 || i == 4 { // idle, iowait
					continue
				}
				n, _ := strconv.ParseFloat(v, 64)
				s.busy += n / clockTicks
			}
		}
	}
	for _, who := range []int{unix.RUSAGE_SELF, unix.RUSAGE_CHILDREN} {
		var ru unix.Rusage
		if unix.Getrusage(who, &ru) == nil {
			s.ours += float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		}
	}
	return s
}

// cpuSpan is the CPU use between two samples.
type cpuSpan struct {
	label       string
	wall        time.Duration
	ours, other float64 // CPU-seconds
}

func spanOf(label string, a, b cpuSample) cpuSpan {
	ours := b.ours - a.ours
	return cpuSpan{label: label, wall: b.at.Sub(a.at), ours: ours, other: max(0, (b.busy-a.busy)-ours)}
}

// share is the fraction of the machine's CPU time that x CPU-seconds are.
func (c cpuSpan) share(x float64, nproc int) string {
	if c.wall <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*x/(c.wall.Seconds()*float64(nproc)))
}

// adoptOrphans makes this process the reaper of its orphaned descendants
// (Chromium's helper processes outlive their parent briefly), so that their
// CPU time counts as the benchmark's once reapOrphans collects them.
func adoptOrphans() {
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// reapOrphans waits for orphaned descendants that were handed to this
// process. Call it only when none of the driver's own children is running:
// it reaps any child.
func reapOrphans() {
	deadline := time.Now().Add(2 * time.Second)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.ECHILD:
			return // no children left
		case err != nil:
			return
		case pid == 0: // children left, still running
			if time.Now().After(deadline) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
