package authkittest

import (
	"crypto/rsa"
	"strings"
	"time"
)

// DefaultClientID is the client id a Server uses unless WithClientID sets
// another. It has the shape of a real one: "client_" and a 26-character
// ULID.
const DefaultClientID = "client_01TESTC11ENT00000000000000"

// Defaults of the timing options.
const (
	DefaultTokenLifetime  = 300 * time.Second // WithTokenLifetime
	DefaultReplayWindow   = 30 * time.Second  // WithReplayWindow
	DefaultDeviceInterval = 5 * time.Second   // WithDeviceInterval
	// CodeLifetime is how long an authorization code stays redeemable.
	CodeLifetime = 10 * time.Minute
	// DeviceCodeLifetime is how long a device authorization stays usable
	// (the expires_in of POST /user_management/authorize/device).
	DeviceCodeLifetime = 5 * time.Minute
	// slowDownStep is what a slow_down answer adds to a device code's
	// polling interval (RFC 8628 §3.5).
	slowDownStep = 5 * time.Second
)

// IssuerMode chooses the "iss" (and "aud") of the user access tokens a
// Server mints, so that both of the providers a Convex auth.config lists
// for WorkOS can be exercised. Any value other than the two constants is
// used verbatim as the issuer (a custom authentication domain such as
// "https://auth.example.com"), without an "aud" claim.
type IssuerMode string

const (
	// IssuerPerClient is the issuer of WorkOS environments created since
	// mid-2025: "https://api.workos.com/user_management/<clientId>", with
	// no "aud" claim. Convex matches it with the provider that has this
	// issuer and no applicationID. It is the default.
	IssuerPerClient IssuerMode = "per-client"
	// IssuerLegacy is the issuer of older environments,
	// "https://api.workos.com/", with "aud" set to the client id (as a JWT
	// template adds it). Convex matches it with the provider whose
	// applicationID is the client id.
	IssuerLegacy IssuerMode = "legacy"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	addr           string
	clientID       string
	lifetime       time.Duration
	issuerMode     IssuerMode
	clock          func() time.Time
	redirectURIs   []string
	corsOrigins    []string
	users          []User
	usersSet       bool
	autoApprove    string
	apiKey         string
	m2m            []M2MApp
	key            *rsa.PrivateKey
	replayWindow   time.Duration
	deviceInterval time.Duration
	homepage       string
	template       func(User) map[string]any
}

func defaultConfig() config {
	return config{
		addr:           "127.0.0.1:0",
		clientID:       DefaultClientID,
		lifetime:       DefaultTokenLifetime,
		issuerMode:     IssuerPerClient,
		clock:          time.Now,
		replayWindow:   DefaultReplayWindow,
		deviceInterval: DefaultDeviceInterval,
	}
}

// WithAddr makes the server listen on addr (for instance "127.0.0.1:3211")
// instead of a free loopback port.
func WithAddr(addr string) Option {
	return func(c *config) { c.addr = addr }
}

// WithClientID sets the environment's client id (default DefaultClientID).
// Requests naming another client id are refused.
func WithClientID(id string) Option {
	return func(c *config) { c.clientID = id }
}

// WithTokenLifetime sets the lifetime (exp - iat) of the access tokens the
// server mints (default 300 s, WorkOS's default). Convex does not schedule
// refetches for lifetimes of 2 s or less.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.lifetime = d
		}
	}
}

// WithIssuerMode chooses the access tokens' issuer (default
// IssuerPerClient); see IssuerMode.
func WithIssuerMode(m IssuerMode) Option {
	return func(c *config) {
		if m != "" {
			c.issuerMode = m
		}
	}
}

// WithClock replaces time.Now for everything time-dependent: token iat and
// exp, code and device code expiry, the refresh replay window, device
// polling intervals and user timestamps.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithRedirectURIs adds redirect URIs to the allowlist. authorize accepts a
// redirect_uri only when it equals one of them exactly. The list starts
// empty.
func WithRedirectURIs(uris ...string) Option {
	return func(c *config) { c.redirectURIs = append(c.redirectURIs, uris...) }
}

// WithCORSOrigins adds origins (scheme://host[:port]) that may call the API
// from a browser. Responses to them carry Access-Control-Allow-Origin with
// the exact origin and Access-Control-Allow-Credentials: true.
func WithCORSOrigins(origins ...string) Option {
	return func(c *config) { c.corsOrigins = append(c.corsOrigins, origins...) }
}

// WithUsers sets the users who can sign in. Without this option the server
// has one user, DemoUser. A user without an ID or Email is an error
// (NewServer panics).
func WithUsers(users ...User) Option {
	return func(c *config) {
		c.users = append(c.users, users...)
		c.usersSet = true
	}
}

// WithAutoApprove makes authorize sign in without a login form: as the user
// named by the login_hint parameter when there is such a user, else as the
// user with this id.
func WithAutoApprove(userID string) Option {
	return func(c *config) { c.autoApprove = userID }
}

// WithAPIKey sets the environment's API key ("sk_..."). It is the bearer
// token the admin endpoints require and, as at WorkOS, the client_secret of
// the confidential grants: the password grant needs it, and an
// authorization code issued without a PKCE challenge can only be redeemed
// with it. Without an API key those grants and endpoints are refused.
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKey = key }
}

// WithM2MApps registers machine-to-machine applications for the
// client_credentials grant on POST /oauth2/token.
func WithM2MApps(apps ...M2MApp) Option {
	return func(c *config) { c.m2m = append(c.m2m, apps...) }
}

// WithSigningKey pins the RSA key (2048 bits or more) tokens are signed
// with, so the key id and the JWKS stay the same across runs (a Convex
// auth.config can then embed JWKSDataURL). Without it the server generates
// an RSA-2048 key.
func WithSigningKey(key *rsa.PrivateKey) Option {
	return func(c *config) { c.key = key }
}

// WithReplayWindow sets how long after a refresh token was exchanged the
// same token may be presented again and get the same new pair back
// (default 30 s). After it, reuse fails with invalid_grant "Refresh token
// already exchanged.". Zero disables the grace.
func WithReplayWindow(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.replayWindow = d
		}
	}
}

// WithDeviceInterval sets the polling interval device authorizations
// announce (default 5 s), in whole seconds. Polls closer together than the
// interval get slow_down, which adds 5 s to that device code's interval. A
// value under one second announces 0 and disables slow_down.
func WithDeviceInterval(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.deviceInterval = d.Truncate(time.Second)
		}
	}
}

// WithHomepageURL sets the app homepage logout redirects to when it has no
// acceptable return_to (default: the server's own "/" page).
func WithHomepageURL(u string) Option {
	return func(c *config) { c.homepage = u }
}

// WithJWTTemplate adds claims to every user access token, as a WorkOS JWT
// template does (for example {"name": …, "email": …}, which Convex then
// exposes on the identity). Registered claims (iss, sub, sid, jti, iat, exp,
// aud) and organization claims are not overridden.
func WithJWTTemplate(claims func(User) map[string]any) Option {
	return func(c *config) { c.template = claims }
}

// NameEmailTemplate is a JWT template that adds the user's name and email.
func NameEmailTemplate(u User) map[string]any {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Email
	}
	return map[string]any{"name": name, "email": u.Email, "email_verified": true}
}
