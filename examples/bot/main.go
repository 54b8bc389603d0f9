// Command bot is a headless Convex chat bot signed in with WorkOS AuthKit.
// It subscribes to messages:list and answers "!ping" with "pong" through
// messages:send.
//
// It signs in one of two ways:
//
//   - as a user, with the refresh token the goconvex CLI stored
//     ("goconvex login --device" once, on any machine; then copy the session
//     file, or point --store at it). The Session rotates the refresh token
//     and saves each new one, under a file lock, so the bot survives
//     restarts and token rotation; do not run two bots on one session
//     without that shared file.
//   - as a machine, with WorkOS Connect client credentials
//     (BOT_CLIENT_ID, BOT_CLIENT_SECRET, WORKOS_AUTHKIT_DOMAIN). The
//     deployment's auth.config.ts then needs a third provider: see
//     workos.M2MConvexProvider. The dev stack (make demo) has one, demo-bot:
//     its banner prints the three lines to export.
//
// Configuration: CONVEX_URL, WORKOS_CLIENT_ID, WORKOS_API_BASE (flags of the
// same meaning override them; .env.local is read). Exit codes: 0 stopped,
// 1 failure, 2 usage, 3 signed out (sign in again with goconvex login).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/internal/dotenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

// Environment variables of the machine identity.
const (
	envBotClientID     = "BOT_CLIENT_ID"
	envBotClientSecret = "BOT_CLIENT_SECRET"
	envAuthKitDomain   = "WORKOS_AUTHKIT_DOMAIN"
)

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("bot", flag.ContinueOnError)
	fl.SetOutput(stderr)
	envFile := fl.String("env-file", ".env.local", "dotenv file to read (missing is fine)")
	convexURL := fl.String("convex-url", "", "Convex deployment (default $CONVEX_URL)")
	clientID := fl.String("client-id", "", "WorkOS client id (default $WORKOS_CLIENT_ID)")
	apiBase := fl.String("api-base", "", "WorkOS API base (default $WORKOS_API_BASE)")
	store := fl.String("store", "", "session file (default: the goconvex CLI's)")
	verbose := fl.Bool("v", false, "log debug records")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if err := dotenv.Load(*envFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(stderr, "bot:", err)
		return 1
	}
	cfg := workos.ConfigFromEnv()
	cfg.APIKey = "" // the bot is a public client
	deployment := os.Getenv("CONVEX_URL")
	for dst, v := range map[*string]string{&deployment: *convexURL, &cfg.ClientID: *clientID, &cfg.APIBase: *apiBase} {
		if v != "" {
			*dst = v
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if deployment == "" {
		fmt.Fprintln(stderr, "bot: set CONVEX_URL or --convex-url")
		return 2
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var src authkit.TokenSource
	var sess *workos.Session
	if id := os.Getenv(envBotClientID); id != "" {
		cc, err := workos.NewClientCredentialsSource(workos.ClientCredentialsConfig{
			AuthKitDomain: os.Getenv(envAuthKitDomain), ClientID: id, ClientSecret: os.Getenv(envBotClientSecret),
		})
		if err != nil {
			fmt.Fprintln(stderr, "bot:", err)
			return 2
		}
		src = cc
	} else {
		if cfg.ClientID == "" {
			fmt.Fprintln(stderr, "bot: set WORKOS_CLIENT_ID (or BOT_CLIENT_ID for a machine identity)")
			return 2
		}
		path := *store
		if path == "" {
			p, err := workos.DefaultStorePath(cfg.ClientID)
			if err != nil {
				fmt.Fprintln(stderr, "bot:", err)
				return 1
			}
			path = p
		}
		fst := workos.NewFileStore(path)
		if saved, err := fst.Load(ctx); err != nil || saved == nil {
			fmt.Fprintf(stderr, "bot: no session in %s: sign in first with goconvex login --device\n", path)
			return 3
		}
		s, err := workos.NewSession(workos.SessionConfig{Config: cfg, Store: fst, Logger: log})
		if err != nil {
			fmt.Fprintln(stderr, "bot:", err)
			return 2
		}
		sess, src = s, s
	}
	p := authkit.NewProvider(src, authkit.ProviderConfig{
		ProactiveRefresh: true,
		OnSignedOut:      func(err error) { cancel(fmt.Errorf("%w: %w", authkit.ErrSignedOut, err)) },
	})
	defer p.Close()

	c, err := client.New(deployment, client.WithLogger(log))
	if err != nil {
		fmt.Fprintln(stderr, "bot:", err)
		return 1
	}
	defer c.Close()
	c.SetAuth(p)
	log.Info("bot: running", "deployment", deployment)
	err = NewBot(c, log).Run(ctx)
	if sess != nil {
		// Let a refresh in flight persist its rotated refresh token.
		c.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		sess.Token(sctx, false)
		scancel()
	}
	if cause := context.Cause(ctx); errors.Is(cause, authkit.ErrSignedOut) {
		fmt.Fprintln(stderr, "bot: signed out:", cause, "— sign in again with goconvex login")
		return 3
	}
	if err != nil {
		fmt.Fprintln(stderr, "bot:", err)
		return 1
	}
	log.Info("bot: stopped")
	return 0
}
