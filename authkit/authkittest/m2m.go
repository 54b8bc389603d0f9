package authkittest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// M2MApp is a WorkOS Connect machine-to-machine application, which gets
// access tokens with the client_credentials grant on POST /oauth2/token.
type M2MApp struct {
	ClientID       string // the application's own client id; the tokens' "sub"
	ClientSecret   string
	OrganizationID string   // the tokens' "org_id" ("" for none)
	Scopes         []string // scopes it may ask for; all of them when it asks for none
}

// M2MIssuer returns the "iss" of client_credentials tokens: the AuthKit
// domain, which for this server is URL(). A Convex deployment accepting
// them needs a third customJwt provider: issuer M2MIssuer(), jwks
// URL()+"/oauth2/jwks" (or JWKSDataURL()), algorithm RS256, applicationID
// ClientID() (the tokens' "aud").
func (s *Server) M2MIssuer() string { return s.url }

// handleOAuthToken serves POST /oauth2/token with
// grant_type=client_credentials (form or JSON; client credentials in the
// body or as HTTP Basic). The answer is {access_token, token_type:"Bearer",
// expires_in, scope}; the token's claims are iss = M2MIssuer(), sub = the
// application's client id, aud = the environment's client id, org_id,
// scope (space-separated), jti, iat, exp, and no sid: there is no user and
// no session, so no refresh token either.
func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(w, r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if id, secret, ok := r.BasicAuth(); ok {
		p["client_id"], p["client_secret"] = id, secret
	}
	if p["grant_type"] != grantClientCredentials {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Only client_credentials is supported here.")
		return
	}
	app, ok := s.m2m[p["client_id"]]
	if !ok || !secretEqual(p["client_secret"], app.ClientSecret) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials.")
		return
	}
	scopes := app.Scopes
	if req := strings.Fields(p["scope"]); len(req) > 0 {
		for _, sc := range req {
			if !slices.Contains(app.Scopes, sc) {
				writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "Scope '"+sc+"' is not granted to this application.")
				return
			}
		}
		scopes = req
	}
	scope := strings.Join(scopes, " ")
	now := s.cfg.clock()
	claims := jwt.MapClaims{
		"iss":   s.M2MIssuer(),
		"sub":   app.ClientID,
		"aud":   s.cfg.clientID,
		"jti":   newULID(now),
		"iat":   now.Unix(),
		"exp":   now.Add(s.cfg.lifetime).Unix(),
		"scope": scope,
	}
	if app.OrganizationID != "" {
		claims["org_id"] = app.OrganizationID
	}
	tok, err := s.sign(claims)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int(s.cfg.lifetime.Seconds()),
		"scope":        scope,
	})
}
