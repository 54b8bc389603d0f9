//go:build !js

package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// recordingAPI is an HTTP API that records the requests' Authorization
// headers and answers each with answer.
type recordingAPI struct {
	mu     sync.Mutex
	auth   [][]string // the Authorization values of each request
	answer string
	srv    *httptest.Server
}

func newRecordingAPI(t *testing.T, answer string) *recordingAPI {
	a := &recordingAPI{answer: answer}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		a.mu.Lock()
		a.auth = append(a.auth, r.Header.Values("Authorization"))
		a.mu.Unlock()
		io.WriteString(w, a.answer)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *recordingAPI) requests() [][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]string(nil), a.auth...)
}

// TestHTTPSetAuthEmptySendsNoHeader: a bare "Bearer" makes the backend
// answer 400 to every request (extract_bearer_token in
// crates/authentication/src/lib.rs, behind ExtractAuthenticationToken in
// crates/local_backend/src/authentication.rs); the JS ConvexHttpClient
// sends no header for an empty token, and neither does this client.
func TestHTTPSetAuthEmptySendsNoHeader(t *testing.T) {
	api := newRecordingAPI(t, `{"status":"success","value":null}`)
	hc, err := NewHTTPClient(api.srv.URL)
	require.NoError(t, err)
	ctx := context.Background()
	hc.SetAuth("")
	require.NoError(t, hc.Query(ctx, "q:x", nil, nil))
	hc.SetAuth("jwt")
	require.NoError(t, hc.Query(ctx, "q:x", nil, nil))
	hc.SetAuth("")
	require.NoError(t, hc.Query(ctx, "q:x", nil, nil))
	require.Equal(t, [][]string{nil, {"Bearer jwt"}, nil}, api.requests())
}

// TestHTTPBadFunctionPath: the backend answers a bad path with 400
// BadConvexFunctionIdentifier (crates/local_backend/src/parse.rs); the
// client refuses it before sending anything.
func TestHTTPBadFunctionPath(t *testing.T) {
	api := newRecordingAPI(t, `{"status":"success","value":null}`)
	hc, err := NewHTTPClient(api.srv.URL)
	require.NoError(t, err)
	ctx := context.Background()
	for _, call := range []func(context.Context, string, any, any) error{hc.Query, hc.Mutation, hc.Action} {
		err := call(ctx, "messages:1st", nil, nil)
		require.ErrorIs(t, err, ErrInvalidFunctionPath)
		require.ErrorContains(t, err, `messages:1st is not a valid path to a Convex function. Function name "1st" must start with a letter or an underscore.`)
	}
	require.Empty(t, api.requests())
}

// TestHTTPErrorDataNull: the HTTP API writes "errorData":null for a
// ConvexError(null) and leaves the field out for other errors (UdfResponse
// in crates/local_backend/src/public_api.rs).
func TestHTTPErrorDataNull(t *testing.T) {
	api := newRecordingAPI(t, `{"status":"error","errorMessage":"Uncaught ConvexError: null","errorData":null}`)
	hc, err := NewHTTPClient(api.srv.URL)
	require.NoError(t, err)
	err = hc.Mutation(context.Background(), "m:a", nil, nil)
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	require.True(t, fe.IsConvexError())
	v := any("unset")
	require.NoError(t, ErrorData(err, &v))
	require.Nil(t, v)

	api.mu.Lock()
	api.answer = `{"status":"error","errorMessage":"Uncaught Error: plain"}`
	api.mu.Unlock()
	err = hc.Mutation(context.Background(), "m:a", nil, nil)
	require.ErrorAs(t, err, &fe)
	require.False(t, fe.IsConvexError())
}

// TestHTTPAdminActingAsChecked: HTTPClient.SetAdminAuth refuses what the
// backend would answer with 400 HeaderParseFailure (extract_admin_key in
// crates/local_backend/src/authentication.rs), and keeps the auth it had.
func TestHTTPAdminActingAsChecked(t *testing.T) {
	api := newRecordingAPI(t, `{"status":"success","value":null}`)
	hc, err := NewHTTPClient(api.srv.URL)
	require.NoError(t, err)
	for _, b := range badIdentities {
		require.ErrorContains(t, hc.SetAdminAuth("admin-key", b.identity), b.want, "%v", b.identity)
	}
	require.NoError(t, hc.Query(context.Background(), "q:x", nil, nil))
	require.Equal(t, [][]string{nil}, api.requests())
}
