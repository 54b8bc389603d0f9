package workos_test

import (
	"context"
	"github.com/goconvex/convex/customjwt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
)

// instant is a Sleep that does not wait (retries are tested elsewhere).
func instant(ctx context.Context, d time.Duration) error { return ctx.Err() }

// The Session and the Verifier against the local WorkOS issuer, over
// real HTTP.
func TestAgainstAuthkittest(t *testing.T) {
	for _, mode := range []authkittest.IssuerMode{authkittest.IssuerPerClient, authkittest.IssuerLegacy} {
		t.Run(string(mode), func(t *testing.T) {
			srv := authkittest.NewServer(authkittest.WithIssuerMode(mode), authkittest.WithTokenLifetime(time.Minute))
			defer srv.Close()
			ctx := context.Background()
			signedIn, err := srv.IssueTokens(authkittest.DemoUser.ID)
			require.NoError(t, err)

			var ended []error
			store := workos.NewFileStore(filepath.Join(t.TempDir(), "session.json"))
			sess, err := workos.NewSessionWithSleep(workos.SessionConfig{Config: workos.Config{ClientID: srv.ClientID(), APIBase: srv.URL()}, Store: store, OnSignedOut: func(err error) { ended = append(ended, err) }}, instant)
			require.NoError(t, err)
			require.NoError(t, sess.Save(ctx, &workos.StoredSession{RefreshToken: signedIn.RefreshToken, AccessToken: signedIn.AccessToken}))

			tok, err := sess.Token(ctx, false)
			require.NoError(t, err)
			assert.Equal(t, signedIn.AccessToken, tok.AccessToken, "the sign-in's token is fresh")

			fresh, err := sess.Token(ctx, true)
			require.NoError(t, err)
			assert.NotEqual(t, signedIn.AccessToken, fresh.AccessToken)
			assert.Equal(t, authkittest.DemoUser.ID, fresh.Subject)
			assert.Equal(t, signedIn.SessionID, fresh.SessionID, "a refresh keeps the session")
			assert.Equal(t, authkittest.DemoUser.Email, sess.User().Email)

			// Convex's two WorkOS providers, keys fetched from the local issuer.
			v := customjwt.NewVerifier(customjwt.Config{Providers: workos.Config{ClientID: srv.ClientID(), APIBase: srv.URL()}.ConvexProviders()})
			claims, err := v.Verify(ctx, fresh.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, srv.Issuer(), claims.Issuer)
			wantProvider := 1
			if mode == authkittest.IssuerLegacy {
				wantProvider = 0
			}
			assert.Equal(t, workos.Config{ClientID: srv.ClientID(), APIBase: srv.URL()}.ConvexProviders()[wantProvider], claims.Provider)

			// The same with the key set as a data: URL.
			ps := workos.Config{ClientID: srv.ClientID()}.ConvexProviders()
			for i := range ps {
				ps[i].JWKS = srv.JWKSDataURL()
			}
			_, err = customjwt.NewVerifier(customjwt.Config{Providers: ps}).Verify(ctx, fresh.AccessToken)
			require.NoError(t, err)

			// Transient faults: retried, the session kept.
			srv.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 503, Times: 2})
			again, err := sess.Token(ctx, true)
			require.NoError(t, err)
			assert.NotEqual(t, fresh.AccessToken, again.AccessToken)
			srv.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 429, RetryAfter: time.Second})
			_, err = sess.Token(ctx, true)
			require.ErrorIs(t, err, authkit.ErrTransient)
			srv.ClearFaults()

			// The session ends at WorkOS: signed out, store cleared.
			require.True(t, srv.EndSession(signedIn.SessionID))
			_, err = sess.Token(ctx, true)
			require.ErrorIs(t, err, authkit.ErrSignedOut)
			var apiErr *workos.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, "invalid_grant", apiErr.Code)
			st, err := store.Load(ctx)
			require.NoError(t, err)
			assert.Nil(t, st)
			assert.Len(t, ended, 1)
		})
	}
}

// A Provider over a Session over the local issuer: what a native Convex
// client is given.
func TestProviderOverSessionAgainstAuthkittest(t *testing.T) {
	srv := authkittest.NewServer(authkittest.WithTokenLifetime(time.Minute))
	defer srv.Close()
	ctx := context.Background()
	signedIn, err := srv.IssueTokens(authkittest.DemoUser.ID)
	require.NoError(t, err)
	store := workos.NewMemoryStore()
	require.NoError(t, store.Save(ctx, &workos.StoredSession{RefreshToken: signedIn.RefreshToken}))
	sess, err := workos.NewSession(workos.SessionConfig{Config: workos.Config{ClientID: srv.ClientID(), APIBase: srv.URL()}, Store: store})
	require.NoError(t, err)
	p := authkit.NewProvider(sess, authkit.ProviderConfig{})
	defer p.Close()

	t1, err := p.FetchToken(ctx, false)
	require.NoError(t, err)
	t2, err := p.FetchToken(ctx, false)
	require.NoError(t, err)
	assert.Equal(t, t1, t2)
	t3, err := p.FetchToken(ctx, true)
	require.NoError(t, err)
	assert.NotEqual(t, t1, t3)
	assert.Equal(t, authkit.ProviderState{IsAuthenticated: true}, p.State())

	srv.EndSession(signedIn.SessionID)
	t4, err := p.FetchToken(ctx, true)
	assert.Empty(t, t4)
	require.ErrorIs(t, err, authkit.ErrSignedOut)
	assert.False(t, p.State().IsAuthenticated)
	assert.False(t, p.State().IsLoading)
}

// Provider has the shape of client.TokenProvider (authkit does not import
// the client package; the shapes must simply match).
var _ interface {
	FetchToken(ctx context.Context, forceRefresh bool) (string, error)
} = (*authkit.Provider)(nil)

// Session is a TokenSource.
var _ authkit.TokenSource = (*workos.Session)(nil)
