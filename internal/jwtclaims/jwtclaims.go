// Package jwtclaims reads the registered claims of a compact JWT without
// verifying its signature. The client's auth manager needs iat and exp to
// schedule refreshes, and authkit needs sid and org_id too; neither may pull
// encoding/json or signature code into the WebAssembly build, so this is a
// small reader of one flat JSON object that skips the claims it does not
// know. Verification lives in package customjwt, natively only.
package jwtclaims

import (
	"encoding/base64"
	"strings"
)

// Claims are the claims read from a token's payload. A claim that is
// missing or of another JSON type is left at its zero value.
type Claims struct {
	// Exp and Iat are NumericDates in seconds, possibly fractional.
	Exp, Iat       float64
	HasExp, HasIat bool
	Sub, Iss       string
	// Sid is WorkOS's session id, OrgID its organization id.
	Sid, OrgID string
}

// Error says why a token could not be read.
type Error struct{ Why string }

func (e *Error) Error() string { return e.Why }

func malformed(why string) error { return &Error{Why: why} }

// Parse decodes the payload of a compact JWS (header.payload.signature,
// base64url with or without padding) and reads its claims.
func Parse(token string) (Claims, error) {
	_, payload, _, err := Split(token)
	if err != nil {
		return Claims{}, err
	}
	b, err := DecodeSegment(payload, "payload")
	if err != nil {
		return Claims{}, err
	}
	return ParsePayload(b)
}

// Split splits a compact JWS into its three segments; the header and the
// payload must not be empty.
func Split(token string) (header, payload, signature string, err error) {
	header, rest, ok1 := strings.Cut(token, ".")
	payload, signature, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(signature, ".") {
		return "", "", "", malformed("not three dot-separated segments")
	}
	if header == "" || payload == "" {
		return "", "", "", malformed("empty segment")
	}
	return header, payload, signature, nil
}

// DecodeSegment decodes a base64url segment, with or without padding; what
// names it in the error ("header", "payload").
func DecodeSegment(seg, what string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, malformed(what + " is not base64url")
	}
	return b, nil
}

// ParsePayload reads the claims from a decoded payload, which must be one
// JSON object.
func ParsePayload(payload []byte) (Claims, error) {
	var c Claims
	r := reader{data: payload}
	err := r.object(func(key string) error {
		switch key {
		case "exp":
			return r.number(&c.Exp, &c.HasExp)
		case "iat":
			return r.number(&c.Iat, &c.HasIat)
		case "sub":
			return r.string(&c.Sub)
		case "iss":
			return r.string(&c.Iss)
		case "sid":
			return r.string(&c.Sid)
		case "org_id":
			return r.string(&c.OrgID)
		}
		return r.skip(1)
	})
	if err == nil {
		r.ws()
		if r.pos != len(r.data) {
			err = r.fail("data after the object")
		}
	}
	if err != nil {
		return Claims{}, err
	}
	return c, nil
}
