package authkittest

import (
	"net/http"
	"net/url"
	"strings"
)

// handleLogout serves GET /user_management/sessions/logout?session_id=…
// [&return_to=…]: it ends the session and redirects (302) to return_to when
// that is allowed (see returnToAllowedLocked), else to the homepage. No
// session_id is a 422. An unknown session id still redirects.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sid := q.Get("session_id")
	if sid == "" {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "session_id is required.")
		return
	}
	returnTo := q.Get("return_to")
	s.mu.Lock()
	if sess := s.sessions[sid]; sess != nil {
		sess.ended = true
	}
	target := s.homepage
	if returnTo != "" && s.returnToAllowedLocked(returnTo) {
		target = returnTo
	}
	s.mu.Unlock()
	http.Redirect(w, r, target, http.StatusFound)
}

// returnToAllowedLocked reports whether a logout may redirect to u: an
// allowlisted redirect URI, the homepage, or any URL on the origin of one
// of those or of an allowlisted CORS origin (WorkOS keeps a separate
// sign-out redirect list; an origin rule covers the usual "back to the
// app" case without one). s.mu is held.
func (s *Server) returnToAllowedLocked(u string) bool {
	if s.redirectURIs[u] || u == s.homepage {
		return true
	}
	o := origin(u)
	if o == "" {
		return false
	}
	if s.corsOrigins[o] || origin(s.homepage) == o {
		return true
	}
	for ru := range s.redirectURIs {
		if origin(ru) == o {
			return true
		}
	}
	return false
}

// origin returns scheme://host[:port] of an absolute http(s) URL, or "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// handleRevokeSession serves POST /user_management/sessions/revoke
// ({"session_id"}, API key): it ends the session.
func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(w, r) {
		return
	}
	p, err := readParams(w, r)
	if err != nil || p["session_id"] == "" {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "session_id is required.")
		return
	}
	s.mu.Lock()
	sess := s.sessions[p["session_id"]]
	if sess != nil {
		sess.ended = true
	}
	s.mu.Unlock()
	if sess == nil {
		writeMessage(w, http.StatusNotFound, "entity_not_found", "Could not find a session with id '"+p["session_id"]+"'.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// handleAddRedirectURI serves POST /user_management/redirect_uris
// ({"uri"}, API key), as Convex's CLI calls it: 201, or 422 "already
// exists".
func (s *Server) handleAddRedirectURI(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(w, r) {
		return
	}
	p, err := readParams(w, r)
	if err != nil || p["uri"] == "" {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "uri is required.")
		return
	}
	s.mu.Lock()
	exists := s.redirectURIs[p["uri"]]
	s.redirectURIs[p["uri"]] = true
	s.mu.Unlock()
	if exists {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "Redirect URI already exists.")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"object": "redirect_uri", "uri": p["uri"]})
}

// handleAddCORSOrigin serves POST /user_management/cors_origins
// ({"origin"}, API key): 201, or 409 duplicate_cors_origin.
func (s *Server) handleAddCORSOrigin(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(w, r) {
		return
	}
	p, err := readParams(w, r)
	if err != nil || p["origin"] == "" {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "origin is required.")
		return
	}
	o := strings.TrimSuffix(p["origin"], "/")
	s.mu.Lock()
	exists := s.corsOrigins[o]
	s.corsOrigins[o] = true
	s.mu.Unlock()
	if exists {
		writeMessage(w, http.StatusConflict, "duplicate_cors_origin", "CORS origin already exists.")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"object": "cors_origin", "origin": o})
}

// handleSetHomepage serves PUT /user_management/app_homepage_url
// ({"url"}, API key).
func (s *Server) handleSetHomepage(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(w, r) {
		return
	}
	p, err := readParams(w, r)
	if err != nil || origin(p["url"]) == "" {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "url must be an absolute http(s) URL.")
		return
	}
	s.mu.Lock()
	s.homepage = p["url"]
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"url": p["url"]})
}
