package workos_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
)

const (
	envChildStore  = "GOCONVEX_TEST_CHILD_STORE"
	envChildAPI    = "GOCONVEX_TEST_CHILD_API"
	envChildClient = "GOCONVEX_TEST_CHILD_CLIENT"
	envChildN      = "GOCONVEX_TEST_CHILD_N"
)

// rotate forces n refreshes of a Session on the FileStore at path.
func rotate(ctx context.Context, path, api, clientID string, n int) error {
	sess, err := workos.NewSessionWithSleep(workos.SessionConfig{Config: workos.Config{ClientID: clientID, APIBase: api}, Store: workos.NewFileStore(path)}, instant)
	if err != nil {
		return err
	}
	for i := range n {
		if _, err := sess.Token(ctx, true); err != nil {
			return fmt.Errorf("refresh %d: %w", i, err)
		}
	}
	return nil
}

// TestFileStoreChildProcess is the child of TestSignInSharedFileStoreTwoProcesses.
func TestFileStoreChildProcess(t *testing.T) {
	path := os.Getenv(envChildStore)
	if path == "" {
		t.Skip("only run as a child process")
	}
	n, _ := strconv.Atoi(os.Getenv(envChildN))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rotate(ctx, path, os.Getenv(envChildAPI), os.Getenv(envChildClient), n); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
}

// Two processes signed in through one FileStore rotate the single-use
// refresh token under the file lock: no refresh token is ever presented
// twice (the issuer has no replay grace here, so a double use would sign
// both out).
func TestSignInSharedFileStoreTwoProcesses(t *testing.T) {
	srv := authkittest.NewServer(authkittest.WithReplayWindow(0), authkittest.WithAutoApprove(authkittest.DemoUser.ID))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	st, err := workos.SignInWithBrowser(ctx, cfgFor(srv), workos.SignInOptions{Output: io.Discard, OpenBrowser: browserGet(t, srv)})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "goconvex", "session.json")
	require.NoError(t, workos.NewFileStore(path).Save(ctx, st))

	const n = 15
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFileStoreChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChildStore+"="+path, envChildAPI+"="+srv.URL(), envChildClient+"="+srv.ClientID(), envChildN+"="+strconv.Itoa(n))
	var wg sync.WaitGroup
	var childOut []byte
	var childErr error
	wg.Go(func() { childOut, childErr = cmd.CombinedOutput() })
	parentErr := rotate(ctx, path, srv.URL(), srv.ClientID(), n)
	wg.Wait()
	require.NoError(t, childErr, "child: %s", childOut)
	require.NoError(t, parentErr)

	// The session survived: one more rotation works.
	require.NoError(t, rotate(ctx, path, srv.URL(), srv.ClientID(), 1))
	reqs := srv.Requests(authkittest.RouteAuthenticate)
	assert.LessOrEqual(t, reqs, 2*n+2)
	assert.Greater(t, reqs, n)
}
