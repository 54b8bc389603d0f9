package customjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

var (
	rsaKey1 = sync.OnceValue(func() *rsa.PrivateKey { return genRSA() })
	rsaKey2 = sync.OnceValue(func() *rsa.PrivateKey { return genRSA() })
	rsaEvil = sync.OnceValue(func() *rsa.PrivateKey { return genRSA() })
	ecKey1  = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func genRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]any {
	b, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return map[string]any{"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(b[1:33]), "y": b64(b[33:])}
}

// jwksServer serves a replaceable key set at /jwks and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu          sync.Mutex
	keys        []map[string]any
	status      int
	contentType string
	fetches     atomic.Int32
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	s := &jwksServer{keys: keys, status: 200, contentType: "application/jwk-set+json; charset=utf-8"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		if r.URL.Path != "/jwks" || r.Header.Get("Accept") != "application/json" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", s.contentType)
		w.WriteHeader(s.status)
		json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...map[string]any) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

func (s *jwksServer) setAnswer(status int, contentType string) {
	s.mu.Lock()
	s.status, s.contentType = status, contentType
	s.mu.Unlock()
}

const (
	perClientIss = "https://api.workos.com/user_management/client_test"
	legacyIss    = "https://api.workos.com/"
)

// workosProviders are WorkOS's two providers (see authkit/workos) with
// the key set at srv.
func workosProviders(srv *jwksServer) []Provider {
	return []Provider{
		{Type: TypeCustomJWT, Issuer: legacyIss, JWKS: srv.URL + "/jwks", Algorithm: RS256, ApplicationID: "client_test"},
		{Type: TypeCustomJWT, Issuer: perClientIss, JWKS: srv.URL + "/jwks", Algorithm: RS256},
	}
}

func sign(t testing.TB, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func baseClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": perClientIss, "sub": "user_1", "sid": "session_1", "jti": "j1",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

// with returns c with the keys set to the values, nil removing a key.
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Unix(1788264000, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testVerifier is a Verifier for providers whose key-set cache reads c.
func testVerifier(c *testClock, providers []Provider) *Verifier {
	v := NewVerifier(Config{Providers: providers})
	v.keys.now = c.Now
	return v
}

// verify checks tok at the clock's time.
func verify(v *Verifier, c *testClock, tok string) (*Claims, error) {
	return v.VerifyAt(context.Background(), tok, c.Now())
}
