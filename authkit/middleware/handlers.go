package middleware

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/internal/jwtclaims"
	"net/http"
	"net/url"
	"strings"
)

// The route handlers of the server-side session, as authkit-nextjs has
// them (docs/auth.md, "Middleware"). Mount them where the app wants, for instance:
//
//	mux.Handle("GET /auth/sign-in", m.SignInHandler())
//	mux.Handle("GET /auth/sign-up", m.SignUpHandler())
//	mux.Handle("/callback", m.CallbackHandler())       // the RedirectURI's path: GET, and POST for pending steps
//	mux.Handle("POST /auth/sign-out", m.SignOutHandler()) // a same-origin form
//	mux.Handle("GET /auth/token", m.AccessTokenHandler())
//	mux.Handle("GET /auth/session", m.SessionHandler())
//	http.ListenAndServe(addr, m.Handler(mux))
//
// with UnauthenticatedPaths listing /auth/* (and the public pages).

// tokenClaims reads the claims of a JWT payload, unverified.
func tokenClaims(accessToken string) (map[string]any, error) {
	_, seg, _, err := jwtclaims.Split(accessToken)
	if err != nil {
		return nil, err
	}
	payload, err := jwtclaims.DecodeSegment(seg, "payload")
	if err != nil {
		return nil, err
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	return c, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randomB64(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SignInURL starts a sign-in: it seals a PKCE state (verifier, nonce and
// returnPathname, a local path to come back to), sets its cookie on w and
// returns the authorization URL to send the browser to. screenHint is
// "sign-in", "sign-up" or "".
func (m *Middleware) SignInURL(w http.ResponseWriter, r *http.Request, returnPathname, screenHint string) (string, error) {
	verifier, err := randomB64(32) // 43 characters
	if err != nil {
		return "", err
	}
	nonce, err := randomB64(16)
	if err != nil {
		return "", err
	}
	state, err := m.jar.sealer.Seal(pkceState{Nonce: nonce, CodeVerifier: verifier, ReturnPathname: localPath(returnPathname)}, stateTTL)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(verifier))
	q := r.URL.Query()
	authURL := workos.AuthorizeURL(m.cfg.WorkOS, m.cfg.RedirectURI, state, base64.RawURLEncoding.EncodeToString(sum[:]), workos.SignInOptions{
		ScreenHint: screenHint, LoginHint: q.Get("login_hint"), Organization: q.Get("organization_id"),
	})
	m.jar.setPKCE(w, r, state)
	return authURL, nil
}

func (m *Middleware) redirectToSignIn(w http.ResponseWriter, r *http.Request, returnPathname, hint string) {
	u, err := m.SignInURL(w, r, returnPathname, hint)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "server_error", "Could not start the sign-in.")
		return
	}
	noStore(w)
	http.Redirect(w, r, u, http.StatusFound)
}

// SignInHandler redirects to AuthKit's sign-in page. The query parameter
// returnTo (a local path) is where the callback sends the browser after.
func (m *Middleware) SignInHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.redirectToSignIn(w, r, r.URL.Query().Get("returnTo"), "sign-in")
	})
}

// SignUpHandler is SignInHandler with AuthKit's sign-up screen.
func (m *Middleware) SignUpHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.redirectToSignIn(w, r, r.URL.Query().Get("returnTo"), "sign-up")
	})
}

// CallbackHandler serves the RedirectURI: it checks the state against its
// PKCE cookie (double-submit CSRF check), exchanges the code with the PKCE
// verifier (authorization_code grant), sets the session cookie and
// redirects to the sign-in's returnPathname. Failures answer 400 (bad or
// mismatched parameters, a refused code) or 502 (WorkOS unreachable) with a
// JSON error, and always delete the PKCE cookie.
//
// When WorkOS answers the exchange with a step still to do (choose an
// organization, an MFA code, an emailed code: workos.ErrPendingStep), the
// step is sealed in a cookie (PendingCookieName, PendingStepTTL) and shown
// by Config.PendingStepHandler, or a default page; its form posts back to
// the callback (mount it for GET and POST), which finishes the sign-in
// (workos.CompleteOrganizationSelection, CompleteMFA,
// CompleteEmailVerification; for MFA it first starts the challenge, or
// enrolls a TOTP factor whose key the page shows), shows the next step, or
// the same one again after a wrong code. The POST is accepted only from
// the app's own pages (Sec-Fetch-Site and Origin, as SignOutHandler) with
// the cookie's nonce; the pending token never leaves the sealed cookie.
// Finishing a step needs Config.WorkOS.APIKey (400 pending_step_unsupported
// without it).
func (m *Middleware) CallbackHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
		case http.MethodPost:
			m.finishPending(w, r)
			return
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			writeJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed", "The callback takes GET, and POST for a sign-in step.")
			return
		}
		q := r.URL.Query()
		defer noStore(w)
		fail := func(status int, code, msg string) {
			m.jar.deletePKCE(w, r)
			m.debug("callback refused", "error", code)
			writeJSONError(w, status, code, msg)
		}
		if e := q.Get("error"); e != "" {
			fail(http.StatusBadRequest, "authorization_failed", "The sign-in did not complete: "+truncate(e, 64)+".")
			return
		}
		code, state := q.Get("code"), q.Get("state")
		if code == "" || state == "" {
			fail(http.StatusBadRequest, "missing_auth_params", "The callback needs code and state.")
			return
		}
		c, err := r.Cookie(pkceCookieName(state))
		if err != nil {
			c, err = r.Cookie(pkceCookiePrefix) // legacy name
		}
		if err != nil {
			fail(http.StatusBadRequest, "missing_pkce_cookie", "No sign-in was started in this browser (or it took over 10 minutes).")
			return
		}
		if c.Value != state {
			fail(http.StatusBadRequest, "oauth_state_mismatch", "The state does not match this browser's sign-in.")
			return
		}
		var st pkceState
		if err := m.jar.sealer.Unseal(state, &st); err != nil || st.CodeVerifier == "" {
			fail(http.StatusBadRequest, "invalid_state", "The sign-in state is invalid or expired.")
			return
		}
		resp, err := workos.ExchangeCode(r.Context(), m.cfg.WorkOS, code, st.CodeVerifier)
		if errors.Is(err, workos.ErrPendingStep) {
			m.jar.deletePKCE(w, r)
			m.startPending(w, r, err, st.ReturnPathname)
			return
		}
		if err != nil {
			if ae, ok := errors.AsType[*workos.APIError](err); ok && !ae.Transient() {
				fail(http.StatusBadRequest, "code_exchange_failed", "WorkOS refused the code ("+truncate(ae.Code, 64)+").")
				return
			}
			fail(http.StatusBadGateway, "code_exchange_failed", "WorkOS could not be reached; try signing in again.")
			return
		}
		m.jar.deletePKCE(w, r)
		m.signedIn(w, r, resp, st.ReturnPathname, http.StatusTemporaryRedirect)
	})
}

// signedIn sets the session cookie of a finished sign-in and redirects to
// returnPathname with status.
func (m *Middleware) signedIn(w http.ResponseWriter, r *http.Request, resp *workos.StoredSession, returnPathname string, status int) {
	sc := &sessionCookie{
		AccessToken: resp.AccessToken, RefreshToken: resp.RefreshToken,
		User: toCookieUser(resp.User), Impersonator: resp.Impersonator,
		AuthenticationMethod: resp.AuthenticationMethod,
	}
	if err := m.jar.setSession(w, sc); err != nil {
		writeJSONError(w, http.StatusInternalServerError, "server_error", "Could not save the session.")
		return
	}
	// Checked again: a state sealed by another app sharing the password
	// (authkit-nextjs) may carry any returnPathname.
	to := localPath(returnPathname)
	if to == "" {
		to = localPath(m.cfg.ReturnPathname)
	}
	if to == "" {
		to = "/"
	}
	m.debug("signed in")
	http.Redirect(w, r, to, status)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// SignOutHandler deletes the session and PKCE cookies and redirects to
// WorkOS's logout URL, which ends the session and comes back to returnTo
// (a local path, made absolute on the RedirectURI's origin; "/" by
// default). Without a session it redirects to returnTo directly.
//
// Only POST is accepted (405 otherwise), and only from the app's own pages:
// a request that a browser marks as coming from another site
// (Sec-Fetch-Site other than same-origin or none), or whose Origin is not
// the RedirectURI's origin, gets 403. So no other site can sign a user out
// (a link, an image, a form). Sign out from the app with a form:
//
//	<form method="post" action="/auth/sign-out?returnTo=/"><button>Sign out</button></form>
func (m *Middleware) SignOutHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Sign out with a POST from the app's own page.")
			return
		}
		if !m.sameOrigin(r) {
			m.debug("sign-out refused: cross-origin request")
			writeJSONError(w, http.StatusForbidden, "cross_site", "Cross-site sign-out requests are refused.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		returnTo := localPath(r.FormValue("returnTo")) // the query, or a form field
		if returnTo == "" {
			returnTo = "/"
		}
		// The sid of the cookie, even when its token expired: no refresh.
		var sid string
		if s := SessionFromContext(r.Context()); s != nil {
			sid = s.SessionID
		} else if sc, err := m.jar.readSession(r); err == nil && sc != nil {
			if t, err := authkit.ParseToken(sc.AccessToken); err == nil {
				sid = t.SessionID
			}
		}
		m.jar.deleteSession(w)
		m.jar.deletePKCE(w, r)
		target := returnTo
		if sid != "" {
			target = m.apiBase() + "/user_management/sessions/logout?" + url.Values{"session_id": {sid}, "return_to": {m.origin() + returnTo}}.Encode()
		}
		m.debug("signed out")
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

// origin is the RedirectURI's origin: the app's.
func (m *Middleware) origin() string {
	return (&url.URL{Scheme: m.redirectURL.Scheme, Host: m.redirectURL.Host}).String()
}

// sameOrigin reports whether r comes from the app's own pages, by the
// browser's Fetch Metadata (Sec-Fetch-Site) and Origin headers. A request
// with neither (not from a browser that sends them) is let through: the
// POST-only rule already keeps out links and images.
func (m *Middleware) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, m.origin()) {
		return false
	}
	return true
}

// AccessTokenHandler serves the access token to the app's own browser code
// (authkit-nextjs's useAccessToken, through the middleware): GET answers
// {"accessToken": "…"}, refreshed first when due; with ?force=1 the token
// is refreshed in any case (unless the middleware just did so for this
// request), for a Convex client whose token was rejected. Signed out:
// 401 {"error":"signed_out"}; WorkOS unreachable with no valid token: 503;
// tokens the Verifier refuses whatever their freshness (its configuration):
// 500 {"error":"auth_misconfigured"}. The refresh token never leaves the
// server. Cross-site requests
// (Sec-Fetch-Site: cross-site) are refused.
func (m *Middleware) AccessTokenHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeJSONError(w, http.StatusForbidden, "cross_site", "Cross-site requests are refused.")
			return
		}
		force := r.URL.Query().Get("force")
		ra := m.auth(w, r)
		if (force == "1" || force == "true") && ra.session != nil && !ra.session.Refreshed {
			ra = m.authenticate(w, r, true)
		}
		switch {
		case ra.session != nil:
			writeJSON(w, http.StatusOK, map[string]any{"accessToken": ra.session.AccessToken})
		case ra.writeServerFailure(w):
		default:
			writeJSONError(w, http.StatusUnauthorized, "signed_out", "No session.")
		}
	})
}

// sessionInfo is what SessionHandler answers: the session without tokens
// (authkit-nextjs's getAuthAction strips accessToken too).
type sessionInfo struct {
	User                 *workos.User         `json:"user"`
	SessionID            string               `json:"sessionId,omitempty"`
	OrganizationID       string               `json:"organizationId,omitempty"`
	Role                 string               `json:"role,omitempty"`
	Roles                []string             `json:"roles,omitempty"`
	Permissions          []string             `json:"permissions,omitempty"`
	Impersonator         *workos.Impersonator `json:"impersonator,omitempty"`
	AuthenticationMethod string               `json:"authenticationMethod,omitempty"`
}

// SessionHandler answers {"user": …, "sessionId": …, …} for the signed-in
// user, or {"user": null}: what the app's browser code shows. It carries no
// token.
func (m *Middleware) SessionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ra := m.auth(w, r)
		s := ra.session
		if s == nil {
			if !ra.writeServerFailure(w) {
				writeJSON(w, http.StatusOK, sessionInfo{})
			}
			return
		}
		writeJSON(w, http.StatusOK, sessionInfo{
			User: s.User, SessionID: s.SessionID, OrganizationID: s.OrganizationID,
			Role: s.Role, Roles: s.Roles, Permissions: s.Permissions,
			Impersonator: s.Impersonator, AuthenticationMethod: s.AuthenticationMethod,
		})
	})
}
