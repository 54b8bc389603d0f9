//go:build !js

package authkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Errors of the sign-in flows.
var (
	// ErrAccessDenied: the user refused (the Deny button of the sign-in
	// page, or of the device verification page).
	ErrAccessDenied = errors.New("authkit: sign-in denied")
	// ErrStateMismatch: the browser came back with a state that is not the
	// one this flow sent (a stale tab, or a forged request); nothing was
	// exchanged. SignInWithBrowser no longer returns it (it ignores such
	// callbacks and keeps waiting); it is kept for programs that check it.
	ErrStateMismatch = errors.New("authkit: sign-in state mismatch")
	// ErrDeviceCodeExpired: the device code expired before anyone
	// approved it; start the flow again.
	ErrDeviceCodeExpired = errors.New("authkit: device code expired")
)

// CallbackPath is the path of the loopback redirect URI of
// SignInWithBrowser: the redirect URI is
// http://127.0.0.1:<port>/callback, which must be in the environment's
// redirect allowlist (WorkOS dashboard → Redirects, or convex.json's
// authKit redirectUris). Pin the port with WithCallbackPort so that one
// URI can be allowlisted.
const CallbackPath = "/callback"

// SignInOption configures a sign-in flow.
type SignInOption func(*signInOptions)

type signInOptions struct {
	open      func(ctx context.Context, url string) error
	out       io.Writer
	port      int
	hc        *http.Client
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	loginHint string
	screen    string
	org       string
}

func newSignInOptions(opts []SignInOption) *signInOptions {
	o := &signInOptions{open: OpenBrowser, out: os.Stderr, now: time.Now, sleep: sleepCtx}
	for _, opt := range opts {
		opt(o)
	}
	if o.hc == nil {
		o.hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if o.out == nil {
		o.out = io.Discard
	}
	return o
}

// WithBrowserOpener replaces the function that opens the sign-in page
// (OpenBrowser by default). When it fails, the URL is printed for the user
// to open by hand. Tests use it to drive the page over HTTP.
func WithBrowserOpener(open func(ctx context.Context, url string) error) SignInOption {
	return func(o *signInOptions) { o.open = open }
}

// WithSignInOutput sets where a flow prints instructions (the URL to
// open); os.Stderr by default, nil for nowhere.
func WithSignInOutput(w io.Writer) SignInOption {
	return func(o *signInOptions) { o.out = w }
}

// WithCallbackPort makes SignInWithBrowser listen on this loopback port
// instead of a random one, so that a single redirect URI can be
// allowlisted.
func WithCallbackPort(port int) SignInOption {
	return func(o *signInOptions) { o.port = port }
}

// WithSignInHTTPClient sets the HTTP client of the API calls (a client
// with a 30 s timeout by default).
func WithSignInHTTPClient(hc *http.Client) SignInOption {
	return func(o *signInOptions) { o.hc = hc }
}

// WithSignInClock replaces the clock of the device flow's polling: now
// reads it, sleep waits on it (and returns ctx.Err() when ctx ends).
// Either may be nil to keep the default.
func WithSignInClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) SignInOption {
	return func(o *signInOptions) {
		if now != nil {
			o.now = now
		}
		if sleep != nil {
			o.sleep = sleep
		}
	}
}

// WithLoginHint pre-fills the email on the sign-in page.
func WithLoginHint(email string) SignInOption {
	return func(o *signInOptions) { o.loginHint = email }
}

// WithScreenHint opens the sign-up page ("sign-up") instead of sign-in.
func WithScreenHint(hint string) SignInOption {
	return func(o *signInOptions) { o.screen = hint }
}

// WithOrganization signs in to an organization (organization_id).
func WithOrganization(orgID string) SignInOption {
	return func(o *signInOptions) { o.org = orgID }
}

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("authkit: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// newPKCE returns a verifier (32 random bytes: 43 characters) and its S256
// challenge.
func newPKCE() (verifier, challenge string) {
	verifier = randomString(32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL returns the hosted AuthKit sign-in URL for a PKCE flow
// (spec §1.2). SignInWithBrowser builds it; it is exported for programs
// with their own redirect handling (a custom URL scheme).
func AuthorizeURL(cfg Config, redirectURI, state, codeChallenge string, opts ...SignInOption) string {
	o := newSignInOptions(opts)
	q := url.Values{
		"client_id":             {cfg.ClientID},
		"redirect_uri":          {redirectURI},
		"response_type":         {"code"},
		"provider":              {"authkit"},
		"code_challenge":        {codeChallenge},
		"code_challenge_method": {"S256"},
		"state":                 {state},
	}
	if o.loginHint != "" {
		q.Set("login_hint", o.loginHint)
	}
	if o.screen != "" {
		q.Set("screen_hint", o.screen)
	}
	if o.org != "" {
		q.Set("organization_id", o.org)
	}
	return strings.TrimRight(cfg.APIBaseOrDefault(), "/") + "/user_management/authorize?" + q.Encode()
}

type callbackResult struct {
	st  *StoredSession
	err error
}

// SignInWithBrowser signs a user in with the hosted AuthKit page, for CLIs
// and desktop apps (spec §7.1): PKCE S256 with a fresh verifier and a
// random state, a one-shot HTTP server on 127.0.0.1 (random port, or
// WithCallbackPort) receiving the redirect at
// http://127.0.0.1:<port>/callback — which must be in the environment's
// redirect allowlist —, and the authorization_code grant with the
// code_verifier (no secret). The browser is opened with OpenBrowser (or
// WithBrowserOpener); when that fails the URL is printed.
//
// A callback with another state is answered 400 and ignored, without any
// exchange: the flow keeps waiting for its own (any web page could request
// the loopback URL, and must not be able to end the sign-in).
// error=access_denied with the right state fails with ErrAccessDenied; any
// other error parameter with an error naming it. Give ctx a deadline: the user
// may never come back. The result is ready for Session.Save.
func SignInWithBrowser(ctx context.Context, cfg Config, opts ...SignInOption) (*StoredSession, error) {
	if err := checkHTTPS(cfg.APIBaseOrDefault()); err != nil {
		return nil, fmt.Errorf("authkit: %s: %w", EnvAPIBase, err)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("authkit: Config.ClientID is required")
	}
	o := newSignInOptions(opts)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.port)))
	if err != nil {
		return nil, fmt.Errorf("authkit: listening for the sign-in callback: %w", err)
	}
	redirectURI := "http://" + ln.Addr().String() + CallbackPath
	verifier, challenge := newPKCE()
	state := randomString(32)
	authURL := AuthorizeURL(cfg, redirectURI, state, challenge, opts...)

	results := make(chan callbackResult, 1)
	handled := false
	var mu = make(chan struct{}, 1) // one callback at a time
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CallbackPath, func(w http.ResponseWriter, r *http.Request) {
		mu <- struct{}{}
		defer func() { <-mu }()
		if handled {
			writeCallbackPage(w, http.StatusConflict, "Sign-in already finished", "You can close this window.")
			return
		}
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			// Not ours: a stale tab, or any web page the user has open
			// requesting this loopback URL. It must not end the sign-in
			// under way, so it is answered and otherwise ignored.
			writeCallbackPage(w, http.StatusBadRequest, "Sign-in failed", "The sign-in response does not belong to this attempt. Finish the sign-in in the window the terminal opened.")
			return
		}
		if e := q.Get("error"); e != "" {
			handled = true
			var err error
			if e == "access_denied" {
				err = fmt.Errorf("%w: %s", ErrAccessDenied, q.Get("error_description"))
			} else {
				err = &APIError{Status: http.StatusBadRequest, Code: e, Description: q.Get("error_description")}
			}
			writeCallbackPage(w, http.StatusOK, "Sign-in cancelled", "You can close this window and return to the terminal.")
			results <- callbackResult{err: err}
			return
		}
		code := q.Get("code")
		if code == "" {
			writeCallbackPage(w, http.StatusBadRequest, "Sign-in failed", "The response has no code.")
			return
		}
		handled = true
		st, err := exchangeCode(ctx, cfg, o, code, verifier)
		if err != nil {
			writeCallbackPage(w, http.StatusOK, "Sign-in failed", "Return to the terminal for details. You can close this window.")
		} else {
			writeCallbackPage(w, http.StatusOK, "Signed in", "You can close this window and return to the terminal.")
		}
		results <- callbackResult{st: st, err: err}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	if err := o.open(ctx, authURL); err != nil {
		fmt.Fprintf(o.out, "Open this URL in a browser to sign in:\n\n  %s\n\n", authURL)
	} else {
		fmt.Fprintf(o.out, "Your browser has been opened to sign in. If it did not open, visit:\n\n  %s\n\n", authURL)
	}
	select {
	case r := <-results:
		return r.st, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("authkit: waiting for the browser sign-in: %w", ctx.Err())
	}
}

// exchangeCode redeems an authorization code with its PKCE verifier.
func exchangeCode(ctx context.Context, cfg Config, o *signInOptions, code, verifier string) (*StoredSession, error) {
	body := map[string]string{
		"grant_type":    "authorization_code",
		"client_id":     cfg.ClientID,
		"code":          code,
		"code_verifier": verifier,
	}
	ar, err := postAuthenticate(ctx, o.hc, cfg.APIBaseOrDefault(), body, o.now)
	if err != nil {
		return nil, fmt.Errorf("authkit: exchanging the authorization code: %w", err)
	}
	return ar.stored(o.now(), cfg.APIBaseOrDefault()), nil
}

// stored converts an authenticate answer from apiBase into what a Store
// keeps, bound to apiBase.
func (ar *authenticateResponse) stored(now time.Time, apiBase string) *StoredSession {
	return &StoredSession{
		RefreshToken:         ar.RefreshToken,
		AccessToken:          ar.AccessToken,
		OrganizationID:       ar.OrganizationID,
		User:                 ar.User,
		AuthenticationMethod: ar.AuthenticationMethod,
		Impersonator:         ar.Impersonator,
		SavedAt:              now,
		APIBase:              strings.TrimRight(apiBase, "/"),
	}
}

func writeCallbackPage(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;text-align:center}</style></head>
<body><h1>%s</h1><p>%s</p></body></html>`, html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}
