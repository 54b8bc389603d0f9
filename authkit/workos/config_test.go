package authkit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func clearConfigEnv(t *testing.T) {
	for _, k := range []string{EnvClientID, EnvAPIKey, EnvRedirectURI, EnvCookiePassword, EnvConvexURL, EnvAPIBase} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
}

func TestConfigFromEnvAndDotEnv(t *testing.T) {
	clearConfigEnv(t)
	t.Setenv(EnvConvexURL, "https://from-env.convex.cloud") // already set: wins over .env
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join([]string{
		"# WorkOS",
		"",
		"WORKOS_CLIENT_ID=client_01ABC   # inline comment",
		`export WORKOS_API_KEY="sk_test_123"`,
		`WORKOS_REDIRECT_URI='http://localhost:5173/callback'`,
		`WORKOS_COOKIE_PASSWORD="a \"quoted\" password with #hash and spaces!!"`,
		"CONVEX_URL=https://from-file.convex.cloud",
		"WORKOS_API_BASE=",
	}, "\n")), 0o600))
	require.NoError(t, LoadDotEnv(path))

	cfg := ConfigFromEnv()
	assert.Equal(t, Config{
		ClientID:       "client_01ABC",
		APIKey:         "sk_test_123",
		RedirectURI:    "http://localhost:5173/callback",
		CookiePassword: `a "quoted" password with #hash and spaces!!`,
		ConvexURL:      "https://from-env.convex.cloud",
	}, cfg)
	assert.NoError(t, cfg.Validate())
	assert.Equal(t, DefaultAPIBase, cfg.APIBaseOrDefault())

	err := LoadDotEnv(filepath.Join(t.TempDir(), "missing.env"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestParseDotEnv(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][2]string
		err  string
	}{
		{"A=1\nB = two words \n", [][2]string{{"A", "1"}, {"B", "two words"}}, ""},
		{"A=x#not-a-comment\nB=y\t# comment", [][2]string{{"A", "x#not-a-comment"}, {"B", "y"}}, ""},
		{`A="line\nbreak\t\\"`, [][2]string{{"A", "line\nbreak\t\\"}}, ""},
		{`A='no \n escapes'`, [][2]string{{"A", `no \n escapes`}}, ""},
		{`A="" # empty`, [][2]string{{"A", ""}}, ""},
		{"\ufeffA=bom", [][2]string{{"A", "bom"}}, ""},
		{"A=1\r\n", [][2]string{{"A", "1"}}, ""},
		{"just a line", nil, "line 1: expected KEY=VALUE"},
		{"1A=x", nil, "line 1"},
		{"A=\"open", nil, "unterminated double quote"},
		{"A='open", nil, "unterminated single quote"},
		{`A="x" y`, nil, "text after the closing quote"},
	} {
		got, err := parseDotEnv(strings.NewReader(tc.in))
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{ClientID: "client_01ABC"}
	require.NoError(t, good.Validate(), "only the client id is required")

	for _, tc := range []struct {
		name string
		mod  func(*Config)
		vars []string
		text string
	}{
		{"missing client id", func(c *Config) { c.ClientID = "" }, []string{EnvClientID}, "is not set"},
		{"client id without prefix", func(c *Config) { c.ClientID = "01ABC" }, []string{EnvClientID}, `"01ABC" does not start with client_`},
		{"API key as client id", func(c *Config) { c.ClientID = "sk_test_1" }, []string{EnvClientID}, "holds an API key"},
		{"client id as API key", func(c *Config) { c.APIKey = "client_01ABC" }, []string{EnvAPIKey}, "holds a client id"},
		{"short cookie password", func(c *Config) { c.CookiePassword = "hunter2" }, []string{EnvCookiePassword}, "is 7 characters long; it must be at least 32"},
		{"relative redirect URI", func(c *Config) { c.RedirectURI = "/callback" }, []string{EnvRedirectURI}, "is not absolute"},
		{"schemeless redirect URI", func(c *Config) { c.RedirectURI = "localhost:5173/callback" }, []string{EnvRedirectURI}, "is not absolute"},
		{"bad Convex URL", func(c *Config) { c.ConvexURL = "happy-animal-123.convex.cloud" }, []string{EnvConvexURL}, "is not an http(s) URL"},
		{"bad API base", func(c *Config) { c.APIBase = "ftp://x" }, []string{EnvAPIBase}, "is not an http(s) URL"},
		{"plain http API base", func(c *Config) { c.APIBase = "http://api.workos.example" }, []string{EnvAPIBase}, "plain http"},
		{"plain http Convex URL", func(c *Config) { c.ConvexURL = "http://happy-animal-123.convex.cloud" }, []string{EnvConvexURL}, "plain http"},
		{"plain http redirect URI", func(c *Config) { c.RedirectURI = "http://app.example.com/callback" }, []string{EnvRedirectURI}, "plain http"},
		{"several at once", func(c *Config) { c.ClientID = "x"; c.CookiePassword = "short" },
			[]string{EnvClientID, EnvCookiePassword}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mod(&c)
			err := c.Validate()
			require.Error(t, err)
			var vars []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *ConfigError
				require.True(t, errors.As(e, &ce))
				vars = append(vars, ce.Var)
			}
			assert.Equal(t, tc.vars, vars)
			assert.Contains(t, err.Error(), tc.text)
		})
	}

	// Plain http to loopback is fine (local stacks).
	for _, u := range []string{"http://127.0.0.1:3211", "http://localhost:3210", "http://[::1]:3000/callback"} {
		c := good
		c.APIBase, c.ConvexURL, c.RedirectURI = u, u, u
		assert.NoError(t, c.Validate(), u)
	}
	// A custom scheme redirect (desktop apps) is absolute.
	c := good
	c.RedirectURI = "myapp://callback"
	assert.NoError(t, c.Validate())
	// The password's value is never echoed.
	c = good
	c.CookiePassword = "secret-ish"
	assert.NotContains(t, c.Validate().Error(), "secret-ish")
}
