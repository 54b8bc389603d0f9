package middleware

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/httpsurl"
	"github.com/goconvex/convex/internal/iron"
)

// Environment variable names of the middleware's own settings, as
// authkit-nextjs reads them.
const (
	EnvRedirectURI    = "WORKOS_REDIRECT_URI"
	EnvCookiePassword = "WORKOS_COOKIE_PASSWORD"
)

// Config configures the server-side AuthKit session of a Go web server:
// the net/http port of authkit-nextjs's middleware and route handlers
// (docs/auth.md, "Middleware").
type Config struct {
	// WorkOS is the environment: ClientID (required), APIKey (sent as
	// client_secret on the code and refresh grants when set: a
	// confidential client + PKCE, as authkit-nextjs does), APIBase, and
	// the HTTPClient that calls the API and fetches the key set.
	WorkOS workos.Config
	// RedirectURI is WORKOS_REDIRECT_URI, the absolute URL of the callback
	// handler: https, or http on a loopback host. Required. Its path is
	// always public; its origin is the app's (sign-out accepts only
	// requests from it).
	RedirectURI string
	// CookiePassword is WORKOS_COOKIE_PASSWORD, the key of the iron seals:
	// at least 32 characters. Required.
	CookiePassword string
	// UnauthenticatedPaths are the paths served without a session: exact
	// paths ("/"), subtrees ("/public/*": /public and everything under it)
	// and path.Match patterns ("/assets/*.js"). Everything else needs one:
	// a signed-out GET that accepts HTML is redirected to sign in, any other
	// request gets 401.
	UnauthenticatedPaths []string
	// ReturnPathname is where the callback sends the browser when the
	// sign-in did not name a page ("/" when empty).
	ReturnPathname string

	// CookieName is the session cookie's name (DefaultCookieName when empty).
	CookieName string
	// CookieDomain is the cookies' Domain attribute (none when empty).
	CookieDomain string
	// CookieMaxAge is the session cookie's Max-Age (DefaultCookieMaxAge
	// when zero).
	CookieMaxAge time.Duration
	// CookieSameSite is the cookies' SameSite (Lax when zero).
	CookieSameSite http.SameSite

	// RefreshBuffer: the access token is refreshed in the middleware once
	// it is within this long of its expiry. Zero means authkit-nextjs's
	// default: 60 s, or 30 s for tokens living 300 s or less. A negative
	// value refreshes only expired tokens. Either way a token is used for
	// at least 15 s after it was issued before a proactive refresh (the
	// 15 s floor of authkit-nextjs's token store).
	RefreshBuffer time.Duration

	// Verifier checks the session's access token on every request, as
	// authkit-nextjs does with the JWKS: signature (RS256, key by kid),
	// expiry, and here also issuer and audience; a refreshed token is
	// checked too. No token that fails is served. nil: a Verifier for
	// WorkOS.ConvexProviders(), with the key set fetched from the API base
	// with WorkOS.HTTPClient.
	//
	// A token that expired or is damaged is refreshed. A failure no
	// refresh can fix — an issuer or audience the Verifier does not accept
	// (a custom authentication domain needs its own provider), a token
	// WorkOS has just issued that still fails — is logged once at ERROR
	// with the fix and answered 500 auth_misconfigured, without refreshing;
	// a key set that cannot be fetched is logged at WARN and answered 503.
	Verifier *customjwt.Verifier

	// PendingStepHandler shows a sign-in that WorkOS answered with a step
	// still to do (choose an organization, an MFA code, an emailed code):
	// it renders a page whose form posts to step.Action (see PendingStep
	// for its fields). nil: a plain default page. The callback keeps the
	// step in a sealed cookie and finishes it (CallbackHandler), which
	// needs WorkOS.APIKey.
	PendingStepHandler func(w http.ResponseWriter, r *http.Request, step *PendingStep)

	// Debug logs each decision (never a token) at Info level instead of
	// Debug.
	Debug bool
	// Logger receives the log (nowhere when nil).
	Logger *slog.Logger
}

// ConfigFromEnv reads WorkOS (workos.ConfigFromEnv), RedirectURI and
// CookiePassword from the environment.
func ConfigFromEnv() Config {
	return Config{
		WorkOS:         workos.ConfigFromEnv(),
		RedirectURI:    strings.TrimSpace(os.Getenv(EnvRedirectURI)),
		CookiePassword: os.Getenv(EnvCookiePassword),
	}
}

// Middleware keeps the server-side AuthKit session of a web server in an
// iron-sealed cookie (authkit-nextjs's wos-session, compatible with it):
// Handler wraps the app's handlers, and the sign-in, sign-up, callback,
// sign-out and access-token handlers do the rest.
//
// A Middleware is safe for concurrent use. Nothing it logs contains a token.
type Middleware struct {
	cfg         Config
	redirectURL *url.URL
	jar         cookieJar
	now         func() time.Time // time.Now; tests replace it
	log         *slog.Logger
	logLevel    slog.Level
	verifier    *customjwt.Verifier

	mu         sync.Mutex
	flights    map[[32]byte]*refreshFlight
	reported   map[customjwt.Reason]bool // verification failures logged loudly once
	freshFails map[customjwt.Reason]bool // reasons tokens fresh from WorkOS failed with
}

// refreshFlight is one refresh of one refresh token, shared by every
// request presenting that token while it runs and for refreshResultTTL
// after (a browser may send the old cookie again before it stores the new
// one: it gets the same rotated pair instead of a second rotation).
type refreshFlight struct {
	done chan struct{}
	resp *workos.StoredSession
	err  error
	at   time.Time // when it finished
}

const (
	refreshResultTTL = 30 * time.Second
	refreshTimeout   = 30 * time.Second
	refreshFloor     = 15 * time.Second
)

// New checks cfg and returns a Middleware.
func New(cfg Config) (*Middleware, error) {
	return newMiddleware(cfg, time.Now)
}

func newMiddleware(cfg Config, now func() time.Time) (*Middleware, error) {
	var errs []error
	if cfg.WorkOS.ClientID == "" {
		errs = append(errs, &workos.ConfigError{Var: workos.EnvClientID, Problem: "is required"})
	}
	u, err := url.Parse(cfg.RedirectURI)
	if cfg.RedirectURI == "" || err != nil || !u.IsAbs() || u.Host == "" {
		errs = append(errs, &workos.ConfigError{Var: EnvRedirectURI, Problem: "must be an absolute URL"})
	} else if err := httpsurl.Check(cfg.RedirectURI); err != nil {
		// The session cookie would travel in clear text.
		errs = append(errs, &workos.ConfigError{Var: EnvRedirectURI, Problem: err.Error()})
	}
	if err := iron.CheckPassword(cfg.CookiePassword); err != nil {
		errs = append(errs, &workos.ConfigError{Var: EnvCookiePassword, Problem: fmt.Sprintf("must be at least %d characters", iron.MinPasswordLength)})
	}
	if err := httpsurl.Check(cfg.WorkOS.APIBaseOrDefault()); err != nil {
		errs = append(errs, &workos.ConfigError{Var: workos.EnvAPIBase, Problem: err.Error()})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m := &Middleware{
		cfg:         cfg,
		redirectURL: u,
		now:         now,
		log:         cfg.Logger,
		flights:     map[[32]byte]*refreshFlight{},
		reported:    map[customjwt.Reason]bool{},
		freshFails:  map[customjwt.Reason]bool{},
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.verifier = cfg.Verifier
	if m.verifier == nil {
		m.verifier = customjwt.NewVerifier(customjwt.Config{Providers: cfg.WorkOS.ConvexProviders(), HTTPClient: cfg.WorkOS.HTTPClient})
	}
	m.logLevel = slog.LevelDebug
	if cfg.Debug {
		m.logLevel = slog.LevelInfo
	}
	m.jar = cookieJar{
		name: cfg.CookieName, domain: cfg.CookieDomain, maxAge: cfg.CookieMaxAge,
		sameSite: cfg.CookieSameSite, secure: u.Scheme == "https",
		sealer: iron.Sealer{Passwords: map[string]string{iron.DefaultPasswordID: cfg.CookiePassword}, Now: m.now},
	}
	if m.jar.name == "" {
		m.jar.name = DefaultCookieName
	}
	if m.jar.maxAge == 0 {
		m.jar.maxAge = DefaultCookieMaxAge
	}
	if m.jar.sameSite == 0 || m.jar.sameSite == http.SameSiteDefaultMode {
		m.jar.sameSite = http.SameSiteLaxMode
	}
	return m, nil
}

// apiBase is the WorkOS API base, without trailing slashes.
func (m *Middleware) apiBase() string {
	return strings.TrimRight(m.cfg.WorkOS.APIBaseOrDefault(), "/")
}

func (m *Middleware) debug(msg string, args ...any) {
	m.log.Log(context.Background(), m.logLevel, "authkit: "+msg, args...)
}

// Session is the signed-in user of a request, as the middleware found
// (and possibly refreshed) it: what authkit-nextjs's withAuth returns.
type Session struct {
	// User is the signed-in user.
	User *workos.User
	// AccessToken is the current access token (a JWT). Never log it.
	AccessToken string
	// Token holds the access token's parsed claims.
	Token *authkit.Token
	// SessionID is the sid claim.
	SessionID string
	// OrganizationID is the org_id claim ("" without an organization).
	OrganizationID string
	// Role is the role claim (with an organization).
	Role string
	// Roles is the roles claim.
	Roles []string
	// Permissions is the permissions claim.
	Permissions []string
	// Impersonator is set when an admin impersonates the user.
	Impersonator *workos.Impersonator
	// AuthenticationMethod is how the user signed in ("Password", …).
	AuthenticationMethod string
	// Refreshed reports whether the middleware refreshed the token while
	// handling this request.
	Refreshed bool

	refreshToken string
}

type ctxKey struct{}

// requestAuth is what the middleware leaves in the request context.
type requestAuth struct {
	session       *Session
	transient     error          // a refresh failed temporarily and no valid token is left
	misconfigured *misconfigured // the Verifier refuses WorkOS's tokens: 500
}

// SessionFromContext returns the session the middleware found for the
// request, or nil when the user is signed out or the middleware did not run.
func SessionFromContext(ctx context.Context) *Session {
	if ra, ok := ctx.Value(ctxKey{}).(*requestAuth); ok {
		return ra.session
	}
	return nil
}

// UserFromRequest returns the signed-in user of r, or nil.
func UserFromRequest(r *http.Request) *workos.User {
	if s := SessionFromContext(r.Context()); s != nil {
		return s.User
	}
	return nil
}

// Handler wraps next: it reads the session cookie, verifies its access
// token (Config.Verifier), refreshes it when it fails to verify,
// has expired or is due (re-sealing the cookie), puts the session in the
// request context (SessionFromContext), and keeps signed-out users off
// protected paths: a GET asking for HTML is redirected to sign in (and comes
// back to the same page), anything else gets 401. A cookie that does not
// open (tampered, sealed with another password, expired, sealed without
// an expiry) or whose refresh token was rejected is deleted and the request
// treated as signed out; a temporary WorkOS failure with no valid token left
// gives 503 on a protected path and keeps the cookie; tokens the Verifier
// refuses whatever their freshness (Config.Verifier) give 500 on
// a protected path. Paths are matched against UnauthenticatedPaths
// cleaned, as file servers resolve them ("/public/../secret" is
// "/secret").
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ra := m.authenticate(w, r, false)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ra))
		if ra.session == nil && !m.public(r.URL.Path) {
			if ra.writeServerFailure(w) {
				return
			}
			if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
				m.redirectToSignIn(w, r, r.URL.RequestURI(), "")
				return
			}
			writeJSONError(w, http.StatusUnauthorized, "unauthenticated", "Sign in first.")
			return
		}
		if ra.session != nil {
			w.Header().Add("Vary", "Cookie")
		}
		next.ServeHTTP(w, r)
	})
}

// auth returns the request's auth, from the context when Handler ran.
func (m *Middleware) auth(w http.ResponseWriter, r *http.Request) *requestAuth {
	if ra, ok := r.Context().Value(ctxKey{}).(*requestAuth); ok {
		return ra
	}
	return m.authenticate(w, r, false)
}

// authenticate reads and, when due (or forced), refreshes the session.
// A token is served only once it verified, the cookie's or the refreshed
// one (middleware_verify.go says when a failure is refreshed).
func (m *Middleware) authenticate(w http.ResponseWriter, r *http.Request, force bool) *requestAuth {
	sc, err := m.jar.readSession(r)
	if err != nil {
		m.debug("session cookie refused; treating the request as signed out", "reason", err.Error())
		m.jar.deleteSession(w)
		return &requestAuth{}
	}
	if sc == nil {
		return &requestAuth{}
	}
	tok, terr := authkit.ParseToken(sc.AccessToken)
	if terr == nil && sc.User != nil && sc.User.ID != "" && tok.Subject != "" && sc.User.ID != tok.Subject {
		m.debug("session cookie's user does not match its token; signed out")
		m.jar.deleteSession(w)
		return &requestAuth{}
	}
	verified := terr == nil
	if verified {
		if _, err := m.verifier.VerifyAt(r.Context(), sc.AccessToken, m.now()); err != nil {
			verified = false
			verdict, reason := classifyVerifyError(err)
			if verdict == verdictRefresh && m.stuck(reason) {
				verdict = verdictConfig
			}
			switch verdict {
			case verdictConfig:
				m.reportVerifyFailure(slog.LevelError, reason, err)
				return &requestAuth{misconfigured: &misconfigured{reason: reason, err: err}}
			case verdictUnavailable:
				m.reportVerifyFailure(slog.LevelWarn, reason, err)
				return &requestAuth{transient: err}
			}
			m.debug("access token failed verification; refreshing", "reason", string(reason))
		} else {
			m.setStuck("", false)
		}
	}
	now := m.now()
	if verified && !force && !m.due(tok, now) {
		return &requestAuth{session: webSession(sc, tok, false)}
	}
	resp, err := m.refresh(r.Context(), sc.RefreshToken, orgOf(tok))
	if err != nil {
		if ae, ok := errors.AsType[*workos.APIError](err); ok && !ae.Transient() {
			m.debug("refresh token rejected; signed out", "status", ae.Status, "code", ae.Code)
			m.jar.deleteSession(w)
			return &requestAuth{}
		}
		if verified && tok.Valid(now) && !force {
			m.debug("refresh failed; serving the unexpired token", "err", errString(err))
			return &requestAuth{session: webSession(sc, tok, false)}
		}
		m.debug("refresh failed temporarily", "err", errString(err))
		return &requestAuth{transient: err}
	}
	nsc := &sessionCookie{
		AccessToken:          resp.AccessToken,
		RefreshToken:         resp.RefreshToken,
		User:                 sc.User,
		Impersonator:         sc.Impersonator,
		AuthenticationMethod: sc.AuthenticationMethod,
	}
	if resp.User != nil {
		nsc.User = toCookieUser(resp.User)
	}
	if resp.Impersonator != nil {
		nsc.Impersonator = resp.Impersonator
	}
	// The rotated refresh token is kept whatever follows: WorkOS has
	// retired the old one.
	if err := m.jar.setSession(w, nsc); err != nil {
		return &requestAuth{transient: err}
	}
	ntok, err := authkit.ParseToken(resp.AccessToken)
	if err != nil {
		m.reportVerifyFailure(slog.LevelError, customjwt.ReasonMalformed, err)
		m.setStuck(customjwt.ReasonMalformed, true)
		return &requestAuth{misconfigured: &misconfigured{reason: customjwt.ReasonMalformed, err: err}}
	}
	if _, err := m.verifier.VerifyAt(r.Context(), resp.AccessToken, m.now()); err != nil {
		verdict, reason := classifyVerifyError(err)
		if verdict == verdictUnavailable {
			m.reportVerifyFailure(slog.LevelWarn, reason, err)
			return &requestAuth{transient: err}
		}
		// A token WorkOS has just issued does not pass: no further
		// refresh will do better.
		m.setStuck(reason, true)
		m.reportVerifyFailure(slog.LevelError, reason, err)
		return &requestAuth{misconfigured: &misconfigured{reason: reason, err: err}}
	}
	m.setStuck("", false)
	m.debug("session refreshed", "sid", ntok.SessionID)
	return &requestAuth{session: webSession(nsc, ntok, true)}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func orgOf(t *authkit.Token) string {
	if t == nil {
		return ""
	}
	return t.OrganizationID
}

// due reports whether tok should be refreshed now.
func (m *Middleware) due(tok *authkit.Token, now time.Time) bool {
	if !now.Before(tok.Expiry) {
		return true
	}
	b := m.cfg.RefreshBuffer
	if b < 0 {
		return false
	}
	life := tok.Lifetime()
	if b == 0 {
		b = 60 * time.Second
		if life > 0 && life <= 300*time.Second {
			b = 30 * time.Second
		}
	}
	if life > 0 {
		// The 15 s floor: a token is used for 15 s at least.
		b = min(b, max(life-refreshFloor, 0))
	}
	return !now.Before(tok.Expiry.Add(-b))
}

func webSession(sc *sessionCookie, tok *authkit.Token, refreshed bool) *Session {
	s := &Session{
		User:                 sc.User.user(),
		AccessToken:          sc.AccessToken,
		Token:                tok,
		SessionID:            tok.SessionID,
		OrganizationID:       tok.OrganizationID,
		Impersonator:         sc.Impersonator,
		AuthenticationMethod: sc.AuthenticationMethod,
		Refreshed:            refreshed,
		refreshToken:         sc.RefreshToken,
	}
	if claims, err := tokenClaims(sc.AccessToken); err == nil {
		s.Role, _ = claims["role"].(string)
		s.Roles = strings_(claims["roles"])
		s.Permissions = strings_(claims["permissions"])
	}
	return s
}

func strings_(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// refresh exchanges refreshToken once for every concurrent caller (and for
// callers within refreshResultTTL after), so a token is rotated once.
func (m *Middleware) refresh(ctx context.Context, refreshToken, org string) (*workos.StoredSession, error) {
	key := sha256.Sum256([]byte(refreshToken))
	now := m.now()
	m.mu.Lock()
	for k, f := range m.flights {
		select {
		case <-f.done:
			if now.Sub(f.at) > refreshResultTTL || f.err != nil {
				delete(m.flights, k)
			}
		default:
		}
	}
	f, ok := m.flights[key]
	if !ok {
		f = &refreshFlight{done: make(chan struct{})}
		m.flights[key] = f
		go func() {
			// Detached from the request: a browser hanging up must not
			// lose a rotation WorkOS already made.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
			defer cancel()
			resp, err := workos.Refresh(fctx, m.cfg.WorkOS, refreshToken, org)
			m.mu.Lock()
			f.resp, f.err, f.at = resp, err, m.now()
			if err != nil {
				delete(m.flights, key)
			}
			m.mu.Unlock()
			close(f.done)
		}()
	}
	m.mu.Unlock()
	select {
	case <-f.done:
		return f.resp, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", authkit.ErrTransient, ctx.Err())
	}
}

// public reports whether the request path p is served without a session.
// It is matched cleaned ("/public/../secret" is "/secret"), as the handlers
// behind resolve it (http.FileServer, ServeMux).
func (m *Middleware) public(p string) bool {
	p = cleanPath(p)
	if p == cleanPath(m.redirectURL.Path) {
		return true
	}
	for _, pat := range m.cfg.UnauthenticatedPaths {
		if matchPath(pat, p) {
			return true
		}
	}
	return false
}

// matchPath matches an UnauthenticatedPaths pattern.
func matchPath(pat, p string) bool {
	if pat == p {
		return true
	}
	if dir, ok := strings.CutSuffix(pat, "/*"); ok && !strings.ContainsAny(dir, "*?[") {
		return p == dir || strings.HasPrefix(p, dir+"/")
	}
	ok, err := path.Match(pat, p)
	return err == nil && ok
}

// writeServerFailure answers for a request without a session when the
// server, not the user, is at fault: 500 when the Verifier refuses WorkOS's
// tokens, 503 when WorkOS could not be reached. It reports whether it
// answered; a plain signed-out request is left to the caller.
func (ra *requestAuth) writeServerFailure(w http.ResponseWriter) bool {
	switch {
	case ra.misconfigured != nil:
		writeJSONError(w, http.StatusInternalServerError, "auth_misconfigured",
			"The server cannot verify its sign-in tokens ("+string(ra.misconfigured.reason)+"); its operator must fix its AuthKit configuration (see the server log).")
	case ra.transient != nil:
		w.Header().Set("Retry-After", "5")
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "WorkOS could not be reached; try again.")
	default:
		return false
	}
	return true
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": msg})
}
