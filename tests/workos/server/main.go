// Command server runs an authkittest issuer for the workos-node
// conformance suite (tests/workos/*.test.mjs).
//
// It starts the issuer with the suite's users, redirect URI, CORS origin
// and API key, plus a small control API on a second loopback port for
// fault injection and request counts:
//
//	POST /fault  {"route", "status", "body", "retryAfterMs", "latencyMs", "times"}
//	POST /clear  removes every fault
//	GET  /requests?route=…  -> {"count": n}
//	GET  /email-code?user=…  -> {"code": the email verification code last "sent"}
//
// On start it prints one JSON line: {"url", "clientId", "apiKey",
// "issuer", "jwksUrl", "redirectUri", "control"}. It exits when stdin
// closes or it gets SIGTERM/SIGINT.
//
// Flags: -issuer per-client|legacy (the issuer mode), -lifetime (token
// lifetime).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/goconvex/convex/authkit/authkittest"
)

const (
	apiKey      = "sk_test_workos_conformance"
	redirectURI = "http://127.0.0.1:3999/callback"
	appOrigin   = "http://127.0.0.1:3999"
)

var users = []authkittest.User{
	{
		ID: "user_01HBEQKA6K4QJAS93VPE39W1JT", Email: "ada@example.com",
		FirstName: "Ada", LastName: "Lovelace", Password: "analytical-engine",
	},
	{
		ID: "user_01HBEQKA6K4QJAS93VPE39W2GH", Email: "grace@example.com",
		FirstName: "Grace", LastName: "Hopper", Password: "cobol",
		Memberships: []authkittest.Membership{
			{OrganizationID: "org_01HRDMC6CM357W30QMHMQ96Q0S", Role: "admin", Permissions: []string{"posts:read", "posts:write"}},
			{OrganizationID: "org_01HRDMC6CM357W30QMHMQ96NAV", Role: "member", Permissions: []string{"posts:read"}},
		},
	},
	// The pending steps (authkittest's pending.go): organization
	// selection, an MFA challenge, an MFA enrollment, an email to verify.
	{
		ID: "user_01HBEQKA6K4QJAS93VPE39W4OL", Email: "olga@example.com", Password: "two-orgs",
		RequireOrganizationSelection: true,
		Memberships: []authkittest.Membership{
			{OrganizationID: "org_01HRDMC6CM357W30QMHMQ96Q0S", OrganizationName: "Analytical Engines", Role: "admin"},
			{OrganizationID: "org_01HRDMC6CM357W30QMHMQ96NAV", OrganizationName: "Navy"},
		},
	},
	{ID: "user_01HBEQKA6K4QJAS93VPE39W5TM", Email: "tom@example.com", Password: "authenticator", TOTPSecret: "JBSWY3DPEHPK3PXP"},
	{ID: "user_01HBEQKA6K4QJAS93VPE39W6MI", Email: "mia@example.com", Password: "enroll-me", RequireMFA: true},
	{ID: "user_01HBEQKA6K4QJAS93VPE39W7EV", Email: "eve@example.com", Password: "verify-me", UnverifiedEmail: true},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "workos conformance server:", err)
		os.Exit(1)
	}
}

func run() error {
	mode := flag.String("issuer", "per-client", "issuer mode: per-client or legacy")
	lifetime := flag.Duration("lifetime", 300*time.Second, "access token lifetime")
	flag.Parse()

	srv := authkittest.NewServer(
		authkittest.WithIssuerMode(authkittest.IssuerMode(*mode)),
		authkittest.WithTokenLifetime(*lifetime),
		authkittest.WithUsers(users...),
		authkittest.WithRedirectURIs(redirectURI),
		authkittest.WithCORSOrigins(appOrigin),
		authkittest.WithAPIKey(apiKey),
	)
	defer srv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /fault", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Route        string `json:"route"`
			Status       int    `json:"status"`
			Body         string `json:"body"`
			RetryAfterMs int    `json:"retryAfterMs"`
			LatencyMs    int    `json:"latencyMs"`
			Times        int    `json:"times"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		srv.Fault(req.Route, authkittest.Fault{
			Status:     req.Status,
			Body:       req.Body,
			RetryAfter: time.Duration(req.RetryAfterMs) * time.Millisecond,
			Latency:    time.Duration(req.LatencyMs) * time.Millisecond,
			Times:      req.Times,
		})
		reply(w, map[string]any{})
	})
	mux.HandleFunc("POST /clear", func(w http.ResponseWriter, r *http.Request) {
		srv.ClearFaults()
		reply(w, map[string]any{})
	})
	mux.HandleFunc("GET /requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"count": srv.Requests(r.URL.Query().Get("route"))})
	})
	mux.HandleFunc("GET /email-code", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"code": srv.EmailVerificationCode(r.URL.Query().Get("user"))})
	})
	ctrl := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ctrl.Serve(ln) }()
	defer ctrl.Close()

	line, err := json.Marshal(map[string]any{
		"url":         srv.URL(),
		"clientId":    srv.ClientID(),
		"apiKey":      apiKey,
		"issuer":      srv.Issuer(),
		"jwksUrl":     srv.JWKSURL(),
		"redirectUri": redirectURI,
		"appOrigin":   appOrigin,
		"control":     "http://" + ln.Addr().String(),
		"users":       users,
	})
	if err != nil {
		return err
	}
	fmt.Println(string(line))

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

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
