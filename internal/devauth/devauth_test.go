package devauth

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/customjwt"
)

func TestConvexProviders(t *testing.T) {
	ak := authkittest.NewServer()
	defer ak.Close()
	id := ak.ClientID()
	assert.Equal(t, []customjwt.Provider{
		{Type: "customJwt", Issuer: "https://api.workos.com/", ApplicationID: id, JWKS: ak.JWKSURL(), Algorithm: "RS256"},
		{Type: "customJwt", Issuer: "https://api.workos.com/user_management/" + id, JWKS: ak.JWKSURL(), Algorithm: "RS256"},
	}, ConvexProviders(ak))
}
