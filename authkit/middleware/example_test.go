package middleware_test

import (
	"fmt"
	"html"
	"log"
	"net/http"

	"github.com/goconvex/convex/authkit/middleware"
	"github.com/goconvex/convex/authkit/workos"
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
	mux.Handle("/callback", m.CallbackHandler()) // GET, and POST for a sign-in step
	mux.Handle("POST /auth/sign-out", m.SignOutHandler())
	mux.Handle("GET /auth/token", m.AccessTokenHandler())
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		u := middleware.UserFromRequest(r) // never nil here: /account is protected
		fmt.Fprintf(w, "Hello %s", u.Email)
	})
	log.Fatal(http.ListenAndServe(":3000", m.Handler(mux)))
}

// The app's own page for a sign-in step (choose an organization, type a
// code): the middleware keeps the step in a sealed cookie and finishes it
// when the form comes back to the callback.
func ExampleConfig_pendingStepHandler() {
	cfg := middleware.ConfigFromEnv() // WORKOS_API_KEY too: finishing a step needs it
	cfg.PendingStepHandler = func(w http.ResponseWriter, r *http.Request, step *middleware.PendingStep) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form method="post" action="%s"><input type="hidden" name="%s" value="%s">`,
			html.EscapeString(step.Action), middleware.FieldNonce, html.EscapeString(step.Nonce))
		if step.Error != "" {
			fmt.Fprintf(w, "<p>%s</p>", html.EscapeString(step.Error))
		}
		if step.Kind == workos.StepOrganizationSelection {
			for _, o := range step.Organizations {
				fmt.Fprintf(w, `<button name="%s" value="%s">%s</button>`,
					middleware.FieldOrganizationID, html.EscapeString(o.ID), html.EscapeString(o.Name))
			}
		} else {
			fmt.Fprintf(w, `<input name="%s" autocomplete="one-time-code"><button>Continue</button>`, middleware.FieldCode)
		}
		fmt.Fprint(w, "</form>")
	}
	m, err := middleware.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/callback", m.CallbackHandler())
	log.Fatal(http.ListenAndServe(":3000", m.Handler(mux)))
}
