package funcspec_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/funcspec"
)

// testdata/spec.json is a spec in the format `npx convex function-spec`
// prints, made by hand from the backend's source: the entries as
// npm-packages/system-udfs/convex/_system/cli/modules.ts (apiSpec) builds
// them, with "returns": null for a function without a returns validator
// (exportReturns in npm-packages/convex/src/server/impl/registration_impl.ts)
// and {"type":"any"} args for one without args; each validator in the
// json form of npm-packages/convex/src/values/validators.ts (an int64
// literal as {"$integer": …}, convexToJson's form); object keys sorted
// and two-space indentation, as npm-packages/convex/src/cli/lib/
// functionSpec.ts prints it through convexToJson and JSON.stringify. It
// holds every validator kind, an internal function, a default export, a
// module beside a folder of the same name, and an HTTP route.
func readSpec(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/spec.json")
	require.NoError(t, err)
	return b
}

// Parsing and writing the CLI's output gives it back byte for byte.
func TestSpecRoundTrip(t *testing.T) {
	data := readSpec(t)
	spec, err := funcspec.Parse(data)
	require.NoError(t, err)
	require.Equal(t, "https://happy-animal-123.convex.cloud", spec.URL)
	require.Len(t, spec.Functions, 10)
	out, err := spec.JSON()
	require.NoError(t, err)
	require.Equal(t, string(data), string(out))
}

func TestSpecEntries(t *testing.T) {
	spec, err := funcspec.Parse(readSpec(t))
	require.NoError(t, err)
	byPath := map[string]funcspec.Function{}
	for _, f := range spec.Functions {
		if f.Type == funcspec.HTTPAction {
			require.Equal(t, "GET", f.Method)
			require.Equal(t, "/hello", f.Path)
			continue
		}
		byPath[f.CanonicalPath()] = f
	}
	send := byPath["messages:send"]
	require.Equal(t, funcspec.Mutation, send.Type)
	require.Equal(t, funcspec.Public, send.Visibility)
	require.Equal(t, "messages.js", send.Module())
	require.Equal(t, "send", send.Name())
	require.Equal(t, funcspec.TypeObject, send.Args.Type)
	require.Equal(t, "body", send.Args.Fields[0].Name)
	require.Equal(t, funcspec.TypeID, send.Returns.Type)
	require.Equal(t, "messages", send.Returns.TableName)

	require.Equal(t, funcspec.Internal, byPath["admin/tasks:purge"].Visibility)
	require.Equal(t, "default", byPath["folder/nested/deep:default"].Name())
	legacy := byPath["kitchen:legacy"]
	require.Equal(t, funcspec.TypeAny, legacy.Args.Type)
	require.Nil(t, legacy.Returns)

	echo := byPath["kitchen:echo"]
	var seven *funcspec.Validator
	for _, f := range echo.Args.Fields {
		if f.Name == "seven" {
			seven = f.Validator
		}
	}
	require.Equal(t, `{"$integer":"BwAAAAAAAAA="}`, string(seven.Literal))
}

// apiSpec's own answer, the bare list, parses too.
func TestParseBareList(t *testing.T) {
	spec, err := funcspec.Parse([]byte(`[{"identifier":"a.js:b","functionType":"Action","visibility":{"kind":"public"},"args":{"type":"any"},"returns":{"type":"any"}}]`))
	require.NoError(t, err)
	require.Equal(t, "", spec.URL)
	require.Equal(t, "a:b", spec.Functions[0].CanonicalPath())
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"url":"x"}`: `no "functions" list`,
		`{"functions":[{"identifier":"a.js:b","functionType":"Cron"}]}`:                                                          `functions[0]: unknown functionType "Cron"`,
		`{"functions":[{"identifier":"a.js","functionType":"Query"}]}`:                                                           `not module:function`,
		`{"functions":[{"identifier":"a.js:b","functionType":"Query","args":{"type":"set"}}]}`:                                   `a.js:b: args: unknown validator type "set"`,
		`{"functions":[{"identifier":"a.js:b","functionType":"Query","args":{"type":"object","value":{"x":{"fieldType":{}}}}}]}`: `object field "x": validator without a type`,
		`{"functions":[{"identifier":"a.js:b","functionType":"Query","returns":{"type":"literal","value":{"$x":1}}}]}`:           `returns: literal:`,
		`{"functions":[{"identifier":"a.js:b","functionType":"Query","visibility":{"kind":"secret"}}]}`:                          `unknown visibility "secret"`,
	} {
		_, err := funcspec.Parse([]byte(in))
		require.ErrorContains(t, err, want, in)
	}
}
