package authkit_test

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

	"github.com/goconvex/convex/authkit"
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
	t.Setenv(authkit.EnvStoreDir, "")
	if runtime.GOOS == "linux" {
		t.Setenv("XDG_CONFIG_HOME", dir)
		p, err := authkit.DefaultStorePath("client_01ABC")
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "goconvex", "session-client_01ABC.json"), p)

		fs, err := authkit.NewDefaultFileStore("client_01ABC")
		require.NoError(t, err)
		require.NoError(t, fs.Save(context.Background(), &authkit.StoredSession{RefreshToken: "rt"}))
		fi, err := os.Stat(filepath.Join(dir, "goconvex"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
		fi, err = os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	t.Setenv(authkit.EnvStoreDir, filepath.Join(dir, "x"))
	p, err := authkit.DefaultStorePath("client_01ABC")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "x", "session-client_01ABC.json"), p)

	for _, bad := range []string{"", "../etc", "a/b", `a\b`} {
		_, err := authkit.DefaultStorePath(bad)
		assert.Error(t, err, bad)
	}
}
