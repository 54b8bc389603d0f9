package workos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/httpsurl"
)

// ClientCredentialsConfig configures a ClientCredentialsSource: a WorkOS
// Connect machine-to-machine application (docs/auth.md, "Client
// credentials"; WorkOS docs "authkit/connect/m2m").
type ClientCredentialsConfig struct {
	// AuthKitDomain is the AuthKit domain that issues the tokens
	// (https://<subdomain>.authkit.app, or a custom domain); tokens come
	// from <AuthKitDomain>/oauth2/token and their iss is AuthKitDomain.
	AuthKitDomain string
	// ClientID is the M2M application's client id (not the
	// environment's).
	ClientID string
	// ClientSecret is the M2M application's secret.
	ClientSecret string
	// Scopes to ask for; none asks for all the application's scopes.
	Scopes []string
	// HTTPClient sends the requests; a client with a 30 s timeout when
	// nil.
	HTTPClient *http.Client
}

// ClientCredentialsSource is an authkit.TokenSource for a machine identity: it gets
// access tokens with the client_credentials grant, hands out the cached
// one while it is fresh (the same refresh buffer as Session) and fetches
// a new one before it expires or when forced. Rejected credentials
// (invalid_client, 401, another 4xx) give an error matching
// authkit.ErrSignedOut; network trouble and 408/429/5xx one matching
// authkit.ErrTransient. There is no
// refresh token and nothing to store. It is safe for concurrent use;
// concurrent fetches share one request.
//
// Wrap it in an authkit.Provider for a Convex client, and declare the
// issuer in the deployment's auth.config.ts with M2MConvexProvider.
type ClientCredentialsSource struct {
	cfg ClientCredentialsConfig
	hc  *http.Client
	now func() time.Time

	// sem is held while fetching, so concurrent callers share the result;
	// waiting for it honours the caller's ctx. It guards cur.
	sem chan struct{}
	cur *authkit.Token
}

// NewClientCredentialsSource returns a ClientCredentialsSource. It fetches
// nothing until the first Token call.
func NewClientCredentialsSource(cfg ClientCredentialsConfig) (*ClientCredentialsSource, error) {
	return newClientCredentialsSource(cfg, time.Now)
}

func newClientCredentialsSource(cfg ClientCredentialsConfig, now func() time.Time) (*ClientCredentialsSource, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("workos: ClientCredentialsConfig needs ClientID and ClientSecret")
	}
	if err := httpsurl.Check(cfg.AuthKitDomain); err != nil {
		return nil, fmt.Errorf("workos: ClientCredentialsConfig.AuthKitDomain: %w", err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	return &ClientCredentialsSource{cfg: cfg, hc: hc, now: now, sem: make(chan struct{}, 1)}, nil
}

// Token returns a fresh access token; see ClientCredentialsSource.
//
// A caller waiting for another's fetch gives up when its ctx ends, with an
// error matching authkit.ErrTransient.
func (c *ClientCredentialsSource) Token(ctx context.Context, forceRefresh bool) (*authkit.Token, error) {
	unlock, err := acquire(ctx, c.sem)
	if err != nil {
		return nil, transient(err)
	}
	defer unlock()
	if !forceRefresh && fresh(c.cur, c.now()) {
		t := *c.cur
		return &t, nil
	}
	var rejected string
	if c.cur != nil {
		rejected = c.cur.AccessToken
	}
	tok, err := c.fetch(ctx)
	if err != nil {
		if ae, ok := errors.AsType[*APIError](err); ok && !ae.Transient() {
			c.cur = nil
			return nil, &authkit.SignedOutError{Err: err}
		}
		if !forceRefresh && c.cur.Valid(c.now()) {
			t := *c.cur
			return &t, nil
		}
		return nil, transient(err)
	}
	if forceRefresh && tok.AccessToken == rejected {
		return nil, transient(errSameToken)
	}
	c.cur = tok
	t := *tok
	return &t, nil
}

func (c *ClientCredentialsSource) fetch(ctx context.Context) (*authkit.Token, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	}
	if len(c.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(c.cfg.Scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.cfg.AuthKitDomain, "/")+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a, err := sendAPI(c.hc, req)
	if err != nil {
		return nil, err
	}
	data, err := a.okBody(c.now)
	if err != nil {
		return nil, err
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(data, &body); err != nil || body.AccessToken == "" {
		return nil, errMalformedResponse{"no access_token"}
	}
	tok, err := authkit.ParseToken(body.AccessToken)
	if err != nil {
		return nil, errMalformedResponse{"access_token is not a JWT"}
	}
	return tok, nil
}

// M2MConvexProvider returns the third auth.config.ts provider a Convex
// deployment needs to accept client_credentials tokens: issuer
// authkitDomain, key set <authkitDomain>/oauth2/jwks, RS256, and
// applicationID the environment's client id (the tokens' aud, which is
// what ties the shared-looking issuer to this environment; WorkOS docs
// "authkit/connect/token-claims").
func M2MConvexProvider(authkitDomain, environmentClientID string) customjwt.Provider {
	d := strings.TrimRight(authkitDomain, "/")
	return customjwt.Provider{
		Type:          customjwt.TypeCustomJWT,
		Issuer:        d,
		JWKS:          d + "/oauth2/jwks",
		Algorithm:     customjwt.RS256,
		ApplicationID: environmentClientID,
	}
}
