// Package authkit signs Convex clients in with WorkOS AuthKit.
//
// It is the Go side of the token lifecycle that @convex-dev/workos and
// authkit-js handle in a browser, done so that a network blip never signs
// anyone out and a Convex client never gets stuck with an expired token.
// It does not import the Convex client: Provider satisfies
// client.TokenProvider by shape.
//
// # Pieces
//
//   - TokenSource is anything that hands out access tokens
//     (Token(ctx, forceRefresh)), in the style of golang.org/x/oauth2.
//     Errors say whether the session is gone (ErrSignedOut) or the failure
//     is temporary (ErrTransient).
//   - Session is a TokenSource for native programs: a WorkOS refresh token
//     kept in a Store (MemoryStore, or FileStore for CLIs and bots), rotated
//     with the refresh_token grant, persisted before use, shared safely by
//     concurrent callers and, through the store's lock, by several
//     processes.
//   - Provider wraps any TokenSource (a Session, or authkit-js's
//     getAccessToken in the browser) into what a Convex client wants:
//     FetchToken(ctx, forceRefresh), plus IsLoading / IsAuthenticated
//     state for UIs and an optional proactive refresh loop.
//   - Verifier checks a token the way a Convex deployment does for the
//     providers of its auth.config.ts (ConvexProviders gives WorkOS's two;
//     AuthConfigTS writes the file), and says which rule rejected it.
//   - Config reads WORKOS_CLIENT_ID and friends from the environment or a
//     .env file and validates them.
//
// # Native use
//
//	cfg := authkit.ConfigFromEnv()
//	sess, err := authkit.NewSession(authkit.SessionConfig{
//		ClientID: cfg.ClientID,
//		Store:    authkit.NewFileStore(filepath.Join(dir, "session.json")),
//	})
//	p := authkit.NewProvider(sess, authkit.WithProactiveRefresh(true))
//	defer p.Close()
//	c.SetAuth(p) // a *client.Client
//
// A sign-in flow (device code, PKCE loopback) obtains the first refresh
// token and hands it to Session.Save.
//
// # Timing rules
//
// A token is due for refresh within RefreshBuffer of its expiry:
// max(10 s, 10 % of its lifetime), capped at half its lifetime. Transient
// failures (network, timeout, HTTP 408, 429, 5xx) are retried after 250 ms,
// 500 ms and 1 s (Retry-After up to 60 s is honoured); then a fetch that is
// not forced gets the cached token while it is still valid, and otherwise
// an error matching ErrTransient. A rejected refresh token (invalid_grant,
// HTTP 401, any other 4xx) clears the store and yields ErrSignedOut.
//
// # Size in WebAssembly
//
// Under GOOS=js the package is only Provider, Token (ParseToken reads
// claims with a small reader of its own, not encoding/json) and the errors:
// in the browser, tokens come from authkit-react. Session (net/http),
// Verifier (net/http, jwt/v5), the stores, Config and the Convex provider
// helpers are built only outside GOOS=js; net/http alone would add about
// 0.5 MB (gzip) to the wasm.
//
// Nothing in this package logs a token.
package authkit
