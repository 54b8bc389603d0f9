package customjwt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/goconvex/convex/internal/jwk"
)

// This file fetches key sets as the backend does
// (crates/authentication/src/lib.rs, fetch_jwks) and caches them.

// keySetError is a key set that could not be read, with the backend's
// message for it.
type keySetError struct {
	msg string
	err error
}

func (e *keySetError) Error() string {
	if e.err != nil {
		return e.msg + " (" + e.err.Error() + ")"
	}
	return e.msg
}

func (e *keySetError) Unwrap() error { return e.err }

func jwksError(p *Provider, err error) *Error {
	msg := err.Error()
	if ke, ok := errors.AsType[*keySetError](err); ok {
		msg = ke.msg
	}
	return &Error{Reason: ReasonJWKSUnavailable, Provider: p, Message: msg, Err: err}
}

// maxKeySetBytes bounds what is read of a key set.
const maxKeySetBytes = 1 << 20

// fetchKeySet reads the key set at jwksURL: a data: URL is decoded; any
// other URL is fetched with GET and Accept: application/json, and must
// answer 200 with the media type application/json or
// application/jwk-set+json, charset utf-8 or none.
func fetchKeySet(ctx context.Context, hc *http.Client, jwksURL string) (map[string]jwk.Key, error) {
	body, err := readKeySet(ctx, hc, jwksURL)
	if err != nil {
		return nil, err
	}
	set, err := jwk.ParseSet(body)
	if err != nil {
		return nil, &keySetError{msg: fmt.Sprintf("Invalid JWKS response body from '%s'. The response is not valid JSON or doesn't match the expected JWKS format.", jwksURL), err: err}
	}
	return set, nil
}

func readKeySet(ctx context.Context, hc *http.Client, jwksURL string) ([]byte, error) {
	if strings.HasPrefix(jwksURL, "data:") {
		body, err := jwk.DecodeDataURL(jwksURL)
		if err != nil {
			return nil, &keySetError{msg: "Invalid JWKS data URL. Check that the data URL is properly formatted and contains valid base64-encoded JSON.", err: err}
		}
		return body, nil
	}
	unreachable := func(detail string, err error) error {
		return &keySetError{msg: fmt.Sprintf("Could not fetch JWKS from URL '%s': %s. Check that the URL is correct and accessible.", jwksURL, detail), err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, unreachable(err.Error(), err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, unreachable("not an http(s) or data: URL", nil)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, unreachable(err.Error(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, unreachable(fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), nil)
	}
	if ct := resp.Header.Get("Content-Type"); !keySetMediaType(ct) {
		if ct == "" {
			ct = "unknown"
		}
		return nil, &keySetError{msg: fmt.Sprintf("Invalid Content-Type '%s' when fetching JWKS from '%s'. Expected 'application/json' or 'application/jwk-set+json'.", ct, jwksURL)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetBytes))
	if err != nil {
		return nil, unreachable(err.Error(), err)
	}
	return body, nil
}

// keySetMediaType reports whether ct is a media type the backend takes
// for a key set.
func keySetMediaType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && mt != "application/jwk-set+json") {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// keyCache caches key sets by URL. A set is fetched on first use, again
// once it is older than maxAge, and again when a token names a kid it
// lacks, at most once per refetch interval; a set that could not be
// fetched is tried again after failureRetry.
type keyCache struct {
	hc      *http.Client
	refetch time.Duration
	maxAge  time.Duration
	now     func() time.Time // time.Now; tests replace it

	mu      sync.Mutex
	entries map[string]*keyEntry
}

// keyEntry is one URL's set. Its mutex is held during a fetch, so
// concurrent verifications share one request.
type keyEntry struct {
	mu        sync.Mutex
	keys      map[string]jwk.Key // nil before the first success
	fetchedAt time.Time          // last success
	attemptAt time.Time          // last attempt
	err       error              // last failure
}

// failureRetry is how soon a key set that could not be fetched at all is
// tried again.
const failureRetry = 5 * time.Second

func newKeyCache(hc *http.Client, refetch time.Duration) *keyCache {
	return &keyCache{hc: hc, refetch: refetch, maxAge: time.Hour, now: time.Now, entries: map[string]*keyEntry{}}
}

// get returns the set at jwksURL, fetching it when it is not cached or too
// old; with a kid the set lacks, it fetches it again if the refetch
// interval allows.
func (c *keyCache) get(ctx context.Context, jwksURL, kid string) (map[string]jwk.Key, error) {
	c.mu.Lock()
	e, ok := c.entries[jwksURL]
	if !ok {
		e = &keyEntry{}
		c.entries[jwksURL] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	since := now.Sub(e.attemptAt)
	switch {
	case e.keys == nil && (e.attemptAt.IsZero() || since >= min(failureRetry, c.refetch)):
		c.fetchInto(ctx, e, jwksURL)
	case e.keys != nil && now.Sub(e.fetchedAt) >= c.maxAge && since >= c.refetch:
		c.fetchInto(ctx, e, jwksURL)
	case e.keys != nil && kid != "" && since >= c.refetch:
		if _, known := e.keys[kid]; !known {
			c.fetchInto(ctx, e, jwksURL)
		}
	}
	if e.keys == nil {
		return nil, e.err
	}
	return e.keys, nil
}

// fetchInto fetches the set into e; on failure the previous keys are kept.
func (c *keyCache) fetchInto(ctx context.Context, e *keyEntry, jwksURL string) {
	e.attemptAt = c.now()
	keys, err := fetchKeySet(ctx, c.hc, jwksURL)
	if err != nil {
		e.err = err
		return
	}
	e.keys, e.fetchedAt, e.err = keys, e.attemptAt, nil
}
