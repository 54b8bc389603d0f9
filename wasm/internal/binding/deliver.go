//go:build js && wasm

package binding

import (
	"sync"

	"github.com/hack-pad/safejs"

	"github.com/goconvex/convex/wasm/internal/jsbridge"
)

// delivery is one queued JS call: a subscription update (sub and entry), a
// state change (w and state), or a mutation's settlement (settled).
type delivery struct {
	h       *handle
	sub     *subscription
	entry   []byte
	w       *watcher
	state   string
	settled Value
}

// The queue of deliveries of every client, flushed on a JS microtask.
var (
	qmu       sync.Mutex
	queue     []delivery
	scheduled bool

	flushOnce sync.Once
	flushFn   safejs.Func
	scheduler Value // queueMicrotask, or setTimeout where there is none
)

// enqueue adds d and makes sure a flush is scheduled. It is called on the
// client's callback goroutine and never blocks on JS.
func enqueue(d delivery) {
	qmu.Lock()
	queue = append(queue, d)
	need := !scheduled
	scheduled = true
	qmu.Unlock()
	if need {
		schedule()
	}
}

func schedule() {
	flushOnce.Do(func() {
		var err error
		flushFn, err = safejs.FuncOf(func(Value, []Value) any {
			defer func() {
				if r := recover(); r != nil {
					jsbridge.Log("error", "goconvex: panic while delivering updates")
				}
			}()
			flush()
			return nil
		})
		if err != nil {
			jsbridge.Log("error", "goconvex: cannot create the delivery function: "+err.Error())
			return
		}
		g := safejs.Global()
		if qm, err := g.Get("queueMicrotask"); err == nil && qm.Type() == safejs.TypeFunction {
			scheduler = qm
		} else {
			scheduler, _ = g.Get("setTimeout")
		}
	})
	if _, err := scheduler.Invoke(flushFn); err != nil {
		jsbridge.Log("error", "goconvex: cannot schedule update delivery: "+err.Error())
	}
}

// batch collects the entries for one onUpdate function.
type batch struct {
	sink    *sink
	entries [][]byte
}

// flush delivers the queue in order: consecutive subscription updates are
// grouped into one call per onUpdate function; a state change first
// delivers the updates queued before it. It runs on a JS microtask and
// holds no lock while calling JS, so callbacks may call the client.
func flush() {
	qmu.Lock()
	q := queue
	queue = nil
	scheduled = false
	qmu.Unlock()

	var batches []*batch
	emit := func() {
		for _, b := range batches {
			n := 2
			for _, e := range b.entries {
				n += len(e) + 1
			}
			buf := make([]byte, 0, n)
			buf = append(buf, '[')
			for i, e := range b.entries {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, e...)
			}
			buf = append(buf, ']')
			if _, err := b.sink.fn.Invoke(string(buf)); err != nil {
				jsbridge.Log("error", "goconvex: an onUpdate callback threw: "+err.Error())
			}
		}
		batches = nil
	}
	for _, d := range q {
		h := d.h
		if d.sub != nil {
			h.mu.Lock()
			live := !h.closed && h.subs[d.sub.id] == d.sub
			h.mu.Unlock()
			if !live {
				continue
			}
			var b *batch
			for _, x := range batches {
				if x.sink == d.sub.sink {
					b = x
					break
				}
			}
			if b == nil {
				b = &batch{sink: d.sub.sink}
				batches = append(batches, b)
			}
			b.entries = append(b.entries, d.entry)
			continue
		}
		if d.w == nil { // a mutation settled
			emit()
			if _, err := d.settled.Invoke(); err != nil {
				jsbridge.Log("error", "goconvex: a mutation's onSettled threw: "+err.Error())
			}
			continue
		}
		h.mu.Lock()
		live := !h.closed && !d.w.stopped
		h.mu.Unlock()
		if !live {
			continue
		}
		emit()
		if _, err := d.w.fn.Invoke(d.state); err != nil {
			jsbridge.Log("error", "goconvex: a state callback threw: "+err.Error())
		}
	}
	emit()
}
