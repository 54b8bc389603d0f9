package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickstart runs the README example against the embedded deployment.
func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, "", ""))
	require.Equal(t, "Demo User: hi\n", out.String())
}

// TestDocFlags: every flag the doc comment's command lines use exists.
func TestDocFlags(t *testing.T) {
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	var f flags
	f.register(fs)
	lines := 0
	for _, line := range strings.Split(string(src), "\n") {
		cmd, ok := strings.CutPrefix(line, "//\tgo run ./examples/quickstart")
		if !ok {
			continue
		}
		lines++
		cmd, _, _ = strings.Cut(cmd, "#")
		for _, word := range strings.Fields(cmd) {
			if name, ok := strings.CutPrefix(word, "-"); ok {
				assert.NotNil(t, fs.Lookup(strings.TrimPrefix(name, "-")), "the doc comment uses %s, which is not a flag", word)
			}
		}
	}
	require.Equal(t, 2, lines, "the doc comment's command lines")
}

// TestReadmeCallsAreThisProgram: the README's Go example makes the same
// calls as this program (which TestQuickstart runs), through the same
// generated references, with the same arguments.
func TestReadmeCallsAreThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(readme), "```go\n")
	require.True(t, ok, "the README has a Go example")
	block, _, _ = strings.Cut(block, "```")
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	calls := regexp.MustCompile(`client\.(SubscribeTo|RunMutation)\(ctx, c, chatapi\.[A-Za-z.]+, chatapi\.[A-Za-z]+\{[^}]*\}\)`).FindAllString(block, -1)
	require.Len(t, calls, 2, "the README example sends and subscribes")
	for _, call := range calls {
		assert.Contains(t, string(src), call, "the README's call is not the program's")
	}
}
