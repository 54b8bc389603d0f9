package core

import (
	"strings"
	"time"
)

// MaxBackoff caps the reconnect delay before jitter.
const MaxBackoff = 16 * time.Second

// initialBackoff classifies a server close reason by prefix, as the JS client
// does (docs/protocol.md#backoff).
var initialBackoff = []struct {
	prefix string
	delay  time.Duration
}{
	{"InternalServerError", time.Second},
	{"SubscriptionsWorkerFullError", 3 * time.Second},
	{"TooManyConcurrentRequests", 3 * time.Second},
	{"CommitterFullError", 3 * time.Second},
	{"AwsTooManyRequestsException", 3 * time.Second},
	{"ExecuteFullError", 3 * time.Second},
	{"SystemTimeoutError", 3 * time.Second},
	{"ExpiredInQueue", 3 * time.Second},
	{"VectorIndexesUnavailable", time.Second},
	{"SearchIndexesUnavailable", time.Second},
	{"TableSummariesUnavailable", time.Second},
	{"VectorIndexTooLarge", 3 * time.Second},
	{"SearchIndexTooLarge", 3 * time.Second},
	{"TooManyWritesInTimePeriod", 3 * time.Second},
}

// Backoff computes reconnect delays: the initial delay of the close reason's
// class, doubled per consecutive failure, capped at MaxBackoff, then
// jittered by ±50%. The zero value is ready to use.
type Backoff struct {
	retries int
}

// Next returns the delay before the next reconnect and counts a retry.
// clientInitiated selects the 100 ms class; otherwise serverReason (a close
// frame's reason, possibly empty) picks the class. random is a uniform
// number in [0, 1) supplied by the caller.
func (b *Backoff) Next(clientInitiated bool, serverReason string, random float64) time.Duration {
	initial := time.Second
	if clientInitiated {
		initial = 100 * time.Millisecond
	} else {
		for _, c := range initialBackoff {
			if strings.HasPrefix(serverReason, c.prefix) {
				initial = c.delay
				break
			}
		}
	}
	d := MaxBackoff
	if b.retries < 16 { // beyond that the shift only overflows; the cap applies anyway
		d = min(initial<<b.retries, MaxBackoff)
	}
	b.retries++
	return time.Duration(float64(d) * (0.5 + random))
}

// Retries is the number of consecutive failures counted so far.
func (b *Backoff) Retries() int { return b.retries }

// Reset starts the next failure from the initial delay again.
func (b *Backoff) Reset() { b.retries = 0 }
