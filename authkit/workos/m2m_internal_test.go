package workos

import (
	"context"
	"encoding/json"
	"github.com/goconvex/convex/authkit"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A caller waiting for another caller's fetch gives up when its ctx ends,
// instead of waiting for the network (a lock held across the request).
func TestClientCredentialsTokenHonoursCtxWhileWaiting(t *testing.T) {
	entered, gate := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-gate
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": tokenAt(time.Now(), 5*time.Minute, nil)})
	}))
	defer srv.Close()
	src, err := NewClientCredentialsSource(ClientCredentialsConfig{AuthKitDomain: srv.URL, ClientID: "app", ClientSecret: "s", HTTPClient: srv.Client()})
	require.NoError(t, err)

	first := make(chan error, 1)
	go func() { _, err := src.Token(context.Background(), false); first <- err }()
	<-entered // the first fetch is at the server, holding the source

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = src.Token(ctx, false)
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, authkit.ErrTransient)

	close(gate)
	require.NoError(t, <-first)
	tok, err := src.Token(context.Background(), false)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
}

// Client credentials go over TLS, or to this machine.
func TestClientCredentialsRefusesPlainHTTP(t *testing.T) {
	_, err := NewClientCredentialsSource(ClientCredentialsConfig{AuthKitDomain: "http://auth.example.com", ClientID: "app", ClientSecret: "s"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "plain http")
	for _, d := range []string{"https://auth.example.com", "http://127.0.0.1:3211", "http://localhost:1"} {
		_, err := NewClientCredentialsSource(ClientCredentialsConfig{AuthKitDomain: d, ClientID: "app", ClientSecret: "s"})
		assert.NoError(t, err, d)
	}
	_, err = NewSession(SessionConfig{Config: Config{ClientID: "client_x", APIBase: "http://api.example.com"}, Store: NewMemoryStore()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "plain http")
}
