// Command goconvex signs in to WorkOS AuthKit and talks to a Convex
// deployment from a terminal or a script.
//
//	goconvex login [--device]           sign in (browser with PKCE, or device code)
//	goconvex logout                     end the session and forget it
//	goconvex whoami                     the signed-in user and the token's claims
//	goconvex token                      print a fresh access token (for scripts)
//	goconvex run FN [ARGS]              run a query, mutation or action; print its JSON result
//	goconvex watch FN [ARGS]            print one JSON line per result of a query until Ctrl-C
//	goconvex gen [-o DIR] [--check]     write the typed Go package of the deployment's functions
//	goconvex doctor                     check the AuthKit + Convex setup
//	goconvex trust [URL]                trust a Convex deployment with the session (--list, --remove)
//
// run and watch learn a function's kind (query, mutation or action) from
// the deployment's function spec, which the deployment serves to an admin
// or deploy key (CONVEX_DEPLOY_KEY, CONVEX_ADMIN_KEY or --admin-key): they
// fetch it and cache it per deployment under the config directory
// (GOCONVEX_CONFIG_DIR, else goconvex in the user's config directory),
// fetching again after an hour, for a function the cache lacks, and after
// the deployment refuses a call as the wrong kind. --spec FILE reads a
// spec instead, --kind names the kind. Without any, run runs a query. The
// key only reads the spec: calls run as the signed-in user (or anonymous).
//
// Configuration comes from flags, then the environment (WORKOS_CLIENT_ID,
// WORKOS_API_BASE, WORKOS_API_KEY, WORKOS_REDIRECT_URI, CONVEX_URL), then
// .env.local in the current directory (--env-file to choose another).
//
// A .env.local belongs to whatever directory you run in, so the session's
// access token goes to a CONVEX_URL read from it only if you trusted that
// deployment: login trusts the one in effect, goconvex trust adds one, and
// logout forgets them (they are kept in the session file). Otherwise run,
// watch and doctor refuse before sending anything, naming the URL. A
// deployment given with --convex-url or CONVEX_URL in the environment is
// always used.
// The session is kept in a 0600 file under the user's config directory
// (workos.DefaultStorePath; --store to choose another).
//
// Browser sign-in listens on http://127.0.0.1:<port>/callback: allowlist
// that redirect URI in the WorkOS dashboard and pin the port with --port.
// When WorkOS asks for one more step before it signs the user in (choose
// an organization, an authenticator app code, the code emailed to the
// user), login asks for it on stderr and reads the answer from standard
// input; finishing such a step needs the environment's API key (--api-key
// or WORKOS_API_KEY).
//
// Exit codes: 0 success; 1 failure; 2 usage error; 3 not signed in;
// 4 doctor found problems; 130 interrupted.
//
// Tokens are printed only by the token command.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args, writing to stdout and stderr, and
// returns the exit code. Ctrl-C (SIGINT, SIGTERM) cancels it.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runCtx(ctx, args, stdout, stderr)
}
