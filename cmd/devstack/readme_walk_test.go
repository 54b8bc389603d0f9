package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/internal/syncbuf"
)

// TestReadmeWalk follows README.md's "The CLI and the bot against `make
// demo`" as a newcomer does, against this dev stack: it exports what the
// section exports (with the banner's values), and runs each command of its
// shell blocks with the CLI and the bot built from this tree. The browser
// sign-in is done as the user's browser would, over HTTP: the issuer's
// sign-in page (a loopback redirect on the CLI's random port), its form
// filled in as demo@example.com. Then whoami, and the device flow the
// section offers. A command the walk does not know fails the test, so the
// section and the walk stay the same.
func TestReadmeWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and the bot")
	}
	if runtime.GOOS == "windows" {
		t.Skip("Ctrl-C is SIGINT here")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the CLI with")
	}
	st, err := start(config{
		convexAddr: "127.0.0.1:0", authkitAddr: "127.0.0.1:0", appAddr: "127.0.0.1:0",
		appDir: t.TempDir(), tokenLifetime: time.Minute, logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	defer st.close()
	banner, _ := bannerEnv(t, st)

	bin := t.TempDir()
	for name, pkg := range map[string]string{"goconvex": "./cmd/goconvex", "bot": "./examples/bot"} {
		build := exec.Command(goCmd, "build", "-o", filepath.Join(bin, name), pkg)
		build.Dir = "../.."
		out, err := build.CombinedOutput()
		require.NoError(t, err, "go build %s: %s", pkg, out)
	}

	w := &walker{t: t, bin: bin, dir: t.TempDir(), noPath: t.TempDir(), store: t.TempDir(), env: map[string]string{}, issuer: st.authkit.URL()}
	lines := readmeShellLines(t, "## The CLI and the bot against `make demo`")
	require.NotEmpty(t, lines)
	for _, line := range lines {
		words := shellWords(t, line)
		switch {
		case words[0] == "export":
			for _, kv := range words[1:] {
				k, v, ok := strings.Cut(kv, "=")
				require.True(t, ok, "README: %q", line)
				bv, inBanner := banner[k]
				require.True(t, inBanner, "README exports %s, which the banner does not print", k)
				if !strings.Contains(v, "…") && !strings.HasPrefix(v, "http://127.0.0.1:") {
					assert.Equal(t, bv, v, "README's %s differs from the banner's", k)
				}
				w.env[k] = bv // the banner's, on this stack's ports
			}
		case len(words) > 3 && slices.Equal(words[:3], []string{"go", "run", "./cmd/goconvex"}):
			w.cli(words[3:])
		case slices.Equal(words, []string{"go", "run", "./examples/bot"}):
			w.bot()
		default:
			t.Fatalf("README's walk has a command this test does not know: %q", line)
		}
	}
	for k := range banner {
		assert.Contains(t, w.env, k, "the banner prints %s, which the README does not export", k)
	}
	require.True(t, w.signedIn, "the walk signs in")
	require.NotNil(t, w.watch, "the walk watches messages:list")
	require.NotNil(t, w.botProc, "the walk runs the bot")

	// "then type !ping in the app: demo-bot answers pong"
	w.run(0, "run", "messages:send", `{"body":"!ping"}`) // a mutation, from the spec the admin key reads
	require.Eventually(t, func() bool {
		_, out, _ := w.run(-1, "run", "messages:list")
		var msgs []struct{ Author, Body string }
		_ = json.Unmarshal([]byte(out), &msgs)
		return slices.Contains(msgs, struct{ Author, Body string }{"demo-bot", "pong"})
	}, 30*time.Second, 50*time.Millisecond, "demo-bot answers pong; bot log:\n%s", w.botLog.String())

	// Ctrl-C ends watch with 130, as the README says, and stops the bot.
	assert.Equal(t, 130, exitCodeAfterInterrupt(t, w.watch), "watch after Ctrl-C")
	assert.Equal(t, 0, exitCodeAfterInterrupt(t, w.botProc), "the bot after Ctrl-C")
	assert.Contains(t, w.watchOut.String(), `"body":"!ping"`, "watch printed the messages as they came")

	// whoami, then the device flow the section offers.
	_, out, _ := w.run(0, "whoami")
	assert.Contains(t, out, "demo@example.com")
	w.store = t.TempDir()
	w.deviceLogin()
	_, out, _ = w.run(0, "whoami")
	assert.Contains(t, out, "ada@example.com")
}

type walker struct {
	t                *testing.T
	bin, dir, noPath string
	store            string
	env              map[string]string
	issuer           string
	signedIn         bool
	watch, botProc   *exec.Cmd
	watchOut, botLog *syncbuf.Buffer
}

// command is a process of ours with the walk's environment: the variables
// the README exported, a fresh session store, no .env.local, and a PATH
// without a browser to open (the sign-in URL is printed instead).
func (w *walker) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(w.bin, name), args...)
	cmd.Dir = w.dir
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || strings.HasPrefix(k, "WORKOS_") || strings.HasPrefix(k, "CONVEX_") || strings.HasPrefix(k, "BOT_") || strings.HasPrefix(k, "GOCONVEX_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PATH="+w.noPath, "GOCONVEX_CONFIG_DIR="+w.store)
	return cmd
}

// run runs the CLI to its end; want is its exit code (-1: any).
func (w *walker) run(want int, args ...string) (int, string, string) {
	w.t.Helper()
	cmd := w.command("goconvex", args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if want >= 0 {
		require.Equal(w.t, want, code, "goconvex %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return code, out.String(), errb.String()
}

// cli runs one of the README's goconvex commands.
func (w *walker) cli(args []string) {
	t := w.t
	t.Helper()
	switch args[0] {
	case "login":
		require.Equal(t, []string{"login"}, args, "the README's login")
		w.browserLogin()
	case "watch":
		require.True(t, w.signedIn, "watch after login")
		w.watchOut = &syncbuf.Buffer{}
		w.watch = w.command("goconvex", args...)
		w.watch.Stdout, w.watch.Stderr = w.watchOut, w.watchOut
		require.NoError(t, w.watch.Start())
		t.Cleanup(func() { _ = w.watch.Process.Kill() })
		require.Eventually(t, func() bool { return strings.HasPrefix(w.watchOut.String(), "[") }, 30*time.Second, 20*time.Millisecond,
			"watch prints the current list first: %s", w.watchOut)
	case "run":
		_, out, _ := w.run(0, args...)
		assert.NotEmpty(t, strings.TrimSpace(out), "run prints the result")
		if w.watch != nil {
			body := regexp.MustCompile(`"body":"[^"]*"`).FindString(strings.Join(args, " "))
			require.NotEmpty(t, body, "the README's run sends a message")
			require.Eventually(t, func() bool { return strings.Contains(w.watchOut.String(), body) }, 30*time.Second, 20*time.Millisecond,
				"watch shows the message sent: %s", w.watchOut)
		}
	case "gen":
		// From the repository's root, where the README runs it; it only
		// checks the committed package against this stack's spec.
		require.Contains(t, args, "--check", "the README's gen writes nothing")
		cmd := w.command("goconvex", args...)
		cmd.Dir = "../.."
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "goconvex %s: %s", strings.Join(args, " "), out)
		assert.Contains(t, string(out), "is up to date")
	default:
		t.Fatalf("README's walk runs goconvex %q, which this test does not know", args)
	}
}

// browserLogin runs goconvex login and signs in on the page it prints, as
// the browser would: GET the authorize URL, POST its form as
// demo@example.com, follow the redirect to the CLI's loopback callback.
func (w *walker) browserLogin() {
	t := w.t
	cmd := w.command("goconvex", "login")
	var out, errb syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	authorize := regexp.MustCompile(`http://\S+/user_management/authorize\?\S+`)
	require.Eventually(t, func() bool { return authorize.MatchString(errb.String()) }, 30*time.Second, 20*time.Millisecond,
		"login prints the sign-in URL: %s", &errb)
	page := get(t, authorize.FindString(errb.String()))
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	require.NotEmpty(t, form.Get("redirect_uri"), "the sign-in page (the issuer refused the loopback redirect?):\n%s", page)
	form.Set("email", "demo@example.com")
	form.Set("password", "password")
	form.Set("action", "approve")
	callback := post(t, w.issuer+"/user_management/authorize", form)
	assert.Contains(t, callback, "Signed in", "the CLI's callback page")
	select {
	case err := <-done:
		require.NoError(t, err, "login: %s", &errb)
	case <-time.After(30 * time.Second):
		t.Fatalf("login did not finish: %s", &errb)
	}
	assert.Contains(t, out.String(), "Signed in as demo@example.com")
	w.signedIn = true
}

// deviceLogin runs goconvex login --device and approves its code on the
// issuer's device page as ada@example.com.
func (w *walker) deviceLogin() {
	t := w.t
	cmd := w.command("goconvex", "login", "--device")
	var out, errb syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	code := regexp.MustCompile(`enter the code: (\S+)`)
	require.Eventually(t, func() bool { return code.MatchString(errb.String()) }, 30*time.Second, 20*time.Millisecond,
		"login --device prints a code: %s", &errb)
	m := code.FindStringSubmatch(errb.String())
	approved := post(t, w.issuer+"/device", url.Values{"user_code": {m[1]}, "email": {"ada@example.com"}, "password": {"password"}, "action": {"approve"}})
	assert.Contains(t, approved, "Device approved")
	select {
	case err := <-done:
		require.NoError(t, err, "login --device: %s", &errb)
	case <-time.After(60 * time.Second): // it polls at the issuer's interval
		t.Fatalf("login --device did not finish: %s", &errb)
	}
	assert.Contains(t, out.String(), "Signed in as ada@example.com")
}

// bot starts examples/bot and waits until it watches the messages.
func (w *walker) bot() {
	t := w.t
	w.botLog = &syncbuf.Buffer{}
	w.botProc = w.command("bot")
	w.botProc.Stdout, w.botProc.Stderr = w.botLog, w.botLog
	require.NoError(t, w.botProc.Start())
	t.Cleanup(func() { _ = w.botProc.Process.Kill() })
	require.Eventually(t, func() bool { return strings.Contains(w.botLog.String(), "bot: watching") }, 30*time.Second, 20*time.Millisecond,
		"the bot starts: %s", w.botLog)
}

// exitCodeAfterInterrupt sends Ctrl-C's SIGINT to cmd and returns its exit code.
func exitCodeAfterInterrupt(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop after SIGINT", cmd.Path)
		return -1
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	require.NoError(t, err)
	return body(t, req)
}

func post(t *testing.T, u string, form url.Values) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return body(t, req)
}

func body(t *testing.T, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req) // follows the redirect to the CLI's callback
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", req.Method, resp.Request.URL, b)
	return string(b)
}

// readmeShellLines returns the command lines of the ```sh blocks in the
// README's section under heading, comments dropped.
func readmeShellLines(t *testing.T, heading string) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	require.True(t, ok, "README has the section %q", heading)
	section, _, _ = strings.Cut(section, "\n## ")
	var lines []string
	for {
		_, rest, ok := strings.Cut(section, "```sh\n")
		if !ok {
			return lines
		}
		block, after, _ := strings.Cut(rest, "```")
		section = after
		for _, line := range strings.Split(block, "\n") {
			if line = strings.TrimSpace(stripComment(line)); line != "" {
				lines = append(lines, line)
			}
		}
	}
}

// stripComment drops a shell comment (a # after a space, outside quotes).
func stripComment(line string) string {
	quoted := false
	for i, r := range line {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == '#' && !quoted && (i == 0 || line[i-1] == ' '):
			return line[:i]
		}
	}
	return line
}

// shellWords splits a command line as sh would, for the README's simple
// ones: words apart by spaces, single quotes kept literally.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	require.NotContains(t, line, "$", "a README line this walk cannot run: %q", line)
	require.NotContains(t, line, `\`, "a README line this walk cannot run: %q", line)
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	require.False(t, quoted, "unbalanced quotes in %q", line)
	if in {
		words = append(words, cur.String())
	}
	return words
}
