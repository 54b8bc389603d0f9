package authkit

import (
	"slices"
	"sync"
)

// ProviderState is what a UI shows about the session.
type ProviderState struct {
	// IsLoading is true until the first fetch settles: a token arrived, or
	// the source said there is no session. A transient failure does not
	// settle it (whether a session exists is still unknown); LastError
	// then says why.
	IsLoading bool
	// IsAuthenticated means a session is present: the last definitive
	// answer of the source was a token. It stays true through transient
	// failures (a network outage does not sign anyone out) and becomes
	// false only on a sign-out.
	IsAuthenticated bool
	// LastError is the error of the latest failed fetch, nil once a fetch
	// succeeds. With IsAuthenticated set it is a transient outage (it
	// matches ErrTransient); after a sign-out it is the reason (it matches
	// ErrSignedOut).
	LastError error
}

// State returns the current state.
func (p *Provider) State() ProviderState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Watch calls fn with the current state, then after every change until
// stop is called. Calls to watchers are made one at a time, in order, and
// always carry the latest state (a quick succession of changes may be
// reported once). When no other delivery is under way, fn gets the
// current state before Watch returns. fn runs on the goroutine that made
// the change and must not block for long; it may call any method of the
// Provider.
func (p *Provider) Watch(fn func(ProviderState)) (stop func()) {
	p.mu.Lock()
	id := p.nextID
	p.nextID++
	p.watchers[id] = &watcher{fn: fn}
	p.mu.Unlock()
	p.notify()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.watchers, id)
			p.mu.Unlock()
		})
	}
}

type watcher struct {
	fn   func(ProviderState)
	sent bool
	last ProviderState
}

// notify delivers the current state to every watcher that has not seen
// it. One goroutine delivers at a time; a notify during a delivery (from
// another goroutine, or from a watcher) is picked up by the delivering
// goroutine before it stops.
func (p *Provider) notify() {
	p.mu.Lock()
	p.pending = true
	if p.delivering {
		p.mu.Unlock()
		return
	}
	p.delivering = true
	for p.pending {
		p.pending = false
		st := p.state
		ids := make([]int, 0, len(p.watchers))
		for id, w := range p.watchers {
			if !w.sent || w.last != st {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			w, ok := p.watchers[id]
			if !ok {
				continue // stopped meanwhile
			}
			w.sent, w.last = true, st
			p.mu.Unlock()
			w.fn(st)
			p.mu.Lock()
			if p.state != st {
				p.pending = true
			}
		}
	}
	p.delivering = false
	p.mu.Unlock()
}
