package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/authstack"
	"github.com/goconvex/convex/internal/syncbuf"
)

// deploymentT is a second Convex deployment (accepting the stack's tokens)
// behind a proxy that counts what reaches it.
type deploymentT struct {
	url        string
	requests   atomic.Int64 // every HTTP request, WebSocket upgrades included
	authorized atomic.Int64 // HTTP requests with an Authorization header
	tokens     atomic.Int64 // WebSocket frames presenting a user's token
	cx         *convextest.Server
}

// withToken is the number of requests and frames that carried a token.
func (d *deploymentT) withToken() int64 { return d.authorized.Load() + d.tokens.Load() }

func newDeployment(t *testing.T, st *stackT) *deploymentT {
	t.Helper()
	d := &deploymentT{}
	d.cx = authstack.NewDeployment(t, st.ak, nil,
		convextest.WithFrameObserver(func(dir convextest.Direction, _ uint64, frame []byte) {
			if dir == convextest.ToServer && bytes.Contains(frame, []byte(`"tokenType":"User"`)) {
				d.tokens.Add(1)
			}
		}),
	)
	target, err := url.Parse(d.cx.URL())
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.requests.Add(1)
		if r.Header.Get("Authorization") != "" {
			d.authorized.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	d.url = proxy.URL
	return d
}

// writeEnvLocal writes a .env.local naming the deployment u, in a new
// directory, and returns its path.
func writeEnvLocal(t *testing.T, u string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".env.local")
	require.NoError(t, os.WriteFile(p, []byte("CONVEX_URL="+u+"\n"), 0o644))
	return p
}

// unsetConvexURL removes CONVEX_URL from the environment for the rest of
// the test, as for a user who never set it.
func unsetConvexURL(t *testing.T) {
	t.Helper()
	t.Setenv(envConvexURL, "")
	os.Unsetenv(envConvexURL)
}

// cliIn runs the command line with envFile as its .env.local.
func cliIn(envFile string, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(append(args, "--env-file", envFile), &o, &e)
	return code, o.String(), e.String()
}

// A CONVEX_URL read from .env.local that the user never trusted gets no
// token: run and watch refuse before sending anything there, and say how to
// proceed.
func TestCLIDotEnvDeploymentNotTrusted(t *testing.T) {
	st := newStack(t)
	code, _, stderr := cli(t, "login")
	require.Equal(t, exitOK, code, stderr)
	other := newDeployment(t, st)
	envFile := writeEnvLocal(t, other.url)
	unsetConvexURL(t)

	for _, cmd := range [][]string{
		{"run", "messages:list"},
		{"run", "--kind", "mutation", "messages:send", `{"body":"leak"}`},
		{"watch", "messages:list", "--timeout", "5s"},
	} {
		unsetConvexURL(t)
		code, stdout, stderr := cliIn(envFile, cmd...)
		assert.Equal(t, exitFailure, code, "%v: %s", cmd, stderr)
		assert.Empty(t, stdout, cmd)
		assert.Contains(t, stderr, other.url, cmd)
		assert.Contains(t, stderr, "not trusted", cmd)
		assert.Contains(t, stderr, "--convex-url "+other.url, cmd)
		assert.Contains(t, stderr, "goconvex trust", cmd)
	}
	assert.Zero(t, other.withToken(), "no token reached the other deployment")
	assert.Zero(t, other.requests.Load(), "nothing was sent to the other deployment")
	assert.Zero(t, other.cx.Connections())

	// --anon sends no token: allowed.
	unsetConvexURL(t)
	code, _, stderr = cliIn(envFile, "run", "--anon", "messages:list")
	assert.Equal(t, exitOK, code, stderr)
	assert.Zero(t, other.withToken())

	// The doctor connects without the token and reports the refusal.
	unsetConvexURL(t)
	code, stdout, stderr := cliIn(envFile, "doctor", "--json")
	assert.Equal(t, exitProblems, code, stderr)
	assert.Contains(t, stdout, `"name": "deployment auth"`)
	assert.Contains(t, stdout, "goconvex trust "+other.url)
	assert.Zero(t, other.withToken(), "the doctor sent no token")

	// The same deployment named explicitly is the user's choice: the flag,
	// then the environment.
	unsetConvexURL(t)
	code, stdout, stderr = cliIn(envFile, "run", "users:viewer", "--convex-url", other.url)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "demo@example.com")
	assert.Equal(t, int64(1), other.withToken())
	t.Setenv(envConvexURL, other.url)
	code, stdout, stderr = cliIn(envFile, "run", "users:viewer")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "demo@example.com")
	assert.Equal(t, int64(2), other.withToken())
}

// The deployment trusted at login is used from .env.local: by run, watch
// and whoami, with or without a trailing slash.
func TestCLIDotEnvDeploymentTrusted(t *testing.T) {
	st := newStack(t)
	code, stdout, stderr := cli(t, "login")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Convex deployment trusted with the session: "+st.cx.URL())
	unsetConvexURL(t)

	for _, u := range []string{st.cx.URL(), st.cx.URL() + "/"} {
		envFile := writeEnvLocal(t, u)
		code, stdout, stderr = cliIn(envFile, "run", "users:viewer")
		require.Equal(t, exitOK, code, "%s: %s", u, stderr)
		assert.Contains(t, stdout, "demo@example.com", u)
	}

	envFile := writeEnvLocal(t, st.cx.URL())
	code, stdout, stderr = cliIn(envFile, "whoami")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Trusted:      "+st.cx.URL()+"\n")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- runCtx(ctx, []string{"watch", "users:viewer", "--env-file", envFile}, &out, &errb) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "demo@example.com") }, 10*time.Second, 10*time.Millisecond, errb.String())
	cancel()
	assert.Equal(t, exitInterrupted, <-done)
}

// goconvex trust adds and removes deployments; a refresh keeps them; a
// session file without the list (written before it existed) trusts none;
// login in a directory trusts its deployment; logout forgets them all.
func TestCLITrust(t *testing.T) {
	st := newStack(t)
	unsetConvexURL(t) // no deployment in effect at login
	code, stdout, stderr := cli(t, "login")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "trusted")
	other := newDeployment(t, st)
	envFile := writeEnvLocal(t, other.url)

	// A session file as written before the list existed.
	raw, err := os.ReadFile(storeFile(t))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	_, had := m["convex_urls"]
	assert.False(t, had, "no empty list written")
	m["saved_at"] = "2024-01-01T00:00:00Z"
	raw, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(storeFile(t), raw, 0o600))

	code, _, stderr = cliIn(envFile, "run", "users:viewer")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not trusted")
	assert.Zero(t, other.requests.Load())

	// trust, with the deployment in effect (read from .env.local).
	code, stdout, stderr = cliIn(envFile, "trust")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "Trusted with the session: "+other.url+"\n", stdout)
	code, stdout, stderr = cliIn(envFile, "run", "users:viewer")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "demo@example.com")
	assert.Equal(t, int64(1), other.withToken())

	// Named, and listed; twice is once.
	code, _, stderr = cli(t, "trust", st.cx.URL())
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = cli(t, "trust", st.cx.URL()+"/")
	require.Equal(t, exitOK, code, stderr)
	code, stdout, _ = cli(t, "trust", "--list")
	require.Equal(t, exitOK, code)
	assert.Equal(t, other.url+"\n"+st.cx.URL()+"\n", stdout)
	code, _, _ = cli(t, "trust", "ftp://example.com")
	assert.Equal(t, exitFailure, code)
	code, _, _ = cli(t, "trust", "http://example.com")
	assert.Equal(t, exitFailure, code, "plain http off loopback")
	code, _, _ = cli(t, "trust", "--list", "--remove")
	assert.Equal(t, exitUsage, code)

	// A refresh keeps the list.
	code, _, stderr = cli(t, "token", "--force")
	require.Equal(t, exitOK, code, stderr)
	saved, err := workos.NewFileStore(storeFile(t)).Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{other.url, st.cx.URL()}, saved.ConvexURLs)

	// --remove.
	code, stdout, stderr = cliIn(envFile, "trust", "--remove", other.url+"/")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "No longer trusted")
	code, _, stderr = cliIn(envFile, "run", "users:viewer")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not trusted")
	code, _, _ = cli(t, "trust", "--remove", other.url)
	assert.Equal(t, exitFailure, code)

	// Signing in there trusts it; the others stay trusted.
	code, stdout, stderr = cliIn(envFile, "login")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Convex deployment trusted with the session: "+other.url)
	code, stdout, _ = cli(t, "trust", "--list", "--json")
	require.Equal(t, exitOK, code)
	var list struct{ Trusted []string }
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	assert.Equal(t, []string{st.cx.URL(), other.url}, list.Trusted)
	code, _, stderr = cliIn(envFile, "run", "users:viewer")
	require.Equal(t, exitOK, code, stderr)

	// logout forgets them with the session.
	code, _, stderr = cli(t, "logout")
	require.Equal(t, exitOK, code, stderr)
	code, _, _ = cli(t, "trust", "--list")
	assert.Equal(t, exitSignedOut, code)
}

func TestDeploymentKey(t *testing.T) {
	same := [][2]string{
		{"https://happy-animal-123.convex.cloud", "https://happy-animal-123.convex.cloud/"},
		{"https://happy-animal-123.convex.cloud", "HTTPS://Happy-Animal-123.Convex.Cloud"},
		{"http://127.0.0.1:3210", " http://127.0.0.1:3210// "},
	}
	for _, c := range same {
		assert.True(t, isTrusted([]string{c[0]}, c[1]), "%q ~ %q", c[0], c[1])
	}
	differ := [][2]string{
		{"https://happy-animal-123.convex.cloud", "https://happy-animal-123.convex.cloud.evil.example"},
		{"https://happy-animal-123.convex.cloud", "https://happy-animal-123.convex.cloud@evil.example"},
		{"https://happy-animal-123.convex.cloud", "http://happy-animal-123.convex.cloud"},
		{"https://happy-animal-123.convex.cloud", "https://happy-animal-123.convex.cloud:8443"},
		{"https://happy-animal-123.convex.cloud", "https://happy-animal-123.convex.cloud/x"},
		{"https://happy-animal-123.convex.cloud", "https://happy-animal-123.convex.cloud?x"},
		{"https://happy-animal-123.convex.cloud", ""},
		{"https://happy-animal-123.convex.cloud", "happy-animal-123.convex.cloud"},
		{"", ""},
	}
	for _, c := range differ {
		assert.False(t, isTrusted([]string{c[0]}, c[1]), "%q !~ %q", c[0], c[1])
	}
}
