package authflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/authstack"
)

// stack is an issuer, a deployment that trusts it, and a signed-in Provider
// (proactive refresh on) over a Session.
type stack struct {
	issuer     *authkittest.Server
	deployment *convextest.Server
	session    *workos.Session
}

func newStack(t *testing.T, opts ...authkittest.Option) *stack {
	t.Helper()
	st := authstack.New(t, authstack.Options{Issuer: append([]authkittest.Option{authkittest.WithJWTTemplate(authkittest.NameEmailTemplate)}, opts...)})
	return &stack{issuer: st.Issuer, deployment: st.Deployment, session: st.Session(t, authkittest.DemoUser.ID)}
}

// returnsWithin fails the test unless fn returns before a generous deadline:
// a hang detector, not a speed check.
func returnsWithin(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s never returned", what)
	}
}

// TestProviderWatcherCloses: a Provider watcher may close the Provider and
// the client it feeds, on the first authenticated state; both Close calls
// return.
func TestProviderWatcherCloses(t *testing.T) {
	st := newStack(t)
	c, err := client.New(st.deployment.URL())
	require.NoError(t, err)
	p := authkit.NewProvider(st.session, authkit.ProviderConfig{ProactiveRefresh: true})
	c.SetAuth(p)
	closed := make(chan struct{})
	var once sync.Once
	stop := p.Watch(func(s authkit.ProviderState) {
		if s.IsAuthenticated {
			once.Do(func() {
				require.NoError(t, c.Close())
				require.NoError(t, p.Close())
				close(closed)
			})
		}
	})
	defer stop()
	returnsWithin(t, "Close from a Provider watcher", func() { <-closed })
}

// TestClientAuthWatcherSignsOutAndCloses: a client's WatchAuth callback
// signs the Provider out (its watchers run on this goroutine), and one of
// those watchers closes the client: every call returns.
func TestClientAuthWatcherSignsOutAndCloses(t *testing.T) {
	st := newStack(t)
	c, err := client.New(st.deployment.URL())
	require.NoError(t, err)
	p := authkit.NewProvider(st.session, authkit.ProviderConfig{})
	defer p.Close()
	c.SetAuth(p)
	closed := make(chan struct{})
	var once sync.Once
	p.Watch(func(s authkit.ProviderState) {
		if !s.IsLoading && !s.IsAuthenticated {
			once.Do(func() {
				require.NoError(t, c.Close())
				close(closed)
			})
		}
	})
	c.WatchAuth(func(s client.AuthState) {
		if s.IsAuthenticated {
			p.SignOut()
		}
	})
	returnsWithin(t, "Close from a Provider watcher run by a client callback", func() { <-closed })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.ErrorIs(t, c.Mutation(ctx, "messages:send", client.Args{"body": "late"}, nil), client.ErrClosed)
}
