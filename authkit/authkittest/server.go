package authkittest

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Routes, for Fault. A route is named by its path as registered (path
// parameters in braces); Fault also accepts a concrete request path.
const (
	RouteAuthorize       = "/user_management/authorize"
	RouteAuthenticate    = "/user_management/authenticate"
	RouteDeviceAuthorize = "/user_management/authorize/device"
	RouteDevicePage      = "/device"
	RouteJWKS            = "/sso/jwks/{clientId}"
	RouteLogout          = "/user_management/sessions/logout"
	RouteRevokeSession   = "/user_management/sessions/revoke"
	RouteUser            = "/user_management/users/{id}"
	RouteOAuthToken      = "/oauth2/token"
	RouteOAuthJWKS       = "/oauth2/jwks"
	RouteAuthFactors     = "/user_management/users/{id}/auth_factors"
	RouteChallengeFactor = "/auth/factors/{id}/challenge"
)

// Server is a local WorkOS-compatible issuer. Create it with NewServer and
// stop it with Close. All methods are safe for concurrent use.
type Server struct {
	cfg config
	key *signingKey
	url string

	ln        net.Listener
	hs        *http.Server
	mux       *http.ServeMux
	serveDone chan struct{}
	closed    chan struct{} // closed by Close; wakes injected latencies
	inflight  sync.WaitGroup

	mu           sync.Mutex
	isClosed     bool
	users        map[string]*userRecord // by id
	usersByEmail map[string]*userRecord // by lower-cased email
	redirectURIs map[string]bool
	corsOrigins  map[string]bool
	homepage     string
	m2m          map[string]M2MApp
	codes        map[string]*authCode
	sessions     map[string]*session
	refresh      map[string]*refreshToken
	devices      map[string]*deviceAuth // by device code
	userCodes    map[string]*deviceAuth // by user code
	faults       map[string]*faultState
	requests     map[string]int            // by route
	pending      map[string]*pendingAuth   // by pending_authentication_token
	factors      map[string]*authFactor    // by id
	challenges   map[string]*authChallenge // by id
	emailCodes   map[string]string         // the last verification code "sent", by user id
}

// NewServer starts a Server on a loopback port (or WithAddr's address). Like
// httptest.NewServer it panics when it cannot listen or when the options
// are inconsistent (a user without ID or Email, a duplicate email, an
// auto-approve user that does not exist, a signing key under 2048 bits).
func NewServer(opts ...Option) *Server {
	s, err := newServer(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

func newServer(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.usersSet {
		cfg.users = []User{DemoUser}
	}
	key, err := newSigningKey(cfg.key)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:          cfg,
		key:          key,
		serveDone:    make(chan struct{}),
		closed:       make(chan struct{}),
		users:        map[string]*userRecord{},
		usersByEmail: map[string]*userRecord{},
		redirectURIs: map[string]bool{},
		corsOrigins:  map[string]bool{},
		m2m:          map[string]M2MApp{},
		codes:        map[string]*authCode{},
		sessions:     map[string]*session{},
		refresh:      map[string]*refreshToken{},
		devices:      map[string]*deviceAuth{},
		userCodes:    map[string]*deviceAuth{},
		faults:       map[string]*faultState{},
		requests:     map[string]int{},
		pending:      map[string]*pendingAuth{},
		factors:      map[string]*authFactor{},
		challenges:   map[string]*authChallenge{},
		emailCodes:   map[string]string{},
	}
	now := cfg.clock()
	for _, u := range cfg.users {
		if u.ID == "" || u.Email == "" {
			return nil, fmt.Errorf("authkittest: user %q needs an ID and an Email", u.ID+u.Email)
		}
		email := strings.ToLower(strings.TrimSpace(u.Email))
		if s.users[u.ID] != nil || s.usersByEmail[email] != nil {
			return nil, fmt.Errorf("authkittest: duplicate user %s / %s", u.ID, u.Email)
		}
		u.Memberships = append([]Membership(nil), u.Memberships...)
		rec := &userRecord{User: u, createdAt: now, emailVerified: !u.UnverifiedEmail}
		if u.TOTPSecret != "" {
			if _, err := decodeBase32(u.TOTPSecret); err != nil {
				return nil, fmt.Errorf("authkittest: user %s: TOTPSecret: %w", u.ID, err)
			}
			rec.factors = append(rec.factors, &authFactor{id: "auth_factor_" + newULID(now), userID: u.ID, secret: u.TOTPSecret, issuer: "authkittest", account: u.Email, createdAt: now})
		}
		s.users[u.ID] = rec
		s.usersByEmail[email] = rec
		for _, f := range rec.factors {
			s.factors[f.id] = f
		}
	}
	if cfg.autoApprove != "" && s.users[cfg.autoApprove] == nil {
		return nil, fmt.Errorf("authkittest: auto-approve user %q does not exist", cfg.autoApprove)
	}
	for _, u := range cfg.redirectURIs {
		s.redirectURIs[u] = true
	}
	for _, o := range cfg.corsOrigins {
		s.corsOrigins[strings.TrimSuffix(o, "/")] = true
	}
	for _, app := range cfg.m2m {
		if app.ClientID == "" || app.ClientSecret == "" {
			return nil, errors.New("authkittest: an M2MApp needs a ClientID and a ClientSecret")
		}
		s.m2m[app.ClientID] = app
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("authkittest: listen on %s: %w", cfg.addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.homepage = cfg.homepage
	if s.homepage == "" {
		s.homepage = s.url + "/"
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET "+RouteJWKS, s.handleJWKS)
	mux.HandleFunc("GET "+RouteOAuthJWKS, s.handleM2MJWKS)
	mux.HandleFunc("GET "+RouteAuthorize, s.handleAuthorize)
	mux.HandleFunc("POST "+RouteAuthorize, s.handleAuthorizeForm)
	mux.HandleFunc("POST "+RouteAuthenticate, s.handleAuthenticate)
	mux.HandleFunc("POST "+RouteDeviceAuthorize, s.handleDeviceAuthorize)
	mux.HandleFunc("GET "+RouteDevicePage, s.handleDevicePage)
	mux.HandleFunc("POST "+RouteDevicePage, s.handleDeviceForm)
	mux.HandleFunc("POST "+RouteOAuthToken, s.handleOAuthToken)
	mux.HandleFunc("GET "+RouteLogout, s.handleLogout)
	mux.HandleFunc("POST "+RouteRevokeSession, s.handleRevokeSession)
	mux.HandleFunc("GET "+RouteUser, s.handleGetUser)
	mux.HandleFunc("POST "+RouteAuthFactors, s.handleEnrollFactor)
	mux.HandleFunc("POST "+RouteChallengeFactor, s.handleChallengeFactor)
	mux.HandleFunc("POST /user_management/redirect_uris", s.handleAddRedirectURI)
	mux.HandleFunc("POST /user_management/cors_origins", s.handleAddCORSOrigin)
	mux.HandleFunc("PUT /user_management/app_homepage_url", s.handleSetHomepage)
	s.mux = mux

	s.hs = &http.Server{
		Handler:           s.middleware(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(s.serveDone)
		_ = s.hs.Serve(ln)
	}()
	return s, nil
}

// middleware wraps every request: it counts it for Close, sets CORS
// headers and answers preflights, applies faults, and adds a request id.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.isClosed {
			s.mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.inflight.Add(1)
		s.mu.Unlock()
		defer s.inflight.Done()

		w.Header().Set("X-Request-ID", "req_"+newULID(s.cfg.clock()))
		if s.cors(w, r) {
			return // a preflight, answered
		}
		if s.applyFault(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleHome serves the homepage logout falls back to.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, "authkittest", "This is a local WorkOS-compatible issuer for tests. You are signed out.")
}

// URL returns the API base, "http://127.0.0.1:PORT": what the SDKs take as
// apiHostname 127.0.0.1, port PORT, https false.
func (s *Server) URL() string { return s.url }

// ClientID returns the environment's client id.
func (s *Server) ClientID() string { return s.cfg.clientID }

// Issuer returns the "iss" of the user access tokens (see IssuerMode).
func (s *Server) Issuer() string {
	switch s.cfg.issuerMode {
	case IssuerPerClient:
		return "https://api.workos.com/user_management/" + s.cfg.clientID
	case IssuerLegacy:
		return "https://api.workos.com/"
	default:
		return string(s.cfg.issuerMode)
	}
}

// audience returns the "aud" of user access tokens, "" for none.
func (s *Server) audience() string {
	if s.cfg.issuerMode == IssuerLegacy {
		return s.cfg.clientID
	}
	return ""
}

// Close stops the server: it closes the listener and every connection,
// cuts injected latencies short and waits for handlers to return.
// Refresh tokens and sessions are gone with it.
func (s *Server) Close() {
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return
	}
	s.isClosed = true
	s.mu.Unlock()
	_ = s.hs.Close()
	close(s.closed)
	<-s.serveDone
	s.inflight.Wait()
}
