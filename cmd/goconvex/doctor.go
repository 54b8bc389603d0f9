package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/customjwt"
)

// check is one line of the doctor's report.
type check struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok, warn, fail, skip
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// clientIDShape is "client_" and a 26-character ULID.
var clientIDShape = regexp.MustCompile(`^client_[0-9A-HJKMNP-TV-Z]{26}$`)

// maxSkew is the clock difference Convex's 5 s leeway tolerates.
const maxSkew = 5 * time.Second

type doctor struct {
	a      *app
	hc     *http.Client
	checks []check
	saved  *workos.StoredSession // the stored session, nil when none
}

func (d *doctor) add(name, status, detail, fix string) {
	d.checks = append(d.checks, check{name, status, detail, fix})
}

func cmdDoctor(a *app, fs *flag.FlagSet, args []string) error {
	if _, err := a.parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	ctx := a.cmdCtx
	d := &doctor{a: a, hc: &http.Client{Timeout: 10 * time.Second}}
	stop := spin(a.stderr, "Checking…")
	d.run(ctx)
	stop()

	failed := 0
	for _, c := range d.checks {
		if c.Status == "fail" {
			failed++
		}
	}
	if a.json {
		a.out(map[string]any{"ok": failed == 0, "checks": d.checks}, "")
	} else {
		icons := map[string]string{"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}
		var b strings.Builder
		for _, c := range d.checks {
			fmt.Fprintf(&b, "%s %-22s %s\n", icons[c.Status], c.Name, c.Detail)
			if c.Fix != "" && c.Status != "ok" {
				fmt.Fprintf(&b, "  %-22s fix: %s\n", "", c.Fix)
			}
		}
		if failed == 0 {
			b.WriteString("No problems found.\n")
		} else {
			fmt.Fprintf(&b, "%d problem(s) found.\n", failed)
		}
		a.out(nil, b.String())
	}
	if failed > 0 {
		return &exitError{exitProblems, fmt.Errorf("doctor found %d problem(s)", failed)}
	}
	return nil
}

func (d *doctor) run(ctx context.Context) {
	a := d.a
	cfg := a.cfg
	base := strings.TrimRight(cfg.APIBaseOrDefault(), "/")

	// 1. Configuration and the client id's shape.
	cfgOK := true
	if err := cfg.Validate(); err != nil {
		var ces []*workos.ConfigError
		for _, e := range unwrapAll(err) {
			if ce, ok := errors.AsType[*workos.ConfigError](e); ok {
				ces = append(ces, ce)
			}
		}
		for _, ce := range ces {
			if ce.Var == workos.EnvClientID {
				cfgOK = false
			}
			d.add("config "+ce.Var, "fail", ce.Problem, "set "+ce.Var+" in the environment or .env.local")
		}
	}
	switch {
	case cfg.ClientID == "":
		cfgOK = false
	case !clientIDShape.MatchString(cfg.ClientID):
		d.add("client id", "warn", fmt.Sprintf("%q does not look like client_ + 26 ULID characters", cfg.ClientID), "copy the client id from the WorkOS dashboard (API Keys)")
	default:
		d.add("client id", "ok", cfg.ClientID, "")
	}
	if !cfgOK {
		return // Validate has reported the client id
	}

	// 2. JWKS reachable, and clock skew from its Date header.
	jwksURL := base + "/sso/jwks/" + url.PathEscape(cfg.ClientID)
	d.checkJWKS(ctx, jwksURL)

	// 3. CORS for the web app's redirect URI.
	d.checkCORS(ctx, base, cfg.RedirectURI)

	// 4. The stored token against both providers.
	var tok *authkit.Token
	var sess *workos.Session
	if s, saved, ok := a.optionalSession(); ok {
		sess, d.saved = s, saved
		t, err := s.Token(ctx, false)
		switch {
		case errors.Is(err, authkit.ErrSignedOut):
			d.add("session", "warn", "the stored session has ended", "goconvex login")
		case err != nil:
			d.add("session", "fail", "could not get a token: "+err.Error(), "check the network and WORKOS_API_BASE")
		default:
			tok = t
			d.add("session", "ok", "signed in as "+t.Subject, "")
		}
	} else {
		d.add("session", "skip", "not signed in: token checks skipped", "goconvex login")
	}
	if tok != nil {
		d.checkIssuer(ctx, tok)
	}

	// 5. The deployment, and that it accepts the token.
	d.checkDeployment(ctx, sess, tok != nil)
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (d *doctor) checkJWKS(ctx context.Context, jwksURL string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	req.Header.Set("Accept", "application/json")
	t0 := time.Now()
	resp, err := d.hc.Do(req)
	if err != nil {
		d.add("jwks", "fail", "unreachable: "+err.Error(), "check WORKOS_API_BASE and the network")
		d.add("clock", "skip", "no server date", "")
		return
	}
	defer resp.Body.Close()
	rtt := time.Since(t0)
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ks struct {
		Keys []json.RawMessage `json:"keys"`
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		d.add("jwks", "fail", jwksURL+": 404, unknown client id", "check WORKOS_CLIENT_ID (staging and production ids differ)")
	case resp.StatusCode != http.StatusOK:
		d.add("jwks", "fail", fmt.Sprintf("%s: HTTP %d", jwksURL, resp.StatusCode), "")
	case json.Unmarshal(body, &ks) != nil || len(ks.Keys) == 0:
		d.add("jwks", "fail", jwksURL+": not a key set", "")
	default:
		d.add("jwks", "ok", fmt.Sprintf("%s: %d key(s)", jwksURL, len(ks.Keys)), "")
	}
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		d.add("clock", "skip", "the server sent no Date header", "")
		return
	}
	// Date has a one-second resolution: compare to the middle of the
	// request, allowing for the truncation.
	skew := time.Until(date.Add(500*time.Millisecond)) + rtt/2
	if skew < 0 {
		skew = -skew
	}
	if skew > maxSkew+time.Second {
		d.add("clock", "fail", fmt.Sprintf("this machine's clock is %s off the server's", skew.Round(time.Second)), "sync the clock (NTP): Convex allows 5 s")
	} else {
		d.add("clock", "ok", fmt.Sprintf("within %s of the server", max(skew, time.Second).Round(time.Second)), "")
	}
}

// checkCORS preflights the API's authenticate endpoint as a browser on the
// web app's origin would before authkit-js's first call. authkit-js sends
// its session cookie (fetch with credentials: "include") except in its dev
// mode, which it uses on localhost and 127.0.0.1 (the refresh token then
// lives in localStorage). Without credentials, Access-Control-Allow-Origin
// "*" or the origin itself will do; with them, browsers require the origin
// itself and Access-Control-Allow-Credentials: true.
func (d *doctor) checkCORS(ctx context.Context, base, redirectURI string) {
	if redirectURI == "" {
		d.add("cors", "skip", "no redirect URI configured (WORKOS_REDIRECT_URI)", "")
		return
	}
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" || u.Host == "" {
		d.add("cors", "fail", "the redirect URI is not absolute", "")
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		d.add("cors", "skip", "the redirect URI is not a web page ("+u.Scheme+"://): no browser calls the API from it", "")
		return
	}
	origin := u.Scheme + "://" + u.Host
	credentialed := u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1"
	const fixAdd = "in the WorkOS dashboard, Authentication → Configure CORS: add "
	req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, base+"/user_management/authenticate", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := d.hc.Do(req)
	if err != nil {
		d.add("cors", "fail", "the preflight request failed: "+err.Error(), "check WORKOS_API_BASE and the network")
		return
	}
	resp.Body.Close()
	allow := resp.Header.Get("Access-Control-Allow-Origin")
	creds := strings.EqualFold(strings.TrimSpace(resp.Header.Get("Access-Control-Allow-Credentials")), "true")
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case !ok2xx || (allow != origin && allow != "*"):
		d.add("cors", "fail", fmt.Sprintf("origin %s is not allowed to call the API from a browser (preflight: HTTP %d)", origin, resp.StatusCode), fixAdd+origin)
	case !credentialed && allow == "*":
		d.add("cors", "ok", "every origin is allowed (*), which suits "+origin+": authkit-js sends no cookie from localhost", "")
	case !credentialed:
		d.add("cors", "ok", origin+" is allowed", "")
	case allow == "*":
		d.add("cors", "fail", fmt.Sprintf("the API allows every origin (*), but authkit-js on %s sends its session cookie, and browsers refuse a wildcard for requests with credentials", origin), fixAdd+origin+" (an origin listed there is answered by name, with credentials allowed)")
	case !creds:
		d.add("cors", "fail", fmt.Sprintf("origin %s is allowed, but without Access-Control-Allow-Credentials: true, which authkit-js's cookie needs", origin), fixAdd+origin)
	default:
		d.add("cors", "ok", origin+" is allowed, with credentials", "")
	}
}

func (d *doctor) checkIssuer(ctx context.Context, tok *authkit.Token) {
	cfg := d.a.cfg
	providers := cfg.ConvexProviders() // key set at the configured API base
	v := customjwt.NewVerifier(customjwt.Config{Providers: providers})
	var accepted []string
	var reasons []string
	for _, p := range providers {
		_, err := v.VerifyProvider(ctx, tok.AccessToken, p)
		if err == nil {
			accepted = append(accepted, p.Issuer)
			continue
		}
		if ve, ok := errors.AsType[*customjwt.Error](err); ok {
			reasons = append(reasons, fmt.Sprintf("%s: %s", p.Issuer, ve.Reason))
		} else {
			reasons = append(reasons, fmt.Sprintf("%s: %v", p.Issuer, err))
		}
	}
	if len(accepted) > 0 {
		d.add("token issuer", "ok", fmt.Sprintf("iss %s accepted by the provider %s", tok.Issuer, accepted[0]), "")
		return
	}
	fix := "the token's issuer matches neither auth.config.ts provider: add a provider for " + tok.Issuer
	for _, r := range reasons {
		if strings.Contains(r, string(customjwt.ReasonInvalidAudience)) {
			fix = "legacy-issuer tokens need aud = the client id: add a WorkOS JWT template with \"aud\": \"" + cfg.ClientID + "\""
		}
	}
	d.add("token issuer", "fail", fmt.Sprintf("iss %s rejected (%s)", tok.Issuer, strings.Join(reasons, "; ")), fix)
}

func (d *doctor) checkDeployment(ctx context.Context, sess *workos.Session, withAuth bool) {
	cfg := d.a.cfg
	if cfg.ConvexURL == "" {
		d.add("deployment", "skip", "no CONVEX_URL", "set CONVEX_URL")
		return
	}
	c, err := client.New(cfg.ConvexURL)
	if err != nil {
		d.add("deployment", "fail", err.Error(), "")
		return
	}
	defer c.Close()
	wait := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()

	connected := make(chan struct{})
	var closed bool
	stopConn := c.WatchConnectionState(func(s client.ConnectionState) {
		if s.HasEverConnected && !closed {
			closed = true
			close(connected)
		}
	})
	defer stopConn()
	select {
	case <-connected:
		d.add("deployment", "ok", "connected to "+cfg.ConvexURL, "")
	case <-wctx.Done():
		d.add("deployment", "fail", "could not connect to "+cfg.ConvexURL, "check CONVEX_URL and the network")
		return
	}
	if !withAuth {
		d.add("deployment auth", "skip", "not signed in", "")
		return
	}
	if err := d.a.checkTrusted(d.saved); err != nil {
		d.add("deployment auth", "fail",
			fmt.Sprintf("%s %s comes from %s and is not trusted with the session: no token sent", d.a.convexURLVar, cfg.ConvexURL, d.a.convexURLFile),
			"if it is yours: goconvex trust "+cfg.ConvexURL+" (or pass --convex-url)")
		return
	}
	// Present the token we hold, and only it: a rejection is the answer,
	// and no refresh runs behind the report's back.
	tok, err := sess.Token(ctx, false)
	if err != nil {
		d.add("deployment auth", "fail", "no token: "+err.Error(), "goconvex login")
		return
	}
	c.SetAuth(client.TokenProviderFunc(func(ctx context.Context, forceRefresh bool) (string, error) {
		if forceRefresh {
			return "", client.ErrSignedOut
		}
		return tok.AccessToken, nil
	}))
	settled := make(chan client.AuthState, 1)
	stopAuth := c.WatchAuth(func(s client.AuthState) {
		if !s.IsLoading && !s.IsRefreshing {
			select {
			case settled <- s:
			default:
			}
		}
	})
	defer stopAuth()
	select {
	case s := <-settled:
		if s.IsAuthenticated {
			d.add("deployment auth", "ok", "the deployment accepted the token", "")
			return
		}
	case <-wctx.Done():
	}
	if c.AuthState().IsAuthenticated {
		d.add("deployment auth", "ok", "the deployment accepted the token", "")
		return
	}
	d.add("deployment auth", "fail", "the deployment did not accept the token",
		"check convex/auth.config.ts (issuer, applicationID, jwks) and run npx convex dev to push it")
}
