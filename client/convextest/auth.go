package convextest

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/customjwt"
)

// AuthError is a rejected user token or admin key, as the deployment
// answers it: Message worded as the backend words it, Code its error code
// (NoAuthProvider, InvalidAuthHeader, BadAdminKey). A user token's
// rejection wraps the *customjwt.Error naming the rule it broke, so
// errors.Is(err, customjwt.ReasonExpired) works.
type AuthError struct {
	Code    string
	Message string
	// Err is the cause, if any: a *customjwt.Error for a user token.
	Err error
}

func (e *AuthError) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *AuthError) Unwrap() error { return e.Err }

// newVerifier returns the verifier of the deployment's providers. A key
// set given inline as JSON becomes a data: URL.
func newVerifier(providers []customjwt.Provider, hc *http.Client) *customjwt.Verifier {
	ps := make([]customjwt.Provider, len(providers))
	for i, p := range providers {
		if err := p.Check(); err != nil {
			panic(fmt.Sprintf("convextest: auth provider %q: %v", p.Issuer, err))
		}
		if js := strings.TrimSpace(p.JWKS); strings.HasPrefix(js, "{") {
			p.JWKS = "data:application/json;base64," + base64.StdEncoding.EncodeToString([]byte(js))
		}
		ps[i] = p
	}
	return customjwt.NewVerifier(customjwt.Config{Providers: ps, HTTPClient: hc, RefetchInterval: jwksRefetch})
}

// jwksRefetch is the least time between two fetches of one key set caused
// by tokens whose key id is not in the cached set: short, as tests rotate
// keys.
const jwksRefetch = 2 * time.Second

// VerifyToken validates a user JWT the way the deployment validates the
// token of an Authenticate message or an Authorization: Bearer header, and
// returns the identity functions would see. A rejection is an *AuthError.
func (s *Server) VerifyToken(ctx context.Context, token string) (*Identity, error) {
	return s.verifyJWT(ctx, token)
}

func (s *Server) verifyJWT(ctx context.Context, token string) (*Identity, error) {
	claims, err := s.verifier.VerifyAt(ctx, token, s.now())
	if err != nil {
		ae := &AuthError{Code: "InvalidAuthHeader", Message: err.Error(), Err: err}
		if ce, ok := errors.AsType[*customjwt.Error](err); ok {
			ae.Code, ae.Message = ce.Code(), ce.Message
		}
		return nil, ae
	}
	raw, err := normalizeJSON(claims.Raw)
	if err != nil {
		return nil, &AuthError{Code: "InvalidAuthHeader", Message: "Could not parse JWT payload.", Err: err}
	}
	id := identityFromClaims(raw.(map[string]any))
	id.Expiration = claims.Expiry
	return id, nil
}

// normalizeJSON turns json.Numbers into float64s, as identities hold them.
func normalizeJSON(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		return v.Float64()
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			n, err := normalizeJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			n, err := normalizeJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	}
	return v, nil
}

// adminIdentity checks an admin key and, when actingAs is given, builds the
// identity the admin acts as. Admin without acting-as runs with no user
// identity. The key matches the configured one with or without its
// deployment-type prefix ("prod:", "dev:", …), as the backend's key check
// ignores it (crates/keybroker/src/broker.rs).
func (s *Server) adminIdentity(key string, actingAs []byte) (*Identity, error) {
	want := removeTypePrefix(s.opts.adminKey)
	if s.opts.adminKey == "" || subtle.ConstantTimeCompare([]byte(removeTypePrefix(key)), []byte(want)) != 1 {
		return nil, &AuthError{Code: "BadAdminKey", Message: "The provided admin key was invalid for this instance"}
	}
	if len(actingAs) == 0 {
		return nil, nil
	}
	id, err := identityFromAttributes(actingAs)
	if err != nil {
		return nil, &AuthError{Code: "InvalidAuthHeader", Message: err.Error(), Err: err}
	}
	return id, nil
}

// removeTypePrefix strips an admin key's deployment-type prefix, as the
// backend does before reading an acting-as identity after the key
// (crates/common/src/types/admin_key.rs): "prod:name|secret" is
// "name|secret"; "preview:…|secret" and "project:…|secret" are "secret".
func removeTypePrefix(key string) string {
	instance, secret, ok := strings.Cut(key, "|")
	if !ok {
		return key
	}
	typ, name, ok := strings.Cut(instance, ":")
	if !ok {
		return key
	}
	if strings.EqualFold(typ, "preview") || strings.EqualFold(typ, "project") {
		return secret
	}
	return name + "|" + secret
}

// httpToken is the credential of an HTTP API request.
type httpToken struct {
	admin    bool
	value    string // the JWT, or the admin key
	actingAs []byte // an admin's acting-as identity (JSON), or nil
}

// httpToken reads a request's credential as the backend does
// (crates/local_backend/src/authentication.rs, crates/authentication):
// "Authorization: Bearer <jwt>", "Convex <admin key>" optionally followed
// by ":<base64 JSON identity>" to act as a user, or an adminKey query
// parameter. A malformed header is a 400, before the body is read.
func httpTokenOf(r *http.Request) (*httpToken, *apiError) {
	values, present := r.Header["Authorization"]
	if !present {
		if key := r.URL.Query().Get("adminKey"); key != "" {
			return &httpToken{admin: true, value: key}, nil
		}
		return nil, nil
	}
	h := ""
	if len(values) > 0 {
		h = values[0]
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			return nil, &apiError{http.StatusBadRequest, "HeaderParseFailure", fmt.Sprintf("Failed to parse header %q", h)}
		}
	}
	if len(h) < 7 {
		return nil, &apiError{http.StatusBadRequest, "InvalidHeaderFailure", "Invalid authentication header"}
	}
	if strings.EqualFold(h[:7], "convex ") {
		key := removeTypePrefix(h[7:])
		admin, b64, acting := strings.Cut(key, ":")
		if !acting {
			return &httpToken{admin: true, value: key}, nil
		}
		malformed := &apiError{http.StatusBadRequest, "HeaderParseFailure", "Malformed Authorization header."}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if raw, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
				return nil, malformed
			}
		}
		if protocol.CheckIdentityAttributes(raw) != nil {
			return nil, malformed
		}
		return &httpToken{admin: true, value: admin, actingAs: raw}, nil
	}
	if len(h) <= 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil, &apiError{http.StatusBadRequest, "InvalidAdminKey", "Invalid admin key"}
	}
	return &httpToken{value: strings.TrimSpace(h[7:])}, nil
}

// authenticate checks a request's credential; a rejection is an *AuthError.
func (s *Server) authenticate(ctx context.Context, tok *httpToken) (*Identity, error) {
	switch {
	case tok == nil:
		return nil, nil
	case tok.admin:
		return s.adminIdentity(tok.value, tok.actingAs)
	default:
		return s.verifyJWT(ctx, tok.value)
	}
}
