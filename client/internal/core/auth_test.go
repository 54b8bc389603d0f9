package core

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeJWT builds an unsigned JWT with iat and exp; the client never
// verifies tokens, it only reads their times.
func fakeJWT(n int, iat time.Time, lifetime time.Duration) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(map[string]any{"sub": "u", "n": n, "iat": iat.Unix(), "exp": iat.Add(lifetime).Unix()})
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(payload) + ".sig"
}

func authFrame(base int, token string) string {
	return fmt.Sprintf(`{"type":"Authenticate","baseVersion":%d,"tokenType":"User","value":"%s"}`, base, token)
}

// TestAuthPausesUntilTheFirstToken: with a provider set before the socket
// opens, queries and mutations wait for the token, then go out after it
// (docs/protocol.md#connection-lifecycle: Connect, Authenticate,
// ModifyQuerySet, requests).
func TestAuthPausesUntilTheFirstToken(t *testing.T) {
	c := New(session)
	eff := c.StartAuth()
	require.Equal(t, &TokenFetch{Gen: 1, Force: false}, eff.Fetch)
	require.Equal(t, AuthState{IsLoading: true}, c.AuthState())
	c.Subscribe("messages:list", json.RawMessage(`{}`), "")
	c.Mutation("messages:send", nil, "", t0)
	c.Opened(ConnectMeta{LastCloseReason: strp("InitialConnect"), ClientTS: 1})
	require.Len(t, frames(c), 1, "only Connect goes out while the token is fetched")

	tok := fakeJWT(1, t0, time.Hour)
	c.TokenFetched(TokenOutcome{Gen: 1, Token: tok}, t0)
	require.Equal(t, []string{
		authFrame(0, tok),
		`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{}]}]}`,
		`{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{}]}`,
	}, frames(c))
	require.Equal(t, AuthState{IsLoading: true}, c.AuthState(), "loading until the server confirms")

	u := receive(t, c, transition(v(0, 0, 0), v(1, 1, 10), ""))
	require.True(t, u.AuthConfirmed)
	require.Equal(t, AuthState{IsAuthenticated: true}, c.AuthState())
	require.Equal(t, &TokenFetch{Gen: 1, Force: true, Delay: time.Hour - AuthLeeway}, u.Auth.Fetch, "refetch before expiry")
}

// TestAuthOnAnOpenSocket: setting a provider on a live socket pauses new
// work, then sends Authenticate at the current identity version and the
// held changes, as the JS client's resume does.
func TestAuthOnAnOpenSocket(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	frames(c)
	c.StartAuth()
	c.Subscribe("q:a", json.RawMessage(`{}`), "")
	require.Empty(t, frames(c))
	tok := fakeJWT(1, t0, time.Hour)
	c.TokenFetched(TokenOutcome{Gen: 1, Token: tok}, t0)
	require.Equal(t, []string{
		authFrame(0, tok),
		`{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[{"type":"Add","queryId":0,"udfPath":"q:a","args":[{}]}]}`,
	}, frames(c))
}

// TestAuthRefreshCycle: scheduled refetches send a new token at the next
// identity version; a provider returning the same token stops the cycle.
func TestAuthRefreshCycle(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	c.StartAuth()
	tok1 := fakeJWT(1, t0, 5*time.Second)
	c.TokenFetched(TokenOutcome{Gen: 1, Token: tok1}, t0)
	frames(c)
	u := receive(t, c, transition(v(0, 0, 0), v(1, 1, 10), ""))
	require.Equal(t, 3750*time.Millisecond, u.Auth.Fetch.Delay, "a 5 s token is refetched after 3.75 s, not in a loop")

	c.Refetching(1)
	tok2 := fakeJWT(2, t0.Add(4*time.Second), 5*time.Second)
	c.TokenFetched(TokenOutcome{Gen: 1, Force: true, Token: tok2}, t0.Add(4*time.Second))
	require.Equal(t, []string{authFrame(1, tok2)}, frames(c))
	require.Equal(t, AuthState{IsAuthenticated: true}, c.AuthState(), "no loading flicker during a refresh")
	u = receive(t, c, transition(v(1, 1, 10), v(1, 2, 10), ""))
	require.NotNil(t, u.Auth.Fetch)

	c.Refetching(1)
	c.TokenFetched(TokenOutcome{Gen: 1, Force: true, Token: tok2}, t0.Add(8*time.Second))
	require.Empty(t, frames(c), "the same token is not sent again")
	require.Equal(t, AuthState{IsAuthenticated: true}, c.AuthState())
}

// TestAuthTransientErrorsKeepTheSession: a failing provider is retried with
// growing delays and never signs the user out.
func TestAuthTransientErrorsKeepTheSession(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	c.StartAuth()
	// During the first fetch: the client stays paused and retries.
	var delays []time.Duration
	for range 8 {
		eff := c.TokenFetched(TokenOutcome{Gen: 1, Err: errors.New("network down")}, t0)
		delays = append(delays, eff.Fetch.Delay)
	}
	require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}, delays)
	require.Equal(t, AuthState{IsLoading: true}, c.AuthState())

	tok := fakeJWT(1, t0, time.Hour)
	c.TokenFetched(TokenOutcome{Gen: 1, Token: tok}, t0)
	receive(t, c, transition(v(0, 0, 0), v(1, 1, 10), ""))
	// During a scheduled refetch: the confirmed token stays, and so does the state.
	c.Refetching(1)
	eff := c.TokenFetched(TokenOutcome{Gen: 1, Force: true, Err: errors.New("503")}, t0)
	require.True(t, eff.Fetch.Force)
	require.Equal(t, 500*time.Millisecond, eff.Fetch.Delay, "the failure count restarts after a success")
	require.Equal(t, AuthState{IsAuthenticated: true}, c.AuthState())
}

// TestAuthErrorReauthenticates: a token that expires mid-session gets an
// AuthError; the client stops the socket, fetches a forced token, and
// restarts with it, staying authenticated and refreshing meanwhile.
func TestAuthErrorReauthenticates(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	c.StartAuth()
	tok1 := fakeJWT(1, t0, time.Hour)
	c.TokenFetched(TokenOutcome{Gen: 1, Token: tok1}, t0)
	receive(t, c, transition(v(0, 0, 0), v(1, 1, 10), ""))
	frames(c)

	u := receive(t, c, `{"type":"AuthError","error":"Convex token identity expired","baseVersion":1,"authUpdateAttempted":false}`)
	require.True(t, u.Auth.StopSocket)
	require.Equal(t, &TokenFetch{Gen: 1, Force: true}, u.Auth.Fetch)
	require.Equal(t, AuthState{IsAuthenticated: true, IsRefreshing: true}, c.AuthState())
	c.Closed()

	tok2 := fakeJWT(2, t0, time.Hour)
	eff := c.TokenFetched(TokenOutcome{Gen: 1, Force: true, Token: tok2}, t0)
	require.True(t, eff.RestartSocket)
	c.Opened(ConnectMeta{ConnectionCount: 1})
	got := frames(c)
	require.Equal(t, authFrame(0, tok2), got[1])
	receive(t, c, transition(v(0, 0, 0), v(1, 1, 20), ""))
	require.Equal(t, AuthState{IsAuthenticated: true}, c.AuthState())
}

// TestAuthGivesUpAfterRejectedFreshTokens: fresh tokens the server keeps
// rejecting end in sign-out after a bounded number of attempts
// (docs/auth.md#client-state-machine, step 5).
func TestAuthGivesUpAfterRejectedFreshTokens(t *testing.T) {
	c := New(session)
	c.StartAuth()
	c.Opened(ConnectMeta{})
	c.TokenFetched(TokenOutcome{Gen: 1, Token: "cached"}, t0)
	reject := `{"type":"AuthError","error":"Invalid issuer","baseVersion":0,"authUpdateAttempted":true}`
	fetches := 0
	for i := 0; ; i++ {
		require.Less(t, i, 10, "the client must give up")
		u := receive(t, c, reject)
		if u.Auth.Fetch == nil {
			break
		}
		fetches++
		c.Closed()
		eff := c.TokenFetched(TokenOutcome{Gen: 1, Force: true, Token: fmt.Sprintf("fresh-%d", i)}, t0)
		require.True(t, eff.RestartSocket)
		c.Opened(ConnectMeta{})
	}
	require.Equal(t, 3, fetches, "1 cached + 3 fresh tokens per config, as the JS client")
	require.Equal(t, AuthState{}, c.AuthState())
	require.False(t, c.HasAuth())
}

// TestAuthSignedOut: a provider without a token is asked once more with
// force, then the client carries on unauthenticated; the paused work is sent.
func TestAuthSignedOut(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	frames(c)
	eff := c.StartAuth()
	c.Subscribe("q:a", json.RawMessage(`{}`), "")
	eff = c.TokenFetched(TokenOutcome{Gen: eff.Fetch.Gen, SignedOut: true}, t0)
	require.Equal(t, &TokenFetch{Gen: 1, Force: true}, eff.Fetch)
	c.TokenFetched(TokenOutcome{Gen: 1, Force: true}, t0)
	require.Equal(t, AuthState{}, c.AuthState())
	require.Equal(t, []string{`{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[{"type":"Add","queryId":0,"udfPath":"q:a","args":[{}]}]}`}, frames(c))
	// Outcomes of an older config are ignored.
	require.Equal(t, AuthEffects{}, c.TokenFetched(TokenOutcome{Gen: 0, Token: "old"}, t0))
}

// TestClearAuthDuringPause: unlike the JS client, clearing auth while a
// fetch is pending is transmitted and ends the pause.
func TestClearAuthDuringPause(t *testing.T) {
	c := New(session)
	c.Opened(ConnectMeta{})
	c.StartAuth()
	tok := fakeJWT(1, t0, time.Hour)
	c.TokenFetched(TokenOutcome{Gen: 1, Token: tok}, t0)
	receive(t, c, transition(v(0, 0, 0), v(1, 1, 10), ""))
	frames(c)
	c.StartAuth() // a new provider: pause again
	c.Subscribe("q:a", json.RawMessage(`{}`), "")
	c.ClearAuth()
	require.Equal(t, []string{
		`{"type":"Authenticate","tokenType":"None","baseVersion":1}`,
		`{"type":"ModifyQuerySet","baseVersion":1,"newVersion":2,"modifications":[{"type":"Add","queryId":0,"udfPath":"q:a","args":[{}]}]}`,
	}, frames(c))
	require.Equal(t, AuthState{}, c.AuthState())
	require.Equal(t, AuthEffects{}, c.TokenFetched(TokenOutcome{Gen: 2, Token: "late"}, t0), "the cleared provider's fetch is ignored")
}

func TestRefetchDelay(t *testing.T) {
	for name, tc := range map[string]struct {
		token string
		now   time.Time
		want  time.Duration
		ok    bool
	}{
		"one hour":           {fakeJWT(1, t0, time.Hour), t0, time.Hour - 10*time.Second, true},
		"five seconds":       {fakeJWT(1, t0, 5*time.Second), t0, 3750 * time.Millisecond, true},
		"cached, half gone":  {fakeJWT(1, t0, time.Hour), t0.Add(30 * time.Minute), 30*time.Minute - 10*time.Second, true},
		"expired by clock":   {fakeJWT(1, t0, time.Hour), t0.Add(2 * time.Hour), time.Hour - 10*time.Second, true},
		"almost expired":     {fakeJWT(1, t0, time.Hour), t0.Add(time.Hour - 5*time.Second), time.Second, true},
		"two seconds":        {fakeJWT(1, t0, 2*time.Second), t0, 0, false},
		"not a jwt":          {"opaque", t0, 0, false},
		"a year, capped":     {fakeJWT(1, t0, 365*24*time.Hour), t0, maxRefreshDelay, true},
		"payload not base64": {"a.!!!.c", t0, 0, false},
		"payload not json":   {"a." + base64.RawURLEncoding.EncodeToString([]byte("x")) + ".c", t0, 0, false},
	} {
		got, ok := refetchDelay(tc.token, tc.now)
		require.Equal(t, tc.ok, ok, name)
		require.Equal(t, tc.want, got, name)
	}
}
