package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testJWT(n int, lifetime time.Duration) string {
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"sub": "u", "n": n, "iat": now.Unix(), "exp": now.Add(lifetime).Unix()})
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(payload) + ".sig"
}

// scriptedProvider hands out numbered tokens and records the calls.
type scriptedProvider struct {
	mu    sync.Mutex
	calls []bool // forceRefresh of each call
	fail  int    // the next fail calls return a transient error
	n     int
}

func (p *scriptedProvider) FetchToken(ctx context.Context, force bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, force)
	if p.fail > 0 {
		p.fail--
		return "", errors.New("issuer unreachable")
	}
	p.n++
	return testJWT(p.n, time.Hour), nil
}

func (p *scriptedProvider) forces() []bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// TestAuthLifecycle: transient provider failures are retried without
// signing out; queries wait for the token; the server's confirmation makes
// the client authenticated; an AuthError for an expired token leads to a
// forced fetch and a new socket that presents the new token, while the
// subscription carries on.
func TestAuthLifecycle(t *testing.T) {
	s := newScriptedServer(t)
	c := newTestClient(t, s.url())
	ctx := ctxT(t)

	var mu sync.Mutex
	var states []AuthState
	stop := c.WatchAuth(func(st AuthState) { mu.Lock(); states = append(states, st); mu.Unlock() })
	defer stop()

	p := &scriptedProvider{fail: 1}
	c.SetAuth(p)
	sub, err := c.Subscribe(ctx, "users:viewer", nil)
	require.NoError(t, err)
	conn := s.accept()
	conn.readType("Connect")
	// When the socket opened before SetAuth reached the client, the session
	// starts unauthenticated (an empty query set) and the token follows on
	// the same socket; either way nothing else goes out before it.
	auth := conn.read()
	if strings.Contains(auth, `"type":"ModifyQuerySet"`) {
		require.Contains(t, auth, `"modifications":[]`)
		auth = conn.read()
	}
	// The first fetch failed; the retry (after 500 ms) brings the token,
	// then the held query.
	require.Contains(t, auth, `"type":"Authenticate"`)
	require.Contains(t, auth, `"baseVersion":0,"tokenType":"User","value":"`+testJWT(1, time.Hour)[:20])
	require.Contains(t, conn.readType("ModifyQuerySet"), `"udfPath":"users:viewer"`)
	require.Equal(t, []bool{false, false}, p.forces())
	require.Equal(t, AuthState{IsLoading: true}, c.AuthState())

	conn.send(transitionFrame(v(0, 0, ts0), v(1, 1, ts1000), `{"type":"QueryUpdated","queryId":0,"value":"u","logLines":[],"journal":null}`))
	_, err = sub.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, AuthState{IsAuthenticated: true}, c.AuthState())

	conn.send(`{"type":"AuthError","error":"Convex token identity expired","baseVersion":1,"authUpdateAttempted":false}`)
	conn.waitClosed()
	conn2 := s.accept()
	require.Contains(t, conn2.readType("Connect"), `"lastCloseReason":null`, "an auth-driven restart sets no close reason")
	auth2 := conn2.readType("Authenticate")
	require.NotEqual(t, auth, auth2, "a new token")
	require.Equal(t, []bool{false, false, true}, p.forces(), "the re-authentication forces a refresh")
	conn2.readType("ModifyQuerySet")
	conn2.send(transitionFrame(v(0, 0, ts0), v(1, 1, ts2000), `{"type":"QueryUpdated","queryId":0,"value":"u2","logLines":[],"journal":null}`))
	res, err := sub.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, `"u2"`, string(res.Raw()))
	require.Equal(t, AuthState{IsAuthenticated: true}, c.AuthState())

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, AuthState{}, states[0], "the state before SetAuth")
	for _, st := range states[1:] {
		if st.IsLoading {
			continue
		}
		require.True(t, st.IsAuthenticated, "never signed out on the way: %v", states)
	}
	require.Contains(t, states, AuthState{IsAuthenticated: true, IsRefreshing: true})
}

// TestAuthSignOutAndClear: a provider with no user signs the client out
// and the held query runs unauthenticated; ClearAuth sends Authenticate None.
func TestAuthSignOutAndClear(t *testing.T) {
	s := newScriptedServer(t)
	c := newTestClient(t, s.url())
	ctx := ctxT(t)
	conn := s.accept()
	conn.readType("Connect")
	conn.readType("ModifyQuerySet")

	calls := 0
	c.SetAuth(TokenProviderFunc(func(ctx context.Context, force bool) (string, error) {
		calls++
		if calls <= 2 {
			return "", fmt.Errorf("no session: %w", ErrSignedOut)
		}
		return testJWT(calls, time.Hour), nil
	}))
	_, err := c.Subscribe(ctx, "q:a", nil)
	require.NoError(t, err)
	require.Contains(t, conn.readType("ModifyQuerySet"), `"baseVersion":1,"newVersion":2`)
	require.Equal(t, AuthState{}, c.AuthState())

	c.SetAuth(TokenProviderFunc(func(ctx context.Context, force bool) (string, error) { return testJWT(9, time.Hour), nil }))
	require.Contains(t, conn.readType("Authenticate"), `"baseVersion":0`)
	c.ClearAuth()
	require.Equal(t, `{"type":"Authenticate","tokenType":"None","baseVersion":1}`, conn.read())

	require.NoError(t, c.SetAdminAuth("admin-key", map[string]any{"subject": "u1", "issuer": "https://i"}))
	require.Equal(t, `{"type":"Authenticate","baseVersion":2,"tokenType":"Admin","value":"admin-key","impersonating":{"issuer":"https://i","subject":"u1"}}`, conn.read())
}
