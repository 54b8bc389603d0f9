package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/devauth"
)

type config struct {
	convexAddr, authkitAddr, appAddr string
	appDir                           string
	tokenLifetime                    time.Duration
	logger                           *slog.Logger
	// verbose logs every frame to and from the deployment and every
	// request to the app server, at debug level.
	verbose bool
	// e2eControl serves the test-only fault injection endpoints under
	// /_e2e/ (see e2eControl).
	e2eControl bool
}

// stack is the running dev stack.
type stack struct {
	convex  *convextest.Server
	authkit *authkittest.Server
	app     *http.Server
	appURL  string
	appDir  string
	e2e     *e2eControl // nil unless config.e2eControl
}

// Users of the dev stack's issuer: sign in as either (any password works
// for both, so that two browser windows can be two people).
var users = []authkittest.User{
	authkittest.DemoUser,
	{ID: "user_01DEM0USER0000000000000002", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Password: "password"},
}

// bot is the dev stack's machine identity for examples/bot: a WorkOS
// Connect M2M application whose client_credentials tokens the deployment
// accepts (a third provider, as workos.M2MConvexProvider describes). Its
// messages appear under its client id, not as one of the users.
var bot = authkittest.M2MApp{ClientID: "demo-bot", ClientSecret: "demo-bot-secret"}

// adminKey is the deployment's admin key, for local use only (the stack
// listens on loopback): the banner exports it as CONVEX_ADMIN_KEY, with
// which goconvex gen fetches the deployment's function spec and goconvex
// run reads the functions' kinds (calls still run as the signed-in user).
const adminKey = "devstack-local-admin-key"

// appConfig is what the example app reads at /config.json to find the
// deployment and the issuer.
type appConfig struct {
	ConvexURL      string `json:"convexUrl"`
	WorkOSClientID string `json:"workosClientId"`
	APIHostname    string `json:"apiHostname"`
	APIPort        int    `json:"apiPort"`
	HTTPS          bool   `json:"https"`
	RedirectURI    string `json:"redirectUri"`
}

func start(cfg config) (*stack, error) {
	ln, err := net.Listen("tcp", cfg.appAddr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen for the app on %s: %w", cfg.appAddr, err)
	}
	appURL := "http://" + ln.Addr().String()

	ak := authkittest.NewServer(
		authkittest.WithAddr(cfg.authkitAddr),
		authkittest.WithUsers(users...),
		authkittest.WithTokenLifetime(cfg.tokenLifetime),
		authkittest.WithRedirectURIs(appURL, appURL+"/", appURL+"/callback"),
		authkittest.WithCORSOrigins(appURL),
		// Signing out comes back to the app.
		authkittest.WithHomepageURL(appURL+"/"),
		// Like a WorkOS JWT template: Convex functions see the user's name.
		authkittest.WithJWTTemplate(authkittest.NameEmailTemplate),
		authkittest.WithM2MApps(bot),
	)
	clientID := ak.ClientID()
	m2m := workos.M2MConvexProvider(ak.M2MIssuer(), clientID)
	var e2e *e2eControl
	cxOpts := []convextest.Option{
		convextest.WithAddr(cfg.convexAddr),
		convextest.WithLogger(cfg.logger),
		convextest.WithAdminKey(adminKey),
		// The seed's two WorkOS providers (convex/auth.config.ts), with the
		// keys of the local issuer, and the bot's.
		convextest.WithAuth(append(devauth.ConvexProviders(ak), m2m)...),
	}
	var observers []func(convextest.Direction, uint64, []byte)
	if cfg.e2eControl {
		e2e = &e2eControl{}
		observers = append(observers, e2e.observe)
	}
	if cfg.verbose {
		observers = append(observers, func(dir convextest.Direction, conn uint64, frame []byte) {
			cfg.logger.Debug("convex frame", "conn", conn, "dir", dir.String(), "frame", string(frame))
		})
	}
	if len(observers) > 0 {
		cxOpts = append(cxOpts, convextest.WithFrameObserver(func(dir convextest.Direction, conn uint64, frame []byte) {
			for _, o := range observers {
				o(dir, conn, frame)
			}
		}))
	}
	cx := convextest.NewServer(cxOpts...)
	chat.Register(cx)

	host, port, _ := net.SplitHostPort(hostPort(ak.URL()))
	var p int
	fmt.Sscan(port, &p)
	conf := appConfig{ConvexURL: cx.URL(), WorkOSClientID: clientID, APIHostname: host, APIPort: p, RedirectURI: appURL + "/callback"}

	st := &stack{convex: cx, authkit: ak, appURL: appURL, appDir: cfg.appDir, e2e: e2e}
	mux := http.NewServeMux()
	if e2e != nil {
		e2e.convex = cx
		e2e.register(mux)
	} else {
		mux.HandleFunc("/_e2e/", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "the e2e control endpoints are off (devstack -e2e-control)", http.StatusNotFound)
		})
	}
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(conf)
	})
	mux.Handle("/", appHandler(cfg.appDir))
	var handler http.Handler = mux
	if cfg.verbose {
		handler = logRequests(cfg.logger, mux)
	}
	st.app = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go st.app.Serve(ln)
	return st, nil
}

func hostPort(u string) string {
	const prefix = "http://"
	if len(u) > len(prefix) && u[:len(prefix)] == prefix {
		return u[len(prefix):]
	}
	return u
}

// appHandler serves the built app, with index.html for client-side routes
// (such as /callback), or a page saying how to build it.
func appHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		index := filepath.Join(dir, "index.html")
		if _, err := os.Stat(index); errors.Is(err, os.ErrNotExist) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<!doctype html><title>goconvex dev stack</title><p>The example app is not built. Run <code>make demo</code>, which builds it.</p>`)
			return
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.Clean("/"+r.URL.Path))); r.URL.Path != "/" && errors.Is(err, os.ErrNotExist) {
			http.ServeFile(w, r, index)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// logRequests logs each request to the app server at debug level.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Debug("app request", "method", r.Method, "path", r.URL.RequestURI(), "remote", r.RemoteAddr)
		next.ServeHTTP(w, r)
	})
}

// envLines are the shell lines that point the goconvex CLI (and
// examples/quickstart) at this stack; botEnvLines add the bot's identity.
func (st *stack) envLines() []string {
	return []string{
		"export CONVEX_URL=" + st.convex.URL(),
		"export WORKOS_CLIENT_ID=" + st.authkit.ClientID(),
		"export WORKOS_API_BASE=" + st.authkit.URL(),
		"export CONVEX_ADMIN_KEY=" + adminKey,
	}
}

func (st *stack) botEnvLines() []string {
	return []string{
		"export BOT_CLIENT_ID=" + bot.ClientID,
		"export BOT_CLIENT_SECRET=" + bot.ClientSecret,
		"export WORKOS_AUTHKIT_DOMAIN=" + st.authkit.M2MIssuer(),
	}
}

func (st *stack) printURLs(w io.Writer) {
	fmt.Fprintf(w, `goconvex dev stack

  Open the app:        %s
  Sign in as:          %s or %s (password: password)

  Convex deployment:   %s   (the example's functions, in memory)
  AuthKit issuer:      %s   (client id %s)

The CLI, in another terminal (from the repository's root):

  %s
  go run ./cmd/goconvex login           # or: login --device
  go run ./cmd/goconvex watch messages:list
  go run ./cmd/goconvex run messages:send '{"body":"hi"}'
  go run ./cmd/goconvex gen -o internal/chat/chatapi --check   # typed Go calls: the package of these functions

The bot (answers !ping with pong, as %q), with the lines above and:

  %s
  go run ./examples/bot

Press Ctrl-C to stop.
`, st.appURL, users[0].Email, users[1].Email, st.convex.URL(), st.authkit.URL(), st.authkit.ClientID(),
		strings.Join(st.envLines(), "\n  "), bot.ClientID, strings.Join(st.botEnvLines(), "\n  "))
}

// stackInfo is what -info-file holds.
type stackInfo struct {
	AppURL     string `json:"appUrl"`
	ConvexURL  string `json:"convexUrl"`
	AuthKitURL string `json:"authkitUrl"`
	ClientID   string `json:"clientId"`
}

// writeInfo writes the stack's URLs as JSON to path, atomically (a reader
// polling for the file never sees it half written).
func (st *stack) writeInfo(path string) error {
	b, err := json.Marshal(stackInfo{AppURL: st.appURL, ConvexURL: st.convex.URL(), AuthKitURL: st.authkit.URL(), ClientID: st.authkit.ClientID()})
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (st *stack) close() {
	st.app.Close()
	st.convex.Close()
	st.authkit.Close()
}
