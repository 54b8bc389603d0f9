package workos

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/goconvex/convex/internal/httpsurl"
)

// DefaultAPIBase is the WorkOS API.
const DefaultAPIBase = "https://api.workos.com"

// Environment variable names, as the WorkOS SDKs use them.
const (
	EnvClientID = "WORKOS_CLIENT_ID"
	EnvAPIKey   = "WORKOS_API_KEY"
	EnvAPIBase  = "WORKOS_API_BASE"
)

// Config is how a program reaches a WorkOS environment: every function and
// type of this package that calls the API takes one.
type Config struct {
	// ClientID is the environment's client id (client_…),
	// WORKOS_CLIENT_ID. Required.
	ClientID string
	// APIKey is the API key (sk_…), WORKOS_API_KEY: server-side programs
	// only. When set it is sent as client_secret on the refresh and
	// authorization-code grants (a confidential client); the password
	// grant and RevokeSession require it.
	APIKey string
	// APIBase is the WorkOS API, WORKOS_API_BASE; DefaultAPIBase when
	// empty. Point it at a custom authentication domain or a local issuer
	// (authkittest): https, or http on a loopback host.
	APIBase string
	// HTTPClient sends the requests; a client with a 30 s timeout when
	// nil.
	HTTPClient *http.Client
}

// ConfigFromEnv reads ClientID, APIKey and APIBase from the environment.
func ConfigFromEnv() Config {
	return Config{
		ClientID: strings.TrimSpace(os.Getenv(EnvClientID)),
		APIKey:   strings.TrimSpace(os.Getenv(EnvAPIKey)),
		APIBase:  strings.TrimSpace(os.Getenv(EnvAPIBase)),
	}
}

// APIBaseOrDefault returns APIBase, or DefaultAPIBase when it is empty.
func (c Config) APIBaseOrDefault() string {
	if c.APIBase == "" {
		return DefaultAPIBase
	}
	return c.APIBase
}

// ConfigError is one problem with a Config.
type ConfigError struct {
	// Var is the environment variable at fault (WORKOS_CLIENT_ID, …).
	Var string
	// Problem says what is wrong, without repeating secret values.
	Problem string
}

// Error names the variable and the problem.
func (e *ConfigError) Error() string { return e.Var + ": " + e.Problem }

// Validate checks the configuration and returns every problem found,
// joined (errors.As finds each *ConfigError): a missing client id or one
// without the client_ prefix, an API key without the sk_ prefix, and an
// API base that is not an http(s) URL, or plain http to a host that is not
// loopback (tokens go there: TLS, or this machine only). An empty API key
// or API base is not a problem.
func (c Config) Validate() error {
	var errs []error
	add := func(v, format string, args ...any) {
		errs = append(errs, &ConfigError{Var: v, Problem: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.ClientID == "":
		add(EnvClientID, "is not set (copy the client id, client_…, from the WorkOS dashboard)")
	case !strings.HasPrefix(c.ClientID, "client_"):
		if strings.HasPrefix(c.ClientID, "sk_") {
			add(EnvClientID, "holds an API key (sk_…); the client id starts with client_")
		} else {
			add(EnvClientID, "%q does not start with client_", c.ClientID)
		}
	}
	if c.APIKey != "" && !strings.HasPrefix(c.APIKey, "sk_") {
		if strings.HasPrefix(c.APIKey, "client_") {
			add(EnvAPIKey, "holds a client id (client_…); the API key starts with sk_")
		} else {
			add(EnvAPIKey, "does not start with sk_")
		}
	}
	if c.APIBase != "" {
		if err := httpsurl.Check(c.APIBase); err != nil {
			add(EnvAPIBase, "%v (expected e.g. %s)", err, DefaultAPIBase)
		}
	}
	return errors.Join(errs...)
}

// httpClient is the client of API calls.
func (c Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient
}

// defaultHTTPClient sends the API calls of a Config without HTTPClient.
var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

// apiBase is APIBaseOrDefault without trailing slashes.
func (c Config) apiBase() string { return strings.TrimRight(c.APIBaseOrDefault(), "/") }

// checkAPI checks what every call needs: a client id and an API base
// tokens may be sent to.
func (c Config) checkAPI() error {
	if err := httpsurl.Check(c.APIBaseOrDefault()); err != nil {
		return fmt.Errorf("workos: Config.APIBase (%s): %w", EnvAPIBase, err)
	}
	if c.ClientID == "" {
		return errors.New("workos: Config.ClientID is required")
	}
	return nil
}
