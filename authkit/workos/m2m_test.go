package workos_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/customjwt"
)

var botApp = authkittest.M2MApp{ClientID: "client_01BOTAPP000000000000000000", ClientSecret: "secret_bot", OrganizationID: "org_01BOTS", Scopes: []string{"chat:write"}}

func TestClientCredentialsSource(t *testing.T) {
	clk := newStepClock()
	srv := authkittest.NewServer(authkittest.WithM2MApps(botApp), authkittest.WithClock(clk.Now), authkittest.WithTokenLifetime(5*time.Minute))
	defer srv.Close()
	ctx := context.Background()
	src, err := workos.NewClientCredentialsSourceAt(workos.ClientCredentialsConfig{
		AuthKitDomain: srv.M2MIssuer(), ClientID: botApp.ClientID, ClientSecret: botApp.ClientSecret,
	}, clk.Now)
	require.NoError(t, err)

	// Concurrent callers share one fetch; the cached token is reused.
	var wg sync.WaitGroup
	toks := make([]*authkit.Token, 8)
	for i := range toks {
		wg.Go(func() {
			tk, err := src.Token(ctx, false)
			assert.NoError(t, err)
			toks[i] = tk
		})
	}
	wg.Wait()
	assert.Equal(t, 1, srv.Requests(authkittest.RouteOAuthToken))
	for _, tk := range toks {
		assert.Equal(t, toks[0].AccessToken, tk.AccessToken)
	}
	assert.Equal(t, botApp.ClientID, toks[0].Subject)
	assert.Equal(t, srv.M2MIssuer(), toks[0].Issuer)
	assert.Empty(t, toks[0].SessionID)

	// Still fresh: no fetch. Within the refresh buffer: a new token.
	clk.Sleep(ctx, 4*time.Minute)
	_, err = src.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Requests(authkittest.RouteOAuthToken))
	clk.Sleep(ctx, 40*time.Second)
	t2, err := src.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests(authkittest.RouteOAuthToken))
	assert.NotEqual(t, toks[0].AccessToken, t2.AccessToken)

	// Forced: another token.
	t3, err := src.Token(ctx, true)
	require.NoError(t, err)
	assert.NotEqual(t, t2.AccessToken, t3.AccessToken)

	// A transient failure keeps the cached token for an unforced call.
	srv.Fault(authkittest.RouteOAuthToken, authkittest.Fault{Status: 503})
	clk.Sleep(ctx, 4*time.Minute+40*time.Second)
	t4, err := src.Token(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, t3.AccessToken, t4.AccessToken)
	_, err = src.Token(ctx, true)
	require.ErrorIs(t, err, authkit.ErrTransient)
	srv.ClearFaults()

	// Wrong credentials: signed out.
	bad, err := workos.NewClientCredentialsSource(workos.ClientCredentialsConfig{
		AuthKitDomain: srv.M2MIssuer(), ClientID: botApp.ClientID, ClientSecret: "nope",
	})
	require.NoError(t, err)
	_, err = bad.Token(ctx, false)
	require.ErrorIs(t, err, authkit.ErrSignedOut)

	_, err = workos.NewClientCredentialsSource(workos.ClientCredentialsConfig{AuthKitDomain: "ftp://x", ClientID: "a", ClientSecret: "b"})
	require.Error(t, err)
}

// An M2M token is accepted by a deployment (and by the Verifier) that
// declares the third provider, and rejected by the two WorkOS ones alone.
func TestClientCredentialsWithConvex(t *testing.T) {
	ak := authkittest.NewServer(authkittest.WithM2MApps(botApp))
	defer ak.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	m2m := workos.M2MConvexProvider(ak.M2MIssuer(), ak.ClientID())
	assert.Equal(t, ak.URL()+"/oauth2/jwks", m2m.JWKS)
	assert.Equal(t, ak.ClientID(), m2m.ApplicationID)
	assert.Contains(t, customjwt.AuthConfigTS(append(workos.Config{ClientID: ak.ClientID()}.ConvexProviders(), m2m)), ak.M2MIssuer())

	src, err := workos.NewClientCredentialsSource(workos.ClientCredentialsConfig{
		AuthKitDomain: ak.M2MIssuer(), ClientID: botApp.ClientID, ClientSecret: botApp.ClientSecret,
	})
	require.NoError(t, err)
	tok, err := src.Token(ctx, false)
	require.NoError(t, err)

	claims, err := customjwt.NewVerifier(customjwt.Config{Providers: []customjwt.Provider{m2m}}).Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, botApp.ClientID, claims.Subject)
	_, err = customjwt.NewVerifier(customjwt.Config{Providers: workos.Config{ClientID: ak.ClientID(), APIBase: ak.URL()}.ConvexProviders()}).Verify(ctx, tok.AccessToken)
	require.ErrorIs(t, err, customjwt.ReasonNoAuthProvider)

	cx := convextest.NewServer(convextest.WithAuth(
		customjwt.Provider{Issuer: "https://api.workos.com/user_management/" + ak.ClientID(), JWKS: ak.JWKSURL()},
		m2m,
	))
	defer cx.Close()
	cx.Query("whoami", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		if id := ctx.Identity(); id != nil {
			return id.Subject, nil
		}
		return nil, nil
	})
	c, err := client.New(cx.URL())
	require.NoError(t, err)
	defer c.Close()
	p := authkit.NewProvider(src, authkit.ProviderConfig{ProactiveRefresh: true})
	defer p.Close()
	c.SetAuth(p)
	var sub string
	require.NoError(t, c.Query(ctx, "whoami", client.Args{}, &sub))
	assert.Equal(t, botApp.ClientID, sub)
	assert.True(t, c.AuthState().IsAuthenticated)
}
