package client

import (
	"strings"

	"github.com/goconvex/convex/internal/logging"
)

// Logger receives the client's log records: a message and alternating keys
// and values, as log/slog takes them (Debug, Info, Warn and Error, each
// (msg string, args ...any)). *slog.Logger satisfies it. The client does
// not import log/slog itself, because in a WebAssembly build that package's
// default handler adds encoding/json and time formatting to the binary.
type Logger = logging.Logger

// logFunctionLines forwards a function's console output to the logger at the
// level each line was logged with ("[WARN] …" at WARN, and so on).
func logFunctionLines(l Logger, kind FunctionKind, function string, lines []string) {
	for _, line := range lines {
		log, msg := l.Info, line
		if strings.HasPrefix(line, "[") {
			if end := strings.Index(line, "] "); end > 0 {
				msg = line[end+2:]
				switch line[1:end] {
				case "ERROR":
					log = l.Error
				case "WARN":
					log = l.Warn
				case "DEBUG":
					log = l.Debug
				}
			}
		}
		log(msg, "convex_function", function, "convex_kind", string(rune(kind)), "source", "convex")
	}
}
