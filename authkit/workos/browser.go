package workos

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
)

// OpenBrowser opens url in the user's browser: xdg-open on Linux and the
// BSDs, open on macOS, rundll32 url.dll on Windows. It returns an error
// when the command cannot be started (no desktop, a headless server); the
// sign-in flows then print the URL instead. It does not wait for the
// browser.
func OpenBrowser(ctx context.Context, url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "illumos", "solaris":
		cmd = exec.Command("xdg-open", url)
	default:
		return fmt.Errorf("workos: no known way to open a browser on %s", runtime.GOOS)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("workos: opening a browser: %w", err)
	}
	go cmd.Wait() // reap it
	return nil
}
