package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
)

// storeModes records the modes of R2's session store once R2 is over.
var storeModes modes

type modes struct {
	mu        sync.Mutex
	file, dir os.FileMode
	err       error
}

func (m *modes) record(file, dir string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fi, err := os.Stat(file)
	if err != nil {
		m.err = err
		return
	}
	di, err := os.Stat(dir)
	if err != nil {
		m.err = err
		return
	}
	m.file, m.dir = fi.Mode().Perm(), di.Mode().Perm()
}

type r6Result struct {
	logBytes, logLines int
	checked            map[string]int // kind → tokens searched for
	found              []string       // kind and where, for each token found
	fileMode, dirMode  os.FileMode
	modeErr            error
}

// runR6 searches every log line of R1 and R2 for every token issued
// during them (whole, and its signature alone), and reports the modes of
// R2's session store.
func runR6(logs *sink, tokens *tokenSet) (r r6Result) {
	text := logs.String()
	r.logBytes, r.logLines = len(text), countLines(text)
	r.checked = map[string]int{}
	for tok, kind := range tokens.snapshot() {
		r.checked[kind]++
		needle := tok
		if parts := strings.Split(tok, "."); len(parts) == 3 && len(parts[2]) >= 16 {
			needle = parts[2] // a JWT's signature: enough to spot a token, even cut
		}
		if strings.Contains(text, needle) {
			r.found = append(r.found, kind)
		}
	}
	storeModes.mu.Lock()
	r.fileMode, r.dirMode, r.modeErr = storeModes.file, storeModes.dir, storeModes.err
	storeModes.mu.Unlock()
	return r
}

func (r r6Result) modesOK() bool {
	return r.modeErr == nil && r.fileMode == 0o600 && r.dirMode == 0o700
}

func (r r6Result) failed() bool { return len(r.found) > 0 || !r.modesOK() || r.logLines == 0 }

func (r r6Result) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "## R6: tokens in logs, store file modes\n\n")
	fmt.Fprintf(b, "| figure | value | |\n|---|---|---|\n")
	fmt.Fprintf(b, "| log of R1 and R2 (every component at DEBUG) | %d lines, %d bytes | %s |\n", r.logLines, r.logBytes, mark(r.logLines > 0))
	fmt.Fprintf(b, "| tokens searched for (access; refresh) | %d; %d | |\n", r.checked["access"], r.checked["refresh"])
	fmt.Fprintf(b, "| tokens found in the logs | %d | %s |\n", len(r.found), mark(len(r.found) == 0))
	if r.modeErr != nil {
		fmt.Fprintf(b, "| session store modes | %v | ✗ |\n", r.modeErr)
	} else {
		fmt.Fprintf(b, "| session store (workos.FileStore, after R2's rotations): file, directory | %04o, %04o | %s |\n", r.fileMode, r.dirMode, mark(r.modesOK()))
	}
	b.WriteString("\n")
}
