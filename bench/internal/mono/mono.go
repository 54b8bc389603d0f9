// Package mono reads CLOCK_MONOTONIC, the one clock that timings taken in
// different processes can be compared on: node's process.hrtime.bigint()
// reads the same clock. (The monotonic part of Go's time.Now is not
// exposed, and its origin is per process.)
package mono

import "golang.org/x/sys/unix"

// Now returns CLOCK_MONOTONIC in nanoseconds.
func Now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("mono: clock_gettime(CLOCK_MONOTONIC): " + err.Error())
	}
	return ts.Nano()
}
