//go:build !js

package codegen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/codegen"
	"github.com/goconvex/convex/funcspec"
	"github.com/goconvex/convex/internal/fixturedeploy"
)

// The spec a convextest deployment serves for the fixture's functions
// (registered in Go with the validators their TypeScript declares, see
// fixturedeploy), fetched as goconvex gen fetches it (the apiSpec system
// query, with an admin key, over the HTTP API), holds the fixture's
// entries, and generates the golden package, as the hand-made fixture in
// the official CLI's format does.
func TestServedSpecGeneratesTheGoldenPackage(t *testing.T) {
	srv := fixturedeploy.New()
	t.Cleanup(srv.Close)
	hc, err := client.NewHTTPClient(srv.URL())
	require.NoError(t, err)
	require.NoError(t, hc.SetAdminAuth(fixturedeploy.AdminKey, nil))
	var raw values.Raw
	require.NoError(t, hc.Query(context.Background(), convextest.APISpecQuery, nil, &raw))
	served, err := funcspec.Parse(raw)
	require.NoError(t, err)

	want := fixture(t)
	byID := map[string]funcspec.Function{}
	for _, f := range served.Functions {
		byID[f.Identifier] = f
	}
	n := 0
	for _, f := range want.Functions {
		if f.Type == funcspec.HTTPAction {
			continue // convextest has no HTTP actions; codegen leaves them out
		}
		n++
		got, ok := byID[f.Identifier]
		require.True(t, ok, "%s is not served", f.Identifier)
		require.Equal(t, f, got, f.Identifier)
	}
	require.Len(t, served.Functions, n)

	fromFixture, err := codegen.Generate(want, goldenOptions)
	require.NoError(t, err)
	fromServed, err := codegen.Generate(served, goldenOptions)
	require.NoError(t, err)
	require.Equal(t, string(fromFixture), string(fromServed))
	golden, err := os.ReadFile(filepath.Join("internal", "testapi", codegen.FileName))
	require.NoError(t, err)
	require.Equal(t, string(golden), string(fromServed))
}
