// Package customjwt holds Convex's rules for custom JWT providers, the
// "customJwt" entries of a deployment's convex/auth.config.ts: which
// provider a token goes to, and what makes the deployment accept or
// reject it.
//
// It is the one implementation of those rules in this module: authkit's
// middleware and the goconvex CLI check WorkOS tokens with it, and
// convextest, the in-memory deployment, authenticates its clients with it.
// Each rule cites the backend file it follows (get-convex/convex-backend:
// crates/authentication/src/lib.rs, validate_id_token and fetch_jwks;
// crates/common/src/auth.rs, AuthInfo::matches_token and
// deserialize_issuer_url; crates/keybroker/src/broker.rs,
// UserIdentity::from_custom_jwt), and docs/auth.md describes them.
//
// A Verifier checks tokens against a list of Providers and returns their
// Claims, or an *Error whose Reason names the broken rule and whose
// Message is what a deployment would answer. The rules themselves
// (rules.go) are functions of the token, the provider, the key and the
// time, without I/O; the Verifier adds fetching and caching key sets.
//
// OIDC providers ({domain, applicationID}, keys found by discovery) are
// not supported.
package customjwt
