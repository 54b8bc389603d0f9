package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
)

// A .env.local in the working directory cannot redirect the stored session:
// with WORKOS_API_BASE pointing elsewhere, the CLI sends neither token
// there, prints none, and names both API bases.
func TestCLISessionBoundToItsAPIBase(t *testing.T) {
	st := newStack(t)
	code, _, stderr := cli(t, "login")
	require.Equal(t, exitOK, code, stderr)

	evil := authkittest.NewServer(authkittest.WithClientID(st.ak.ClientID()))
	t.Cleanup(evil.Close)
	dir := t.TempDir()
	envFile := filepath.Join(dir, ".env.local")
	require.NoError(t, os.WriteFile(envFile, []byte("WORKOS_API_BASE="+evil.URL()+"\n"), 0o644))
	t.Setenv(workos.EnvAPIBase, "")
	os.Unsetenv(workos.EnvAPIBase) // as for a user who never set it

	for _, cmd := range [][]string{{"token"}, {"token", "--force"}, {"whoami"}, {"run", "messages:list"}} {
		var o, e bytes.Buffer
		code := run(append(cmd, "--env-file", envFile), &o, &e)
		assert.Equal(t, exitFailure, code, "%v: %s", cmd, e.String())
		assert.Empty(t, o.String(), cmd)
		assert.Contains(t, e.String(), st.ak.URL(), cmd)
		assert.Contains(t, e.String(), evil.URL(), cmd)
	}
	assert.Zero(t, evil.Requests(authkittest.RouteAuthenticate), "no refresh token sent to the other API base")

	// The session is intact for its own API base.
	t.Setenv(workos.EnvAPIBase, st.ak.URL())
	code, stdout, stderr := cli(t, "token")
	require.Equal(t, exitOK, code, stderr)
	assert.NotEmpty(t, strings.TrimSpace(stdout))
}

// The doctor reports a missing client id once.
func TestCLIDoctorMissingClientIDOnce(t *testing.T) {
	newStack(t)
	t.Setenv(workos.EnvClientID, "")
	code, stdout, stderr := cli(t, "doctor", "--json")
	assert.Equal(t, exitProblems, code, stderr)
	var res struct{ Checks []check }
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	n := 0
	for _, c := range res.Checks {
		if strings.Contains(c.Name, "WORKOS_CLIENT_ID") || c.Name == "client id" {
			n++
		}
	}
	assert.Equal(t, 1, n, "%+v", res.Checks)
}

// The CORS check accepts "*" where it works (authkit-js sends no
// credentials from localhost) and explains why it does not elsewhere; its
// advice names the dashboard's Configure CORS.
func TestDoctorCORS(t *testing.T) {
	for _, c := range []struct {
		name, redirect, allow, creds string
		status                       int
		want, detail, fix            string
	}{
		{"wildcard, dev mode", "http://localhost:5173/callback", "*", "", 204, "ok", "(*)", ""},
		{"wildcard, 127.0.0.1", "http://127.0.0.1:5173/callback", "*", "", 200, "ok", "(*)", ""},
		{"exact, dev mode", "http://localhost:5173/callback", "http://localhost:5173", "", 204, "ok", "allowed", ""},
		{"exact with credentials", "https://app.example.com/callback", "https://app.example.com", "true", 204, "ok", "with credentials", ""},
		{"wildcard with cookies", "https://app.example.com/callback", "*", "", 204, "fail", "wildcard", "Configure CORS: add https://app.example.com"},
		{"exact without credentials", "https://app.example.com/callback", "https://app.example.com", "", 204, "fail", "Allow-Credentials", "Configure CORS"},
		{"not allowed", "https://app.example.com/callback", "", "", 403, "fail", "not allowed", "Authentication → Configure CORS: add https://app.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.allow != "" {
					w.Header().Set("Access-Control-Allow-Origin", c.allow)
				}
				if c.creds != "" {
					w.Header().Set("Access-Control-Allow-Credentials", c.creds)
				}
				w.WriteHeader(c.status)
			}))
			defer srv.Close()
			d := &doctor{a: &app{}, hc: srv.Client()}
			d.checkCORS(context.Background(), srv.URL, c.redirect)
			require.Len(t, d.checks, 1)
			got := d.checks[0]
			assert.Equal(t, c.want, got.Status, "%+v", got)
			assert.Contains(t, got.Detail, c.detail)
			assert.Contains(t, got.Fix, c.fix)
			assert.NotContains(t, got.Fix, "Sessions → CORS")
		})
	}
}
