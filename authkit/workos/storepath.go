package workos

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// EnvStoreDir overrides the directory DefaultStorePath uses.
const EnvStoreDir = "GOCONVEX_CONFIG_DIR"

// DefaultStorePath returns where CLIs and bots keep the session of a
// client id: <os.UserConfigDir()>/goconvex/session-<clientID>.json
// ($XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support
// on macOS, %AppData% on Windows), or the same file name in
// $GOCONVEX_CONFIG_DIR when that is set. NewFileStore on it creates the
// directory with mode 0700 and the file with mode 0600.
func DefaultStorePath(clientID string) (string, error) {
	if clientID == "" || strings.ContainsAny(clientID, `/\:`) || strings.Contains(clientID, "..") {
		return "", errors.New("workos: DefaultStorePath needs a client id without path separators")
	}
	dir := os.Getenv(EnvStoreDir)
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(base, "goconvex")
	}
	return filepath.Join(dir, "session-"+clientID+".json"), nil
}

// NewDefaultFileStore returns a FileStore at DefaultStorePath(clientID).
func NewDefaultFileStore(clientID string) (*FileStore, error) {
	p, err := DefaultStorePath(clientID)
	if err != nil {
		return nil, err
	}
	return NewFileStore(p), nil
}
