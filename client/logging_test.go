package client

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogFunctionLines(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logFunctionLines(l, KindMutation, "messages:send", []string{"[LOG] 'a'", "[WARN] careful", "[ERROR] 'bad' 2", "[DEBUG] d", "unparsed line"})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 5)
	for i, want := range []string{
		`level=INFO msg='a' convex_function=messages:send convex_kind=M`,
		`level=WARN msg=careful`,
		`level=ERROR msg="'bad' 2"`,
		`level=DEBUG msg=d`,
		`level=INFO msg="unparsed line"`,
	} {
		require.Contains(t, lines[i], want)
	}
}
