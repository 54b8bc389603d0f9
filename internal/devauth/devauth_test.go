package devauth

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/client/convextest"
)

func TestConvexProviders(t *testing.T) {
	ak := authkittest.NewServer()
	defer ak.Close()
	id := ak.ClientID()
	assert.Equal(t, []convextest.AuthProvider{
		{Issuer: "https://api.workos.com/", ApplicationID: id, JWKS: ak.JWKSURL()},
		{Issuer: "https://api.workos.com/user_management/" + id, JWKS: ak.JWKSURL()},
	}, ConvexProviders(ak))
}
