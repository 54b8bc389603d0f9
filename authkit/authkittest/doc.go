// Package authkittest runs a local WorkOS-compatible issuer for tests and
// the local dev stack, the way net/http/httptest runs an HTTP server. The
// official SDKs (workos-node, authkit-js) talk to it unchanged once pointed
// at its host and port ({apiHostname: "127.0.0.1", port: PORT, https:
// false}), and Convex verifies its tokens with the same two auth.config
// providers it uses for WorkOS (only the JWKS URL differs).
//
//	srv := authkittest.NewServer(
//		authkittest.WithRedirectURIs("http://127.0.0.1:5173/callback"),
//		authkittest.WithUsers(authkittest.User{ID: "user_01…", Email: "ada@example.com", Password: "pw"}),
//	)
//	defer srv.Close()
//	tok, _ := srv.IssueTokens("user_01…") // or drive the real flows over HTTP
//
// # Routes
//
//	GET  /user_management/authorize           login form, or 302 with WithAutoApprove
//	POST /user_management/authorize           the login form's submission (approve or deny)
//	POST /user_management/authenticate        authorization_code, refresh_token, password, device code grants,
//	                                          and the organization-selection, mfa-totp, email-verification grants
//	POST /user_management/authorize/device    starts a device authorization (RFC 8628)
//	GET  /device, POST /device                the device verification page
//	GET  /sso/jwks/{clientId}                 the key set (404 for another client id)
//	GET  /user_management/sessions/logout     ends a session, 302 to return_to or the homepage
//	POST /user_management/sessions/revoke     ends a session (API key)
//	GET  /user_management/users/{id}          a user (API key)
//	POST /user_management/users/{id}/auth_factors  enrolls a TOTP factor (API key)
//	POST /auth/factors/{id}/challenge         a challenge of a factor (API key)
//	POST /user_management/redirect_uris       adds a redirect URI (API key)
//	POST /user_management/cors_origins        adds a CORS origin (API key)
//	PUT  /user_management/app_homepage_url    sets the homepage (API key)
//	POST /oauth2/token                        client_credentials for M2M apps (WithM2MApps)
//	GET  /oauth2/jwks                         the same key set, AuthKit-domain style
//	GET  /                                    the default homepage
//
// Every route answers CORS preflights for allowlisted origins
// (WithCORSOrigins).
//
// # Tokens
//
// Access tokens are RS256 JWTs with header alg, typ and kid (a prefix of
// the key's RFC 7638 thumbprint), and claims iss, sub (the user id), sid
// (the session id), jti, iat and exp (iat + WithTokenLifetime, default
// 300 s). In IssuerLegacy mode they also carry aud = the client id. When the
// session is in an organization they carry org_id, role, roles and
// permissions from the user's Membership. Refresh tokens are opaque and
// single-use: each exchange returns a new pair and retires the old token.
// Presenting a retired token again within the replay window (default 30
// s) returns the same new pair; after it, invalid_grant "Refresh token
// already exchanged.". A refresh may switch the session's organization
// with organization_id. Ending a session (logout, revoke, EndSession) makes
// all of its refresh tokens fail with invalid_grant.
//
// Exchanges answer with the API's snake_case body: user, access_token,
// refresh_token, authentication_method and, when set, organization_id;
// never sealed_session.
//
// # Sign-in
//
// authorize checks client_id, response_type=code, the redirect_uri against
// the allowlist (exact match), and PKCE (optional; when a code_challenge is
// given its method must be S256). Problems with the client or redirect URI
// are shown as a page; later ones are sent to the redirect URI as
// ?error=…&error_description=…. The login form (email and password; Sign
// up for screen_hint=sign-up) has a Deny button that redirects with
// error=access_denied. Approval redirects to redirect_uri?code=…&state=…,
// state echoed unchanged. Codes are single-use, valid 10 minutes and bound
// to the client, redirect URI, challenge and organization; redeeming one
// needs the matching code_verifier, or the API key as client_secret when
// it was issued without a challenge.
//
// The password grant needs the API key as client_secret (WithAPIKey): at
// WorkOS the client_secret is the API key. Device authorizations last 5
// minutes; polls get authorization_pending, slow_down (when closer than
// the interval; the interval then grows by 5 s), access_denied,
// expired_token, or tokens once approved on the verification page or with
// ApproveDevice. client_credentials is not a grant of authenticate (WorkOS
// serves it from the AuthKit domain's /oauth2/token); see M2MIssuer for
// the Convex provider its tokens need.
//
// # Pending steps
//
// A sign-in (password, authorization code, device code) can stop at a
// step, as WorkOS's do, chosen per user: UnverifiedEmail answers
// email_verification_required (the code "sent" is EmailVerificationCode),
// TOTPSecret mfa_challenge, RequireMFA without a factor mfa_enrollment,
// and RequireOrganizationSelection with several memberships and no
// organization asked for organization_selection_required, in that order.
// Each answer is a 403 {"code", "message", "pending_authentication_token",
// …} with the step's members (user, organizations, authentication_factors,
// email, email_verification_id). The grants
// urn:workos:oauth:grant-type:email-verification:code,
// urn:workos:oauth:grant-type:mfa-totp (with a challenge from the two MFA
// routes; TOTPCode computes the codes) and
// urn:workos:oauth:grant-type:organization-selection finish them with the
// API key as client_secret; a wrong code is a 400 invalid_one_time_code
// and leaves the step open. Pending tokens are single-use and last 10
// minutes.
//
// # Errors
//
// Grant failures use the OAuth shape {"error", "error_description"} with
// status 400 (401 for a wrong client_secret); credential failures of the
// password grant, organization errors and pending steps use the plain
// shape {"code", "message"}; the resource endpoints answer {"message"}
// (401 without the API key, 404, 422).
//
// # Convex auth.config
//
// The issuers are WorkOS's own (see IssuerMode), so a Convex auth.config
// written for WorkOS accepts these tokens once its jwks points here:
//
//	{type: "customJwt", issuer: srv.Issuer(), algorithm: "RS256", jwks: srv.JWKSURL()}
//	  // IssuerPerClient (default): no applicationID
//	{type: "customJwt", issuer: "https://api.workos.com/", algorithm: "RS256", jwks: srv.JWKSURL(), applicationID: srv.ClientID()}
//	  // IssuerLegacy
//	{type: "customJwt", issuer: srv.M2MIssuer(), algorithm: "RS256", jwks: srv.URL() + "/oauth2/jwks", applicationID: srv.ClientID()}
//	  // client_credentials tokens, a third provider
//
// JWKSDataURL can stand in for any of the jwks URLs when the deployment
// cannot reach this server; pin the key with WithSigningKey so it stays
// valid across runs.
//
// # Faults and time
//
// Fault makes a route answer a given status and body, with a Retry-After
// header and added latency, for a number of requests; ClearFaults removes
// them. WithClock drives every expiry (tokens, codes, device codes, the
// replay window, polling intervals), so tests can move time without
// sleeping.
//
// The server logs nothing, so no token ever reaches a log.
package authkittest
