// Package jwk reads JSON Web Key sets (RFC 7517): the RSA and P-256 public
// keys that verify RS256 and ES256 tokens, and RFC 2397 data: URLs that
// carry a key set inline. Both the token verifier of package authkit and
// the test deployment of package convextest use it.
package jwk

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
)

// Key is one signing key of a set.
type Key struct {
	ID  string
	Alg string // the "alg" the set declares for the key; may be empty
	// Public is an *rsa.PublicKey or an *ecdsa.PublicKey.
	Public crypto.PublicKey
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// ParseSet reads the RSA and P-256 signing keys of a key set, by key id.
// Encryption keys ("use":"enc") and keys of other types or curves are
// skipped; an RSA or P-256 key with bad parameters is an error naming it.
func ParseSet(body []byte) (map[string]Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("key set is not JSON: %w", err)
	}
	if set.Keys == nil {
		return nil, errors.New(`key set has no "keys" array`)
	}
	keys := make(map[string]Key, len(set.Keys))
	for i, raw := range set.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, fmt.Errorf("key %d is not a JWK: %w", i, err)
		}
		if k.Use == "enc" {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.Kid, err)
		}
		if pub != nil {
			keys[k.Kid] = Key{ID: k.Kid, Alg: k.Alg, Public: pub}
		}
	}
	return keys, nil
}

// publicKey returns the key, nil for a type or curve it does not read.
func (k *jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64url(k.N)
		if err != nil || len(n) == 0 {
			return nil, errors.New("bad RSA modulus")
		}
		e, err := b64url(k.E)
		if err != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA exponent")
		}
		exp := int(new(big.Int).SetBytes(e).Int64())
		if exp < 3 {
			return nil, errors.New("bad RSA exponent")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, nil
		}
		x, err1 := b64url(k.X)
		y, err2 := b64url(k.Y)
		if err1 != nil || err2 != nil || len(x) > 32 || len(y) > 32 {
			return nil, errors.New("bad EC point")
		}
		pt := make([]byte, 65)
		pt[0] = 4
		copy(pt[33-len(x):33], x)
		copy(pt[65-len(y):], y)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
		if err != nil {
			return nil, fmt.Errorf("bad EC point: %w", err)
		}
		return pub, nil
	}
	return nil, nil
}

func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// DecodeDataURL decodes "data:[<mediatype>][;base64],<data>" (RFC 2397).
// Base64 data may be padded or not, in the standard or URL alphabet,
// percent-encoded, and wrapped with white space.
func DecodeDataURL(s string) ([]byte, error) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(s, "data:"), ",")
	if !ok {
		return nil, errors.New("data: URL has no comma")
	}
	if !strings.HasSuffix(strings.ToLower(meta), ";base64") {
		text, err := url.PathUnescape(data)
		if err != nil {
			return nil, fmt.Errorf("data: URL: %w", err)
		}
		return []byte(text), nil
	}
	if unesc, err := url.PathUnescape(data); err == nil {
		data = unesc
	}
	data = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\n', '\r', '\t', '=':
			return -1
		}
		return r
	}, data)
	if b, err := base64.RawStdEncoding.DecodeString(data); err == nil {
		return b, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil {
		return nil, errors.New("data: URL is not valid base64")
	}
	return b, nil
}
