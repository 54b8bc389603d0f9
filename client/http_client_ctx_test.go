//go:build !js

package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// A mutation waiting behind another (mutations run one at a time) gives up
// when its ctx ends, even over an http.Client without a timeout.
func TestHTTPClientMutationWaitHonoursCtx(t *testing.T) {
	entered, gate := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-gate
		io.WriteString(w, `{"status":"success","value":null,"logLines":[]}`)
	}))
	defer srv.Close()
	h, err := NewHTTPClient(srv.URL, WithHTTPClient(&http.Client{}))
	require.NoError(t, err)

	first := make(chan error, 1)
	go func() { first <- h.Mutation(context.Background(), "messages:send", map[string]any{}, nil) }()
	<-entered // the first mutation is at the server

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, h.Mutation(ctx, "messages:send", map[string]any{}, nil), context.Canceled)

	close(gate)
	require.NoError(t, <-first)
}
