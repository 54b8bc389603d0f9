package workos

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvClientID, " client_01ABC ")
	t.Setenv(EnvAPIKey, "sk_test_123")
	t.Setenv(EnvAPIBase, "")
	cfg := ConfigFromEnv()
	assert.Equal(t, Config{ClientID: "client_01ABC", APIKey: "sk_test_123"}, cfg)
	assert.NoError(t, cfg.Validate())
	assert.Equal(t, DefaultAPIBase, cfg.APIBaseOrDefault())
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
		{"bad API base", func(c *Config) { c.APIBase = "ftp://x" }, []string{EnvAPIBase}, "is not an http(s) URL"},
		{"plain http API base", func(c *Config) { c.APIBase = "http://api.workos.example" }, []string{EnvAPIBase}, "plain http"},
		{"several at once", func(c *Config) { c.ClientID = "x"; c.APIBase = "x" },
			[]string{EnvClientID, EnvAPIBase}, ""},
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
	for _, u := range []string{"http://127.0.0.1:3211", "http://localhost:3210", "http://[::1]:3000"} {
		c := good
		c.APIBase = u
		assert.NoError(t, c.Validate(), u)
	}
	// The API key's value is never echoed.
	c := good
	c.APIKey = "secret-ish"
	assert.NotContains(t, c.Validate().Error(), "secret-ish")
}
