package authkit

import (
	"context"
	"time"
)

// This file is the proactive refresh of ProviderConfig.ProactiveRefresh: a
// goroutine that refreshes each token before it is due.

// Close stops the proactive refresh goroutine, if any, and waits for it.
// FetchToken keeps working after Close.
func (p *Provider) Close() error {
	p.cancel()
	p.wg.Wait()
	return nil
}

// nudge wakes the refresh loop to look at the state again. p.mu is held.
func (p *Provider) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// loop is the proactive refresh goroutine.
func (p *Provider) loop() {
	defer p.wg.Done()
	var (
		lastAttempt time.Time
		jitterFor   string
		jitter      time.Duration
	)
	for {
		p.mu.Lock()
		tok, latched, loading := p.lastGood, p.latched, p.state.IsLoading
		p.mu.Unlock()

		if latched || (tok == nil && !loading) {
			// Nothing to refresh until a token arrives or the application
			// says the user is back.
			select {
			case <-p.wake:
				continue
			case <-p.ctx.Done():
				return
			}
		}

		interval := p.cfg.MinRefreshInterval
		var at time.Time
		if tok == nil {
			// The first fetch, or a retry of it.
			if !lastAttempt.IsZero() {
				at = lastAttempt.Add(interval)
			}
		} else {
			if life := tok.Lifetime(); life > 0 {
				interval = min(interval, life/2)
			}
			if jitterFor != tok.AccessToken {
				jitterFor, jitter = tok.AccessToken, p.h.jitter(tok.RefreshBuffer()/4)
			}
			at = tok.RefreshAt().Add(-jitter)
			if !lastAttempt.IsZero() && at.Before(lastAttempt.Add(interval)) {
				at = lastAttempt.Add(interval)
			}
		}
		if d := at.Sub(p.h.now()); !at.IsZero() && d > 0 {
			switch p.wait(d) {
			case waitClosed:
				return
			case waitWoken:
				continue
			}
		}

		lastAttempt = p.h.now()
		if tok == nil {
			_, _ = p.get(p.ctx, false, "")
			continue
		}
		p.mu.Lock()
		current := p.lastGood != nil && p.lastGood.AccessToken == tok.AccessToken && !p.latched
		p.mu.Unlock()
		if current {
			_, _ = p.get(p.ctx, true, tok.AccessToken)
		}
		if p.ctx.Err() != nil {
			return
		}
	}
}

type waitResult int

const (
	waitElapsed waitResult = iota
	waitWoken
	waitClosed
)

// wait sleeps for d on the Provider's clock, or until nudged or closed.
func (p *Provider) wait(d time.Duration) waitResult {
	sctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	slept := make(chan error, 1)
	go func() { slept <- p.h.sleep(sctx, d) }()
	select {
	case err := <-slept:
		if err != nil {
			return waitClosed
		}
		return waitElapsed
	case <-p.wake:
		cancel()
		<-slept
		return waitWoken
	case <-p.ctx.Done():
		cancel()
		<-slept
		return waitClosed
	}
}
