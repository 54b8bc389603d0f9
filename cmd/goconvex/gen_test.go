package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/codegen"
	"github.com/goconvex/convex/funcspec"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/fixturedeploy"
)

// specFixture is the hand-made spec in `npx convex function-spec`'s
// output format (see funcspec's tests for its sources).
const specFixture = "../../funcspec/testdata/spec.json"

func runGen(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runCtx(context.Background(), append(append([]string{"gen"}, args...), "--env-file", ""), &out, &errb)
	return code, out.String(), errb.String()
}

func wantPackage(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(specFixture)
	require.NoError(t, err)
	spec, err := funcspec.Parse(data)
	require.NoError(t, err)
	src, err := codegen.Generate(spec, codegen.Options{Package: name})
	require.NoError(t, err)
	return src
}

// gen writes the package codegen generates, named after its directory;
// --check passes on it and fails, naming the file, once it is edited or
// gone.
func TestGenWritesAndChecks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "myapi")
	code, stdout, stderr := runGen(t, "--spec", specFixture, "-o", dir)
	require.Equal(t, exitOK, code, stderr)
	file := filepath.Join(dir, codegen.FileName)
	require.Contains(t, stdout, "Wrote "+file+" (package myapi)")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, string(wantPackage(t, "myapi")), string(got))

	code, stdout, _ = runGen(t, "--spec", specFixture, "-o", dir, "--check")
	require.Equal(t, exitOK, code)
	require.Contains(t, stdout, "is up to date")

	require.NoError(t, os.WriteFile(file, append(got, "// edited\n"...), 0o644))
	code, stdout, stderr = runGen(t, "--spec", specFixture, "-o", dir, "--check")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stdout, file+" is stale")
	require.Contains(t, stderr, file+" is stale")

	// Another package name is stale too.
	require.NoError(t, os.WriteFile(file, got, 0o644))
	code, _, _ = runGen(t, "--spec", specFixture, "-o", dir, "--package", "other", "--check")
	require.Equal(t, exitFailure, code)

	require.NoError(t, os.Remove(file))
	code, _, stderr = runGen(t, "--spec", specFixture, "-o", dir, "--check", "--json")
	require.Equal(t, exitFailure, code)
	var j struct {
		Error    string `json:"error"`
		ExitCode int    `json:"exit_code"`
	}
	require.NoError(t, json.Unmarshal([]byte(stderr), &j), stderr)
	require.Equal(t, file+" is stale", j.Error)
}

// Without --spec, gen runs the apiSpec system query with the deploy key
// and generates the same package as from the CLI's file: the deployment
// is convextest with the fixture's functions and validators, which serves
// apiSpec itself.
func TestGenFromDeployment(t *testing.T) {
	srv := fixturedeploy.New()
	t.Cleanup(srv.Close)
	t.Setenv("CONVEX_URL", srv.URL())
	t.Setenv(envDeployKey, fixturedeploy.AdminKey)

	dir := filepath.Join(t.TempDir(), "convexapi")
	code, stdout, stderr := runGen(t, "-o", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "from "+srv.URL())
	got, err := os.ReadFile(filepath.Join(dir, codegen.FileName))
	require.NoError(t, err)
	require.Equal(t, string(wantPackage(t, "convexapi")), string(got))

	t.Setenv(envDeployKey, "")
	t.Setenv(envAdminKey, "")
	code, _, stderr = runGen(t, "-o", dir)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "needs an admin or deploy key")

	// Another key: the deployment refuses it.
	code, _, stderr = runGen(t, "-o", dir, "--admin-key", "not-the-key")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "fetching the function spec from "+srv.URL())
}

var updateChatAPI = flag.Bool("update-chatapi", false, "rewrite internal/chat/chatapi with goconvex gen against the dev stack's deployment")

// chatAPIDir is the committed package of the dev stack's functions.
const chatAPIDir = "../../internal/chat/chatapi"

// internal/chat/chatapi is what goconvex gen writes against the dev
// stack's deployment (the chat functions on convextest, with an admin key,
// as cmd/devstack runs them): gen --check passes on it, and fails once the
// functions change. go generate ./internal/chat/chatapi (or make chatapi)
// rewrites it; make test-example checks it against the TypeScript of
// examples/vite/convex too.
func TestChatAPIIsFresh(t *testing.T) {
	srv := convextest.NewServer(convextest.WithAdminKey("chat-admin-key"))
	t.Cleanup(srv.Close)
	chat.Register(srv)
	t.Setenv("CONVEX_URL", srv.URL())
	t.Setenv(envDeployKey, "")
	t.Setenv(envAdminKey, "chat-admin-key")
	t.Setenv(envConfigDir, t.TempDir())
	if *updateChatAPI {
		code, stdout, stderr := runGen(t, "-o", chatAPIDir)
		require.Equal(t, exitOK, code, stderr)
		t.Log(stdout)
	}
	code, stdout, stderr := runGen(t, "-o", chatAPIDir, "--check")
	require.Equal(t, exitOK, code, "%s%s\nregenerate: go generate ./internal/chat/chatapi", stdout, stderr)
	require.Contains(t, stdout, "is up to date")

	// A changed function makes it stale.
	srv.Query("messages:list", func(*convextest.QueryCtx, map[string]any) (any, error) { return nil, nil })
	code, stdout, _ = runGen(t, "-o", chatAPIDir, "--check")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stdout, "is stale")
}
