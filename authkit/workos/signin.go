package workos

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
	ErrAccessDenied = errors.New("workos: sign-in denied")
	// ErrDeviceCodeExpired: the device code expired before anyone
	// approved it; start the flow again.
	ErrDeviceCodeExpired = errors.New("workos: device code expired")
)

// CallbackPath is the path of the loopback redirect URI of
// SignInWithBrowser: the redirect URI is
// http://127.0.0.1:<port>/callback, which must be in the environment's
// redirect allowlist (WorkOS dashboard → Redirects, or convex.json's
// authKit redirectUris). Pin the port with SignInOptions.CallbackPort so that one
// URI can be allowlisted.
const CallbackPath = "/callback"

// SignInOptions are the choices of one sign-in. The zero value signs in
// on the hosted page's default screen, opening the system browser and
// printing instructions to os.Stderr.
type SignInOptions struct {
	// LoginHint pre-fills the email on the sign-in page (login_hint).
	LoginHint string
	// ScreenHint "sign-up" opens the sign-up page instead of sign-in
	// (screen_hint).
	ScreenHint string
	// Organization signs in to an organization (organization_id).
	Organization string
	// CallbackPort makes SignInWithBrowser listen on this loopback port
	// instead of a random one, so that a single redirect URI can be
	// allowlisted.
	CallbackPort int
	// OpenBrowser replaces the function that opens the sign-in page
	// (OpenBrowser when nil). When it fails, the URL is printed for the
	// user to open by hand. Tests use it to drive the page over HTTP.
	OpenBrowser func(ctx context.Context, url string) error
	// Output is where a flow prints instructions (the URL to open, the
	// device code when SignInWithDeviceCode has no prompt); os.Stderr when
	// nil, io.Discard for nowhere.
	Output io.Writer
}

func (o SignInOptions) output() io.Writer {
	if o.Output == nil {
		return os.Stderr
	}
	return o.Output
}

func (o SignInOptions) openBrowser() func(ctx context.Context, url string) error {
	if o.OpenBrowser == nil {
		return OpenBrowser
	}
	return o.OpenBrowser
}

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("workos: crypto/rand failed: " + err.Error())
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
// (GET /user_management/authorize, with workos-node getAuthorizationUrl's
// parameters). SignInWithBrowser builds it; it is exported for programs
// with their own redirect handling (a custom URL scheme), which then
// redeem the code with ExchangeCode.
func AuthorizeURL(cfg Config, redirectURI, state, codeChallenge string, o SignInOptions) string {
	q := url.Values{
		"client_id":             {cfg.ClientID},
		"redirect_uri":          {redirectURI},
		"response_type":         {"code"},
		"provider":              {"authkit"},
		"code_challenge":        {codeChallenge},
		"code_challenge_method": {"S256"},
		"state":                 {state},
	}
	if o.LoginHint != "" {
		q.Set("login_hint", o.LoginHint)
	}
	if o.ScreenHint != "" {
		q.Set("screen_hint", o.ScreenHint)
	}
	if o.Organization != "" {
		q.Set("organization_id", o.Organization)
	}
	return cfg.apiBase() + "/user_management/authorize?" + q.Encode()
}

type callbackResult struct {
	st  *StoredSession
	err error
}

// SignInWithBrowser signs a user in with the hosted AuthKit page, for CLIs
// and desktop apps (docs/auth.md, "Browser sign-in"): PKCE S256 with a fresh verifier and a
// random state, a one-shot HTTP server on 127.0.0.1 (random port, or
// SignInOptions.CallbackPort) receiving the redirect at
// http://127.0.0.1:<port>/callback — which must be in the environment's
// redirect allowlist —, and the authorization_code grant with the
// code_verifier (no secret). The browser is opened with
// SignInOptions.OpenBrowser; when that fails the URL is printed.
//
// A callback with another state is answered 400 and ignored, without any
// exchange: the flow keeps waiting for its own (any web page could request
// the loopback URL, and must not be able to end the sign-in).
// error=access_denied with the right state fails with ErrAccessDenied; any
// other error parameter with an error naming it. A sign-in WorkOS has not
// finished gives an error matching ErrPendingStep, as ExchangeCode's. Give
// ctx a deadline: the user may never come back. The result is ready for
// Session.Save.
func SignInWithBrowser(ctx context.Context, cfg Config, o SignInOptions) (*StoredSession, error) {
	if err := cfg.checkAPI(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.CallbackPort)))
	if err != nil {
		return nil, fmt.Errorf("workos: listening for the sign-in callback: %w", err)
	}
	redirectURI := "http://" + ln.Addr().String() + CallbackPath
	verifier, challenge := newPKCE()
	state := randomString(32)
	authURL := AuthorizeURL(cfg, redirectURI, state, challenge, o)

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
		st, err := exchangeCode(ctx, cfg, code, verifier, "")
		if errors.Is(err, ErrPendingStep) {
			writeCallbackPage(w, http.StatusOK, "One more step", "Return to the terminal to finish signing in. You can close this window.")
		} else if err != nil {
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

	if err := o.openBrowser()(ctx, authURL); err != nil {
		fmt.Fprintf(o.output(), "Open this URL in a browser to sign in:\n\n  %s\n\n", authURL)
	} else {
		fmt.Fprintf(o.output(), "Your browser has been opened to sign in. If it did not open, visit:\n\n  %s\n\n", authURL)
	}
	select {
	case r := <-results:
		return r.st, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("workos: waiting for the browser sign-in: %w", ctx.Err())
	}
}

// exchangeCode redeems an authorization code with its PKCE verifier, and
// secret as client_secret when not empty.
func exchangeCode(ctx context.Context, cfg Config, code, verifier, secret string) (*StoredSession, error) {
	ar, err := postCode(ctx, cfg, code, verifier, secret, time.Now)
	if err != nil {
		return nil, fmt.Errorf("workos: exchanging the authorization code: %w", err)
	}
	return ar.stored(time.Now(), cfg.apiBase()), nil
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
