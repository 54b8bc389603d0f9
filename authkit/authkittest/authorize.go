package authkittest

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// authRequest is a validated GET /user_management/authorize.
type authRequest struct {
	params      url.Values // as received, for the login form's hidden fields
	clientID    string
	redirectURI string
	state       string
	hasState    bool
	challenge   string // "" without PKCE
	loginHint   string
	orgID       string
	signUp      bool
}

// authCode is an issued authorization code: single-use, bound to the
// client, redirect URI, PKCE challenge, user and organization.
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	userID      string
	orgID       string
	expires     time.Time
}

// authorizeError is a refused authorize request: shown as a page when the
// redirect URI cannot be trusted, else sent back to it as ?error=….
type authorizeError struct {
	page        bool
	code        string
	description string
}

// formFields are the login form's own fields, not authorize parameters.
var formFields = map[string]bool{"email": true, "password": true, "action": true}

// parseAuthorize validates authorize parameters.
func (s *Server) parseAuthorize(q url.Values) (*authRequest, *authorizeError) {
	req := &authRequest{
		params:      q,
		clientID:    q.Get("client_id"),
		redirectURI: q.Get("redirect_uri"),
		state:       q.Get("state"),
		hasState:    q.Has("state"),
		challenge:   q.Get("code_challenge"),
		loginHint:   q.Get("login_hint"),
		orgID:       q.Get("organization_id"),
		signUp:      q.Get("screen_hint") == "sign-up",
	}
	if req.clientID != s.cfg.clientID {
		return nil, &authorizeError{page: true, code: "invalid_client", description: "Invalid client ID '" + req.clientID + "'."}
	}
	s.mu.Lock()
	allowed := s.redirectURIs[req.redirectURI] || s.loopbackMatch(req.redirectURI)
	s.mu.Unlock()
	if req.redirectURI == "" || !allowed {
		return nil, &authorizeError{page: true, code: "invalid_redirect_uri", description: "The redirect URI '" + req.redirectURI + "' is not in this environment's allowlist."}
	}
	if rt := q.Get("response_type"); rt != "code" {
		return nil, &authorizeError{code: "unsupported_response_type", description: "response_type must be 'code'."}
	}
	provider := q.Get("provider")
	if provider == "" && q.Get("connection_id") == "" && req.orgID == "" {
		return nil, &authorizeError{code: "invalid_request", description: "One of provider, connection_id or organization_id is required."}
	}
	if q.Has("screen_hint") && provider != "authkit" {
		return nil, &authorizeError{code: "invalid_request", description: "screen_hint is only supported with provider 'authkit'."}
	}
	method := q.Get("code_challenge_method")
	switch {
	case req.challenge == "" && method != "":
		return nil, &authorizeError{code: "invalid_request", description: "code_challenge_method was given without a code_challenge."}
	case req.challenge != "" && method != "S256":
		return nil, &authorizeError{code: "invalid_request", description: "code_challenge_method must be 'S256'."}
	case req.challenge != "" && !isS256Challenge(req.challenge):
		return nil, &authorizeError{code: "invalid_request", description: "code_challenge must be an unpadded base64url SHA-256 digest (43 characters)."}
	}
	return req, nil
}

// isS256Challenge reports whether c looks like base64url(SHA-256(…)).
func isS256Challenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// handleAuthorize serves GET /user_management/authorize: with
// WithAutoApprove it redirects straight back with a code, otherwise it
// shows the login form.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, aerr := s.parseAuthorize(r.URL.Query())
	if aerr != nil {
		s.refuseAuthorize(w, r, r.URL.Query(), aerr)
		return
	}
	if s.cfg.autoApprove != "" {
		s.mu.Lock()
		u := s.users[s.cfg.autoApprove]
		if req.loginHint != "" {
			if hinted := s.userByEmailLocked(req.loginHint); hinted != nil {
				u = hinted
			}
		}
		s.mu.Unlock()
		s.approve(w, r, req, u)
		return
	}
	s.renderLogin(w, http.StatusOK, req, req.loginHint, "")
}

// handleAuthorizeForm serves POST /user_management/authorize, the login
// form: the authorize parameters come back as hidden fields and are
// checked again, then action=deny refuses and anything else signs in.
func (s *Server) handleAuthorizeForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		renderPage(w, http.StatusBadRequest, "Sign-in error", "The form could not be read.")
		return
	}
	q := url.Values{}
	for k, v := range r.PostForm {
		if !formFields[k] {
			q[k] = v
		}
	}
	req, aerr := s.parseAuthorize(q)
	if aerr != nil {
		s.refuseAuthorize(w, r, q, aerr)
		return
	}
	if r.PostForm.Get("action") == "deny" {
		s.redirectError(w, r, q, "access_denied", "The user denied the request.")
		return
	}
	email := r.PostForm.Get("email")
	s.mu.Lock()
	u := s.userByEmailLocked(email)
	s.mu.Unlock()
	if u == nil || !u.checkPassword(r.PostForm.Get("password")) {
		s.renderLogin(w, http.StatusUnauthorized, req, email, "Invalid email or password.")
		return
	}
	s.approve(w, r, req, u)
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, req *authRequest, email, errMsg string) {
	keys := make([]string, 0, len(req.params))
	for k := range req.params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var hidden []hiddenField
	for _, k := range keys {
		for _, v := range req.params[k] {
			hidden = append(hidden, hiddenField{k, v})
		}
	}
	data := formData{Title: "Sign in", Submit: "Sign in", Error: errMsg, Email: email, Hidden: hidden, Users: s.userHints()}
	if req.signUp {
		data.Title, data.Submit = "Sign up", "Sign up"
	}
	renderTemplate(w, status, loginTmpl, data)
}

func (s *Server) refuseAuthorize(w http.ResponseWriter, r *http.Request, q url.Values, aerr *authorizeError) {
	if aerr.page {
		renderPage(w, http.StatusBadRequest, "Sign-in error", aerr.description)
		return
	}
	s.redirectError(w, r, q, aerr.code, aerr.description)
}

// approve issues a code for u and redirects back to the app.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, req *authRequest, u *userRecord) {
	org := req.orgID
	if org != "" {
		if _, ok := u.membership(org); !ok {
			s.redirectError(w, r, req.params, "access_denied", "The user is not a member of organization '"+org+"'.")
			return
		}
	} else {
		org = u.defaultOrg()
	}
	code := newOpaque(24)
	now := s.cfg.clock()
	s.mu.Lock()
	for c, ac := range s.codes {
		if now.After(ac.expires) {
			delete(s.codes, c)
		}
	}
	s.codes[code] = &authCode{
		clientID:    req.clientID,
		redirectURI: req.redirectURI,
		challenge:   req.challenge,
		userID:      u.ID,
		orgID:       org,
		expires:     now.Add(CodeLifetime),
	}
	s.mu.Unlock()
	params := url.Values{"code": {code}}
	if req.hasState {
		params.Set("state", req.state)
	}
	http.Redirect(w, r, appendQuery(req.redirectURI, params), http.StatusFound)
}

// redirectError sends the browser back to the (already validated) redirect
// URI with ?error=…&error_description=…&state=….
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, q url.Values, code, description string) {
	params := url.Values{"error": {code}, "error_description": {description}}
	if q.Has("state") {
		params.Set("state", q.Get("state"))
	}
	http.Redirect(w, r, appendQuery(q.Get("redirect_uri"), params), http.StatusFound)
}

// appendQuery adds params to uri's query, keeping its own query bytes as
// they are.
func appendQuery(uri string, params url.Values) string {
	frag := ""
	if i := strings.IndexByte(uri, '#'); i >= 0 {
		uri, frag = uri[:i], uri[i:]
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
		if strings.HasSuffix(uri, "?") || strings.HasSuffix(uri, "&") {
			sep = ""
		}
	}
	return uri + sep + params.Encode() + frag
}
