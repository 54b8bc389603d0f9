// Package authflow runs the whole native auth stack end to end: the Convex
// client, authkit's Provider over a refresh-token Session, the local WorkOS
// issuer and the in-memory deployment, with real sockets and real time.
package authflow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/devauth"
)

// flakyTransport fails a share of the refresh requests with 503, as an
// overloaded issuer or a dropped connection would (seeded, so runs repeat).
type flakyTransport struct {
	mu     sync.Mutex
	rng    *rand.Rand
	share  float64
	total  int
	failed int
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, authkittest.RouteAuthenticate) {
		f.mu.Lock()
		f.total++
		fail := f.rng.Float64() < f.share
		if fail {
			f.failed++
		}
		f.mu.Unlock()
		if fail {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"application/json"}},
				Body: http.NoBody, Request: r}, nil
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// tokenLog records each token the client is handed and when.
type tokenLog struct {
	mu      sync.Mutex
	fetched []fetched
}

type fetched struct {
	at  time.Time
	tok *authkit.Token
}

func (l *tokenLog) wrap(p client.TokenProvider) client.TokenProvider {
	return client.TokenProviderFunc(func(ctx context.Context, force bool) (string, error) {
		s, err := p.FetchToken(ctx, force)
		if err == nil && s != "" {
			tok, perr := authkit.ParseToken(s)
			if perr == nil {
				l.mu.Lock()
				if n := len(l.fetched); n == 0 || l.fetched[n-1].tok.AccessToken != s {
					l.fetched = append(l.fetched, fetched{at: time.Now(), tok: tok})
				}
				l.mu.Unlock()
			}
		}
		return s, err
	})
}

// TestSixtySecondsOfFiveSecondTokens is issue 4's scenario: tokens living
// 5 s, a fifth of the refreshes failing transiently, for 60 s. The user is
// never signed out, no call fails with an auth error, and every token is
// replaced before it expires. Midway the deployment rejects the identity
// (a server-side expiry): the client refreshes, re-authenticates, and the
// subscription carries on.
func TestSixtySecondsOfFiveSecondTokens(t *testing.T) {
	const (
		lifetime = 5 * time.Second
		duration = 60 * time.Second
	)
	issuer := authkittest.NewServer(authkittest.WithTokenLifetime(lifetime), authkittest.WithJWTTemplate(authkittest.NameEmailTemplate))
	defer issuer.Close()
	clientID := issuer.ClientID()
	deployment := convextest.NewServer(convextest.WithAuth(devauth.ConvexProviders(issuer)...))
	defer deployment.Close()
	chat.Register(deployment)

	first, err := issuer.IssueTokens(authkittest.DemoUser.ID)
	require.NoError(t, err)
	store := authkit.NewMemoryStore()
	ctx, cancel := context.WithTimeout(context.Background(), duration+30*time.Second)
	defer cancel()
	require.NoError(t, store.Save(ctx, &authkit.StoredSession{RefreshToken: first.RefreshToken, AccessToken: first.AccessToken}))

	flaky := &flakyTransport{rng: rand.New(rand.NewPCG(4, 2)), share: 0.2}
	var signedOut atomic.Value
	session, err := authkit.NewSession(authkit.SessionConfig{
		ClientID: clientID, APIBase: issuer.URL(), Store: store,
		HTTPClient:  &http.Client{Transport: flaky, Timeout: 10 * time.Second},
		OnSignedOut: func(err error) { signedOut.Store(err) },
	})
	require.NoError(t, err)
	provider := authkit.NewProvider(session, authkit.WithProactiveRefresh(true))
	defer provider.Close()

	c, err := client.New(deployment.URL())
	require.NoError(t, err)
	defer c.Close()
	var log tokenLog
	c.SetAuth(log.wrap(provider))

	var mu sync.Mutex
	var states []client.AuthState
	stop := c.WatchAuth(func(s client.AuthState) { mu.Lock(); states = append(states, s); mu.Unlock() })
	defer stop()

	sub, err := c.Subscribe(ctx, "messages:list", nil)
	require.NoError(t, err)
	var viewer struct{ Name string }
	require.NoError(t, c.Query(ctx, "users:viewer", nil, &viewer))
	require.Equal(t, "Demo User", viewer.Name)

	start := time.Now()
	sent, injected := 0, false
	for time.Since(start) < duration {
		if !injected && time.Since(start) > duration/2 {
			// The deployment decides the identity expired (spec §10.2).
			deployment.InjectAuthError("Convex token identity expired", false)
			injected = true
		}
		body := fmt.Sprintf("message %d", sent)
		if err := c.Mutation(ctx, "messages:send", client.Args{"body": body}, nil); err != nil {
			var fe *client.FunctionError
			require.False(t, errors.As(err, &fe), "a call failed: %v", err)
			require.NoError(t, err)
		}
		sent++
		time.Sleep(250 * time.Millisecond)
	}

	// The subscription carried on to the last message.
	want := fmt.Sprintf("message %d", sent-1)
	for {
		res, err := sub.Next(ctx)
		require.NoError(t, err)
		var msgs []struct{ Body string }
		require.NoError(t, res.Decode(&msgs))
		if len(msgs) > 0 && msgs[len(msgs)-1].Body == want {
			break
		}
	}

	require.Nil(t, signedOut.Load(), "the session was never ended")
	flaky.mu.Lock()
	failed, total := flaky.failed, flaky.total
	flaky.mu.Unlock()
	require.Greater(t, failed, 0, "some refreshes failed (%d of %d)", failed, total)

	mu.Lock()
	defer mu.Unlock()
	confirmed := false
	for _, s := range states {
		confirmed = confirmed || s.IsAuthenticated
		if confirmed {
			require.True(t, s.IsAuthenticated, "signed out after the first confirmation: %v", states)
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	require.Greater(t, len(log.fetched), int(duration/lifetime), "tokens were rotated")
	for i := 1; i < len(log.fetched); i++ {
		prev, next := log.fetched[i-1], log.fetched[i]
		require.True(t, next.at.Before(prev.tok.Expiry), "token %d was replaced at %s, after its expiry %s", i-1, next.at.Format(time.TimeOnly), prev.tok.Expiry.Format(time.TimeOnly))
	}
	t.Logf("%d messages, %d tokens, %d of %d refresh requests failed", sent, len(log.fetched), failed, total)
}
