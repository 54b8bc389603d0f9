package authkit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSource is a scripted TokenSource.
type fakeSource struct {
	mu     sync.Mutex
	forced []bool
	next   func(n int, forced bool) (*Token, error) // n is 1-based
	gate   chan struct{}
}

func (f *fakeSource) Token(ctx context.Context, forced bool) (*Token, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	f.forced = append(f.forced, forced)
	n := len(f.forced)
	next := f.next
	f.mu.Unlock()
	return next(n, forced)
}

func (f *fakeSource) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.forced)
}

func (f *fakeSource) Forced() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.forced...)
}

func (f *fakeSource) set(next func(n int, forced bool) (*Token, error)) {
	f.mu.Lock()
	f.next = next
	f.mu.Unlock()
}

// minter mints distinct parsed tokens on a clock.
func minter(now func() time.Time, life time.Duration) func() *Token {
	var n atomic.Int64
	return func() *Token {
		tok, err := ParseToken(tokenAt(now(), life, map[string]any{"jti": fmt.Sprint(n.Add(1))}))
		if err != nil {
			panic(err)
		}
		return tok
	}
}

var errNet = errors.New("network is unreachable")

func TestProviderCachesAndSharesFetches(t *testing.T) {
	c := newFakeClock(true)
	mint := minter(c.Now, time.Minute)
	src := &fakeSource{gate: make(chan struct{})}
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	p := newProvider(src, ProviderConfig{}, clockHooks(c))

	const n = 20
	var wg sync.WaitGroup
	toks := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := p.FetchToken(context.Background(), false)
			assert.NoError(t, err)
			toks[i] = tok
		}()
	}
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.flight != nil && p.flight.waiters == n
	}, 5*time.Second, time.Millisecond)
	close(src.gate)
	wg.Wait()
	assert.Equal(t, 1, src.Calls())
	for _, tok := range toks {
		assert.Equal(t, toks[0], tok)
	}

	// Fresh: served without asking the source.
	c.Advance(40 * time.Second)
	tok, err := p.FetchToken(context.Background(), false)
	require.NoError(t, err)
	assert.Equal(t, toks[0], tok)
	assert.Equal(t, 1, src.Calls())

	// Within the buffer (10 s): the source is asked, not forced.
	c.Advance(15 * time.Second)
	tok2, err := p.FetchToken(context.Background(), false)
	require.NoError(t, err)
	assert.NotEqual(t, tok, tok2)
	assert.Equal(t, []bool{false, false}, src.Forced())
}

func TestProviderKeepsLastGoodThroughTransientFailures(t *testing.T) {
	c := newFakeClock(true)
	mint := minter(c.Now, time.Minute)
	src := &fakeSource{}
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	var signedOutCalls atomic.Int32
	p := newProvider(src, ProviderConfig{OnSignedOut: func(error) { signedOutCalls.Add(1) }}, clockHooks(c))
	ctx := context.Background()
	good, err := p.FetchToken(ctx, false)
	require.NoError(t, err)

	src.set(func(int, bool) (*Token, error) { return nil, errNet })
	c.Advance(55 * time.Second) // due, not expired
	tok, err := p.FetchToken(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, good, tok, "the last good token while it is valid")
	assert.Equal(t, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}, c.Slept(), "retried with backoff")
	st := p.State()
	assert.True(t, st.IsAuthenticated)
	assert.False(t, st.IsLoading)
	require.ErrorIs(t, st.LastError, ErrTransient)
	assert.ErrorIs(t, st.LastError, errNet)

	// Forced: an error that is not a sign-out, never the same token.
	tok, err = p.FetchToken(ctx, true)
	assert.Empty(t, tok)
	require.ErrorIs(t, err, ErrTransient)
	assert.False(t, isSignedOut(err))

	// Expired: transient error, still authenticated.
	c.Advance(10 * time.Second)
	_, err = p.FetchToken(ctx, false)
	require.ErrorIs(t, err, ErrTransient)
	assert.True(t, p.State().IsAuthenticated)
	assert.Equal(t, int32(0), signedOutCalls.Load())

	// Back online.
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	tok, err = p.FetchToken(ctx, true)
	require.NoError(t, err)
	assert.NotEqual(t, good, tok)
	assert.Equal(t, ProviderState{IsAuthenticated: true}, p.State())
}

func TestProviderForcedNeverReturnsRejected(t *testing.T) {
	c := newFakeClock(true)
	mint := minter(c.Now, time.Minute)
	first := mint()
	src := &fakeSource{}
	src.set(func(int, bool) (*Token, error) { return first, nil })
	p := newProvider(src, ProviderConfig{}, clockHooks(c))
	ctx := context.Background()
	tok, err := p.FetchToken(ctx, false)
	require.NoError(t, err)
	require.Equal(t, first.AccessToken, tok)

	// The source keeps returning the same token (the @convex-dev/workos
	// bug): the forced fetch fails transiently instead.
	tok, err = p.FetchToken(ctx, true)
	assert.Empty(t, tok)
	require.ErrorIs(t, err, ErrTransient)
	assert.ErrorIs(t, err, errSameToken)
	assert.Equal(t, []bool{false, true, true, true}, src.Forced())

	// The same token first, a new one on retry: the new one.
	second := mint()
	src.set(func(n int, _ bool) (*Token, error) {
		if n == 5 {
			return first, nil
		}
		return second, nil
	})
	tok, err = p.FetchToken(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, second.AccessToken, tok)

	// Forced again: second was handed out, so it is the rejected one now.
	third := mint()
	src.set(func(int, bool) (*Token, error) { return third, nil })
	tok, err = p.FetchToken(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, third.AccessToken, tok)
}

func TestProviderStates(t *testing.T) {
	c := newFakeClock(true)
	mint := minter(c.Now, time.Minute)
	src := &fakeSource{}
	var mu sync.Mutex
	var seen []ProviderState
	var outErrs []error
	p := newProvider(src, ProviderConfig{OnSignedOut: func(err error) { mu.Lock(); outErrs = append(outErrs, err); mu.Unlock() }},
		clockHooks(c, withBackoff()))
	stop := p.Watch(func(st ProviderState) { mu.Lock(); seen = append(seen, st); mu.Unlock() })
	defer stop()
	ctx := context.Background()
	last := func() ProviderState {
		mu.Lock()
		defer mu.Unlock()
		return seen[len(seen)-1]
	}
	wait := func(want ProviderState) {
		t.Helper()
		require.Eventually(t, func() bool { return last() == want }, 5*time.Second, time.Millisecond)
		assert.Equal(t, want, p.State())
	}
	wait(ProviderState{IsLoading: true})

	// A transient failure does not settle loading: we do not know yet.
	src.set(func(int, bool) (*Token, error) { return nil, errNet })
	_, err := p.FetchToken(ctx, false)
	require.ErrorIs(t, err, ErrTransient)
	st := p.State()
	assert.True(t, st.IsLoading)
	assert.False(t, st.IsAuthenticated)
	assert.ErrorIs(t, st.LastError, errNet)

	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	_, err = p.FetchToken(ctx, false)
	require.NoError(t, err)
	wait(ProviderState{IsAuthenticated: true})

	// Terminal: signed out, callback once.
	gone := &SignedOutError{Err: errors.New("invalid_grant")}
	src.set(func(int, bool) (*Token, error) { return nil, gone })
	tok, err := p.FetchToken(ctx, true)
	assert.Empty(t, tok)
	require.ErrorIs(t, err, ErrSignedOut)
	var so interface{ SignedOut() bool }
	require.ErrorAs(t, err, &so)
	assert.True(t, so.SignedOut())
	wait(ProviderState{LastError: p.State().LastError})
	assert.False(t, p.State().IsAuthenticated)
	_, err = p.FetchToken(ctx, false)
	require.ErrorIs(t, err, ErrSignedOut)
	mu.Lock()
	assert.Len(t, outErrs, 1, "OnSignedOut once per sign-out")
	mu.Unlock()

	// The application says the user is back: loading until a fetch settles.
	p.Resume()
	wait(ProviderState{IsLoading: true})
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	_, err = p.FetchToken(ctx, false)
	require.NoError(t, err)
	wait(ProviderState{IsAuthenticated: true})

	// SignOut latches: the source is not asked.
	p.SignOut()
	wait(ProviderState{})
	calls := src.Calls()
	_, err = p.FetchToken(ctx, false)
	require.ErrorIs(t, err, ErrSignedOut)
	assert.Equal(t, calls, src.Calls())
	mu.Lock()
	assert.Len(t, outErrs, 1, "SignOut does not call OnSignedOut")
	mu.Unlock()
}

func TestProviderNilTokenMeansSignedOut(t *testing.T) {
	p := NewProvider(TokenSourceFunc(func(context.Context, bool) (*Token, error) { return nil, nil }), ProviderConfig{})
	tok, err := p.FetchToken(context.Background(), false)
	assert.Empty(t, tok)
	require.ErrorIs(t, err, ErrSignedOut)
	assert.Equal(t, ProviderState{LastError: err}, p.State())
}

func TestProviderContextCancel(t *testing.T) {
	c := newFakeClock(true)
	mint := minter(c.Now, time.Minute)
	src := &fakeSource{gate: make(chan struct{})}
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	p := newProvider(src, ProviderConfig{}, clockHooks(c))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.FetchToken(ctx, false)
	require.ErrorIs(t, err, ErrTransient)
	require.ErrorIs(t, err, context.Canceled)
	close(src.gate)
	tok, err := p.FetchToken(context.Background(), false)
	require.NoError(t, err)
	assert.NotEmpty(t, tok)
}

// The proactive loop, driven by a fake clock: first fetch at once, then a
// forced refresh at exp − buffer, retries no sooner than the minimum
// interval, and a forced FetchToken gets the loop's token without another
// call.
func TestProviderProactiveRefresh(t *testing.T) {
	c := newFakeClock(false)
	mint := minter(c.Now, time.Minute) // buffer 10 s
	src := &fakeSource{}
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	p := newProvider(src, ProviderConfig{ProactiveRefresh: true}, clockHooks(c, withBackoff(), withoutJitter))
	defer p.Close()
	settled := func(calls int) {
		t.Helper()
		require.Eventually(t, func() bool { return src.Calls() == calls && c.Sleepers() == 1 }, 5*time.Second, time.Millisecond)
	}

	settled(1) // the first token, fetched by the loop
	assert.Equal(t, ProviderState{IsAuthenticated: true}, p.State())
	first, err := p.FetchToken(context.Background(), false)
	require.NoError(t, err)

	c.Advance(49 * time.Second)
	settled(1)
	c.Advance(time.Second) // exp − 10 s
	settled(2)
	assert.Equal(t, []bool{false, true}, src.Forced())

	// The consumer (a Convex client) forces a refresh of the token it
	// holds: it gets the loop's new token, no extra call.
	tok, err := p.FetchToken(context.Background(), true)
	require.NoError(t, err)
	assert.NotEqual(t, first, tok)
	assert.Equal(t, 2, src.Calls())

	// A failure: the next try waits for the minimum interval (15 s).
	src.set(func(int, bool) (*Token, error) { return nil, errNet })
	c.Advance(50 * time.Second)
	settled(3)
	c.Advance(14 * time.Second)
	settled(3)
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	c.Advance(time.Second)
	settled(4)
	assert.True(t, p.State().IsAuthenticated)
	assert.NoError(t, p.State().LastError)

	// Close stops the loop.
	require.NoError(t, p.Close())
	c.Advance(time.Hour)
	assert.Equal(t, 4, src.Calls())
	assert.Equal(t, 0, c.Sleepers())
}

func TestProviderProactiveIdleWhenSignedOut(t *testing.T) {
	c := newFakeClock(false)
	src := &fakeSource{}
	src.set(func(int, bool) (*Token, error) { return nil, &SignedOutError{} })
	p := newProvider(src, ProviderConfig{ProactiveRefresh: true}, clockHooks(c))
	require.Eventually(t, func() bool { return src.Calls() == 1 }, 5*time.Second, time.Millisecond)
	c.Advance(time.Hour)
	assert.Equal(t, 1, src.Calls())
	assert.Equal(t, ProviderState{LastError: p.State().LastError}, p.State())

	// The app signs in again: the loop fetches at once.
	mint := minter(c.Now, time.Minute)
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	p.Resume()
	require.Eventually(t, func() bool { return p.State().IsAuthenticated }, 5*time.Second, time.Millisecond)
	require.NoError(t, p.Close())
}

func TestTokenBuffer(t *testing.T) {
	for _, tc := range []struct {
		life, buffer time.Duration
	}{
		{5 * time.Minute, 30 * time.Second},
		{time.Hour, 6 * time.Minute},
		{time.Minute, 10 * time.Second},
		{30 * time.Second, 10 * time.Second},
		{12 * time.Second, 6 * time.Second},
		{5 * time.Second, 2500 * time.Millisecond},
		{0, 10 * time.Second}, // no iat
	} {
		tok := &Token{Expiry: t0.Add(tc.life)}
		if tc.life > 0 {
			tok.IssuedAt = t0
		}
		assert.Equal(t, tc.buffer, tok.RefreshBuffer(), "lifetime %v", tc.life)
	}
}

func TestParseToken(t *testing.T) {
	raw := tokenAt(t0, time.Minute, map[string]any{"org_id": "org_1"})
	tok, err := ParseToken(raw)
	require.NoError(t, err)
	assert.Equal(t, &Token{AccessToken: raw, Expiry: t0.Add(time.Minute), IssuedAt: t0, SessionID: "session_1",
		OrganizationID: "org_1", Subject: "user_1", Issuer: "https://api.workos.com/user_management/client_test"}, tok)
	assert.Equal(t, time.Minute, tok.Lifetime())

	for _, bad := range []string{"", "a.b", "a.b.c.d", "!!!.e30.x", makeJWT(map[string]any{"sub": "x"}),
		makeJWT(map[string]any{"exp": "soon"}), "eyJhbGciOiJub25lIn0.bnVsbA.x"} {
		_, err := ParseToken(bad)
		assert.ErrorIs(t, err, ErrMalformedToken, "%q", bad)
	}
}

// A watcher may call back into the Provider (here: signing out when it
// sees an outage) without deadlocking, and sees every state in order.
func TestProviderWatchReentrant(t *testing.T) {
	c := newFakeClock(true)
	mint := minter(c.Now, time.Minute)
	src := &fakeSource{}
	src.set(func(int, bool) (*Token, error) { return mint(), nil })
	p := newProvider(src, ProviderConfig{}, clockHooks(c, withBackoff()))
	var mu sync.Mutex
	var seen []ProviderState
	snapshot := func() []ProviderState {
		mu.Lock()
		defer mu.Unlock()
		return append([]ProviderState(nil), seen...)
	}
	stop := p.Watch(func(st ProviderState) {
		mu.Lock()
		seen = append(seen, st)
		mu.Unlock()
		if st.LastError != nil && st.IsAuthenticated {
			p.SignOut()
		}
	})
	defer stop()
	require.Equal(t, []ProviderState{{IsLoading: true}}, snapshot(), "the current state before Watch returns")
	_, err := p.FetchToken(context.Background(), false)
	require.NoError(t, err)
	src.set(func(int, bool) (*Token, error) { return nil, errNet })
	_, err = p.FetchToken(context.Background(), true)
	require.ErrorIs(t, err, ErrTransient)
	require.Eventually(t, func() bool { return len(snapshot()) == 4 }, 5*time.Second, time.Millisecond)
	got := snapshot()
	assert.Equal(t, ProviderState{IsAuthenticated: true}, got[1])
	assert.True(t, got[2].IsAuthenticated)
	assert.Error(t, got[2].LastError)
	assert.Equal(t, ProviderState{}, got[3])
	assert.Equal(t, ProviderState{}, p.State())

	// A stopped watcher hears nothing more.
	stop()
	p.Resume()
	assert.Len(t, snapshot(), 4)
}
