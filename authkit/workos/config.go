//go:build !js

package authkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// DefaultAPIBase is the WorkOS API.
const DefaultAPIBase = "https://api.workos.com"

// Environment variable names, as the seed project and the WorkOS SDKs use
// them.
const (
	EnvClientID       = "WORKOS_CLIENT_ID"
	EnvAPIKey         = "WORKOS_API_KEY"
	EnvRedirectURI    = "WORKOS_REDIRECT_URI"
	EnvCookiePassword = "WORKOS_COOKIE_PASSWORD"
	EnvConvexURL      = "CONVEX_URL"
	EnvAPIBase        = "WORKOS_API_BASE"
)

// Config is the AuthKit configuration of an app, read from the environment.
type Config struct {
	// ClientID is WORKOS_CLIENT_ID (client_…). Required.
	ClientID string
	// APIKey is WORKOS_API_KEY (sk_…): server-side programs only.
	APIKey string
	// RedirectURI is WORKOS_REDIRECT_URI: where AuthKit sends the browser
	// back after sign-in. Must be absolute.
	RedirectURI string
	// CookiePassword is WORKOS_COOKIE_PASSWORD, the key sealing session
	// cookies: at least 32 characters.
	CookiePassword string
	// ConvexURL is CONVEX_URL, the deployment (https://….convex.cloud).
	ConvexURL string
	// APIBase is WORKOS_API_BASE, DefaultAPIBase when unset: a custom
	// authentication domain or a local issuer.
	APIBase string
}

// ConfigFromEnv reads the configuration from the environment. Call
// LoadDotEnv first to take a .env file into account.
func ConfigFromEnv() Config {
	return Config{
		ClientID:       strings.TrimSpace(os.Getenv(EnvClientID)),
		APIKey:         strings.TrimSpace(os.Getenv(EnvAPIKey)),
		RedirectURI:    strings.TrimSpace(os.Getenv(EnvRedirectURI)),
		CookiePassword: os.Getenv(EnvCookiePassword),
		ConvexURL:      strings.TrimSpace(os.Getenv(EnvConvexURL)),
		APIBase:        strings.TrimSpace(os.Getenv(EnvAPIBase)),
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

// minCookiePassword is the length iron sealing requires.
const minCookiePassword = 32

// Validate checks the configuration and returns every problem found,
// joined (errors.As finds each *ConfigError): a missing client id or one
// without the client_ prefix, an API key without the sk_ prefix, a redirect
// URI that is not absolute, a cookie password under 32 characters, a Convex
// URL or API base that is not an http(s) URL, and plain http to a host
// that is not loopback in the redirect URI, the Convex URL or the API base
// (tokens go there: TLS, or this machine only). Empty optional fields are
// not problems.
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
	if c.RedirectURI != "" {
		u, err := url.Parse(c.RedirectURI)
		switch {
		case err != nil:
			add(EnvRedirectURI, "%q is not a URL: %v", c.RedirectURI, err)
		case !u.IsAbs() || u.Host == "":
			add(EnvRedirectURI, "%q is not absolute (expected e.g. http://localhost:5173/callback)", c.RedirectURI)
		case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
			add(EnvRedirectURI, "%q uses plain http to a host that is not loopback; use https (plain http is only allowed for localhost, 127.0.0.0/8 and ::1)", c.RedirectURI)
		}
	}
	if c.CookiePassword != "" && len([]rune(c.CookiePassword)) < minCookiePassword {
		add(EnvCookiePassword, "is %d characters long; it must be at least %d (try: openssl rand -base64 32)",
			len([]rune(c.CookiePassword)), minCookiePassword)
	}
	checkHTTP := func(v, s, example string) {
		if s == "" {
			return
		}
		u, err := url.Parse(s)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			add(v, "%q is not an http(s) URL (expected e.g. %s)", s, example)
		case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
			// Tokens are sent there: only over TLS, or on this machine.
			add(v, "%q uses plain http to a host that is not loopback; use https (expected e.g. %s; plain http is only allowed for localhost, 127.0.0.0/8 and ::1)", s, example)
		}
	}
	checkHTTP(EnvConvexURL, c.ConvexURL, "https://happy-animal-123.convex.cloud")
	checkHTTP(EnvAPIBase, c.APIBase, DefaultAPIBase)
	return errors.Join(errs...)
}

// LoadDotEnv reads KEY=VALUE lines from the file at path into the process
// environment, without overriding variables that are already set (even to
// the empty string). Blank lines and lines starting with # are skipped; an
// "export " prefix is allowed; values may be double-quoted (with \n, \t,
// \", \\ escapes), single-quoted (literal), or bare (trailing " # comment"
// removed, spaces trimmed). A missing file is an error matching
// fs.ErrNotExist.
func LoadDotEnv(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	vars, err := parseDotEnv(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, kv := range vars {
		if _, set := os.LookupEnv(kv[0]); set {
			continue
		}
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return fmt.Errorf("%s: setting %s: %w", path, kv[0], err)
		}
	}
	return nil
}

// parseDotEnv parses a .env file into ordered key/value pairs.
func parseDotEnv(r io.Reader) ([][2]string, error) {
	var out [][2]string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validEnvName(key) {
			return nil, fmt.Errorf("line %d: expected KEY=VALUE", n)
		}
		v, err := dotEnvValue(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, key, err)
		}
		out = append(out, [2]string{key, v})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func validEnvName(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9' || i > 0 && r == '.') {
			return false
		}
	}
	return true
}

func dotEnvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", errors.New("unterminated single quote")
		}
		if rest := strings.TrimSpace(v[end+2:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", errors.New("text after the closing quote")
		}
		return v[1 : end+1], nil
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"':
				if rest := strings.TrimSpace(v[i+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
					return "", errors.New("text after the closing quote")
				}
				return b.String(), nil
			case c == '\\' && i+1 < len(v):
				i++
				switch v[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default: // \" \\ \$ and anything else: the character itself
					b.WriteByte(v[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New("unterminated double quote")
	}
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			v = v[:i]
			break
		}
	}
	return strings.TrimSpace(v), nil
}
