//go:build !js

package authkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// SignInWithPassword signs a user in with the password grant (spec
// §1.3c). It is for trusted server-side programs only: WorkOS requires the
// API key as client_secret, so cfg.APIKey must be set. Bad credentials
// give an *APIError with Code "invalid_credentials"; continuations (MFA,
// email verification, organization selection) an *APIError naming them.
// The result is ready for Session.Save; a Session refreshing it should
// carry the API key as ClientSecret too.
func SignInWithPassword(ctx context.Context, cfg Config, email, password string, opts ...SignInOption) (*StoredSession, error) {
	if err := checkHTTPS(cfg.APIBaseOrDefault()); err != nil {
		return nil, fmt.Errorf("authkit: %s: %w", EnvAPIBase, err)
	}
	if cfg.ClientID == "" {
		return nil, errors.New("authkit: Config.ClientID is required")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("authkit: the password grant needs the API key (Config.APIKey) as client_secret")
	}
	o := newSignInOptions(opts)
	body := map[string]string{
		"grant_type":    "password",
		"client_id":     cfg.ClientID,
		"client_secret": cfg.APIKey,
		"email":         email,
		"password":      password,
	}
	ar, err := postAuthenticate(ctx, o.hc, cfg.APIBaseOrDefault(), body, o.now)
	if err != nil {
		return nil, fmt.Errorf("authkit: password sign-in: %w", err)
	}
	return ar.stored(o.now(), cfg.APIBaseOrDefault()), nil
}

// RevokeSession ends a session at WorkOS from a server-side program (POST
// /user_management/sessions/revoke with the API key, spec §1.5): its
// refresh tokens stop working, so every Session holding one gets
// ErrSignedOut at its next refresh.
func RevokeSession(ctx context.Context, cfg Config, sessionID string, opts ...SignInOption) error {
	if err := checkHTTPS(cfg.APIBaseOrDefault()); err != nil {
		return fmt.Errorf("authkit: %s: %w", EnvAPIBase, err)
	}
	if cfg.APIKey == "" {
		return errors.New("authkit: revoking a session needs the API key (Config.APIKey)")
	}
	if sessionID == "" {
		return errors.New("authkit: no session id to revoke")
	}
	o := newSignInOptions(opts)
	b, _ := json.Marshal(map[string]string{"session_id": sessionID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(cfg.APIBaseOrDefault(), "/")+"/user_management/sessions/revoke", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	return doSimple(o, req)
}

// EndSession ends a session the way a browser does when it follows the
// logout URL (GET /user_management/sessions/logout?session_id=…, no API
// key), without following the redirect: what a CLI calls on logout.
func EndSession(ctx context.Context, cfg Config, sessionID string, opts ...SignInOption) error {
	if sessionID == "" {
		return errors.New("authkit: no session id to end")
	}
	o := newSignInOptions(opts)
	u := strings.TrimRight(cfg.APIBaseOrDefault(), "/") + "/user_management/sessions/logout?" + url.Values{"session_id": {sessionID}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	hc := *o.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o.hc = &hc
	return doSimple(o, req)
}

// doSimple sends req and turns a status other than 2xx/3xx into an
// *APIError.
func doSimple(o *signInOptions, req *http.Request) error {
	a, err := sendAPI(o.hc, req)
	if err != nil {
		return err
	}
	if a.status >= 400 {
		return a.apiError(o.now)
	}
	return nil
}
