package authkit

import "github.com/goconvex/convex/internal/logging"

// Logger receives the Provider's log records: a message and alternating keys
// and values, as log/slog takes them (Debug, Info, Warn and Error, each
// (msg string, args ...any)). *slog.Logger satisfies it. It is the same
// interface as client.Logger; the Provider does not import log/slog, as it
// is part of the WebAssembly build.
type Logger = logging.Logger
