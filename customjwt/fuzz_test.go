package customjwt

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify hands arbitrary strings to a Verifier whose key set is inline:
// no input may panic, and nothing but a valid signature by the key is
// accepted.
func FuzzVerify(f *testing.F) {
	set, _ := json.Marshal(map[string]any{"keys": []any{rsaJWK("k1", &rsaKey1().PublicKey)}})
	p := Provider{Issuer: "https://auth.example.com", JWKS: "data:application/json;base64," + base64.StdEncoding.EncodeToString(set)}
	v := NewVerifier(Config{Providers: []Provider{p}})
	now := time.Unix(1788264000, 0)
	good := sign(f, jwt.SigningMethodRS256, "k1", rsaKey1(), jwt.MapClaims{"iss": p.Issuer, "sub": "u", "exp": now.Add(time.Hour).Unix()})
	for _, seed := range []string{good, "", ".", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.x", good + "x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.VerifyAt(context.Background(), tok, now)
		if err == nil && tok != good {
			t.Fatalf("accepted %q as %+v", tok, c)
		}
	})
}
