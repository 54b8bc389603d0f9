package workos

import (
	"net/url"

	"github.com/goconvex/convex/customjwt"
)

// WorkOS's issuers (docs/auth.md, "Convex providers"; Convex's WorkOS
// setup, npm-packages/docs/docs/auth/authkit/_auth_config_ts.mdx in the
// backend repository).
const (
	legacyIssuer    = "https://api.workos.com/"
	perClientIssuer = "https://api.workos.com/user_management/"
)

// ConvexProviders returns the two providers Convex's WorkOS AuthKit setup
// puts in auth.config.ts for c.ClientID:
//
//  1. the legacy shared issuer "https://api.workos.com/", which requires
//     aud = the client id (WorkOS tokens only carry it when a JWT template
//     adds it);
//  2. the per-client issuer "https://api.workos.com/user_management/<client id>",
//     unique to the environment, so no aud check.
//
// Both are RS256 with the key set at <APIBase>/sso/jwks/<client id>:
// https://api.workos.com/sso/jwks/<client id> for the real WorkOS, the
// local issuer's for authkittest (whose tokens carry WorkOS's issuers). A
// custom authentication domain issues tokens under its own issuer and
// needs a third provider. customjwt.AuthConfigTS writes them as a file;
// a customjwt.Verifier checks tokens against them.
func (c Config) ConvexProviders() []customjwt.Provider {
	jwks := c.apiBase() + "/sso/jwks/" + url.PathEscape(c.ClientID)
	return []customjwt.Provider{
		{Type: customjwt.TypeCustomJWT, Issuer: legacyIssuer, JWKS: jwks, Algorithm: customjwt.RS256, ApplicationID: c.ClientID},
		{Type: customjwt.TypeCustomJWT, Issuer: perClientIssuer + c.ClientID, JWKS: jwks, Algorithm: customjwt.RS256},
	}
}
