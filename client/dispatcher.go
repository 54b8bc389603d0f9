package client

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
)

// dispatcher runs callbacks (subscription callbacks, state watchers) in
// order on one goroutine of its own, so that a slow callback never stalls
// the event loop and a callback may call the client freely, Close included.
type dispatcher struct {
	mu     sync.Mutex
	queue  []func()
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closed bool
	goid   uint64 // the goroutine running the callbacks; 0 until it starts
}

func newDispatcher() *dispatcher {
	d := &dispatcher{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go d.run()
	return d
}

// post queues fn. Calls after close are dropped.
func (d *dispatcher) post(fn func()) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, fn)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	d.mu.Lock()
	d.goid = goroutineID()
	d.mu.Unlock()
	for {
		select {
		case <-d.wake:
		case <-d.stop:
			return
		}
		for {
			d.mu.Lock()
			batch := d.queue
			d.queue = nil
			d.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, fn := range batch {
				select {
				case <-d.stop:
					return
				default:
				}
				fn()
			}
		}
	}
}

// close stops the dispatcher and drops what is queued: no callback starts
// after it. It does not wait for a callback that is running (see wait).
func (d *dispatcher) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	d.queue = nil
	close(d.stop)
}

// wait waits, after close, for the running callback to return and the
// dispatcher's goroutine to exit; called from a callback, which that
// goroutine is running, it returns at once instead of waiting for itself.
func (d *dispatcher) wait() {
	if d.onCallbackGoroutine() {
		return
	}
	<-d.done
}

// onCallbackGoroutine reports whether the caller is a callback.
func (d *dispatcher) onCallbackGoroutine() bool {
	d.mu.Lock()
	id := d.goid
	d.mu.Unlock()
	return id != 0 && id == goroutineID()
}

// goroutineID returns the runtime's id of the calling goroutine, read from
// the first line of its stack trace ("goroutine 18 [running]:"). It only
// tells the dispatcher's goroutine from others: Close is rare, and Go has
// no other way for a function to know which goroutine it runs on.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
