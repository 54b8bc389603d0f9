package codegen_test

import (
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/codegen"
	"github.com/goconvex/convex/funcspec"
)

var update = flag.Bool("update", false, "rewrite the golden package internal/testapi")

// goldenOptions generate internal/testapi, the golden package: it compiles
// with the module, so `go vet ./...` checks it, and its tests call it
// against convextest.
var goldenOptions = codegen.Options{Package: "testapi", Internal: true}

// fixture is the hand-made spec in the CLI's output format (see
// funcspec/testdata/spec.json and funcspec's tests for its sources).
func fixture(t *testing.T) *funcspec.Spec {
	t.Helper()
	data, err := os.ReadFile("../funcspec/testdata/spec.json")
	require.NoError(t, err)
	spec, err := funcspec.Parse(data)
	require.NoError(t, err)
	return spec
}

// The fixture generates internal/testapi/api.go exactly (go test
// ./codegen -update rewrites it).
func TestGenerateGolden(t *testing.T) {
	out, err := codegen.Generate(fixture(t), goldenOptions)
	require.NoError(t, err)
	path := filepath.Join("internal", "testapi", codegen.FileName)
	if *update {
		require.NoError(t, os.WriteFile(path, out, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(out), "stale golden file: go test ./codegen -update")
	require.True(t, strings.HasPrefix(string(out), codegen.Header+"\n"))
}

// The output does not depend on the order of the spec's functions.
func TestGenerateDeterministic(t *testing.T) {
	spec := fixture(t)
	want, err := codegen.Generate(spec, goldenOptions)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		r.Shuffle(len(spec.Functions), func(i, j int) {
			spec.Functions[i], spec.Functions[j] = spec.Functions[j], spec.Functions[i]
		})
		got, err := codegen.Generate(spec, goldenOptions)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	}
}

// Internal functions are left out unless asked for; HTTP routes always.
func TestGenerateInternalOption(t *testing.T) {
	out, err := codegen.Generate(fixture(t), codegen.Options{})
	require.NoError(t, err)
	require.NotContains(t, string(out), "admin/tasks:purge")
	require.NotContains(t, string(out), "/hello")
	require.Contains(t, string(out), "package convexapi\n")

	out, err = codegen.Generate(fixture(t), codegen.Options{Internal: true})
	require.NoError(t, err)
	require.Contains(t, string(out), "// Purge is the internal mutation admin/tasks:purge")
}

// The package generated with the default options compiles and passes go
// vet, written into a directory of this module.
func TestGeneratedPackageVets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	out, err := codegen.Generate(fixture(t), codegen.Options{})
	require.NoError(t, err)
	dir, err := os.MkdirTemp("internal", "vet")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, codegen.FileName), out, 0o644))
	cmd := exec.Command("go", "vet", "./"+filepath.ToSlash(dir))
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
}

func TestGenerateErrors(t *testing.T) {
	_, err := codegen.Generate(fixture(t), codegen.Options{Package: "not-a-name"})
	require.ErrorContains(t, err, `"not-a-name" is not a Go package name`)

	spec, err := funcspec.Parse([]byte(`{"functions":[
		{"identifier":"a.js:b","functionType":"Query","args":{"type":"any"},"returns":null},
		{"identifier":"a:b","functionType":"Query","args":{"type":"any"},"returns":null}]}`))
	require.NoError(t, err)
	_, err = codegen.Generate(spec, codegen.Options{})
	require.ErrorContains(t, err, "lists a:b twice")
}

// Names collide in JavaScript spellings that Go spells alike; each still
// gets its own type, and an empty spec gives a package without imports.
func TestGenerateNames(t *testing.T) {
	spec, err := funcspec.Parse([]byte(`{"functions":[
		{"identifier":"my-mod.js:get_user","functionType":"Query","args":{"type":"object","value":{"userId":{"fieldType":{"type":"string"},"optional":false},"user_id":{"fieldType":{"type":"number"},"optional":false},"":{"fieldType":{"type":"string"},"optional":true},"a,b":{"fieldType":{"type":"string"},"optional":false}}},"returns":null},
		{"identifier":"my_mod.js:getUser","functionType":"Query","args":{"type":"object","value":{}},"returns":null}]}`))
	require.NoError(t, err)
	out, err := codegen.Generate(spec, codegen.Options{})
	require.NoError(t, err)
	src := string(out)
	require.Contains(t, src, "var MyMod = MyModModule{")
	require.Contains(t, src, "var MyMod2 = MyMod2Module{")
	require.Contains(t, src, `client.NewQueryRef[client.Args, values.Raw]("my-mod:get_user")`, "an object with a field a json tag cannot name stays untyped")

	out, err = codegen.Generate(&funcspec.Spec{}, codegen.Options{})
	require.NoError(t, err)
	require.NotContains(t, string(out), "import")
}
