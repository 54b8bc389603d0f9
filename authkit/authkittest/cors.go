package authkittest

import (
	"net/http"
	"strings"
)

// CORS header values sent to allowlisted origins.
const (
	corsAllowMethods = "GET, POST, OPTIONS"
	corsAllowHeaders = "content-type, accept, authorization"
	corsMaxAge       = "600"
)

// cors sets the CORS headers for an allowlisted Origin and answers a
// preflight, reporting whether it did. An Origin not on the list gets no
// Access-Control-* headers (its preflight a 403), so the browser blocks the
// call, as WorkOS does for origins missing from the dashboard's list.
// Allowed origins get their exact value back with
// Access-Control-Allow-Credentials: true, never "*", which would break
// authkit-js's credentials: "include" in cookie mode.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if origin == "" {
		if preflight {
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		return false
	}
	s.mu.Lock()
	allowed := s.corsOrigins[strings.TrimSuffix(origin, "/")]
	s.mu.Unlock()
	if !allowed {
		if preflight {
			writeMessage(w, http.StatusForbidden, "cors_origin_not_allowed", "Origin '"+origin+"' is not an allowed CORS origin.")
			return true
		}
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	if preflight {
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	// Repeated on actual responses; browsers only read them on preflights.
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	return false
}

// AllowCORSOrigin adds an origin to the CORS allowlist at run time (what
// POST /user_management/cors_origins does with the API key).
func (s *Server) AllowCORSOrigin(origin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corsOrigins[strings.TrimSuffix(origin, "/")] = true
}

// AllowRedirectURI adds a redirect URI to the allowlist at run time (what
// POST /user_management/redirect_uris does with the API key).
func (s *Server) AllowRedirectURI(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirectURIs[uri] = true
}
