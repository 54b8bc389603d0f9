package workos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileStore is a Store in one JSON file, for CLIs, desktop apps and bots.
//
// The file is written with mode 0600 through a temporary file in the same
// directory that is fsynced and renamed over the old one, so a reader
// (another process included) sees the old session or the new one, never a
// partial write. The directory is created with mode 0700.
//
// FileStore implements Locker with an advisory lock on the file <path>.lock
// (flock(2) where available; on js/wasm and Windows only within the
// process), so several processes sharing one file rotate the refresh token
// one at a time and adopt each other's results.
type FileStore struct {
	path string
}

// fileFormatVersion is written into every file, for future migrations.
const fileFormatVersion = 1

type fileContents struct {
	Version int `json:"version"`
	StoredSession
}

// NewFileStore returns a FileStore for path. Nothing is read or created
// until the store is used.
func NewFileStore(path string) *FileStore {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return &FileStore{path: path}
}

// Path returns the file's path.
func (f *FileStore) Path() string { return f.path }

// Load reads the session, or returns (nil, nil) when the file does not
// exist or holds no refresh token.
func (f *FileStore) Load(ctx context.Context) (*StoredSession, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workos: reading session file: %w", err)
	}
	var c fileContents
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("workos: session file %s is corrupt: %w", f.path, err)
	}
	if c.RefreshToken == "" {
		return nil, nil
	}
	return &c.StoredSession, nil
}

// Save replaces the file atomically (temporary file, fsync, rename).
func (f *FileStore) Save(ctx context.Context, s *StoredSession) error {
	if s == nil {
		return f.Clear(ctx)
	}
	b, err := json.MarshalIndent(fileContents{Version: fileFormatVersion, StoredSession: *s}, "", "  ")
	if err != nil {
		return fmt.Errorf("workos: encoding session: %w", err)
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("workos: creating session directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("workos: writing session file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("workos: writing session file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("workos: writing session file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("workos: writing session file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("workos: writing session file: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("workos: writing session file: %w", err)
	}
	done = true
	syncDir(dir)
	return nil
}

// CompareAndSwap replaces the file's session with s (nil: removes the
// file) if its refresh token is still old, under the store's lock (so
// atomically for every process using it); see Store. It takes the lock
// itself: do not call it while holding Lock.
func (f *FileStore) CompareAndSwap(ctx context.Context, old string, s *StoredSession) error {
	unlock, err := f.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := f.Load(ctx)
	if err != nil {
		return err
	}
	if refreshTokenOf(cur) != old {
		return ErrStoreChanged
	}
	if s == nil || s.RefreshToken == "" {
		return f.Clear(ctx)
	}
	return f.Save(ctx, s)
}

// Clear removes the file.
func (f *FileStore) Clear(ctx context.Context) error {
	err := os.Remove(f.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("workos: removing session file: %w", err)
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Lock takes the store's lock: first within the process (every FileStore
// for the same path shares it), then the advisory file lock on
// <path>.lock, polling until it is free or ctx is done.
func (f *FileStore) Lock(ctx context.Context) (func(), error) {
	unlockProc, err := acquire(ctx, processLock(f.path))
	if err != nil {
		return nil, err
	}
	unlockFile, err := lockFile(ctx, f.path+".lock")
	if err != nil {
		unlockProc()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			unlockFile()
			unlockProc()
		})
	}, nil
}

var (
	procLocksMu sync.Mutex
	procLocks   = map[string]chan struct{}{}
)

// processLock returns the in-process semaphore for a path.
func processLock(path string) chan struct{} {
	procLocksMu.Lock()
	defer procLocksMu.Unlock()
	sem, ok := procLocks[path]
	if !ok {
		sem = make(chan struct{}, 1)
		procLocks[path] = sem
	}
	return sem
}

// syncDir fsyncs a directory so a rename or removal in it is durable. It
// is best effort: not every platform can open a directory for syncing.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// lockPoll bounds the polling interval of lockFile.
const (
	lockPollMin = 2 * time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

func dirOf(path string) string { return filepath.Dir(path) }
