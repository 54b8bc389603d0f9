package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/fixturedeploy"
	"github.com/goconvex/convex/internal/syncbuf"
)

// kindDeployment is the fixture's functions (queries, mutations, an
// action, a default export, an internal mutation) on convextest, which
// serves their spec to its admin key; the CLI's config directory is a
// fresh one, and no key is set.
func kindDeployment(t *testing.T) *convextest.Server {
	srv := fixturedeploy.New()
	t.Cleanup(srv.Close)
	t.Setenv("CONVEX_URL", srv.URL())
	t.Setenv(envDeployKey, "")
	t.Setenv(envAdminKey, "")
	t.Setenv(envConfigDir, t.TempDir())
	t.Setenv("WORKOS_CLIENT_ID", "")
	return srv
}

func specFetches(srv *convextest.Server) int { return srv.ExecutionCount(convextest.APISpecQuery) }

// firstLine records what is written and calls done after the first line.
type firstLine struct {
	syncbuf.Buffer
	done func()
}

func (f *firstLine) Write(p []byte) (int, error) {
	n, err := f.Buffer.Write(p)
	if strings.Contains(f.String(), "\n") {
		f.done()
	}
	return n, err
}

// With an admin or deploy key, run reads each function's kind from the
// deployment's spec: no --kind for a mutation, an action or a default
// export; the spec is fetched once and cached per deployment.
func TestRunInfersTheKind(t *testing.T) {
	srv := kindDeployment(t)
	t.Setenv(envDeployKey, fixturedeploy.AdminKey)

	code, stdout, stderr := cli(t, "run", "messages:send", `{"body":"hi"}`)
	require.Equal(t, exitOK, code, stderr)
	assert.NotEmpty(t, stdout)
	assert.Equal(t, 1, specFetches(srv))
	assert.Equal(t, 1, srv.ExecutionCount("messages:send"))

	code, stdout, stderr = cli(t, "run", "folder/nested/deep", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "\"deep\"\n", stdout)
	code, stdout, _ = cli(t, "run", "messages.js:list", "--json")
	require.Equal(t, exitOK, code)
	var msgs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &msgs))
	assert.Len(t, msgs, 1)
	assert.Equal(t, 1, specFetches(srv), "the cached spec answers")

	// The cache file is the deployment's, under the config directory.
	path, err := specCachePath(srv.URL())
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(path) || filepath.IsLocal(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"identifier": "messages.js:send"`)

	// Without the key, the cache still answers.
	t.Setenv(envDeployKey, "")
	code, _, stderr = cli(t, "run", "messages:send", `{"body":"again"}`)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, specFetches(srv))

	// --kind still decides.
	code, _, stderr = cli(t, "run", "--kind", "query", "messages:send", `{"body":"x"}`)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "Trying to execute messages:send as Query, but it is defined as Mutation.")
	assert.Contains(t, stderr, "(messages:send is a mutation: pass --kind mutation)")
}

// A function the spec does not list is a usage error naming the nearest
// one; a function added since the cache was filled is found by fetching
// the spec again.
func TestRunFunctionNotInSpec(t *testing.T) {
	srv := kindDeployment(t)
	t.Setenv(envDeployKey, fixturedeploy.AdminKey)

	code, _, stderr := cli(t, "run", "messages:sned", `{"body":"hi"}`)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "messages:sned is not a function of the deployment (spec: "+srv.URL()+"); did you mean messages:send? (pass --kind to call it anyway)")
	assert.Equal(t, 0, srv.ExecutionCount("messages:send"))
	code, _, stderr = cli(t, "run", "nothing:here")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "; it has admin/tasks:purge, folder/nested/deep:default, folder/nested:top, kitchen:echo")
	fetches := specFetches(srv)

	srv.Mutation("kitchen:added", func(*convextest.MutationCtx, map[string]any) (any, error) { return "added", nil })
	code, stdout, stderr := cli(t, "run", "kitchen:added", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "\"added\"\n", stdout)
	assert.Equal(t, fetches+1, specFetches(srv), "a function the cache lacks: fetched again")

	// Without a key, a cache that lacks the function says how to refresh it.
	t.Setenv(envDeployKey, "")
	code, _, stderr = cli(t, "run", "kitchen:missing")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "kitchen:missing is not a function of the deployment (spec: "+srv.URL()+", cached ")
	assert.Contains(t, stderr, "set CONVEX_DEPLOY_KEY (or pass --admin-key) to read the deployment's spec again")
}

// A cached kind the deployment refuses (the function changed kind since)
// drops the cache; with a key run fetches the spec again and runs the
// function as what it is now, once.
func TestRunWrongKindRefreshesTheCache(t *testing.T) {
	srv := kindDeployment(t)
	t.Setenv(envDeployKey, fixturedeploy.AdminKey)
	code, _, stderr := cli(t, "run", "folder/nested:top")
	require.Equal(t, exitOK, code, stderr)
	require.Equal(t, 1, srv.ExecutionCount("folder/nested:top"))
	srv.Mutation("folder/nested:top", func(*convextest.MutationCtx, map[string]any) (any, error) { return "now a mutation", nil })

	code, stdout, stderr := cli(t, "run", "folder/nested:top", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "\"now a mutation\"\n", stdout)
	assert.Equal(t, 2, srv.ExecutionCount("folder/nested:top"), "the refused call did not run; the retry did")
	assert.Equal(t, 2, specFetches(srv))

	// Without a key: the cache is dropped and the error says what to pass.
	srv.Action("folder/nested:top", func(*convextest.ActionCtx, map[string]any) (any, error) { return "an action", nil })
	t.Setenv(envDeployKey, "")
	code, _, stderr = cli(t, "run", "folder/nested:top")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "(folder/nested:top is an action: pass --kind action)")
	spec, _ := readSpecCache(srv.URL())
	assert.Nil(t, spec, "the cache is dropped")
}

// Without any spec, run runs a query, as before; a refusal says which
// --kind to pass, or which key to set.
func TestRunWithoutSpec(t *testing.T) {
	srv := kindDeployment(t)
	code, _, stderr := cli(t, "run", "messages:send", `{"body":"hi"}`)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "(messages:send is a mutation: pass --kind mutation, or set CONVEX_DEPLOY_KEY so that run reads the kinds from the deployment's function spec)")
	code, _, stderr = cli(t, "run", "messages:list")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 0, specFetches(srv))
}

// --spec reads the kinds from a file, without asking the deployment.
func TestRunSpecFile(t *testing.T) {
	srv := kindDeployment(t)
	code, _, stderr := cli(t, "run", "--spec", specFixture, "messages:send", `{"body":"hi"}`)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, srv.ExecutionCount("messages:send"))
	code, _, stderr = cli(t, "run", "--spec", specFixture, "kitchen:nope")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "kitchen:nope is not a function of the deployment (spec: "+specFixture+")")
	assert.Equal(t, 0, specFetches(srv))
}

// watch subscribes only to what the spec says is a query.
func TestWatchChecksTheKind(t *testing.T) {
	srv := kindDeployment(t)
	t.Setenv(envDeployKey, fixturedeploy.AdminKey)
	code, _, stderr := cli(t, "watch", "messages:send")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "messages:send is a mutation: watch subscribes to queries (run it with goconvex run)")
	assert.Equal(t, 1, specFetches(srv))
	code, _, stderr = cli(t, "watch", "messages:lst")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "did you mean messages:list?")
	assert.Equal(t, 2, specFetches(srv), "not in the cache: fetched again")
	// A query: watch prints its first result (then the test stops it).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &firstLine{done: cancel}
	var errb syncbuf.Buffer
	code = runCtx(ctx, []string{"watch", "messages:list", "--env-file", ""}, out, &errb)
	assert.Equal(t, exitInterrupted, code, errb.String())
	assert.Equal(t, "[]\n", out.String())
	assert.Equal(t, 2, specFetches(srv))
}

// A key is not sent to a deployment that only a dotenv file names, unless
// the same file holds the key: run goes on without the spec, gen refuses.
func TestSpecKeyNotSentToADotenvDeployment(t *testing.T) {
	srv := kindDeployment(t)
	t.Setenv("CONVEX_URL", "")
	os.Unsetenv("CONVEX_URL") // the dotenv file names it
	t.Setenv(envDeployKey, fixturedeploy.AdminKey)
	env := filepath.Join(t.TempDir(), ".env.local")
	require.NoError(t, os.WriteFile(env, []byte("CONVEX_URL="+srv.URL()+"\n"), 0o600))

	var o, e syncbuf.Buffer
	code := run([]string{"run", "messages:list", "--env-file", env}, &o, &e)
	require.Equal(t, exitOK, code, e.String())
	assert.Contains(t, e.String(), "not sending $CONVEX_DEPLOY_KEY to "+srv.URL()+", which CONVEX_URL names ("+env+")")
	assert.Equal(t, 0, specFetches(srv))

	code = run([]string{"gen", "-o", t.TempDir(), "--env-file", env}, &o, &e)
	assert.Equal(t, exitUsage, code)

	// The file's own key goes with the file's URL.
	t.Setenv(envDeployKey, "")
	os.Unsetenv(envDeployKey)
	require.NoError(t, os.WriteFile(env, []byte("CONVEX_URL="+srv.URL()+"\nCONVEX_DEPLOY_KEY="+fixturedeploy.AdminKey+"\n"), 0o600))
	code = run([]string{"run", "messages:send", `{"body":"hi"}`, "--env-file", env}, &o, &e)
	require.Equal(t, exitOK, code, e.String())
	assert.Equal(t, 1, specFetches(srv))
}
