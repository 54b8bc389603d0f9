package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/internal/httpsurl"
)

// Environment variables of the CLI's own settings.
const (
	envConvexURL   = "CONVEX_URL"
	envRedirectURI = "WORKOS_REDIRECT_URI"
)

// config is what a command works with: the WorkOS environment, the
// deployment, and the app's redirect URI (doctor checks the issuer's CORS
// list for its origin).
type config struct {
	workos.Config
	ConvexURL   string
	RedirectURI string
}

// configFromEnv reads the configuration from the environment.
func configFromEnv() config {
	return config{
		Config:      workos.ConfigFromEnv(),
		ConvexURL:   strings.TrimSpace(os.Getenv(envConvexURL)),
		RedirectURI: strings.TrimSpace(os.Getenv(envRedirectURI)),
	}
}

// publicClient is the WorkOS configuration of the CLI's sessions: a public
// client, which does not send the API key with its refreshes.
func (c config) publicClient() workos.Config {
	p := c.Config
	p.APIKey = ""
	return p
}

// Validate returns every problem of the configuration, joined (errors.As
// finds each *workos.ConfigError): workos.Config's, then a Convex URL that
// is not an http(s) URL or uses plain http off loopback, and a redirect
// URI that is not absolute or uses plain http off loopback. Empty
// optional values are not problems.
func (c config) Validate() error {
	errs := []error{c.Config.Validate()}
	if c.ConvexURL != "" {
		if err := httpsurl.Check(c.ConvexURL); err != nil {
			errs = append(errs, &workos.ConfigError{Var: envConvexURL, Problem: err.Error() + " (expected e.g. https://happy-animal-123.convex.cloud)"})
		}
	}
	if c.RedirectURI != "" {
		u, err := url.Parse(c.RedirectURI)
		switch {
		case err != nil:
			errs = append(errs, &workos.ConfigError{Var: envRedirectURI, Problem: fmt.Sprintf("%q is not a URL: %v", c.RedirectURI, err)})
		case !u.IsAbs() || u.Host == "":
			errs = append(errs, &workos.ConfigError{Var: envRedirectURI, Problem: fmt.Sprintf("%q is not absolute (expected e.g. http://localhost:5173/callback)", c.RedirectURI)})
		case u.Scheme == "http" && !httpsurl.IsLoopbackHost(u.Hostname()):
			errs = append(errs, &workos.ConfigError{Var: envRedirectURI, Problem: fmt.Sprintf("%q uses plain http to a host that is not loopback; use https (plain http is only allowed for localhost, 127.0.0.0/8 and ::1)", c.RedirectURI)})
		}
	}
	return errors.Join(errs...)
}
