package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/internal/dotenv"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitSignedOut   = 3
	exitProblems    = 4
	exitInterrupted = 130
)

// Test hooks.
var (
	// openBrowser opens the sign-in page.
	openBrowser = workos.OpenBrowser
	// onDeviceCode sees the device code login shows.
	onDeviceCode func(workos.DeviceCode)
)

const usage = `goconvex: WorkOS AuthKit sign-in and Convex from the command line.

Usage:
  goconvex login [--device] [--port N]     sign in (browser + PKCE, or device code)
  goconvex logout [--local]                end the session and forget it
  goconvex whoami                          the signed-in user and the token's claims
  goconvex token [--force]                 print a fresh access token (for scripts)
  goconvex run FUNCTION [JSON_ARGS]        run a query, mutation or action; print its result
  goconvex watch FUNCTION [JSON_ARGS]      one JSON line per result, until Ctrl-C
  goconvex doctor                          check the AuthKit + Convex setup
  goconvex gen [--spec FILE] [-o DIR] [--check]  typed Go package of the functions
  goconvex trust [URL] [--list|--remove]   trust a Convex deployment with the session

Common flags (after the command): --json, --client-id, --api-base,
--api-key, --convex-url, --redirect-uri, --store, --env-file, --timeout.
Environment: WORKOS_CLIENT_ID, WORKOS_API_BASE, WORKOS_API_KEY,
WORKOS_REDIRECT_URI, CONVEX_URL (also read from .env.local).

The session's token goes to a CONVEX_URL read from .env.local (or
--env-file) only if you trusted that deployment: login trusts the one in
effect, goconvex trust adds one, logout forgets them. --convex-url and
CONVEX_URL in the environment are your explicit choice and always used.

run and watch read a function's kind from the deployment's function spec:
with CONVEX_DEPLOY_KEY or CONVEX_ADMIN_KEY (or --admin-key) they fetch it
and cache it per deployment in the config directory; --spec FILE reads one
(npx convex function-spec > FILE); --kind overrides. Calls run as you.

When WorkOS asks for one more step before it signs you in (choose an
organization, an authenticator app code, a code emailed to you), login
asks on the terminal and reads the answer from standard input; finishing
such a step needs the environment's API key (--api-key, WORKOS_API_KEY).

Exit codes: 0 ok, 1 failure, 2 usage, 3 not signed in, 4 doctor found
problems, 130 interrupted.
`

// app is one invocation: its outputs and resolved configuration.
type app struct {
	// ctx ends when the user interrupts the command; cmdCtx, set by
	// parseArgs, also when --timeout runs out.
	ctx            context.Context
	cmdCtx         context.Context
	cancelCmd      context.CancelFunc
	stdout, stderr io.Writer
	json           bool
	cfg            config
	storePath      string
	timeout        time.Duration
	// fromDotEnv are the variables the dotenv file set (runCtx unsets
	// them when the command ends).
	fromDotEnv map[string]bool
	// convexURLFile is the dotenv file cfg.ConvexURL was read from, and
	// convexURLVar its variable; "" when it came from a flag or the
	// environment.
	convexURLFile, convexURLVar string
}

// commonFlags registers the flags every command takes.
type commonFlags struct {
	json                                                     bool
	clientID, apiBase, apiKey, convexURL, redirectURI, store string
	envFile                                                  string
	timeout                                                  time.Duration
}

func (c *commonFlags) register(fs *flag.FlagSet, defTimeout time.Duration) {
	fs.BoolVar(&c.json, "json", false, "machine-readable output")
	fs.StringVar(&c.clientID, "client-id", "", "WorkOS client id (default $WORKOS_CLIENT_ID)")
	fs.StringVar(&c.apiBase, "api-base", "", "WorkOS API base (default $WORKOS_API_BASE or https://api.workos.com)")
	fs.StringVar(&c.apiKey, "api-key", "", "WorkOS API key, for session revocation (default $WORKOS_API_KEY)")
	fs.StringVar(&c.convexURL, "convex-url", "", "Convex deployment URL (default $CONVEX_URL)")
	fs.StringVar(&c.redirectURI, "redirect-uri", "", "the web app's redirect URI, for the doctor's CORS check (default $WORKOS_REDIRECT_URI)")
	fs.StringVar(&c.store, "store", "", "session file (default: under the user config directory)")
	fs.StringVar(&c.envFile, "env-file", ".env.local", "dotenv file to read (missing is fine)")
	fs.DurationVar(&c.timeout, "timeout", defTimeout, "give up after this long")
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func runCtx(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	type command struct {
		fn         func(a *app, fs *flag.FlagSet, args []string) error
		defTimeout time.Duration
	}
	cmds := map[string]command{
		"login":  {cmdLogin, 10 * time.Minute},
		"logout": {cmdLogout, 30 * time.Second},
		"whoami": {cmdWhoami, 30 * time.Second},
		"token":  {cmdToken, 30 * time.Second},
		"run":    {cmdRun, time.Minute},
		"watch":  {cmdWatch, 0},
		"doctor": {cmdDoctor, 15 * time.Second},
		"gen":    {cmdGen, time.Minute},
		"trust":  {cmdTrust, 30 * time.Second},
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	c, ok := cmds[cmd]
	if !ok {
		fmt.Fprintf(stderr, "goconvex: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	fs := flag.NewFlagSet("goconvex "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs, c.defTimeout)
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr}
	// Leave the environment as it was: the next command line (a test's,
	// in this process) must not take the dotenv's values for its own.
	defer func() {
		for k := range a.fromDotEnv {
			os.Unsetenv(k)
		}
	}()
	err := c.fn(a, fs, rest)
	if a.cancelCmd != nil {
		a.cancelCmd()
	}
	if err == nil {
		return exitOK
	}
	return a.fail(err)
}

// parseArgs parses flags anywhere among the positional arguments (a "--"
// ends the flags), resolves the configuration, and sets a.cmdCtx, the
// command's context, bounded by --timeout (0: no bound).
func (a *app) parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &exitError{exitUsage, err}
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minPos || len(pos) > maxPos {
		return nil, usageError{fmt.Sprintf("%s: wrong number of arguments", fs.Name())}
	}
	cf := commonFromFlags(fs)
	a.json = cf.json
	a.timeout = cf.timeout
	if cf.envFile != "" {
		// dotenv.Load sets only variables the environment lacks: the new
		// ones are those the file provided.
		before := envNames()
		err := dotenv.Load(cf.envFile)
		a.fromDotEnv = map[string]bool{}
		for k := range envNames() {
			if !before[k] {
				a.fromDotEnv[k] = true
			}
		}
		if err != nil && !errors.Is(err, fs2ErrNotExist) {
			return nil, fmt.Errorf("reading %s: %w", cf.envFile, err)
		}
	}
	a.cfg = configFromEnv()
	urlVar := ""
	for _, k := range []string{envConvexURL, "VITE_CONVEX_URL", "NEXT_PUBLIC_CONVEX_URL"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			a.cfg.ConvexURL, urlVar = v, k
			break
		}
	}
	if cf.convexURL == "" && a.fromDotEnv[urlVar] {
		a.convexURLFile, a.convexURLVar = cf.envFile, urlVar
		if abs, err := filepath.Abs(cf.envFile); err == nil {
			a.convexURLFile = abs
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&a.cfg.ClientID, cf.clientID)
	set(&a.cfg.APIBase, cf.apiBase)
	set(&a.cfg.APIKey, cf.apiKey)
	set(&a.cfg.ConvexURL, cf.convexURL)
	set(&a.cfg.RedirectURI, cf.redirectURI)
	a.storePath = cf.store
	if a.timeout > 0 {
		a.cmdCtx, a.cancelCmd = context.WithTimeout(a.ctx, a.timeout)
	} else {
		a.cmdCtx, a.cancelCmd = context.WithCancel(a.ctx)
	}
	return pos, nil
}

// parseSession parses the arguments of a command that takes none and works
// on the stored session (login, logout, whoami, token), and returns that
// Session and its store.
func (a *app) parseSession(fs *flag.FlagSet, args []string) (*workos.Session, *workos.FileStore, error) {
	if _, err := a.parseArgs(fs, args, 0, 0); err != nil {
		return nil, nil, err
	}
	return a.session()
}

var fs2ErrNotExist = fs.ErrNotExist

// envNames returns the names of the environment's variables.
func envNames() map[string]bool {
	m := map[string]bool{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		m[k] = true
	}
	return m
}

// commonFromFlags reads the common flags back from fs.
func commonFromFlags(fs *flag.FlagSet) commonFlags {
	get := func(name string) string {
		if f := fs.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	var c commonFlags
	c.json = get("json") == "true"
	c.clientID, c.apiBase, c.apiKey = get("client-id"), get("api-base"), get("api-key")
	c.convexURL, c.redirectURI, c.store, c.envFile = get("convex-url"), get("redirect-uri"), get("store"), get("env-file")
	c.timeout, _ = time.ParseDuration(get("timeout"))
	return c
}

// needClientID checks that a client id is configured.
func (a *app) needClientID() error {
	if a.cfg.ClientID == "" {
		return usageError{"no WorkOS client id: set WORKOS_CLIENT_ID (or .env.local) or pass --client-id"}
	}
	return nil
}

// needConvexURL checks that a deployment is configured.
func (a *app) needConvexURL() error {
	if a.cfg.ConvexURL == "" {
		return usageError{"no Convex deployment: set CONVEX_URL (or .env.local) or pass --convex-url"}
	}
	return nil
}

// store returns the session store.
func (a *app) store() (*workos.FileStore, error) {
	if a.storePath != "" {
		return workos.NewFileStore(a.storePath), nil
	}
	return workos.NewDefaultFileStore(a.cfg.ClientID)
}

// session returns a Session on the store. It refreshes as a public
// client: the API key, when configured, is not sent.
func (a *app) session() (*workos.Session, *workos.FileStore, error) {
	if err := a.needClientID(); err != nil {
		return nil, nil, err
	}
	st, err := a.store()
	if err != nil {
		return nil, nil, err
	}
	s, err := workos.NewSession(workos.SessionConfig{Config: a.cfg.publicClient(), Store: st})
	return s, st, err
}

// out prints v as JSON with --json, else the human text.
func (a *app) out(v any, human string) {
	if a.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return
	}
	fmt.Fprint(a.stdout, human)
}

// fail reports err and returns its exit code.
func (a *app) fail(err error) int {
	code := exitFailure
	var ue usageError
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &ue):
		code = exitUsage
	case errors.Is(err, authkit.ErrSignedOut):
		code = exitSignedOut
		err = fmt.Errorf("not signed in (run: goconvex login): %w", err)
	case a.ctx.Err() != nil:
		code = exitInterrupted
	}
	if errors.Is(err, flag.ErrHelp) {
		return code
	}
	msg := strings.TrimSpace(err.Error())
	if a.json {
		b, _ := json.Marshal(map[string]any{"error": msg, "exit_code": code})
		fmt.Fprintf(a.stderr, "%s\n", b)
	} else {
		fmt.Fprintf(a.stderr, "goconvex: %s\n", msg)
	}
	return code
}
