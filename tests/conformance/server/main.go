// Command server runs a convextest deployment for the conformance suite
// (conformance.test.mjs): the official convex npm client is pointed at it.
//
// It registers the suite's functions, an auth provider whose signing key it
// generates (tokens are minted through the control API), and serves a small
// control API for fault injection and observation. On start it prints one
// JSON line, {"url": <deployment URL>, "control": <control URL>}, and it
// exits when stdin closes or it gets SIGTERM/SIGINT.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/testhooks"
)

const (
	issuer    = "https://issuer.conformance.test"
	audience  = "conformance-app"
	keyID     = "conformance-key-1"
	adminKey  = "conformance:admin|secret"
	chunkSize = 16 << 10
)

// debugFrames logs every frame to stderr (CONFORMANCE_DEBUG=1).
var debugFrames = os.Getenv("CONFORMANCE_DEBUG") == "1"

// stats counts what the server sent, from the frame observer.
type stats struct {
	mu             sync.Mutex
	chunkFrames    int
	queryRemoved   int
	authErrors     int
	transitions    int
	mutationFrames int
	// last is each connection's last message type to the client;
	// transitionsAfter counts Transitions by the type of the message before
	// them ("ActionResponse", "MutationResponse:false" for a failed
	// mutation).
	last             map[uint64]string
	transitionsAfter map[string]int
	// refusedFrames counts FatalErrors for client frames the strict
	// decoder refused.
	refusedFrames int
}

func (s *stats) observe(dir convextest.Direction, conn uint64, frame []byte) {
	if debugFrames {
		fmt.Fprintf(os.Stderr, "%s conn %d %s %.200s\n", time.Now().Format("15:04:05.000"), conn, dir, frame)
	}
	if dir != convextest.ToClient {
		return
	}
	var head struct {
		Type          string `json:"type"`
		Success       *bool  `json:"success"`
		Error         string `json:"error"`
		Modifications []struct {
			Type string `json:"type"`
		} `json:"modifications"`
	}
	if json.Unmarshal(frame, &head) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last, s.transitionsAfter = map[uint64]string{}, map[string]int{}
	}
	if head.Type == "Transition" {
		s.transitionsAfter[s.last[conn]]++
	}
	s.last[conn] = head.Type
	if head.Type == "MutationResponse" && head.Success != nil && !*head.Success {
		s.last[conn] = "MutationResponse:false"
	}
	switch head.Type {
	case "FatalError":
		if strings.HasPrefix(head.Error, "Received Invalid JSON on websocket: ") || head.Error == "Invalid arguments provided" {
			s.refusedFrames++
		}
	case "TransitionChunk":
		s.chunkFrames++
	case "Transition":
		s.transitions++
		for _, m := range head.Modifications {
			if m.Type == "QueryRemoved" {
				s.queryRemoved++
			}
		}
	case "AuthError":
		s.authErrors++
	case "MutationResponse":
		s.mutationFrames++
	}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "conformance server:", err)
		os.Exit(1)
	}
}

func run() error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	var clockOffset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }

	// The control API listens first: the deployment fetches its JWKS from it.
	ctrlLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctrlURL := "http://" + ctrlLn.Addr().String()

	st := &stats{}
	srv := convextest.NewServer(
		convextest.WithLogger(logger),
		testhooks.ConvextestWithClock(clock).(convextest.Option),
		convextest.WithChunkSize(chunkSize),
		convextest.WithAdminKey(adminKey),
		convextest.WithFrameObserver(st.observe),
		convextest.WithAuth(customjwt.Provider{Issuer: issuer, ApplicationID: audience, JWKS: ctrlURL + "/jwks"}),
	)
	defer srv.Close()
	register(srv)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{
			"kty": "RSA", "kid": keyID, "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	// POST /token {sub, lifetimeSec, claims, audience, kid} -> {token}:
	// a token with iat/exp on the deployment's clock.
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Sub         string         `json:"sub"`
			LifetimeSec float64        `json:"lifetimeSec"`
			Claims      map[string]any `json:"claims"`
			Audience    *string        `json:"audience"`
			Kid         *string        `json:"kid"`
		}
		if !decode(w, r, &req) {
			return
		}
		now := clock()
		if req.LifetimeSec == 0 {
			req.LifetimeSec = 3600
		}
		// A fresh jti makes every token distinct: RS256 signatures are
		// deterministic, and the JS client treats a refetched token equal to
		// the current one as "nothing new".
		claims := jwt.MapClaims{"iss": issuer, "sub": req.Sub, "aud": audience, "iat": now.Unix(), "exp": now.Add(time.Duration(req.LifetimeSec * float64(time.Second))).Unix(), "jti": rand.Text()}
		if req.Audience != nil {
			claims["aud"] = *req.Audience
		}
		for k, v := range req.Claims {
			claims[k] = v
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = keyID
		if req.Kid != nil {
			tok.Header["kid"] = *req.Kid
		}
		signed, err := tok.SignedString(key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		reply(w, map[string]any{"token": signed})
	})
	mux.HandleFunc("POST /drop", func(w http.ResponseWriter, r *http.Request) {
		srv.DropConnections()
		reply(w, map[string]any{})
	})
	mux.HandleFunc("POST /dropAfterFrames", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ N int }
		if decode(w, r, &req) {
			srv.DropAfterFrames(req.N)
			reply(w, map[string]any{})
		}
	})
	mux.HandleFunc("POST /clock", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ AdvanceSec float64 }
		if decode(w, r, &req) {
			clockOffset.Add(int64(req.AdvanceSec * float64(time.Second)))
			reply(w, map[string]any{})
		}
	})
	mux.HandleFunc("POST /restart", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.Restart(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		reply(w, map[string]any{})
	})
	mux.HandleFunc("POST /fatal", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Message string }
		if decode(w, r, &req) {
			srv.InjectFatalError(req.Message)
			reply(w, map[string]any{})
		}
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		execs := map[string]int{}
		for _, name := range strings.Split(r.URL.Query().Get("functions"), ",") {
			if name != "" {
				execs[name] = srv.ExecutionCount(name)
			}
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		reply(w, map[string]any{
			"connections":                    srv.Connections(),
			"subscriptions":                  srv.Subscriptions(),
			"executions":                     execs,
			"chunkFrames":                    st.chunkFrames,
			"queryRemoved":                   st.queryRemoved,
			"authErrors":                     st.authErrors,
			"transitions":                    st.transitions,
			"mutationFrames":                 st.mutationFrames,
			"chunkSize":                      chunkSize,
			"transitionsAfterAction":         st.transitionsAfter["ActionResponse"],
			"transitionsAfterFailedMutation": st.transitionsAfter["MutationResponse:false"],
			"refusedFrames":                  st.refusedFrames,
		})
	})
	ctrl := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ctrl.Serve(ctrlLn) }()
	defer ctrl.Close()

	line, _ := json.Marshal(map[string]string{"url": srv.URL(), "control": ctrlURL, "adminKey": adminKey, "issuer": issuer})
	fmt.Println(string(line))

	// Run until stdin closes (the test runner died) or a signal arrives.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stop:
	case <-stdinClosed:
	}
	return nil
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// register defines the functions the suite calls.
func register(srv *convextest.Server) {
	listChannel := func(db *convextest.DatabaseReader, channel any) []any {
		docs := db.Query("messages").Filter(func(d map[string]any) bool { return d["channel"] == channel }).Collect()
		out := make([]any, len(docs))
		for i, d := range docs {
			out[i] = d
		}
		return out
	}
	srv.Query("messages:list", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		return listChannel(ctx.DB, args["channel"]), nil
	})
	send := func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		body, _ := args["body"].(string)
		ctx.Log(convextest.LevelLog, "sending", body)
		doc := map[string]any{"channel": args["channel"], "body": body}
		if id := ctx.Identity(); id != nil {
			doc["author"] = id.Subject
		}
		return ctx.DB.Insert("messages", doc)
	}
	srv.Mutation("messages:send", send)
	// once:send is messages:send under its own name, so the suite can count
	// its executions in isolation.
	srv.Mutation("once:send", send)
	srv.Mutation("messages:fail", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		ctx.Log(convextest.LevelError, "failing on purpose")
		return nil, convextest.ConvexError{Data: map[string]any{"code": "E_FAIL", "n": values.Int64(42), "detail": []any{1.5, "x", nil}}}
	})
	srv.Mutation("messages:failPlain", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return nil, errors.New("plain failure")
	})
	srv.Query("queries:fail", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		ctx.Log(convextest.LevelWarn, "query about to fail")
		return nil, convextest.ConvexError{Data: map[string]any{"kind": "query", "n": values.Int64(-7)}}
	})
	srv.Query("queries:big", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		n, _ := args["n"].(float64)
		return strings.Repeat("x", int(n)), nil
	})
	srv.Query("users:viewer", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		id := ctx.Identity()
		if id == nil {
			return nil, nil
		}
		return map[string]any{"subject": id.Subject, "tokenIdentifier": id.TokenIdentifier, "issuer": id.Issuer, "name": id.Name}, nil
	})
	echo := func(args map[string]any) (any, error) { return args, nil }
	srv.Query("echo:query", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) { return echo(args) })
	srv.Mutation("echo:mutation", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) { return echo(args) })
	srv.Action("echo:action", func(ctx *convextest.ActionCtx, args map[string]any) (any, error) { return echo(args) })
	srv.Action("actions:hello", func(ctx *convextest.ActionCtx, args map[string]any) (any, error) {
		return fmt.Sprintf("hello, %v", args["name"]), nil
	})
	srv.Action("actions:summarize", func(ctx *convextest.ActionCtx, args map[string]any) (any, error) {
		before, err := ctx.RunQuery("messages:list", map[string]any{"channel": args["channel"]})
		if err != nil {
			return nil, err
		}
		id, err := ctx.RunMutation("messages:send", map[string]any{"channel": args["channel"], "body": fmt.Sprintf("summary of %d", len(before.([]any)))})
		if err != nil {
			return nil, err
		}
		return map[string]any{"count": values.Int64(len(before.([]any))), "inserted": id}, nil
	})
}
