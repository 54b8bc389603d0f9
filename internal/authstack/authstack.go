// Package authstack starts, for a test, the local auth stack the module's
// programs run against: a WorkOS-compatible issuer (authkittest) and a
// Convex deployment (convextest) that trusts it the way
// convex/auth.config.ts trusts WorkOS (devauth's providers), with the chat
// app's functions. Both are closed when the test ends. The CLI's, the
// bot's and the auth-flow tests share it.
package authstack

import (
	"context"
	"testing"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/devauth"
)

// Stack is an issuer and a deployment that trusts it.
type Stack struct {
	Issuer     *authkittest.Server
	Deployment *convextest.Server
}

// Options change the stack.
type Options struct {
	// Issuer are the issuer's options.
	Issuer []authkittest.Option
	// Providers are auth providers the deployment trusts besides the
	// issuer's two (a workos.M2MConvexProvider, say).
	Providers []customjwt.Provider
	// Deployment are the deployment's options, after its WithAuth.
	Deployment []convextest.Option
}

// New starts a stack for t.
func New(t testing.TB, o Options) *Stack {
	t.Helper()
	issuer := authkittest.NewServer(o.Issuer...)
	t.Cleanup(issuer.Close)
	return &Stack{Issuer: issuer, Deployment: NewDeployment(t, issuer, o.Providers, o.Deployment...)}
}

// NewDeployment starts, for t, a deployment with the chat app's functions
// that trusts issuer's tokens and those of the extra providers.
func NewDeployment(t testing.TB, issuer *authkittest.Server, extra []customjwt.Provider, opts ...convextest.Option) *convextest.Server {
	t.Helper()
	providers := append(devauth.ConvexProviders(issuer), extra...)
	d := convextest.NewServer(append([]convextest.Option{convextest.WithAuth(providers...)}, opts...)...)
	t.Cleanup(d.Close)
	chat.Register(d)
	return d
}

// WorkOS is the issuer as a WorkOS environment.
func (s *Stack) WorkOS() workos.Config {
	return workos.Config{ClientID: s.Issuer.ClientID(), APIBase: s.Issuer.URL()}
}

// Session returns a Session over a MemoryStore holding a refresh token of
// userID, as a sign-in leaves it.
func (s *Stack) Session(t testing.TB, userID string) *workos.Session {
	t.Helper()
	signedIn, err := s.Issuer.IssueTokens(userID)
	if err != nil {
		t.Fatal(err)
	}
	store := workos.NewMemoryStore()
	if err := store.Save(context.Background(), &workos.StoredSession{RefreshToken: signedIn.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	sess, err := workos.NewSession(workos.SessionConfig{Config: s.WorkOS(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return sess
}
