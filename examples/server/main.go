// Command server is the server mode of the Vite chat example: a Go web
// server keeps the WorkOS AuthKit session in an iron-sealed HttpOnly cookie
// (authkit/middleware, the net/http port of authkit-nextjs) and serves the
// built app (examples/vite/dist, `make example`). The app's wasm Convex
// client gets its access tokens from /auth/token; the refresh token never
// reaches the browser.
//
//	go run ./examples/server -dev                 # local stand-ins, like make demo
//	go run ./examples/server                      # real WorkOS + Convex, from the environment
//
// With -dev it starts a Convex-compatible deployment (convextest, the chat
// functions) and a WorkOS-compatible issuer (authkittest) in-process, on
// loopback. Without it, it reads WORKOS_CLIENT_ID, WORKOS_API_KEY,
// WORKOS_REDIRECT_URI (…/callback on this server), WORKOS_COOKIE_PASSWORD,
// CONVEX_URL and optionally WORKOS_API_BASE (a .env file is read when
// present).
//
// Routes: the app (public), /config.json (public; authMode "server"),
// /auth/sign-in, /auth/sign-up, /auth/sign-out (a same-origin POST: the
// app submits a form), /auth/token,
// /auth/session, the callback (the redirect URI's path) and /me, a
// protected page (signed-out browsers are sent to sign in).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/middleware"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/devauth"
	"github.com/goconvex/convex/internal/dotenv"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "address to serve the app on")
	appDir := flag.String("app-dir", "examples/vite/dist", "the built example app")
	dev := flag.Bool("dev", false, "run local Convex and WorkOS stand-ins in-process instead of reading the environment")
	tokenLifetime := flag.Duration("token-lifetime", 5*time.Minute, "with -dev: the issuer's access token lifetime")
	infoFile := flag.String("info-file", "", "write the URLs as JSON to this file once listening")
	debug := flag.Bool("debug", false, "log the middleware's decisions (never a token)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, options{addr: *addr, appDir: *appDir, dev: *dev, tokenLifetime: *tokenLifetime, infoFile: *infoFile, debug: *debug, logger: logger}); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

type options struct {
	addr, appDir  string
	dev           bool
	tokenLifetime time.Duration
	infoFile      string
	debug         bool
	logger        *slog.Logger
}

// appConfig is /config.json, read by examples/vite/src/config.ts.
type appConfig struct {
	ConvexURL      string `json:"convexUrl"`
	WorkOSClientID string `json:"workosClientId"`
	RedirectURI    string `json:"redirectUri"`
	AuthMode       string `json:"authMode"`
}

// info is what -info-file holds (the e2e harness reads it).
type info struct {
	AppURL     string `json:"appUrl"`
	ConvexURL  string `json:"convexUrl"`
	AuthKitURL string `json:"authkitUrl"`
	ClientID   string `json:"clientId"`
}

// devUsers can sign in with -dev (password: password).
var devUsers = []authkittest.User{
	authkittest.DemoUser,
	{ID: "user_01DEM0USER0000000000000002", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Password: "password"},
}

func run(ctx context.Context, o options) error {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	appURL := "http://" + ln.Addr().String()

	var cfg middleware.Config
	var convexURL string
	if o.dev {
		ak := authkittest.NewServer(
			authkittest.WithUsers(devUsers...),
			authkittest.WithTokenLifetime(o.tokenLifetime),
			authkittest.WithRedirectURIs(appURL+"/callback"),
			authkittest.WithHomepageURL(appURL+"/"),
			authkittest.WithJWTTemplate(authkittest.NameEmailTemplate),
		)
		defer ak.Close()
		cx := convextest.NewServer(
			convextest.WithLogger(o.logger),
			convextest.WithAuth(devauth.ConvexProviders(ak)...),
		)
		defer cx.Close()
		chat.Register(cx)
		cfg = middleware.Config{
			WorkOS:         workos.Config{ClientID: ak.ClientID(), APIBase: ak.URL()},
			RedirectURI:    appURL + "/callback",
			CookiePassword: randomPassword(),
		}
		convexURL = cx.URL()
	} else {
		if err := dotenv.Load(".env"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		cfg = middleware.ConfigFromEnv() // WORKOS_CLIENT_ID, WORKOS_REDIRECT_URI, WORKOS_COOKIE_PASSWORD, …
		if err := cfg.WorkOS.Validate(); err != nil {
			return err
		}
		convexURL = os.Getenv("CONVEX_URL")
		if convexURL == "" || cfg.RedirectURI == "" || cfg.CookiePassword == "" {
			return errors.New("set CONVEX_URL, WORKOS_REDIRECT_URI and WORKOS_COOKIE_PASSWORD (or use -dev)")
		}
	}

	redirect, _ := url.Parse(cfg.RedirectURI)
	// The app shell is public (it shows "Sign in" to signed-out visitors);
	// /me is not.
	cfg.UnauthenticatedPaths = []string{"/", "/index.html", "/assets/*", "/favicon.ico", "/config.json", "/auth/*"}
	cfg.Debug, cfg.Logger = o.debug, o.logger
	m, err := middleware.New(cfg)
	if err != nil {
		return err
	}

	conf := appConfig{ConvexURL: convexURL, WorkOSClientID: cfg.WorkOS.ClientID, RedirectURI: cfg.RedirectURI, AuthMode: "server"}
	mux := http.NewServeMux()
	mux.Handle("GET /auth/sign-in", m.SignInHandler())
	mux.Handle("GET /auth/sign-up", m.SignUpHandler())
	mux.Handle("POST /auth/sign-out", m.SignOutHandler())
	mux.Handle("GET /auth/token", m.AccessTokenHandler())
	mux.Handle("GET /auth/session", m.SessionHandler())
	mux.Handle("GET "+redirect.Path, m.CallbackHandler())
	mux.Handle("POST "+redirect.Path, m.CallbackHandler()) // the form of a sign-in step (organization, MFA, email code)
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(conf)
	})
	// A protected page rendered on the server from the session.
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s := middleware.SessionFromContext(r.Context()) // never nil: /me is protected
		email := ""
		if s.User != nil {
			email = s.User.Email
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Me</title><p data-testid=\"me\">Signed in as <strong>%s</strong> (session %s).</p><p><a href=\"/\">Chat</a></p>",
			html.EscapeString(email), html.EscapeString(s.SessionID))
	})
	mux.Handle("/", appHandler(o.appDir))

	srv := &http.Server{Handler: m.Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	if o.infoFile != "" {
		b, _ := json.Marshal(info{AppURL: appURL, ConvexURL: convexURL, AuthKitURL: cfg.WorkOS.APIBaseOrDefault(), ClientID: cfg.WorkOS.ClientID})
		tmp := o.infoFile + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, o.infoFile); err != nil {
			return err
		}
	}
	fmt.Printf("goconvex chat, server mode\n\n  Open the app:      %s\n  Convex:            %s\n  WorkOS:            %s\n", appURL, convexURL, cfg.WorkOS.APIBaseOrDefault())
	if o.dev {
		fmt.Printf("  Sign in as:        %s or %s (password: password)\n", devUsers[0].Email, devUsers[1].Email)
	}
	fmt.Println("\nPress Ctrl-C to stop.")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// randomPassword is a fresh cookie password for -dev: sessions do not
// outlive the process anyway (the issuer is in memory).
func randomPassword() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// appHandler serves the built app, index.html for client-side routes.
func appHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		index := filepath.Join(dir, "index.html")
		if _, err := os.Stat(index); errors.Is(err, os.ErrNotExist) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<!doctype html><title>goconvex server</title><p>The example app is not built. Run <code>make example</code>.</p>`)
			return
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.Clean("/"+r.URL.Path))); r.URL.Path != "/" && errors.Is(err, os.ErrNotExist) {
			http.ServeFile(w, r, index)
			return
		}
		files.ServeHTTP(w, r)
	})
}
