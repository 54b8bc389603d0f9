// Package devauth wires the local AuthKit issuer (authkittest) into the
// local deployment (convextest) the way convex/auth.config.ts wires WorkOS
// into Convex: WorkOS's two providers for the issuer's client id, with the
// issuer's key set. The dev stack, the server example and the tests that
// run the whole sign-in use it.
package devauth

import (
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/customjwt"
)

// ConvexProviders returns the deployment's auth providers for tokens of ak:
// WorkOS's two issuers for ak's client id, with ak's JWKS URL.
func ConvexProviders(ak *authkittest.Server) []customjwt.Provider {
	return workos.Config{ClientID: ak.ClientID(), APIBase: ak.URL()}.ConvexProviders()
}
