package client

import (
	"strings"

	"github.com/goconvex/convex/internal/logging"
)

// logFunctionLines forwards a function's console output to the logger at the
// level each line was logged with ("[WARN] …" at WARN, and so on).
func logFunctionLines(l logging.Logger, kind FunctionKind, function string, lines []string) {
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
