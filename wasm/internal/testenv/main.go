//go:build !js

// Command testenv runs the native peers of the wasm and browser tests, then
// a command against them, and exits with the command's status:
//
//	go run ./wasm/internal/testenv [-static dir] -- go test ./client/...
//
// JS runtimes cannot listen on sockets, so GOOS=js tests (under node or in
// Chromium), the JS package's tests and the browser e2e test reach these
// servers on loopback through URLs in the environment:
//
//	GOCONVEX_TEST_CONVEX_URL   a convextest deployment with the chat functions
//	                           (internal/chat) and the testing:* functions below;
//	                           it accepts tokens from the helper's issuer and, when
//	                           it runs, from authkittest
//	GOCONVEX_TEST_HELPER_URL   http://…: /echo is a WebSocket echo peer for the
//	                           transport tests, /hang never answers, /token mints a JWT the deployment
//	                           accepts (?sub=&name=&ttl=seconds), /control/drop
//	                           drops the deployment's sockets (?code=&reason=),
//	                           /control/stats counts its connections and subscriptions
//	GOCONVEX_TEST_REFUSED_URL  ws://127.0.0.1:<a closed port>
//	GOCONVEX_TEST_AUTHKIT_URL  an authkittest issuer (its DemoUser signs in with a
//	                           login form; tokens carry name and email), whose
//	                           tokens the deployment accepts;
//	GOCONVEX_TEST_AUTHKIT_CLIENT_ID its client id
//	GOCONVEX_TEST_APP_URL      with -static: the directory served over http, for
//	                           pages that load the wasm (Content-Type application/wasm),
//	                           plus /config.json naming the servers above; it is
//	                           the issuer's redirect URI (APP_URL + "/") and CORS origin
//
// The command inherits stdin, stdout and stderr. The servers stop when it exits.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/chat"
)

// audience is the applicationID of the helper's token issuer.
const audience = "goconvex-wasm-tests"

func main() {
	log.SetFlags(0)
	log.SetPrefix("testenv: ")
	static := flag.String("static", "", "serve this directory at GOCONVEX_TEST_APP_URL")
	quiet := flag.Bool("q", false, "do not print the URLs")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		log.Fatal("usage: testenv [-static dir] [-q] -- command [args…]")
	}

	env, stop, err := start(*static)
	if err != nil {
		log.Fatal(err)
	}
	if !*quiet {
		for _, kv := range env {
			log.Print(kv)
		}
	}
	code := run(args, env)
	stop()
	os.Exit(code)
}

// run runs the command with env added and returns its exit status.
func run(args, env []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		log.Print(err)
		return 127
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	signal.Stop(sigs)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ee.ExitCode() >= 0 {
			return ee.ExitCode()
		}
		return 1
	default:
		log.Print(err)
		return 1
	}
}

// start starts the servers and returns the environment that names them.
func start(static string) (env []string, stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	helperLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	helperURL := "http://" + helperLn.Addr().String()
	issuer := &issuer{url: helperURL, key: key}

	// The app's origin is needed before the issuer starts (its redirect
	// URI and CORS allowlist).
	var appLn net.Listener
	var appURL string
	if static != "" {
		if appLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, nil, err
		}
		appURL = "http://" + appLn.Addr().String()
	}
	akOpts := []authkittest.Option{authkittest.WithJWTTemplate(authkittest.NameEmailTemplate)}
	if appURL != "" {
		akOpts = append(akOpts, authkittest.WithRedirectURIs(appURL+"/"), authkittest.WithCORSOrigins(appURL))
	}
	ak := authkittest.NewServer(akOpts...)
	stops = append(stops, ak.Close)

	srv := convextest.NewServer(convextest.WithAuth(
		customjwt.Provider{Issuer: helperURL, ApplicationID: audience, JWKS: issuer.jwks()},
		customjwt.Provider{Issuer: ak.Issuer(), JWKS: string(ak.JWKS())},
	))
	stops = append(stops, srv.Close)
	chat.Register(srv)
	registerTesting(srv)

	helper := &http.Server{Handler: helperMux(issuer, srv), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = helper.Serve(helperLn) }()
	stops = append(stops, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = helper.Shutdown(ctx)
		_ = helper.Close()
	})

	// A port that refuses connections: listen, note it, close it.
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	refusedURL := "ws://" + refused.Addr().String()
	_ = refused.Close()

	env = []string{
		"GOCONVEX_TEST_CONVEX_URL=" + srv.URL(),
		"GOCONVEX_TEST_HELPER_URL=" + helperURL,
		"GOCONVEX_TEST_REFUSED_URL=" + refusedURL,
		"GOCONVEX_TEST_AUTHKIT_URL=" + ak.URL(),
		"GOCONVEX_TEST_AUTHKIT_CLIENT_ID=" + ak.ClientID(),
	}
	if appLn != nil {
		mux := http.NewServeMux()
		mux.Handle("/", noCache(http.FileServer(http.Dir(static))))
		// The page reads where everything is from /config.json.
		mux.HandleFunc("/config.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_ = json.NewEncoder(w).Encode(map[string]string{
				"convexUrl": srv.URL(), "authkitUrl": ak.URL(), "clientId": ak.ClientID(),
				"email": authkittest.DemoUser.Email, "password": authkittest.DemoUser.Password,
			})
		})
		app := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = app.Serve(appLn) }()
		stops = append(stops, func() { _ = app.Close() })
		env = append(env, "GOCONVEX_TEST_APP_URL="+appURL)
	}
	return env, stop, nil
}

// registerTesting adds the functions the wasm and JS tests call.
func registerTesting(srv *convextest.Server) {
	// testing:echo returns its arguments, so values round-trip Go ⇄ JS.
	srv.Query("testing:echo", func(_ *convextest.QueryCtx, args map[string]any) (any, error) {
		return args, nil
	})
	srv.Mutation("testing:echoMutation", func(_ *convextest.MutationCtx, args map[string]any) (any, error) {
		return args, nil
	})
	srv.Action("testing:echoAction", func(_ *convextest.ActionCtx, args map[string]any) (any, error) {
		return args, nil
	})
	// testing:fail fails with ConvexError data {reason, n: 3n} when
	// args.convexError is true, else with a plain error "boom".
	fail := func(args map[string]any) error {
		if b, _ := args["convexError"].(bool); b {
			return convextest.ConvexError{Data: map[string]any{"reason": "nope", "n": values.Int64(3)}}
		}
		return errors.New("boom")
	}
	srv.Query("testing:fail", func(_ *convextest.QueryCtx, args map[string]any) (any, error) {
		return nil, fail(args)
	})
	srv.Mutation("testing:failMutation", func(_ *convextest.MutationCtx, args map[string]any) (any, error) {
		return nil, fail(args)
	})
	srv.Action("testing:failAction", func(_ *convextest.ActionCtx, args map[string]any) (any, error) {
		return nil, fail(args)
	})
	// testing:big returns a string of args.size bytes.
	srv.Query("testing:big", func(_ *convextest.QueryCtx, args map[string]any) (any, error) {
		n, _ := args["size"].(float64)
		return strings.Repeat("x", int(n)), nil
	})
	// testing:counter reads and testing:increment bumps the counter named
	// args.name, for tests that watch a query change.
	srv.Query("testing:counter", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		name, _ := args["name"].(string)
		doc := ctx.DB.Query("counters").Filter(func(d map[string]any) bool { return d["name"] == name }).First()
		if doc == nil {
			return float64(0), nil
		}
		return doc["value"], nil
	})
	srv.Mutation("testing:increment", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		name, _ := args["name"].(string)
		doc := ctx.DB.Query("counters").Filter(func(d map[string]any) bool { return d["name"] == name }).First()
		if doc == nil {
			_, err := ctx.DB.Insert("counters", map[string]any{"name": name, "value": float64(1)})
			return float64(1), err
		}
		v, _ := doc["value"].(float64)
		v++
		return v, ctx.DB.Patch(doc["_id"].(string), map[string]any{"value": v})
	})
	// testing:items is a paginated query over the items of list args.list,
	// newest first (as a chat shows them); testing:addItem adds {list, n}.
	srv.Query("testing:items", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		opts, err := convextest.ParsePaginationOptions(args)
		if err != nil {
			return nil, err
		}
		list, _ := args["list"].(string)
		res, err := ctx.DB.Query("items").Filter(func(d map[string]any) bool { return d["list"] == list }).Order(true).Paginate(opts)
		if err != nil {
			return nil, err
		}
		return res.Value(), nil
	})
	// testing:listItems returns the n of every item of list args.list, oldest first.
	srv.Query("testing:listItems", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		list, _ := args["list"].(string)
		out := []any{}
		for _, d := range ctx.DB.Query("items").Filter(func(d map[string]any) bool { return d["list"] == list }).Collect() {
			out = append(out, map[string]any{"n": d["n"]})
		}
		return out, nil
	})
	srv.Mutation("testing:addItem", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("items", map[string]any{"list": args["list"], "n": args["n"]})
	})
}

func helperMux(iss *issuer, srv *convextest.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", echo)
	// /hang never answers, for dial timeouts.
	mux.HandleFunc("/hang", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ttl := 3600
		if s := q.Get("ttl"); s != "" {
			if n, err := strconv.Atoi(s); err == nil {
				ttl = n
			}
		}
		sub := q.Get("sub")
		if sub == "" {
			sub = "user_test"
		}
		tok, err := iss.mint(sub, q.Get("name"), time.Duration(ttl)*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(tok))
	})
	mux.HandleFunc("/control/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"connections":%d,"subscriptions":%d}`, srv.Connections(), srv.Subscriptions())
	})
	mux.HandleFunc("/control/drop", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		if code == 0 {
			srv.DropConnections()
		} else {
			srv.DropConnectionsWith(code, r.URL.Query().Get("reason"))
		}
		_, _ = w.Write([]byte("ok"))
	})
	return cors(mux)
}

// echo is the transport tests' WebSocket peer. Text frames are echoed,
// except commands: "close <code> <reason>" closes with that code,
// "big <n>" answers n bytes, "binary" sends a binary frame then "after-binary",
// "burst <n>" sends n numbered frames then closes with 4002 "burst done".
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(64 << 20)
	ctx := r.Context()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		msg := string(data)
		switch {
		case strings.HasPrefix(msg, "close "):
			parts := strings.SplitN(msg, " ", 3)
			code, _ := strconv.Atoi(parts[1])
			reason := ""
			if len(parts) > 2 {
				reason = parts[2]
			}
			_ = c.Close(websocket.StatusCode(code), reason)
			return
		case strings.HasPrefix(msg, "big "):
			n, _ := strconv.Atoi(strings.TrimPrefix(msg, "big "))
			if err := c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("b", n))); err != nil {
				return
			}
		case msg == "binary":
			_ = c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3})
			_ = c.Write(ctx, websocket.MessageText, []byte("after-binary"))
		case strings.HasPrefix(msg, "burst "):
			n, _ := strconv.Atoi(strings.TrimPrefix(msg, "burst "))
			for i := range n {
				if err := c.Write(ctx, websocket.MessageText, []byte(strconv.Itoa(i))); err != nil {
					return
				}
			}
			_ = c.Close(4002, "burst done")
			return
		default:
			if err := c.Write(ctx, typ, data); err != nil {
				return
			}
		}
	}
}

func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// issuer mints RS256 tokens the deployment accepts.
type issuer struct {
	url string
	key *rsa.PrivateKey
}

const keyID = "goconvex-wasm-tests"

func (i *issuer) jwks() string {
	pub := i.key.PublicKey
	b, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": keyID,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return string(b)
}

func (i *issuer) mint(sub, name string, ttl time.Duration) (string, error) {
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": i.url, "sub": sub, "aud": audience,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(),
		"jti": fmt.Sprintf("%d", now.UnixNano()),
	}
	if name != "" {
		claims["name"] = name
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = keyID
	return t.SignedString(i.key)
}
