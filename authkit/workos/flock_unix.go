//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package workos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on path (created 0600 if needed),
// polling with LOCK_NB so that ctx can end the wait. flock locks belong to
// the open file description, so two opens in one process exclude each
// other too.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		// The directory does not exist yet: create it as Save would.
		if mkErr := os.MkdirAll(dirOf(path), 0o700); mkErr == nil {
			f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("workos: opening lock file: %w", err)
	}
	fd := int(f.Fd())
	wait := lockPollMin
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(fd, syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("workos: locking %s: %w", path, err)
		}
		if err := sleepCtx(ctx, wait); err != nil {
			f.Close()
			return nil, err
		}
		wait = min(2*wait, lockPollMax)
	}
}
