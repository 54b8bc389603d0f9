package workos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/goconvex/convex/internal/httpsurl"
)

// SignInWithPassword signs a user in with the password grant (workos-node
// authenticateWithPassword). It is for trusted server-side programs only: WorkOS requires the
// API key as client_secret, so cfg.APIKey must be set. Bad credentials
// give an *APIError with Code "invalid_credentials". A sign-in WorkOS has
// not finished gives an error matching ErrPendingStep
// (*OrganizationSelectionRequired, *MFAChallengeRequired,
// *MFAEnrollmentRequired, *EmailVerificationRequired) that carries what
// the call finishing it needs. The result is ready for Session.Save; a
// Session refreshing it should carry the API key in its Config too.
func SignInWithPassword(ctx context.Context, cfg Config, email, password string) (*StoredSession, error) {
	if err := cfg.checkAPI(); err != nil {
		return nil, err
	}
	if cfg.APIKey == "" {
		return nil, errors.New("workos: the password grant needs the API key (Config.APIKey) as client_secret")
	}
	body := map[string]string{
		"grant_type":    "password",
		"client_id":     cfg.ClientID,
		"client_secret": cfg.APIKey,
		"email":         email,
		"password":      password,
	}
	ar, err := postAuthenticate(ctx, cfg.httpClient(), cfg.apiBase(), body, time.Now)
	if err != nil {
		return nil, fmt.Errorf("workos: password sign-in: %w", err)
	}
	return ar.stored(time.Now(), cfg.apiBase()), nil
}

// ExchangeCode redeems the authorization code of a sign-in started at
// AuthorizeURL with its PKCE verifier (the authorization_code grant),
// sending cfg.APIKey as client_secret when it is set (a confidential
// client, as authkit-nextjs is). SignInWithBrowser does this itself; the
// middleware and programs with their own redirect handling call it. A
// sign-in WorkOS has not finished gives an error matching ErrPendingStep,
// as SignInWithPassword's.
func ExchangeCode(ctx context.Context, cfg Config, code, codeVerifier string) (*StoredSession, error) {
	if err := cfg.checkAPI(); err != nil {
		return nil, err
	}
	return exchangeCode(ctx, cfg, code, codeVerifier, cfg.APIKey)
}

// Refresh presents a refresh token once (the refresh_token grant, staying
// in organizationID when it is not empty) and returns the rotated session,
// sending cfg.APIKey as client_secret when it is set. It neither retries
// nor stores anything: a Session does both; the middleware, which keeps
// sessions in cookies, calls Refresh. An error is an *APIError when
// WorkOS answered (see APIError.Transient), else the transport's.
func Refresh(ctx context.Context, cfg Config, refreshToken, organizationID string) (*StoredSession, error) {
	if err := cfg.checkAPI(); err != nil {
		return nil, err
	}
	ar, err := postRefresh(ctx, cfg, refreshToken, organizationID, time.Now)
	if err != nil {
		return nil, err
	}
	return ar.stored(time.Now(), cfg.apiBase()), nil
}

// RevokeSession ends a session at WorkOS from a server-side program (POST
// /user_management/sessions/revoke with the API key): its
// refresh tokens stop working, so every Session holding one gets
// authkit.ErrSignedOut at its next refresh.
func RevokeSession(ctx context.Context, cfg Config, sessionID string) error {
	if err := httpsurl.Check(cfg.APIBaseOrDefault()); err != nil {
		return fmt.Errorf("workos: %s: %w", EnvAPIBase, err)
	}
	if cfg.APIKey == "" {
		return errors.New("workos: revoking a session needs the API key (Config.APIKey)")
	}
	if sessionID == "" {
		return errors.New("workos: no session id to revoke")
	}
	b, _ := json.Marshal(map[string]string{"session_id": sessionID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.apiBase()+"/user_management/sessions/revoke", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	return doSimple(cfg.httpClient(), req)
}

// EndSession ends a session the way a browser does when it follows the
// logout URL (GET /user_management/sessions/logout?session_id=…, no API
// key), without following the redirect: what a CLI calls on logout.
func EndSession(ctx context.Context, cfg Config, sessionID string) error {
	if sessionID == "" {
		return errors.New("workos: no session id to end")
	}
	u := cfg.apiBase() + "/user_management/sessions/logout?" + url.Values{"session_id": {sessionID}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	hc := *cfg.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return doSimple(&hc, req)
}

// doSimple sends req and turns a status other than 2xx/3xx into an
// *APIError.
func doSimple(hc *http.Client, req *http.Request) error {
	a, err := sendAPI(hc, req)
	if err != nil {
		return err
	}
	if a.status >= 400 {
		return a.apiError(time.Now)
	}
	return nil
}
