package authkittest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"time"
)

// signingKey is the server's RSA key with its key id and its JWKS document.
type signingKey struct {
	priv *rsa.PrivateKey
	kid  string
	jwks []byte // {"keys":[…]} as served
}

// newSigningKey wraps priv, or generates an RSA-2048 key when priv is nil.
// The key id is a prefix of the key's RFC 7638 thumbprint, and the JWKS is
// a function of the key alone, so a pinned key gives the same kid and JWKS
// every run.
func newSigningKey(priv *rsa.PrivateKey) (*signingKey, error) {
	if priv == nil {
		var err error
		if priv, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, err
		}
	}
	if priv.N.BitLen() < 2048 {
		return nil, errors.New("authkittest: the signing key must have at least 2048 bits")
	}
	n := base64.RawURLEncoding.EncodeToString(priv.N.Bytes())
	e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(priv.E)).Bytes())
	// RFC 7638: SHA-256 over the required members in lexicographic order,
	// no whitespace.
	thumb := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	thumbprint := base64.RawURLEncoding.EncodeToString(thumb[:])
	kid := thumbprint[:16]

	// A self-signed certificate for x5c / x5t#S256, which the WorkOS
	// OpenAPI spec lists as required members. Fixed dates and a serial
	// derived from the thumbprint keep it deterministic.
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(thumb[:8]),
		Subject:      pkix.Name{CommonName: "authkittest " + kid},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, err
	}
	certThumb := sha256.Sum256(der)
	doc, err := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"alg":      "RS256",
		"kty":      "RSA",
		"use":      "sig",
		"kid":      kid,
		"n":        n,
		"e":        e,
		"x5c":      []string{base64.StdEncoding.EncodeToString(der)},
		"x5t#S256": base64.RawURLEncoding.EncodeToString(certThumb[:]),
	}}})
	if err != nil {
		return nil, err
	}
	return &signingKey{priv: priv, kid: kid, jwks: doc}, nil
}

// handleJWKS serves GET /sso/jwks/{clientId}: the key set for the
// environment's client id, 404 for any other.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("clientId") != s.cfg.clientID {
		writeMessage(w, http.StatusNotFound, "entity_not_found", "Could not find a JWKS for client '"+r.PathValue("clientId")+"'.")
		return
	}
	s.writeJWKS(w)
}

// handleM2MJWKS serves GET /oauth2/jwks, the AuthKit-domain key set that
// verifies client_credentials tokens (the same key).
func (s *Server) handleM2MJWKS(w http.ResponseWriter, r *http.Request) {
	s.writeJWKS(w)
}

func (s *Server) writeJWKS(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.key.jwks)
}

// JWKS returns the key set document served at JWKSURL.
func (s *Server) JWKS() []byte {
	return append([]byte(nil), s.key.jwks...)
}

// JWKSURL returns URL()/sso/jwks/<clientId>, where the key set is served
// (what workos-node's getJwksUrl returns for this server).
func (s *Server) JWKSURL() string {
	return s.url + "/sso/jwks/" + s.cfg.clientID
}

// JWKSDataURL returns the key set as a data: URL
// ("data:application/json;base64,…"), which Convex accepts as a provider's
// jwks: a deployment can then verify tokens without reaching this server.
func (s *Server) JWKSDataURL() string {
	return "data:application/json;base64," + base64.StdEncoding.EncodeToString(s.key.jwks)
}

// KeyID returns the "kid" of the signing key, as in token headers and the
// key set.
func (s *Server) KeyID() string {
	return s.key.kid
}
