package customjwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// token is a compact JWS with its payload read the way the backend reads
// it before anything is verified: the registered claims typed as biscuit's
// RegisteredClaims (crates/authentication/src/lib.rs,
// unverified_payload). The header is read later, at the signature step,
// as the backend does.
type token struct {
	parts []string // the dot-separated segments

	iss, sub, jti  string
	hasIss, hasSub bool
	aud            []string
	hasAud         bool
	exp, nbf, iat  int64 // whole seconds since the epoch
	hasExp, hasNbf bool
	hasIat         bool
	claims         map[string]any // every claim, numbers as json.Number
	header         map[string]any // nil until readHeader succeeds
	alg, kid       string
	hasKid         bool
	signature      []byte
	signingInput   string
}

// b64url decodes segments as biscuit does (data_encoding's
// BASE64URL_NOPAD): no padding, and no stray bits in the last character.
var b64url = base64.RawURLEncoding.Strict()

// maxSeconds is the largest timestamp the backend can represent (chrono's
// last second of year 262143); beyond it the backend fails to read the
// token, so it is malformed here.
const maxSeconds = 8_210_266_876_799

// parseToken reads the payload of raw. An error is the reason the backend
// gives at this step: the payload is unreadable.
func parseToken(raw string) (*token, error) {
	t := &token{parts: strings.Split(raw, ".")}
	if len(t.parts) < 2 {
		return nil, errors.New("not a JWT: no payload segment")
	}
	payload, err := b64url.DecodeString(t.parts[1])
	if err != nil {
		return nil, errors.New("the payload is not base64url")
	}
	if t.claims, err = decodeObject(payload); err != nil {
		return nil, fmt.Errorf("the payload is not a JSON object: %w", err)
	}
	if t.iss, t.hasIss, err = stringClaim(t.claims, "iss"); err != nil {
		return nil, err
	}
	if t.sub, t.hasSub, err = stringClaim(t.claims, "sub"); err != nil {
		return nil, err
	}
	if t.jti, _, err = stringClaim(t.claims, "jti"); err != nil {
		return nil, err
	}
	if t.aud, t.hasAud, err = audienceClaim(t.claims); err != nil {
		return nil, err
	}
	if t.exp, t.hasExp, err = timeClaim(t.claims, "exp"); err != nil {
		return nil, err
	}
	if t.nbf, t.hasNbf, err = timeClaim(t.claims, "nbf"); err != nil {
		return nil, err
	}
	if t.iat, t.hasIat, err = timeClaim(t.claims, "iat"); err != nil {
		return nil, err
	}
	return t, nil
}

// readHeader reads the header and the signature: the segments the
// backend reads when it decodes the token with the key set.
func (t *token) readHeader() error {
	if len(t.parts) != 3 {
		return fmt.Errorf("a JWT has 3 segments, this one %d", len(t.parts))
	}
	hb, err := b64url.DecodeString(t.parts[0])
	if err != nil {
		return errors.New("the header is not base64url")
	}
	h, err := decodeObject(hb)
	if err != nil {
		return fmt.Errorf("the header is not a JSON object: %w", err)
	}
	alg, ok := h["alg"].(string)
	if !ok {
		return errors.New("the header has no alg")
	}
	switch kid := h["kid"].(type) {
	case nil:
	case string:
		t.kid, t.hasKid = kid, true
	default:
		return errors.New("the header's kid is not a string")
	}
	if t.signature, err = b64url.DecodeString(t.parts[2]); err != nil {
		return errors.New("the signature is not base64url")
	}
	t.header, t.alg = h, alg
	t.signingInput = t.parts[0] + "." + t.parts[1]
	return nil
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("null")
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return m, nil
}

// stringClaim reads an optional string claim; null counts as absent.
func stringClaim(c map[string]any, name string) (string, bool, error) {
	switch v := c[name].(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	}
	return "", false, fmt.Errorf("%s is not a string", name)
}

// audienceClaim reads aud: a string or an array of strings.
func audienceClaim(c map[string]any) ([]string, bool, error) {
	switch v := c["aud"].(type) {
	case nil:
		return nil, false, nil
	case string:
		return []string{v}, true, nil
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false, errors.New("aud holds a non-string")
			}
			out[i] = s
		}
		return out, true, nil
	}
	return nil, false, errors.New("aud is not a string or an array of strings")
}

// timeClaim reads a NumericDate as the backend does (biscuit's
// numeric_type): a non-negative integer, or a finite non-negative number
// rounded to the nearest second.
func timeClaim(c map[string]any, name string) (int64, bool, error) {
	v, present := c[name]
	if !present || v == nil {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false, fmt.Errorf("%s is not a number", name)
	}
	if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		if u > maxSeconds {
			return 0, false, fmt.Errorf("%s is out of range", name)
		}
		return int64(u), true, nil
	}
	if _, err := strconv.ParseInt(string(n), 10, 64); err == nil || strings.HasPrefix(string(n), "-") && !strings.ContainsAny(string(n), ".eE") {
		return 0, false, fmt.Errorf("%s is negative", name) // serde reads negative integers as i64, which numeric_type refuses
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || math.Round(f) > maxSeconds {
		return 0, false, fmt.Errorf("%s is not a non-negative number of seconds", name)
	}
	return int64(math.Round(f)), true, nil
}
