//go:build !js

package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// apiRecorder is an http.RoundTripper that records each request's path and
// body; rewriteTS, when set, replaces the ts of query_ts answers.
type apiRecorder struct {
	mu        sync.Mutex
	reqs      []recordedRequest
	rewriteTS string
}

type recordedRequest struct {
	path string
	body map[string]any
}

func (r *apiRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := recordedRequest{path: req.URL.Path}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = json.Unmarshal(b, &rec.body)
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	rewrite := r.rewriteTS
	r.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || rewrite == "" || req.URL.Path != "/api/query_ts" {
		return resp, err
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(`{"ts":"` + rewrite + `"}`))
	resp.ContentLength = -1
	return resp, nil
}

func (r *apiRecorder) take() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

func paths(reqs []recordedRequest) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.path)
	}
	return out
}

// TestConsistentQueryFixesTheTimestamp: the first consistent query fetches
// the deployment's timestamp (query_ts) and runs at it (query_at_ts); later
// ones send the same ts without fetching again, also after a mutation moved
// the deployment's timestamp on.
//
// convextest keeps no history: its query_at_ts checks the ts as the backend
// does but runs the query at the latest timestamp. So this test checks what
// the client sends; that a deployment answers those requests from the data
// as of ts is the backend's part. (Against a deployment the second count
// below would still be 0.)
func TestConsistentQueryFixesTheTimestamp(t *testing.T) {
	srv := tallyServer(t)
	rec := &apiRecorder{}
	h, err := NewHTTPClient(srv.URL(), WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var n int
	require.NoError(t, h.ConsistentQuery(ctx, "tally:count", nil, &n))
	require.Equal(t, 0, n)
	reqs := rec.take()
	require.Equal(t, []string{"/api/query_ts", "/api/query_at_ts"}, paths(reqs))
	ts, _ := reqs[1].body["ts"].(string)
	require.NoError(t, checkTS(ts))
	require.Equal(t, "tally:count", reqs[1].body["path"])
	require.Equal(t, "convex_encoded_json", reqs[1].body["format"])

	require.NoError(t, h.Mutation(ctx, "tally:add", nil, nil))
	require.NoError(t, h.ConsistentQuery(ctx, "tally:sum", nil, &n))
	require.Equal(t, 1, n, "convextest runs query_at_ts at the latest timestamp")
	reqs = rec.take()
	require.Equal(t, []string{"/api/mutation", "/api/query_at_ts"}, paths(reqs))
	require.Equal(t, ts, reqs[1].body["ts"], "later consistent queries use the first one's timestamp")

	// The deployment's timestamp has moved on since.
	other, err := NewHTTPClient(srv.URL())
	require.NoError(t, err)
	later, err := other.queryTS(ctx)
	require.NoError(t, err)
	require.NotEqual(t, ts, later)

	// Query is not affected: it runs at the latest timestamp.
	require.NoError(t, h.Query(ctx, "tally:count", nil, &n))
	require.Equal(t, []string{"/api/query"}, paths(rec.take()))
}

// TestConsistentQueryOneFetch: consistent queries made at once share one
// query_ts.
func TestConsistentQueryOneFetch(t *testing.T) {
	srv := tallyServer(t)
	rec := &apiRecorder{}
	h, err := NewHTTPClient(srv.URL(), WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- h.ConsistentQuery(ctx, "tally:count", nil, nil) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	fetches, tss := 0, map[any]bool{}
	for _, r := range rec.take() {
		if r.path == "/api/query_ts" {
			fetches++
		} else {
			tss[r.body["ts"]] = true
		}
	}
	require.Equal(t, 1, fetches)
	require.Len(t, tss, 1)
}

// TestConsistentQueryBadTimestamp: a timestamp the backend would refuse in
// query_at_ts (it answers 500; convextest too, rules_test.go) is refused
// when query_ts returns it: nothing more is sent, and it is not kept.
func TestConsistentQueryBadTimestamp(t *testing.T) {
	srv := tallyServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, bad := range []string{"AAAA", "not base64!", "//////////8=", "AAAAAAAAAAAAAAAAAAAAAA=="} {
		rec := &apiRecorder{rewriteTS: bad}
		h, err := NewHTTPClient(srv.URL(), WithHTTPClient(&http.Client{Transport: rec}))
		require.NoError(t, err)
		err = h.ConsistentQuery(ctx, "tally:count", nil, nil)
		require.ErrorContains(t, err, "invalid response to query_ts", "ts %q", bad)
		require.Equal(t, []string{"/api/query_ts"}, paths(rec.take()), "ts %q", bad)

		rec.mu.Lock()
		rec.rewriteTS = ""
		rec.mu.Unlock()
		require.NoError(t, h.ConsistentQuery(ctx, "tally:count", nil, nil))
		require.Equal(t, []string{"/api/query_ts", "/api/query_at_ts"}, paths(rec.take()), "a failed fetch is not kept")
	}

	// A bad call fails before the timestamp is fetched.
	rec := &apiRecorder{}
	h, err := NewHTTPClient(srv.URL(), WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, err)
	require.ErrorIs(t, h.ConsistentQuery(ctx, "tally:co-unt", nil, nil), ErrInvalidFunctionPath)
	require.Error(t, h.ConsistentQuery(ctx, "tally:count", []int{1}, nil))
	require.Empty(t, rec.take())
}
