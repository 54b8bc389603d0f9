package workos

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileStoreRoundTripAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "session.json")
	fs := NewFileStore(path)
	ctx := context.Background()

	st, err := fs.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, st, "no file: no session")

	in := &StoredSession{RefreshToken: "rt_secret", AccessToken: "at", OrganizationID: "org_1",
		User: &User{ID: "user_1", Email: "ada@example.com", Metadata: map[string]string{"k": "v"}}, SavedAt: t0}
	require.NoError(t, fs.Save(ctx, in))
	out, err := fs.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, in, out)

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	assert.Equal(t, float64(1), m["version"])
	assert.Equal(t, "rt_secret", m["refresh_token"])

	require.NoError(t, fs.Clear(ctx))
	require.NoError(t, fs.Clear(ctx), "clearing twice is fine")
	st, err = fs.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, st)

	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	_, err = fs.Load(ctx)
	assert.ErrorContains(t, err, "corrupt")
}

// A reader never sees a partial file while a writer replaces it, and no
// temporary files are left behind.
func TestFileStoreAtomicReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	fs := NewFileStore(path)
	ctx := context.Background()
	big := strings.Repeat("x", 16<<10) // large enough that a torn write would show
	require.NoError(t, fs.Save(ctx, &StoredSession{RefreshToken: "rt_0", AccessToken: big}))

	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				st, err := fs.Load(ctx)
				if !assert.NoError(t, err) || !assert.NotNil(t, st) {
					return
				}
				assert.True(t, strings.HasPrefix(st.RefreshToken, "rt_"))
				assert.Len(t, st.AccessToken, len(big))
				reads.Add(1)
			}
		}()
	}
	for i := range 50 {
		require.NoError(t, fs.Save(ctx, &StoredSession{RefreshToken: fmt.Sprintf("rt_%d", i), AccessToken: big}))
	}
	stop.Store(true)
	wg.Wait()
	assert.Positive(t, reads.Load())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"session.json"}, names)
}

func TestFileStoreLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.json")
	a, b := NewFileStore(path), NewFileStore(path)
	ctx := context.Background()

	unlock, err := a.Lock(ctx)
	require.NoError(t, err)

	// b cannot take it while a holds it.
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	_, err = b.Lock(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	got := make(chan struct{})
	go func() {
		u, err := b.Lock(ctx)
		if assert.NoError(t, err) {
			close(got)
			u()
		}
	}()
	select {
	case <-got:
		t.Fatal("lock taken twice")
	case <-time.After(20 * time.Millisecond):
	}
	unlock()
	unlock() // idempotent
	<-got
}

func TestFileStoreLockFileOnly(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("flock only")
	}
	// The file lock alone excludes a second holder (as another process
	// would be), even without the in-process semaphore.
	path := filepath.Join(t.TempDir(), "x", "s.json.lock")
	u1, err := lockFile(context.Background(), path)
	require.NoError(t, err)
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = lockFile(short, path)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	u1()
	u2, err := lockFile(context.Background(), path)
	require.NoError(t, err)
	u2()
}

func TestMemoryStore(t *testing.T) {
	var m MemoryStore // the zero value works
	ctx := context.Background()
	st, err := m.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, st)
	in := &StoredSession{RefreshToken: "rt", User: &User{ID: "u", Metadata: map[string]string{"a": "b"}}}
	require.NoError(t, m.Save(ctx, in))
	in.User.Metadata["a"] = "changed"
	out, _ := m.Load(ctx)
	assert.Equal(t, "b", out.User.Metadata["a"], "stored by copy")
	unlock, err := m.Lock(ctx)
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = m.Lock(short)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	unlock()
	require.NoError(t, m.Clear(ctx))
	out, _ = m.Load(ctx)
	assert.Nil(t, out)
}

// The lock excludes another process: a child process (this test binary)
// holds it until its stdin closes.
func TestFileStoreLockAcrossProcesses(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("flock only")
	}
	if path := os.Getenv("AUTHKIT_LOCK_HELPER"); path != "" {
		unlock, err := NewFileStore(path).Lock(context.Background())
		if err != nil {
			os.Exit(3)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		unlock()
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "session.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreLockAcrossProcesses$")
	cmd.Env = append(os.Environ(), "AUTHKIT_LOCK_HELPER="+path)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = NewFileStore(path).Lock(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "held by the other process")

	require.NoError(t, stdin.Close())
	unlock, err := NewFileStore(path).Lock(context.Background())
	require.NoError(t, err)
	unlock()
	require.NoError(t, cmd.Wait())
}
