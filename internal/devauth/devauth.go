// Package devauth wires the local AuthKit issuer (authkittest) into the
// local deployment (convextest) the way convex/auth.config.ts wires WorkOS
// into Convex: the providers of authkit.ConvexProviders, with the local
// issuer's key set. The dev stack, the server example and the tests that
// run the whole sign-in use it.
package devauth

import (
	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/client/convextest"
)

// ConvexProviders returns the deployment's auth providers for tokens of ak:
// WorkOS's two issuers for ak's client id, with ak's JWKS URL.
func ConvexProviders(ak *authkittest.Server) []convextest.AuthProvider {
	var out []convextest.AuthProvider
	for _, p := range authkit.ConvexProviders(ak.ClientID()) {
		out = append(out, convextest.AuthProvider{Issuer: p.Issuer, ApplicationID: p.ApplicationID, JWKS: ak.JWKSURL()})
	}
	return out
}
