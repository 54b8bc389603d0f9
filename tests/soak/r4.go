package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/devauth"
)

// attack is one token tried against both verifiers.
type attack struct {
	name       string
	extra      bool   // beyond the attacks the lane must reject: reported, not judged
	verifier   string // customjwt.Verifier's reason, "" when accepted
	deployment string // the deployment's reason, "" when accepted
}

type r4Result struct {
	control attack // a genuine token: must be accepted by both
	attacks []attack
	err     error
}

// runR4 forges and breaks JWTs and hands each to customjwt.Verifier (what
// the middleware and `goconvex doctor` use) and to the deployment's own
// check (convextest, which checks an Authenticate with the same package
// and builds the identity functions see).
func runR4() (r r4Result) {
	issuer := authkittest.NewServer()
	defer issuer.Close()
	dep := convextest.NewServer(convextest.WithAuth(devauth.ConvexProviders(issuer)...))
	defer dep.Close()
	v := customjwt.NewVerifier(customjwt.Config{Providers: devauth.ConvexProviders(issuer)})
	ctx, cancel := withTimeout(time.Minute)
	defer cancel()

	try := func(name, tok string) attack {
		a := attack{name: name}
		if _, err := v.Verify(ctx, tok); err != nil {
			a.verifier = "rejected, no reason"
			if ve, ok := errors.AsType[*customjwt.Error](err); ok {
				a.verifier = string(ve.Reason)
			}
		}
		if _, err := dep.VerifyToken(ctx, tok); err != nil {
			a.deployment = "rejected, no reason"
			if ce, ok := errors.AsType[*customjwt.Error](err); ok {
				a.deployment = string(ce.Reason)
			}
		}
		return a
	}

	genuine, err := issuer.IssueTokens(authkittest.DemoUser.ID)
	if err != nil {
		r.err = err
		return r
	}
	r.control = try("a genuine token (control)", genuine.AccessToken)

	pub, err := issuerKey(issuer.JWKS())
	if err != nil {
		r.err = err
		return r
	}
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		r.err = err
		return r
	}
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"iss": issuer.Issuer(), "sub": authkittest.DemoUser.ID, "sid": "session_x",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		}
		if mod != nil {
			mod(c)
		}
		return c
	}
	// signed with the issuer's own key (through authkittest), claims changed.
	issued := func(mod func(jwt.MapClaims)) string {
		s, err := issuer.SignClaims(claims(mod))
		if err != nil {
			panic(err)
		}
		return s
	}
	// signed by the attacker, with the header it chooses.
	forged := func(m jwt.SigningMethod, key any, kid string) string {
		t := jwt.NewWithClaims(m, claims(nil))
		if kid != "" {
			t.Header["kid"] = kid
		}
		s, err := t.SignedString(key)
		if err != nil {
			panic(err)
		}
		return s
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(pub))})
	parts := strings.Split(genuine.AccessToken, ".")
	otherSub := base64.RawURLEncoding.EncodeToString(must(json.Marshal(claims(func(c jwt.MapClaims) { c["sub"] = "user_someone_else" }))))

	for _, c := range []struct{ name, tok string }{
		{`alg "none", no signature`, forged(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, issuer.KeyID())},
		{"signed with another key, the issuer's kid", forged(jwt.SigningMethodRS256, attacker, issuer.KeyID())},
		{"signed with another key, its own kid (kid confusion)", forged(jwt.SigningMethodRS256, attacker, "attacker-key")},
		{"signed with another key, no kid", forged(jwt.SigningMethodRS256, attacker, "")},
		{"HS256 keyed with the issuer's public key (PEM)", forged(jwt.SigningMethodHS256, pubPEM, issuer.KeyID())},
		{"HS256 keyed with the issuer's public modulus", forged(jwt.SigningMethodHS256, pub.N.Bytes(), issuer.KeyID())},
		{"genuine signature, payload swapped (another sub)", parts[0] + "." + otherSub + "." + parts[2]},
		{"genuine signature cut off", parts[0] + "." + parts[1] + "."},
		{"wrong issuer", issued(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" })},
		{"legacy issuer with a wrong aud", issued(func(c jwt.MapClaims) { c["iss"] = "https://api.workos.com/"; c["aud"] = "client_someone_else" })},
		{"legacy issuer without aud", issued(func(c jwt.MapClaims) { c["iss"] = "https://api.workos.com/" })},
		{"expired an hour ago", issued(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-time.Hour).Unix()
			c["iat"] = now.Add(-2 * time.Hour).Unix()
		})},
		{"nbf an hour from now", issued(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })},
		{"no sub", issued(func(c jwt.MapClaims) { delete(c, "sub") })},
		{"no exp", issued(func(c jwt.MapClaims) { delete(c, "exp") })},
		{"not a JWT", "not.a.jwt"},
	} {
		r.attacks = append(r.attacks, try(c.name, c.tok))
	}
	// Not an attack with a signature of its own, but a rule the two
	// checks may not share: reported as is.
	iat := try("iat an hour from now, exp valid", issued(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }))
	iat.extra = true
	r.attacks = append(r.attacks, iat)
	return r
}

// issuerKey reads the RSA public key from a JWK set with one key.
func issuerKey(jwks []byte) (*rsa.PublicKey, error) {
	var set struct {
		Keys []struct{ N, E string } `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil || len(set.Keys) == 0 {
		return nil, fmt.Errorf("unreadable JWKS: %v", err)
	}
	n, err := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	if err != nil {
		return nil, err
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (r r4Result) rejected() int {
	n := 0
	for _, a := range r.attacks {
		if !a.extra && named(a.verifier) && named(a.deployment) {
			n++
		}
	}
	return n
}

func (r r4Result) judged() int {
	n := 0
	for _, a := range r.attacks {
		if !a.extra {
			n++
		}
	}
	return n
}

func named(reason string) bool {
	return reason != "" && !strings.HasPrefix(reason, "rejected, no reason")
}

func (r r4Result) failed() bool {
	return r.err != nil || r.control.verifier != "" || r.control.deployment != "" || r.rejected() != r.judged()
}

func (r r4Result) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "## R4: JWT attacks\n\n")
	if r.err != nil {
		fmt.Fprintf(b, "✗ setup failed: %v\n\n", r.err)
		return
	}
	show := func(s string) string {
		if s == "" {
			return "accepted"
		}
		return s
	}
	fmt.Fprintf(b, "Each token goes to `customjwt.Verifier` (the middleware's check) and to the deployment's (`convextest`, as Convex checks an Authenticate).\n\n")
	fmt.Fprintf(b, "| token | customjwt.Verifier | deployment | |\n|---|---|---|---|\n")
	fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r.control.name, show(r.control.verifier), show(r.control.deployment), mark(r.control.verifier == "" && r.control.deployment == ""))
	for _, a := range r.attacks {
		m := mark(named(a.verifier) && named(a.deployment))
		if a.extra {
			m = "not judged"
			if (a.verifier == "") != (a.deployment == "") {
				m = "the two checks disagree"
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", a.name, show(a.verifier), show(a.deployment), m)
	}
	fmt.Fprintf(b, "\n%d attacks tried, %d rejected by both with a named reason.\n\n", r.judged(), r.rejected())
}
