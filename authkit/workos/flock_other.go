//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package workos

import "context"

// lockFile is a no-op where flock(2) is not available (js/wasm, Windows,
// and the rarer Unixes): FileStore.Lock then serializes refreshes within
// the process only. Do not share one session file between processes
// there.
func lockFile(ctx context.Context, path string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return func() {}, nil
}
