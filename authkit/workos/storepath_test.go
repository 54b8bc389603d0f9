package workos_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/workos"
)

func itoa(n int) string { return strconv.Itoa(n) }

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestDefaultStorePath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(workos.EnvStoreDir, "")
	if runtime.GOOS == "linux" {
		t.Setenv("XDG_CONFIG_HOME", dir)
		p, err := workos.DefaultStorePath("client_01ABC")
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "goconvex", "session-client_01ABC.json"), p)

		fs, err := workos.NewDefaultFileStore("client_01ABC")
		require.NoError(t, err)
		require.NoError(t, fs.Save(context.Background(), &workos.StoredSession{RefreshToken: "rt"}))
		fi, err := os.Stat(filepath.Join(dir, "goconvex"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
		fi, err = os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	t.Setenv(workos.EnvStoreDir, filepath.Join(dir, "x"))
	p, err := workos.DefaultStorePath("client_01ABC")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "x", "session-client_01ABC.json"), p)

	for _, bad := range []string{"", "../etc", "a/b", `a\b`} {
		_, err := workos.DefaultStorePath(bad)
		assert.Error(t, err, bad)
	}
}
