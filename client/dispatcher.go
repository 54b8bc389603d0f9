package client

import "sync"

// dispatcher runs callbacks (subscription callbacks, state watchers) in
// order on one goroutine of its own, so that a slow callback never stalls
// the event loop and a callback may call the client freely.
type dispatcher struct {
	mu     sync.Mutex
	queue  []func()
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closed bool
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

// close stops the dispatcher, dropping what is queued, and waits for the
// running callback to return unless called from a callback.
func (d *dispatcher) close(wait bool) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.queue = nil
	d.mu.Unlock()
	close(d.stop)
	if wait {
		<-d.done
	}
}
