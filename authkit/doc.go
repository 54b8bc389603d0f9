// Package authkit turns sign-in sessions into the token provider of a
// Convex client: the part of the auth stack a browser app (through the
// wasm binding) and a bot both need.
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
//   - Token is an access token with the claims a source and the Provider
//     need, read without verifying them (ParseToken).
//   - Provider wraps any TokenSource into what a Convex client wants:
//     FetchToken(ctx, forceRefresh), plus IsLoading / IsAuthenticated
//     state for UIs and an optional proactive refresh loop
//     (ProviderConfig).
//
// # The other packages
//
//   - authkit/workos: WorkOS sign-in (browser, device code, password,
//     client credentials) and refresh-token sessions (Session, Store,
//     FileStore), which are TokenSources; the providers a Convex
//     deployment declares for WorkOS.
//   - authkit/middleware: the net/http middleware of a Go web server that
//     keeps the WorkOS session in a sealed cookie.
//   - authkit/authkittest: a local WorkOS-compatible issuer for tests.
//   - customjwt (at the module root): how a deployment checks a token.
//
// # Native use
//
//	sess, err := workos.NewSession(workos.SessionConfig{
//		Config: workos.ConfigFromEnv(),
//		Store:  workos.NewFileStore(filepath.Join(dir, "session.json")),
//	})
//	p := authkit.NewProvider(sess, authkit.ProviderConfig{ProactiveRefresh: true})
//	defer p.Close()
//	c.SetAuth(p) // a *client.Client
//
// # Timing rules
//
// A token is due for refresh within RefreshBuffer of its expiry:
// max(10 s, 10 % of its lifetime), capped at half its lifetime. The
// Provider retries a transient failure of its source after 250 ms and
// 500 ms; then a fetch that is not forced gets the last good token while
// it is still valid, and otherwise an error matching ErrTransient. A
// sign-out reported by the source drops the token and yields
// ErrSignedOut.
//
// # Size in WebAssembly
//
// This package is part of the browser build, so it imports neither
// net/http, nor log/slog, nor JWT signature code: ParseToken reads claims
// with a small reader of its own (internal/jwtclaims), and the Provider
// does not log (State and Watch report its failures). net/http alone
// would add about 0.5 MB (gzip) to the wasm, log/slog over 100 KB.
//
// Nothing in this package logs a token.
package authkit
