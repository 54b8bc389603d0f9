package dotenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	for _, k := range []string{"WORKOS_CLIENT_ID", "WORKOS_API_KEY", "WORKOS_REDIRECT_URI", "WORKOS_COOKIE_PASSWORD", "WORKOS_API_BASE"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	t.Setenv("CONVEX_URL", "https://from-env.convex.cloud") // already set: wins over .env
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
	require.NoError(t, Load(path))

	for k, want := range map[string]string{
		"WORKOS_CLIENT_ID":       "client_01ABC",
		"WORKOS_API_KEY":         "sk_test_123",
		"WORKOS_REDIRECT_URI":    "http://localhost:5173/callback",
		"WORKOS_COOKIE_PASSWORD": `a "quoted" password with #hash and spaces!!`,
		"CONVEX_URL":             "https://from-env.convex.cloud",
		"WORKOS_API_BASE":        "",
	} {
		got, set := os.LookupEnv(k)
		assert.True(t, set, k)
		assert.Equal(t, want, got, k)
	}

	err := Load(filepath.Join(t.TempDir(), "missing.env"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestParse(t *testing.T) {
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
