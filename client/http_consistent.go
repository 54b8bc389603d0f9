//go:build !js

package client

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
)

// consistentState is the timestamp an HTTPClient's consistent queries run
// at: fetched by the first one, then kept for the client's life.
type consistentState struct {
	mu    sync.Mutex
	ts    string   // the timestamp, as the deployment encodes it; "" until fetched
	fetch *tsFetch // the fetch in flight, if any
}

type tsFetch struct{ done chan struct{} }

// ConsistentQuery runs a query at the timestamp of this HTTPClient's first
// consistent query, as the JS ConvexHttpClient's consistentQuery does: the
// first call fetches the deployment's latest timestamp (POST
// /api/query_ts), and it and every later call run their query at it (POST
// /api/query_at_ts), so the results of all of them are one consistent view
// of the data, whatever was written in between. Calls made while the first
// fetch is in flight wait for it; a failed fetch is not kept, and the next
// call fetches again.
//
// A deployment reads only a limited way into the past (about 30 s): this is
// for a short-lived HTTPClient, such as one per request of a server that
// renders a page from several queries. Create a new HTTPClient for a new
// timestamp.
func (h *HTTPClient) ConsistentQuery(ctx context.Context, name string, args any, out any) error {
	// A call that would fail fails before anything is sent.
	if _, err := checkPath(name); err != nil {
		return err
	}
	if _, err := encodeArgs(args); err != nil {
		return fmt.Errorf("failed to call %s: %w", name, err)
	}
	ts, err := h.queryTS(ctx)
	if err != nil {
		return err
	}
	return h.runWith(ctx, KindQuery, "query_at_ts", name, args, out, func(b []byte) []byte {
		b = append(b, `,"ts":`...)
		b, _ = appendJSONString(b, ts)
		return b
	})
}

// queryTS returns the consistent queries' timestamp, fetching it once.
func (h *HTTPClient) queryTS(ctx context.Context) (string, error) {
	st := &h.consistent
	for {
		st.mu.Lock()
		if st.ts != "" {
			ts := st.ts
			st.mu.Unlock()
			return ts, nil
		}
		if f := st.fetch; f != nil {
			st.mu.Unlock()
			select {
			case <-f.done: // fetched, or failed: look again
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		f := &tsFetch{done: make(chan struct{})}
		st.fetch = f
		st.mu.Unlock()

		ts, err := h.fetchTS(ctx)
		st.mu.Lock()
		st.fetch = nil
		if err == nil {
			st.ts = ts
		}
		st.mu.Unlock()
		close(f.done)
		return ts, err
	}
}

// fetchTS asks the deployment for its latest timestamp. Like the JS client
// it sends no credentials: the backend does not read any for query_ts
// (public_get_query_ts in crates/local_backend/src/public_api.rs).
func (h *HTTPClient) fetchTS(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.address+"/api/query_ts", nil)
	if err != nil {
		return "", fmt.Errorf("failed to build the query_ts request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Convex-Client", clientHeader)
	resp, err := h.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("failed to fetch the deployment's timestamp: %w", err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("failed to read the deployment's timestamp: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", newHTTPError(resp.StatusCode, text)
	}
	var r struct {
		TS *string `json:"ts"`
	}
	if err := json.Unmarshal(text, &r); err != nil || r.TS == nil {
		return "", fmt.Errorf("invalid response to query_ts: %.200q", text)
	}
	if err := checkTS(*r.TS); err != nil {
		return "", fmt.Errorf("invalid response to query_ts: %w", err)
	}
	return *r.TS, nil
}

// checkTS applies the backend's rule for query_at_ts's ts (SerializedTs and
// Timestamp in public_api.rs): base64 of 8 bytes (padded or not, as
// convextest reads it), a little-endian u64 that is at most i64's maximum.
// The backend answers any other ts with a 500; the client refuses it before
// sending it.
func checkTS(ts string) error {
	b, err := base64.StdEncoding.DecodeString(ts)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(ts)
	}
	switch {
	case err != nil:
		return fmt.Errorf("timestamp %q is not base64: %w", ts, err)
	case len(b) != 8:
		return fmt.Errorf("timestamp %q is %d bytes, not 8", ts, len(b))
	case binary.LittleEndian.Uint64(b) > math.MaxInt64:
		return fmt.Errorf("timestamp %q is beyond the largest timestamp", ts)
	}
	return nil
}
