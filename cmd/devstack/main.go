// Command devstack runs the local dev stack on loopback: a Convex-compatible
// deployment (convextest) with the example chat functions, a WorkOS-compatible
// issuer (authkittest) with a sign-in page and demo users, and the built
// example app. It prints the URLs to open and runs until interrupted.
//
//	go run ./cmd/devstack [-convex-addr 127.0.0.1:3210] [-authkit-addr 127.0.0.1:3211] [-app-addr 127.0.0.1:3000]
//
// Tests start it on free ports (-convex-addr 127.0.0.1:0 …) and read the
// addresses it got from -info-file; -e2e-control adds fault injection
// endpoints for browser tests (see e2eControl).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.convexAddr, "convex-addr", "127.0.0.1:3210", "address of the Convex-compatible deployment")
	flag.StringVar(&cfg.authkitAddr, "authkit-addr", "127.0.0.1:3211", "address of the WorkOS-compatible issuer")
	flag.StringVar(&cfg.appAddr, "app-addr", "127.0.0.1:3000", "address serving the example app")
	flag.StringVar(&cfg.appDir, "app-dir", "examples/vite/dist", "the built example app to serve")
	flag.DurationVar(&cfg.tokenLifetime, "token-lifetime", 5*time.Minute, "lifetime of the access tokens the issuer mints")
	flag.BoolVar(&cfg.e2eControl, "e2e-control", false, "serve test-only fault injection endpoints under /_e2e/ on the app server")
	infoFile := flag.String("info-file", "", "write the stack's URLs as JSON to this file once it is listening")
	flag.BoolVar(&cfg.verbose, "v", false, "log every frame to and from the deployment, its connection events, and every request to the app server")
	flag.Parse()

	level := slog.LevelInfo
	if cfg.verbose {
		level = slog.LevelDebug
	}
	cfg.logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
	defer st.close()
	if *infoFile != "" {
		if err := st.writeInfo(*infoFile); err != nil {
			fmt.Fprintln(os.Stderr, "devstack:", err)
			os.Exit(1)
		}
	}
	st.printURLs(os.Stdout)
	<-ctx.Done()
	fmt.Println("devstack: stopping")
}
