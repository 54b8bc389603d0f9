package workos

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// barrierStore is the plainest Store: a mutex and a value, no Locker. Its
// writes wait for the test's go-ahead (release), so that a test can hold
// them back while the rest of a refresh races on.
type barrierStore struct {
	mu      sync.Mutex
	s       *StoredSession
	release chan struct{}
}

func (b *barrierStore) Load(ctx context.Context) (*StoredSession, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.clone(), nil
}

func (b *barrierStore) Save(ctx context.Context, s *StoredSession) error {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s = s.clone()
	return nil
}

func (b *barrierStore) Clear(ctx context.Context) error {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s = nil
	return nil
}

func (b *barrierStore) CompareAndSwap(ctx context.Context, old string, s *StoredSession) error {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	stored := ""
	if b.s != nil {
		stored = b.s.RefreshToken
	}
	if stored != old {
		return ErrStoreChanged
	}
	b.s = nil
	if s != nil {
		b.s = s.clone()
	}
	return nil
}

// Two Sessions on one plain store (no lock) refresh at once. However their
// steps interleave (here: the worst way, every store write held back until
// the other Session has run as far as it can), nobody is signed out, the
// refresh token is presented once, and the store ends with a live token.
func TestPlainStoreConcurrentRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := newFakeAPI(t, time.Now, 5*time.Minute)
		api.gate = make(chan struct{})
		api.entered = make(chan struct{}, 2)
		store := &barrierStore{s: &StoredSession{RefreshToken: api.grant()}, release: make(chan struct{})}
		var signedOut atomic.Int32
		newSess := func() *Session {
			s, err := newSession(SessionConfig{Config: Config{ClientID: "client_test", APIBase: "http://127.0.0.1:1", HTTPClient: &http.Client{Transport: handlerTransport{api}}}, Store: store, OnSignedOut: func(error) { signedOut.Add(1) }}, clock{now: time.Now, sleep: sleepCtx}, []time.Duration{})
			require.NoError(t, err)
			return s
		}
		a, b := newSess(), newSess()
		errs := make(chan error, 2)
		for _, s := range []*Session{a, b} {
			go func() { _, err := s.Token(context.Background(), true); errs <- err }()
		}
		synctest.Wait() // both refreshes as far as they go: at the server, or waiting
		close(api.gate)
		for {
			synctest.Wait()
			select {
			case store.release <- struct{}{}: // one held write at a time
				continue
			default:
			}
			break
		}
		require.NoError(t, <-errs)
		require.NoError(t, <-errs)
		assert.Zero(t, signedOut.Load(), "nobody signed out")
		assert.Equal(t, 1, api.Requests(), "the refresh token was presented once")
		st, _ := store.Load(context.Background())
		require.NotNil(t, st)
		api.mu.Lock()
		assert.True(t, api.live[st.RefreshToken], "the store holds a live refresh token")
		api.mu.Unlock()
	})
}
