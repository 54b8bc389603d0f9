package authkittest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a failure injected on one route by Server.Fault.
type Fault struct {
	// Status, when non-zero, is answered instead of running the route.
	// Zero lets the request through (after Latency).
	Status int
	// Body is the response body with Status; JSON when it starts with "{",
	// text otherwise. Empty gives {"message": <status text>}, or, for 400
	// and 401, an OAuth-shaped invalid_grant / invalid_client error.
	Body string
	// RetryAfter, when positive, is sent as a Retry-After header in whole
	// seconds (rounded up).
	RetryAfter time.Duration
	// Latency delays the response (the status, or the route). Close and a
	// client hanging up cut it short.
	Latency time.Duration
	// Times is how many requests the fault affects; 0 means every request
	// until ClearFaults or another Fault on the route.
	Times int
}

type faultState struct {
	Fault
	used int
}

// Fault injects f on route: a Route constant or any registered path
// ("/user_management/authenticate", "/sso/jwks/{clientId}"), or a concrete
// request path ("/sso/jwks/client_01…"). It replaces the route's previous
// fault; a zero Fault removes it. CORS preflights are never faulted, and a
// faulted response still carries CORS headers so browser code can read
// its status.
func (s *Server) Fault(route string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	route = strings.TrimSpace(route)
	if f == (Fault{}) {
		delete(s.faults, route)
		return
	}
	s.faults[route] = &faultState{Fault: f}
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// Requests returns how many requests have reached route (a Route constant
// or another registered path), counting faulted ones and not counting CORS
// preflights.
func (s *Server) Requests(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[route]
}

// routeOf returns the registered path r matches ("" for none).
func (s *Server) routeOf(r *http.Request) string {
	_, pattern := s.mux.Handler(r)
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	return pattern
}

// takeFault counts r and returns its route's fault, consuming one of its
// Times.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	pattern := s.routeOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if pattern != "" {
		s.requests[pattern]++
	}
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	key := r.URL.Path
	fs := s.faults[key]
	if fs == nil && pattern != "" {
		key = pattern
		fs = s.faults[key]
	}
	if fs == nil {
		return Fault{}, false
	}
	fs.used++
	if fs.Times > 0 && fs.used >= fs.Times {
		delete(s.faults, key)
	}
	return fs.Fault, true
}

// applyFault runs r's fault, reporting whether it answered the request.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			panic(http.ErrAbortHandler) // drop the connection, answer nothing
		case <-s.closed:
			t.Stop()
			panic(http.ErrAbortHandler)
		}
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter > 0 {
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	body := f.Body
	if body == "" {
		switch f.Status {
		case http.StatusBadRequest:
			writeOAuthError(w, f.Status, "invalid_grant", "Injected fault.")
		case http.StatusUnauthorized:
			writeOAuthError(w, f.Status, "invalid_client", "Injected fault.")
		default:
			writeMessage(w, f.Status, "", http.StatusText(f.Status))
		}
		return true
	}
	if strings.HasPrefix(strings.TrimSpace(body), "{") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
	return true
}
