// Package workos signs users and machines in with WorkOS AuthKit and keeps
// their sessions: the token sources of package authkit for native Go
// programs (CLIs, bots, servers).
//
// Everything that calls the WorkOS API takes a Config: the environment's
// client id, the API key of server-side programs, the API base (WorkOS,
// a custom authentication domain, or a local issuer such as authkittest)
// and the HTTP client. ConfigFromEnv reads it from WORKOS_CLIENT_ID,
// WORKOS_API_KEY and WORKOS_API_BASE.
//
// # Signing in
//
//   - SignInWithBrowser: the hosted AuthKit page, PKCE and a loopback
//     redirect, for CLIs and desktop apps; AuthorizeURL and ExchangeCode
//     for programs with their own redirect handling.
//   - SignInWithDeviceCode: a code to approve on another device (RFC 8628).
//   - SignInWithPassword: the password grant, server-side programs only.
//   - ClientCredentialsSource: a machine identity (a WorkOS Connect M2M
//     application), a TokenSource of its own.
//
// Each flow returns a StoredSession: a refresh token and what came with
// it, ready for Session.Save.
//
// # Pending steps
//
// WorkOS may answer a sign-in (password, code exchange, device code) with
// a step still to do instead of tokens. The flow then returns an error
// matching ErrPendingStep that carries the pending authentication token
// and what the step needs, and a call finishes it, returning the session
// like any sign-in (or the next step):
//
//   - *OrganizationSelectionRequired (the user's Organizations):
//     CompleteOrganizationSelection with the one chosen.
//   - *MFAChallengeRequired (the user's Factors): ChallengeFactor on the
//     TOTP factor, then CompleteMFA with the authenticator app's code.
//   - *MFAEnrollmentRequired: EnrollTOTP (show the user its secret), then
//     CompleteMFA with a code.
//   - *EmailVerificationRequired: CompleteEmailVerification with the
//     emailed code.
//
// These calls need the API key (WorkOS requires it as client_secret).
// Session.SwitchOrganization moves a signed-in session to another of the
// user's organizations.
//
// # Sessions
//
// A Session is an authkit.TokenSource over a WorkOS refresh token kept in
// a Store (MemoryStore, or FileStore for CLIs and bots: a 0600 file,
// written atomically, locked across processes). It hands out the cached
// access token while it is fresh, rotates the single-use refresh token
// with the refresh_token grant, persists each rotation before anyone sees
// the new token, and shares one refresh among concurrent callers and, by
// the store's lock, among processes. Wrap it in an authkit.Provider for a
// Convex client. EndSession and RevokeSession end a session at WorkOS.
//
// # Convex providers
//
// Config.ConvexProviders returns the two customjwt.Providers Convex's
// WorkOS setup declares in convex/auth.config.ts (customjwt.AuthConfigTS
// writes the file), M2MConvexProvider the third one machine tokens need.
//
// # Errors
//
// A session that is gone is an error matching authkit.ErrSignedOut; a
// failure to retry later one matching authkit.ErrTransient; what WorkOS
// answered, an *APIError. docs/auth.md describes the API calls and their
// rules, each with its source (workos-node, WorkOS's docs, RFCs).
//
// Nothing in this package logs a token.
package workos
