//go:build !js

package authkit

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/goconvex/convex/internal/jwk"
)

// This file fetches and caches JSON Web Key Sets for the Verifier.

// jwksKey is one usable key of a set.
type jwksKey struct {
	key crypto.PublicKey
	alg string // the JWK's alg, "" when unset
}

// jwksEntry caches one key set URL. Its mutex is held during a fetch, so
// concurrent verifications share one request.
type jwksEntry struct {
	mu        sync.Mutex
	keys      map[string]jwksKey // by kid; nil before the first success
	fetchedAt time.Time          // last success
	attemptAt time.Time          // last attempt
	err       error              // last failure
}

// errKeyNotFound is the cause of UnknownKeyID.
var errKeyNotFound = errors.New("no key with this kid in the key set")

// jwksFailureRetry is how soon a key set that could not be fetched at all
// is tried again.
const jwksFailureRetry = 5 * time.Second

// key returns the key with kid from the set at rawURL, fetching the set
// when it is not cached, older than the maximum age, or lacks kid (at most
// once per refetch interval).
func (v *Verifier) key(ctx context.Context, rawURL, kid string) (jwksKey, error) {
	v.cacheMu.Lock()
	e, ok := v.cache[rawURL]
	if !ok {
		e = &jwksEntry{}
		v.cache[rawURL] = e
	}
	v.cacheMu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := v.now()
	since := now.Sub(e.attemptAt)
	switch {
	case e.keys == nil && (e.attemptAt.IsZero() || since >= min(jwksFailureRetry, v.minRefetch)):
		v.fetchInto(ctx, e, rawURL)
	case e.keys != nil && now.Sub(e.fetchedAt) >= v.maxAge && since >= v.minRefetch:
		v.fetchInto(ctx, e, rawURL)
	}
	if e.keys == nil {
		return jwksKey{}, e.err
	}
	if k, ok := e.keys[kid]; ok {
		return k, nil
	}
	// A kid we do not know: the issuer may have rotated its keys. Fetch
	// again, but not more often than the refetch interval.
	if now.Sub(e.attemptAt) >= v.minRefetch {
		v.fetchInto(ctx, e, rawURL)
		if k, ok := e.keys[kid]; ok {
			return k, nil
		}
	}
	return jwksKey{}, errKeyNotFound
}

// fetchInto fetches the set and updates e; on failure the previous keys
// are kept.
func (v *Verifier) fetchInto(ctx context.Context, e *jwksEntry, rawURL string) {
	e.attemptAt = v.now()
	keys, err := v.fetchJWKS(ctx, rawURL)
	if err != nil {
		e.err = err
		return
	}
	e.keys, e.fetchedAt, e.err = keys, e.attemptAt, nil
}

// fetchJWKS reads a key set from an http(s) or data: URL, as Convex does:
// GET with Accept: application/json, status 200, content type
// application/json or application/jwk-set+json (charset utf-8 or none).
func (v *Verifier) fetchJWKS(ctx context.Context, rawURL string) (map[string]jwksKey, error) {
	if strings.HasPrefix(rawURL, "data:") {
		body, err := jwk.DecodeDataURL(rawURL)
		if err != nil {
			return nil, err
		}
		return parseJWKS(body)
	}
	u := v.rewriteURL(rawURL)
	if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") {
		return nil, fmt.Errorf("jwks URL %q is not http(s) or data:", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	if err := checkJWKSContentType(resp.Header.Get("Content-Type")); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return parseJWKS(body)
}

func (v *Verifier) rewriteURL(u string) string {
	if v.jwksBase != "" && strings.HasPrefix(u, DefaultAPIBase+"/") {
		return strings.TrimRight(v.jwksBase, "/") + strings.TrimPrefix(u, DefaultAPIBase)
	}
	return u
}

func checkJWKSContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type %q is not application/json", ct)
	}
	if mt != "application/json" && mt != "application/jwk-set+json" {
		return fmt.Errorf("content type %q is not application/json or application/jwk-set+json", mt)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Errorf("charset %q is not utf-8", cs)
	}
	return nil
}

// parseJWKS reads the signing keys of a set.
func parseJWKS(body []byte) (map[string]jwksKey, error) {
	set, err := jwk.ParseSet(body)
	if err != nil {
		return nil, err
	}
	keys := make(map[string]jwksKey, len(set))
	for kid, k := range set {
		keys[kid] = jwksKey{key: k.Public, alg: k.Alg}
	}
	return keys, nil
}
