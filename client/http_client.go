//go:build !js

package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/internal/logging"
)

// statusUDFFailed is the legacy HTTP status of a failed function, which the
// JS client still accepts as a JSON answer.
const statusUDFFailed = 560

// HTTPClient runs queries, mutations and actions over Convex's HTTP API, one
// request each: the Go form of the JS ConvexHttpClient. It holds no socket
// and no subscriptions. Mutations are sent one at a time in call order, as
// the JS client queues them. It is safe for concurrent use.
type HTTPClient struct {
	address string
	hc      *http.Client
	log     logging.Logger

	mu    sync.Mutex
	authz string // the Authorization header, empty when signed out

	mutations chan struct{} // one slot: serializes mutations; waiting honours ctx

	consistent consistentState // the timestamp of ConsistentQuery (http_consistent.go)
}

// NewHTTPClient returns an HTTP client for the deployment at address. It
// takes the options a Client takes but WithServerInactivityThreshold, and
// WithHTTPClient.
func NewHTTPClient(address string, opts ...Option) (*HTTPClient, error) {
	o := defaultOptions()
	o.http.client = http.DefaultClient
	if err := o.apply(true, opts); err != nil {
		return nil, err
	}
	if err := checkDeploymentURL(address, o.skipURLCheck, o.allowInsecure); err != nil {
		return nil, err
	}
	return &HTTPClient{address: address, hc: o.http.client, log: o.logger, mutations: make(chan struct{}, 1)}, nil
}

// SetAuth makes requests carry a user's JWT; "" makes them anonymous, as
// ClearAuth does. (The JS ConvexHttpClient sends no header for an empty
// token; a bare "Bearer" would make the backend answer 400 to every
// request: extract_bearer_token in crates/authentication/src/lib.rs.)
func (h *HTTPClient) SetAuth(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.authz = ""
	if token != "" {
		h.authz = "Bearer " + token
	}
}

// SetAdminAuth makes requests carry an admin or deploy key, acting as the
// user whose identity attributes actingAs holds (nil for none; a map or
// struct with tokenIdentifier, or issuer and subject, checked as
// Client.SetAdminAuth checks it).
func (h *HTTPClient) SetAdminAuth(key string, actingAs any) error {
	v := key
	if actingAs != nil {
		b, err := encodeActingAs(actingAs)
		if err != nil {
			return err
		}
		v += ":" + base64.StdEncoding.EncodeToString(b)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.authz = "Convex " + v
	return nil
}

// ClearAuth makes requests anonymous.
func (h *HTTPClient) ClearAuth() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.authz = ""
}

// Query runs a query at the latest timestamp and decodes its result into out.
func (h *HTTPClient) Query(ctx context.Context, name string, args any, out any) error {
	return h.run(ctx, KindQuery, "query", name, args, out)
}

// Mutation runs a mutation and decodes its result into out. Mutations of
// one HTTPClient run one after the other; one waiting for its turn gives up
// with ctx's error when ctx ends.
func (h *HTTPClient) Mutation(ctx context.Context, name string, args any, out any) error {
	if err := h.lockMutations(ctx); err != nil {
		return err
	}
	defer h.unlockMutations()
	return h.run(ctx, KindMutation, "mutation", name, args, out)
}

// Action runs an action and decodes its result into out.
func (h *HTTPClient) Action(ctx context.Context, name string, args any, out any) error {
	return h.run(ctx, KindAction, "action", name, args, out)
}

// HTTPError is a non-2xx answer of the HTTP API that is not a function
// failure: a bad request, an auth failure, a server fault.
type HTTPError struct {
	StatusCode int
	// Code and Message come from the server's JSON error body when it has one.
	Code    string
	Message string
	// Body is the raw response text.
	Body string
}

// newHTTPError is the error of a response with status code status and body
// text, with the code and message of the body when it is a JSON error.
func newHTTPError(status int, text []byte) *HTTPError {
	he := &HTTPError{StatusCode: status, Body: string(text)}
	var j struct{ Code, Message string }
	if json.Unmarshal(text, &j) == nil {
		he.Code, he.Message = j.Code, j.Message
	}
	return he
}

func (e *HTTPError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("convex: HTTP %d: %s: %s", e.StatusCode, e.Code, e.Message)
	}
	return fmt.Sprintf("convex: HTTP %d: %s", e.StatusCode, strings.TrimSpace(e.Body))
}

// lockMutations waits for the HTTPClient's mutations to be this caller's
// turn, or for ctx to end (its error). unlockMutations ends the turn.
func (h *HTTPClient) lockMutations(ctx context.Context) error {
	select {
	case h.mutations <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *HTTPClient) unlockMutations() { <-h.mutations }

type udfResponse struct {
	Status       string          `json:"status"`
	Value        json.RawMessage `json:"value"`
	ErrorMessage string          `json:"errorMessage"`
	ErrorData    json.RawMessage `json:"errorData"`
	LogLines     []string        `json:"logLines"`
}

func (h *HTTPClient) run(ctx context.Context, kind FunctionKind, endpoint, name string, args any, out any) error {
	return h.runWith(ctx, kind, endpoint, name, args, out, nil)
}

// runWith is run with more fields in the request body: extra appends them,
// each after a comma (`,"ts":"…"`).
func (h *HTTPClient) runWith(ctx context.Context, kind FunctionKind, endpoint, name string, args any, out any, extra func([]byte) []byte) error {
	if _, err := checkPath(name); err != nil {
		return err
	}
	rawArgs, err := encodeArgs(args)
	if err != nil {
		return fmt.Errorf("failed to call %s: %w", name, err)
	}
	body := make([]byte, 0, len(rawArgs)+len(name)+64)
	body = append(body, `{"path":`...)
	body, _ = appendJSONString(body, name)
	body = append(body, `,"format":"convex_encoded_json","args":[`...)
	body = append(body, rawArgs...)
	body = append(body, ']')
	if extra != nil {
		body = extra(body)
	}
	body = append(body, '}')

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.address+"/api/"+endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("failed to build request for %s: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Convex-Client", clientHeader)
	h.mu.Lock()
	if h.authz != "" {
		req.Header.Set("Authorization", h.authz)
	}
	h.mu.Unlock()

	resp, err := h.hc.Do(req)
	if err != nil {
		return fmt.Errorf("failed to call %s: %w", name, err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("failed to read the response of %s: %w", name, err)
	}
	if (resp.StatusCode < 200 || resp.StatusCode > 299) && resp.StatusCode != statusUDFFailed {
		return newHTTPError(resp.StatusCode, text)
	}
	var r udfResponse
	if err := json.Unmarshal(text, &r); err != nil {
		return fmt.Errorf("invalid response to %s: %w", name, err)
	}
	logFunctionLines(h.log, kind, name, r.LogLines)
	switch r.Status {
	case "success":
		if len(r.Value) == 0 {
			r.Value = json.RawMessage("null")
		}
		return decodeInto(name, r.Value, out)
	case "error":
		// errorData is absent unless the function threw a ConvexError, and
		// null for a ConvexError(null) (UdfResponse in
		// crates/local_backend/src/public_api.rs): keep the null.
		var data []byte
		if len(r.ErrorData) > 0 {
			if err := values.Validate(r.ErrorData); err == nil {
				data = r.ErrorData
			}
		}
		return newFunctionError(kind, name, r.ErrorMessage, data, r.LogLines)
	default:
		return fmt.Errorf("invalid response to %s: status %q", name, r.Status)
	}
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) ([]byte, error) {
	b, err := json.Marshal(s)
	return append(dst, b...), err
}
