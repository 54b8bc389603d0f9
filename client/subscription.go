package client

import (
	"context"
	"sync"

	"github.com/goconvex/convex/client/internal/core"
)

// subscriber is one consumer of a query's results. The event loop delivers
// into it; Next and callbacks read from it. Only the latest result is kept:
// a slow reader skips intermediate results, as a UI would.
type subscriber struct {
	token    core.QueryToken
	function string
	callback func(*Result, error) // nil for Subscription.Next readers

	mu        sync.Mutex
	res       *Result
	err       error
	seq       uint64
	closed    bool
	scheduled bool // a call to callback is queued and has not started
	notify    chan struct{}
}

// deliver makes res, err the subscriber's latest result. For a callback
// subscriber it returns the call to queue on the dispatcher, or nil when a
// call is already queued: that call will carry this result instead.
func (s *subscriber) deliver(res *Result, err error) (call func()) {
	s.mu.Lock()
	s.res, s.err = res, err
	s.seq++
	if s.callback == nil {
		s.mu.Unlock()
		s.signal()
		return nil
	}
	defer s.mu.Unlock()
	if s.scheduled {
		return nil
	}
	s.scheduled = true
	return s.call
}

// call runs the callback with the latest result, unless the subscriber
// closed meanwhile.
func (s *subscriber) call() {
	s.mu.Lock()
	res, err, closed := s.res, s.err, s.closed
	s.scheduled = false
	s.mu.Unlock()
	if !closed {
		s.callback(res, err)
	}
}

func (s *subscriber) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// markClosed ends the subscriber and wakes a pending Next. It reports
// whether it was open.
func (s *subscriber) markClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.closed = true
	s.signal()
	return true
}

// Subscription receives the results of one query as they change.
type Subscription struct {
	c    *Client
	sub  *subscriber
	seen uint64
	mu   sync.Mutex // serializes Next
}

// Next returns the query's current result the first time, and after that
// each new result; it blocks until there is one. A slow reader skips
// intermediate results and gets the latest. A failed query is returned as a
// *FunctionError, and the subscription stays alive. After Close, or the
// client's Close, Next returns ErrClosed.
func (s *Subscription) Next(ctx context.Context) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		s.sub.mu.Lock()
		if s.sub.closed {
			s.sub.mu.Unlock()
			return nil, ErrClosed
		}
		if s.sub.seq > s.seen {
			s.seen = s.sub.seq
			res, err := s.sub.res, s.sub.err
			s.sub.mu.Unlock()
			return res, err
		}
		s.sub.mu.Unlock()
		select {
		case <-s.sub.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close ends the subscription and unblocks a pending Next. The server query
// is removed when its last subscriber closes.
func (s *Subscription) Close() error {
	s.c.unsubscribe(s.sub)
	return nil
}
