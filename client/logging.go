package client

import (
	"context"
	"log/slog"
	"strings"
)

// logFunctionLines forwards a function's console output to the logger at the
// level each line was logged with ("[WARN] …" at WARN, and so on).
func logFunctionLines(l *slog.Logger, kind FunctionKind, function string, lines []string) {
	for _, line := range lines {
		level, msg := slog.LevelInfo, line
		if strings.HasPrefix(line, "[") {
			if end := strings.Index(line, "] "); end > 0 {
				msg = line[end+2:]
				switch line[1:end] {
				case "ERROR":
					level = slog.LevelError
				case "WARN":
					level = slog.LevelWarn
				case "DEBUG":
					level = slog.LevelDebug
				}
			}
		}
		l.Log(context.Background(), level, msg, "convex_function", function, "convex_kind", string(rune(kind)), "source", "convex")
	}
}
