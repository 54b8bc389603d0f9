package convextest

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

// defaultJWKSRefetch is the least time between two fetches of one JWKS URL
// caused by tokens whose key id is not in the cached set.
const defaultJWKSRefetch = 2 * time.Second

// jwksSource holds one provider's keys. Inline and data: URL sets are parsed
// once; an http(s) URL is fetched on first use, cached, and fetched again
// when a token names a key id the cached set lacks (at most once per
// refetchEvery).
type jwksSource struct {
	spec         string
	client       *http.Client
	refetchEvery time.Duration

	mu          sync.Mutex
	keys        map[string]any // kid -> *rsa.PublicKey or *ecdsa.PublicKey
	loaded      bool
	lastAttempt time.Time
	fetches     int
}

func newJWKSSource(spec string, client *http.Client) *jwksSource {
	return &jwksSource{spec: strings.TrimSpace(spec), client: client, refetchEvery: defaultJWKSRefetch}
}

func (j *jwksSource) isURL() bool {
	return strings.HasPrefix(j.spec, "http://") || strings.HasPrefix(j.spec, "https://")
}

// key returns the key with id kid, fetching the set when needed.
func (j *jwksSource) key(ctx context.Context, kid string) (any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.loaded {
		if err := j.load(ctx); err != nil {
			return nil, err
		}
	}
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	if j.isURL() && time.Since(j.lastAttempt) >= j.refetchEvery {
		if err := j.load(ctx); err != nil {
			return nil, err
		}
		if k, ok := j.keys[kid]; ok {
			return k, nil
		}
	}
	return nil, errUnknownKID
}

var errUnknownKID = errors.New("no key with this id")

// load (re)reads the key set; j.mu is held.
func (j *jwksSource) load(ctx context.Context) error {
	var body []byte
	switch {
	case strings.HasPrefix(j.spec, "{"):
		body = []byte(j.spec)
	case strings.HasPrefix(j.spec, "data:"):
		b, err := jwk.DecodeDataURL(j.spec)
		if err != nil {
			return &AuthError{Reason: JWKSUnavailable, Message: "Invalid JWKS data URL. Check that the data URL is properly formatted and contains valid base64-encoded JSON.", Err: err}
		}
		body = b
	case j.isURL():
		j.lastAttempt = time.Now()
		j.fetches++
		b, err := j.fetch(ctx)
		if err != nil {
			return err
		}
		body = b
	default:
		return &AuthError{Reason: JWKSUnavailable, Message: fmt.Sprintf("Could not fetch JWKS from URL '%s': unsupported URL. Check that the URL is correct and accessible.", j.spec)}
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return &AuthError{Reason: JWKSUnavailable, Err: err, Message: fmt.Sprintf("Invalid JWKS response body from '%s'. The response is not valid JSON or doesn't match the expected JWKS format.", j.describe())}
	}
	j.keys, j.loaded = keys, true
	return nil
}

// describe names the key set in messages without dumping inline keys.
func (j *jwksSource) describe() string {
	if j.isURL() {
		return j.spec
	}
	if strings.HasPrefix(j.spec, "data:") {
		return "data: URL"
	}
	return "inline JWKS"
}

func (j *jwksSource) fetch(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	unavailable := func(detail string, err error) error {
		return &AuthError{Reason: JWKSUnavailable, Err: err, Message: fmt.Sprintf("Could not fetch JWKS from URL '%s': %s. Check that the URL is correct and accessible.", j.spec, detail)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.spec, nil)
	if err != nil {
		return nil, unavailable(err.Error(), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, unavailable(err.Error(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, unavailable(err.Error(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, unavailable(fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), nil)
	}
	ct := resp.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	okType := err == nil && (strings.EqualFold(mt, "application/json") || strings.EqualFold(mt, "application/jwk-set+json"))
	if cs, has := params["charset"]; has && cs != "utf-8" {
		okType = false
	}
	if !okType {
		if ct == "" {
			ct = "unknown"
		}
		return nil, &AuthError{Reason: JWKSUnavailable, Message: fmt.Sprintf("Invalid Content-Type '%s' when fetching JWKS from '%s'. Expected 'application/json' or 'application/jwk-set+json'.", ct, j.spec)}
	}
	return body, nil
}

// parseJWKS reads the signing keys of a set.
func parseJWKS(body []byte) (map[string]any, error) {
	set, err := jwk.ParseSet(body)
	if err != nil {
		return nil, err
	}
	keys := make(map[string]any, len(set))
	for kid, k := range set {
		keys[kid] = k.Public
	}
	return keys, nil
}
