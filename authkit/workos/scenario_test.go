package workos

import (
	"context"
	"github.com/goconvex/convex/authkit"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A minute of a bot's life with 5 s tokens and an API that fails 20 % of
// refresh requests with 503, on synctest's fake clock (the Session and
// Provider run on their default clock, which synctest virtualizes): the
// Provider never reports a sign-out, every token is replaced before it
// expires, and every token handed out is valid.
func TestScenarioShortTokensFlakyAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const lifetime = 5 * time.Second
		api := newFakeAPI(t, time.Now, lifetime)
		rng := rand.New(rand.NewPCG(2026, 9))
		failures := 0
		api.fail = func(int) int { // runs under api.mu
			if rng.Float64() < 0.2 {
				failures++
				return http.StatusServiceUnavailable
			}
			return 0
		}
		store := NewMemoryStore()
		ctx := context.Background()
		require.NoError(t, store.Save(ctx, &StoredSession{RefreshToken: api.grant()}))
		sess, err := NewSession(SessionConfig{Config: Config{ClientID: "client_test", APIBase: "https://api.test", HTTPClient: &http.Client{Transport: handlerTransport{api}}}, Store: store})
		require.NoError(t, err)

		var mu sync.Mutex
		var states []authkit.ProviderState
		p := authkit.NewProvider(sess, authkit.ProviderConfig{ProactiveRefresh: true})
		stop := p.Watch(func(st authkit.ProviderState) { mu.Lock(); states = append(states, st); mu.Unlock() })

		start := time.Now()
		served := 0
		for time.Since(start) < 60*time.Second {
			time.Sleep(1300 * time.Millisecond)
			tok, err := p.FetchToken(ctx, false)
			require.NoError(t, err)
			parsed, err := authkit.ParseToken(tok)
			require.NoError(t, err)
			require.True(t, time.Now().Before(parsed.Expiry), "a valid token at %v", time.Since(start))
			served++
		}
		stop()
		require.NoError(t, p.Close())
		synctest.Wait()

		mu.Lock()
		defer mu.Unlock()
		// Loading (if Watch came before the loop's first fetch ended), then
		// authenticated, and never anything else.
		require.NotEmpty(t, states)
		authed := false
		for _, st := range states {
			if st.IsAuthenticated {
				authed = true
			}
			if authed {
				assert.True(t, st.IsAuthenticated, "never signed out after the first token: %+v", st)
			} else {
				assert.True(t, st.IsLoading, "loading before the first token: %+v", st)
			}
		}
		assert.True(t, authed)

		api.mu.Lock()
		defer api.mu.Unlock()
		t.Logf("%d requests, %d failed with 503, %d tokens issued, %d handed out", api.requests, failures, len(api.issued), served)
		assert.Positive(t, failures)
		assert.GreaterOrEqual(t, len(api.issued), 60/5+1)
		for i := 1; i < len(api.issued); i++ {
			prev, next := api.issued[i-1], api.issued[i]
			assert.True(t, next.iat.Before(prev.exp), "token %d replaced before it expired (%v before)", i-1, prev.exp.Sub(next.iat))
		}
		last := api.issued[len(api.issued)-1]
		assert.True(t, last.exp.After(start.Add(60*time.Second)), "covered the whole minute")
	})
}
