package middleware_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/goconvex/convex/authkit/middleware"
)

// A Go web server holding the AuthKit session in an iron-sealed cookie
// (authkit-nextjs's wos-session), with a public home page, a protected
// page, and an access-token endpoint for the page's Convex client.
func ExampleNew() {
	cfg := middleware.ConfigFromEnv() // WORKOS_CLIENT_ID, WORKOS_REDIRECT_URI, WORKOS_COOKIE_PASSWORD, …
	cfg.UnauthenticatedPaths = []string{"/", "/assets/*", "/auth/*"}
	m, err := middleware.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /auth/sign-in", m.SignInHandler())
	mux.Handle("GET /callback", m.CallbackHandler())
	mux.Handle("POST /auth/sign-out", m.SignOutHandler())
	mux.Handle("GET /auth/token", m.AccessTokenHandler())
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		u := middleware.UserFromRequest(r) // never nil here: /account is protected
		fmt.Fprintf(w, "Hello %s", u.Email)
	})
	log.Fatal(http.ListenAndServe(":3000", m.Handler(mux)))
}
