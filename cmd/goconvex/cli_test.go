package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/authstack"
	"github.com/goconvex/convex/internal/syncbuf"
)

const appOrigin = "http://127.0.0.1:5173"

// stackT is a devstack-like setup: an issuer and a deployment with the chat
// functions and the two WorkOS providers.
type stackT struct {
	ak *authkittest.Server
	cx *convextest.Server
}

func newStack(t *testing.T, akOpts ...authkittest.Option) *stackT {
	t.Helper()
	akOpts = append([]authkittest.Option{
		authkittest.WithAutoApprove(authkittest.DemoUser.ID),
		authkittest.WithCORSOrigins(appOrigin),
		authkittest.WithJWTTemplate(authkittest.NameEmailTemplate),
		authkittest.WithDeviceInterval(0),
	}, akOpts...)
	st := authstack.New(t, authstack.Options{Issuer: akOpts})
	ak, cx := st.Issuer, st.Deployment
	id := ak.ClientID()

	t.Setenv(workos.EnvClientID, id)
	t.Setenv(workos.EnvAPIBase, ak.URL())
	t.Setenv(envConvexURL, cx.URL())
	t.Setenv(envRedirectURI, appOrigin+"/callback")
	t.Setenv(workos.EnvAPIKey, "")
	t.Setenv(workos.EnvStoreDir, t.TempDir())

	openBrowser = func(ctx context.Context, u string) error {
		pu, err := url.Parse(u)
		if err != nil {
			return err
		}
		ak.AllowRedirectURI(pu.Query().Get("redirect_uri"))
		go func() {
			if resp, err := http.Get(u); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	onDeviceCode = func(dc workos.DeviceCode) {
		require.NoError(t, ak.ApproveDevice(dc.UserCode, authkittest.DemoUser.ID))
	}
	t.Cleanup(func() { openBrowser, onDeviceCode = workos.OpenBrowser, nil })
	return &stackT{ak: ak, cx: cx}
}

// cli runs the command line in process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append(args, "--env-file", filepath.Join(t.TempDir(), "none.env")), &o, &e)
	return code, o.String(), e.String()
}

func storeFile(t *testing.T) string {
	p, err := workos.DefaultStorePath(os.Getenv(workos.EnvClientID))
	require.NoError(t, err)
	return p
}

func TestCLIUsage(t *testing.T) {
	newStack(t)
	code, _, stderr := cli(t)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "Usage:")
	code, _, _ = cli(t, "frobnicate")
	assert.Equal(t, exitUsage, code)
	code, _, _ = cli(t, "run")
	assert.Equal(t, exitUsage, code)
	code, _, _ = cli(t, "run", "messages:list", "[1]")
	assert.Equal(t, exitUsage, code)
	code, _, _ = cli(t, "login", "--nope")
	assert.Equal(t, exitUsage, code)
	code, stdout, _ := cli(t, "help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "doctor")
}

func TestCLIFlow(t *testing.T) {
	st := newStack(t)

	// Signed out.
	code, _, stderr := cli(t, "whoami")
	assert.Equal(t, exitSignedOut, code, stderr)
	code, stdout, _ := cli(t, "token")
	assert.Equal(t, exitSignedOut, code)
	assert.Empty(t, stdout)

	// Browser login.
	code, stdout, stderr = cli(t, "login")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Signed in as demo@example.com")
	fi, err := os.Stat(storeFile(t))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	saved, err := workos.NewFileStore(storeFile(t)).Load(context.Background())
	require.NoError(t, err)
	secrets := []string{saved.AccessToken, saved.RefreshToken}

	// whoami, human and JSON; never a token.
	code, stdout, stderr = cli(t, "whoami")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "demo@example.com")
	assert.Contains(t, stdout, authkittest.DemoUser.ID)
	code, stdout, _ = cli(t, "whoami", "--json")
	require.Equal(t, exitOK, code)
	var who struct {
		User   workos.User    `json:"user"`
		Claims map[string]any `json:"claims"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &who))
	assert.Equal(t, authkittest.DemoUser.ID, who.Claims["sub"])
	assert.Equal(t, "demo@example.com", who.User.Email)
	for _, s := range secrets {
		assert.NotContains(t, stdout+stderr, s)
	}

	// token: a JWT on stdout, alone.
	code, stdout, _ = cli(t, "token")
	require.Equal(t, exitOK, code)
	tok, err := authkit.ParseToken(strings.TrimSpace(stdout))
	require.NoError(t, err)
	assert.Equal(t, authkittest.DemoUser.ID, tok.Subject)
	code, stdout2, _ := cli(t, "token", "--force")
	require.Equal(t, exitOK, code)
	assert.NotEqual(t, stdout, stdout2)

	// run: a mutation as the user, then the query.
	code, stdout, stderr = cli(t, "run", "--kind", "mutation", "messages:send", `{"body":"hello from the cli"}`)
	require.Equal(t, exitOK, code, stderr)
	assert.NotEmpty(t, strings.TrimSpace(stdout))
	code, stdout, _ = cli(t, "run", "messages:list", "--json")
	require.Equal(t, exitOK, code)
	var msgs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &msgs))
	require.Len(t, msgs, 1)
	assert.Equal(t, "hello from the cli", msgs[0]["body"])
	assert.Equal(t, "Demo User", msgs[0]["author"])
	code, stdout, _ = cli(t, "run", "users:viewer")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "demo@example.com")
	// Anonymous: the mutation refuses (a function error: exit 1).
	code, _, stderr = cli(t, "run", "--anon", "--kind", "mutation", "messages:send", `{"body":"x"}`)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "Sign in to send messages.")
	code, _, _ = cli(t, "run", "--kind", "bogus", "messages:list")
	assert.Equal(t, exitUsage, code)

	// logout ends the session at the issuer and forgets it.
	code, stdout, stderr = cli(t, "logout")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Signed out.")
	assert.False(t, st.ak.SessionActive(tok.SessionID))
	code, _, _ = cli(t, "whoami")
	assert.Equal(t, exitSignedOut, code)
	code, stdout, _ = cli(t, "logout")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Not signed in.")
}

func TestCLILoginDevice(t *testing.T) {
	newStack(t)
	code, stdout, stderr := cli(t, "login", "--device", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "enter the code")
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	assert.Equal(t, true, res["signed_in"])
	code, _, _ = cli(t, "whoami")
	assert.Equal(t, exitOK, code)
}

func TestCLIWatch(t *testing.T) {
	newStack(t)
	code, _, stderr := cli(t, "login")
	require.Equal(t, exitOK, code, stderr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runCtx(ctx, []string{"watch", "messages:list", "{}", "--env-file", "/nonexistent.env"}, &out, &errb)
	}()
	lines := func() []string { return strings.Split(strings.TrimSpace(out.String()), "\n") }
	require.Eventually(t, func() bool { return strings.TrimSpace(out.String()) == "[]" }, 10*time.Second, 10*time.Millisecond, errb.String())
	code, _, stderr = cli(t, "run", "--kind", "mutation", "messages:send", `{"body":"watched"}`)
	require.Equal(t, exitOK, code, stderr)
	require.Eventually(t, func() bool { return len(lines()) == 2 }, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, lines()[1], `"watched"`)
	var v []any
	require.NoError(t, json.Unmarshal([]byte(lines()[1]), &v), "one JSON value per line")
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitInterrupted, code, "Ctrl-C ends watch with 130")
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not stop")
	}
}

func doctorChecks(t *testing.T, args ...string) (int, map[string]check) {
	t.Helper()
	code, stdout, stderr := cli(t, append([]string{"doctor", "--json"}, args...)...)
	var res struct {
		OK     bool    `json:"ok"`
		Checks []check `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), "stdout %q stderr %q", stdout, stderr)
	m := map[string]check{}
	for _, c := range res.Checks {
		m[c.Name] = c
	}
	return code, m
}

func TestCLIDoctorOK(t *testing.T) {
	newStack(t)
	code, checks := doctorChecks(t)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "skip", checks["session"].Status)
	assert.Equal(t, "ok", checks["deployment"].Status)

	code, _, stderr := cli(t, "login")
	require.Equal(t, exitOK, code, stderr)
	code, checks = doctorChecks(t)
	assert.Equal(t, exitOK, code, "%+v", checks)
	for _, name := range []string{"client id", "jwks", "clock", "cors", "session", "token issuer", "deployment", "deployment auth"} {
		assert.Equal(t, "ok", checks[name].Status, "%s: %+v", name, checks[name])
	}
	code, stdout, _ := cli(t, "doctor")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "No problems found.")
}

func TestCLIDoctorProblems(t *testing.T) {
	t.Run("wrong issuer", func(t *testing.T) {
		newStack(t, authkittest.WithIssuerMode("https://auth.example.com"))
		code, stderr := func() (int, string) { c, _, e := cli(t, "login"); return c, e }()
		require.Equal(t, exitOK, code, stderr)
		code, checks := doctorChecks(t, "--timeout", "6s")
		assert.Equal(t, exitProblems, code)
		assert.Equal(t, "fail", checks["token issuer"].Status)
		assert.Contains(t, checks["token issuer"].Detail, "InvalidIssuer")
		assert.Contains(t, checks["token issuer"].Fix, "https://auth.example.com")
		assert.Equal(t, "fail", checks["deployment auth"].Status)
	})
	t.Run("legacy issuer without aud", func(t *testing.T) {
		st := newStack(t, authkittest.WithIssuerMode(authkittest.IssuerLegacy))
		now := time.Now()
		access, err := st.ak.SignClaims(map[string]any{
			"iss": "https://api.workos.com/", "sub": authkittest.DemoUser.ID, "sid": "session_01X",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		})
		require.NoError(t, err)
		require.NoError(t, workos.NewFileStore(storeFile(t)).Save(context.Background(), &workos.StoredSession{RefreshToken: "rt_bogus", AccessToken: access}))
		code, checks := doctorChecks(t, "--timeout", "6s")
		assert.Equal(t, exitProblems, code)
		assert.Equal(t, "fail", checks["token issuer"].Status)
		assert.Contains(t, checks["token issuer"].Detail, "InvalidAudience")
		assert.Contains(t, checks["token issuer"].Fix, "JWT template")
	})
	t.Run("config, cors and clock", func(t *testing.T) {
		st := newStack(t)
		t.Setenv(envRedirectURI, "http://localhost:9999/callback")
		code, checks := doctorChecks(t)
		assert.Equal(t, exitProblems, code)
		assert.Equal(t, "fail", checks["cors"].Status)
		assert.Equal(t, "ok", checks["clock"].Status)

		t.Setenv(workos.EnvClientID, "client_nope")
		code, checks = doctorChecks(t)
		assert.Equal(t, exitProblems, code)
		assert.Equal(t, "warn", checks["client id"].Status)
		assert.Equal(t, "fail", checks["jwks"].Status)
		_ = st
	})
}
