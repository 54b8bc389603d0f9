package authkittest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// Grant types of POST /user_management/authenticate.
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantPassword          = "password"
	grantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	grantClientCredentials = "client_credentials"
	// The grants that finish a pending sign-in (pending.go).
	grantOrganizationSelection = "urn:workos:oauth:grant-type:organization-selection"
	grantMFATOTP               = "urn:workos:oauth:grant-type:mfa-totp"
	grantEmailVerification     = "urn:workos:oauth:grant-type:email-verification:code"
)

// grantError is a refused grant. plain selects the {"code","message"} body
// over the OAuth {"error","error_description"} one; extra members go into
// the plain body (a pending step's token, user, organizations…).
type grantError struct {
	status      int
	plain       bool
	code        string
	description string
	extra       map[string]any
}

func oauthErr(code, description string) *grantError {
	return &grantError{status: http.StatusBadRequest, code: code, description: description}
}

func (e *grantError) write(w http.ResponseWriter) {
	if e.plain {
		body := map[string]any{"code": e.code, "message": e.description}
		for k, v := range e.extra {
			body[k] = v
		}
		writeJSON(w, e.status, body)
		return
	}
	writeOAuthError(w, e.status, e.code, e.description)
}

// handleAuthenticate serves POST /user_management/authenticate, JSON or
// form body: authorization_code (PKCE or client_secret), refresh_token
// (rotation, replay window, organization switch), password (client_secret)
// and the device code grant.
func (s *Server) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(w, r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	body, gerr := s.authenticate(p)
	if gerr != nil {
		gerr.write(w)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) authenticate(p map[string]string) (map[string]any, *grantError) {
	grant := p["grant_type"]
	if grant == "" {
		return nil, oauthErr("invalid_request", "grant_type is required.")
	}
	if grant == grantClientCredentials {
		return nil, oauthErr("unsupported_grant_type", "client_credentials is served by POST /oauth2/token (WorkOS Connect M2M), not by this endpoint.")
	}
	if p["client_id"] == "" {
		return nil, oauthErr("invalid_request", "client_id is required.")
	}
	if p["client_id"] != s.cfg.clientID {
		return nil, oauthErr("invalid_client", "Invalid client ID '"+p["client_id"]+"'.")
	}
	if secret := p["client_secret"]; secret != "" && (s.cfg.apiKey == "" || !secretEqual(secret, s.cfg.apiKey)) {
		return nil, &grantError{status: http.StatusUnauthorized, code: "invalid_client", description: "Invalid client secret."}
	}
	switch grant {
	case grantAuthorizationCode:
		return s.grantCode(p)
	case grantRefreshToken:
		return s.grantRefresh(p)
	case grantPassword:
		return s.grantPassword(p)
	case grantDeviceCode:
		return s.grantDevice(p)
	case grantOrganizationSelection:
		return s.grantOrganizationSelection(p)
	case grantMFATOTP:
		return s.grantMFATOTP(p)
	case grantEmailVerification:
		return s.grantEmailVerification(p)
	default:
		return nil, oauthErr("unsupported_grant_type", "Unsupported grant_type '"+grant+"'.")
	}
}

// authResponse is the body of a successful exchange: user (snake_case),
// tokens, authentication_method, organization_id when set. Never a
// sealed_session (WorkOS does not send one; sealing is the SDKs' job).
// s.mu is held.
func (s *Server) authResponseLocked(sess *session, p *pair) map[string]any {
	body := map[string]any{
		"user":                  s.users[sess.userID].json(),
		"access_token":          p.access,
		"refresh_token":         p.refresh,
		"authentication_method": sess.authMethod,
	}
	if p.orgID != "" {
		body["organization_id"] = p.orgID
	}
	return body
}

// s256 is the PKCE S256 transform: base64url(SHA-256(verifier)).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) grantCode(p map[string]string) (map[string]any, *grantError) {
	code := p["code"]
	if code == "" {
		return nil, oauthErr("invalid_request", "code is required.")
	}
	invalid := oauthErr("invalid_grant", "The code '"+code+"' has expired or is invalid.")
	now := s.cfg.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.codes[code]
	if ac == nil || ac.clientID != p["client_id"] {
		return nil, invalid
	}
	if now.After(ac.expires) {
		delete(s.codes, code)
		return nil, invalid
	}
	if ac.challenge != "" {
		verifier := p["code_verifier"]
		if verifier == "" {
			return nil, oauthErr("invalid_request", "code_verifier is required: the code was issued with a code_challenge.")
		}
		if s256(verifier) != ac.challenge {
			return nil, invalid
		}
	} else if p["client_secret"] == "" {
		return nil, oauthErr("invalid_client", "client_secret is required: the code was issued without a code_challenge.")
	}
	delete(s.codes, code)
	u := s.users[ac.userID]
	if u == nil {
		return nil, invalid
	}
	if ac.orgID != "" {
		if _, ok := u.membership(ac.orgID); !ok {
			ac.orgID = ""
		}
	}
	return s.signInLocked(u, "Password", ac.orgID, stepsDone{})
}

func (s *Server) grantRefresh(p map[string]string) (map[string]any, *grantError) {
	token := p["refresh_token"]
	if token == "" {
		return nil, oauthErr("invalid_request", "refresh_token is required.")
	}
	now := s.cfg.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refresh[token]
	if rt == nil {
		return nil, oauthErr("invalid_grant", "Invalid refresh token.")
	}
	sess := s.sessions[rt.sessionID]
	if sess == nil || sess.ended {
		return nil, oauthErr("invalid_grant", "Session has already ended.")
	}
	if rt.next != nil {
		if s.cfg.replayWindow > 0 && now.Sub(rt.exchangedAt) <= s.cfg.replayWindow {
			return s.authResponseLocked(sess, rt.next), nil
		}
		return nil, oauthErr("invalid_grant", "Refresh token already exchanged.")
	}
	org := rt.orgID
	if want := p["organization_id"]; want != "" && want != org {
		u := s.users[sess.userID]
		if _, ok := u.membership(want); !ok {
			if !s.orgExistsLocked(want) {
				return nil, &grantError{status: http.StatusNotFound, plain: true, code: "organization_not_found", description: "Organization '" + want + "' not found."}
			}
			return nil, &grantError{status: http.StatusBadRequest, plain: true, code: "organization_membership_not_found", description: "The user is not a member of organization '" + want + "'."}
		}
		org = want
	}
	pr, err := s.mintPairLocked(sess, org, s.cfg.lifetime, nil)
	if err != nil {
		return nil, &grantError{status: http.StatusInternalServerError, code: "server_error", description: err.Error()}
	}
	rt.next = pr
	rt.exchangedAt = now
	return s.authResponseLocked(sess, pr), nil
}

// orgExistsLocked reports whether any user belongs to org; s.mu is held.
func (s *Server) orgExistsLocked(org string) bool {
	for _, u := range s.users {
		if _, ok := u.membership(org); ok {
			return true
		}
	}
	return false
}

func (s *Server) grantPassword(p map[string]string) (map[string]any, *grantError) {
	if p["client_secret"] == "" {
		return nil, oauthErr("invalid_client", "client_secret is required for the password grant.")
	}
	email, password := p["email"], p["password"]
	if email == "" || password == "" {
		return nil, oauthErr("invalid_request", "email and password are required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByEmailLocked(email)
	if u == nil || !u.checkPassword(password) {
		return nil, &grantError{status: http.StatusBadRequest, plain: true, code: "invalid_credentials", description: "Invalid credentials for '" + email + "'."}
	}
	return s.signInLocked(u, "Password", u.defaultOrg(), stepsDone{})
}
