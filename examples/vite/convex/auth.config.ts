import type { AuthConfig } from "convex/server";

// WorkOS AuthKit as the deployment's identity provider. Set WORKOS_CLIENT_ID
// on the deployment (npx convex env set WORKOS_CLIENT_ID client_01…).
//
// Two providers, because WorkOS mints tokens with one of two issuers:
// - environments created before mid-2025 use the shared issuer
//   https://api.workos.com/, so the token's aud must be your client id
//   (a JWT template adds it; without one those tokens fail with NoAuthProvider);
// - newer environments use an issuer of their own, which needs no aud check.
// A custom authentication domain issues tokens as that domain: add a third
// provider with its issuer.
//
// The local dev stack (make demo) registers the same two providers in Go,
// with the JWKS of its local issuer.
const clientId = process.env.WORKOS_CLIENT_ID;

export default {
  providers: [
    {
      type: "customJwt",
      issuer: "https://api.workos.com/",
      algorithm: "RS256",
      jwks: `https://api.workos.com/sso/jwks/${clientId}`,
      applicationID: clientId,
    },
    {
      type: "customJwt",
      issuer: `https://api.workos.com/user_management/${clientId}`,
      algorithm: "RS256",
      jwks: `https://api.workos.com/sso/jwks/${clientId}`,
    },
  ],
} satisfies AuthConfig;
