//go:build !js

package client

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHTTPClientWire checks the requests the HTTP client sends and how it
// reads the answers (docs/protocol.md#http-api), against a recording server.
func TestHTTPClientWire(t *testing.T) {
	type seen struct{ path, auth, client, body string }
	var mu sync.Mutex
	var reqs []seen
	answer := `{"status":"success","value":{"$integer":"AQAAAAAAAAA="},"logLines":["[LOG] 'x'"]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, seen{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Convex-Client"), string(b)})
		a := answer
		mu.Unlock()
		switch r.URL.Path {
		case "/api/action":
			w.WriteHeader(560)
			a = `{"status":"error","errorMessage":"Uncaught ConvexError: no","errorData":{"code":7}}`
		case "/api/query":
			if r.Header.Get("Authorization") == "" {
				w.WriteHeader(401)
				a = `{"code":"Unauthenticated","message":"Could not verify token"}`
			}
		}
		io.WriteString(w, a)
	}))
	defer srv.Close()
	ctx := context.Background()
	hc, err := NewHTTPClient(srv.URL)
	require.NoError(t, err)

	err = hc.Query(ctx, "messages:list", nil, nil)
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, 401, he.StatusCode)
	require.Equal(t, "Unauthenticated", he.Code)

	hc.SetAuth("jwt-1")
	var n int64
	require.NoError(t, hc.Query(ctx, "messages:list", Args{"b": 1, "a": "x"}, &n))
	require.Equal(t, int64(1), n)

	require.NoError(t, hc.SetAdminAuth("admin-key", map[string]string{"subject": "u1", "issuer": "https://i"}))
	require.NoError(t, hc.Mutation(ctx, "messages:send", nil, nil))

	hc.ClearAuth()
	err = hc.Action(ctx, "ai:run", nil, nil)
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "Uncaught ConvexError: no", fe.Message)
	require.Equal(t, map[string]any{"code": 7.0}, fe.Data)

	actingAs := base64.StdEncoding.EncodeToString([]byte(`{"issuer":"https://i","subject":"u1"}`))
	require.Equal(t, []seen{
		{"/api/query", "", clientHeader, `{"path":"messages:list","format":"convex_encoded_json","args":[{}]}`},
		{"/api/query", "Bearer jwt-1", clientHeader, `{"path":"messages:list","format":"convex_encoded_json","args":[{"a":"x","b":1}]}`},
		{"/api/mutation", "Convex admin-key:" + actingAs, clientHeader, `{"path":"messages:send","format":"convex_encoded_json","args":[{}]}`},
		{"/api/action", "", clientHeader, `{"path":"ai:run","format":"convex_encoded_json","args":[{}]}`},
	}, reqs)
}

func TestHTTPClientRejectsNonObjectArgs(t *testing.T) {
	hc, err := NewHTTPClient("http://127.0.0.1:1")
	require.NoError(t, err)
	err = hc.Query(context.Background(), "q:x", []int{1}, nil)
	require.ErrorContains(t, err, "must be an object")
}
