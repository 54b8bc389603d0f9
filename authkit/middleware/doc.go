// Package middleware keeps the WorkOS AuthKit session of a Go web server
// in a sealed cookie: the net/http counterpart of
// workos/authkit-nextjs's middleware and route handlers.
//
// New takes a Config (the WorkOS environment as a workos.Config, the
// redirect URI, the cookie password) and returns a Middleware whose
// Handler wraps the app's handlers: it reads the session cookie (iron
// "Fe26.2", as iron-session seals it, so a Next.js app with the same
// password reads it too), verifies the access token with a
// customjwt.Verifier, refreshes it with workos.Refresh when it is due
// (concurrent requests share one refresh), and keeps signed-out users off
// protected paths. SessionFromContext and UserFromRequest give handlers
// the signed-in user. The sign-in, sign-up, callback, sign-out,
// access-token and session handlers do the rest; the access-token handler
// is what a browser's Convex client fetches tokens from, so no refresh
// token ever reaches the browser.
//
// A sign-in that WorkOS answers with a step still to do (choose an
// organization, an MFA code, an emailed code) is kept in a sealed
// short-lived cookie and shown as a page, Config.PendingStepHandler's or a
// default one, whose same-origin form posts back to the callback, which
// finishes the sign-in (CallbackHandler).
//
// docs/auth.md ("Middleware") describes the cookie and the flows, with
// their sources. Nothing in this package logs a token.
package middleware
