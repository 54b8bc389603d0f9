package authkittest_test

import (
	"net/http"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

// TestPagesLookLikeTheApp: the sign-in and device pages use the example
// app's palette (light and dark) and say they are the local dev stack, so
// that signing in to the demo does not look like a test stand-in.
func TestPagesLookLikeTheApp(t *testing.T) {
	t.Parallel()
	css, err := os.ReadFile("../../examples/vite/src/styles.css")
	require.NoError(t, err)
	colors := regexp.MustCompile(`(--(?:bg|panel|text|muted|border|accent|error|banner)):\s*(#[0-9a-f]{3,6});`).FindAllStringSubmatch(string(css), -1)
	require.GreaterOrEqual(t, len(colors), 16, "the app's light and dark palettes")

	e := newEnv(t)
	_, challenge := pkce()
	login := e.get("/user_management/authorize?" + e.authorizeQuery(challenge).Encode())
	require.Equal(t, http.StatusOK, login.status, string(login.body))
	device := e.get("/device")
	require.Equal(t, http.StatusOK, device.status, string(device.body))
	for name, page := range map[string]string{"sign-in": string(login.body), "device": string(device.body)} {
		for _, c := range colors {
			assert.Regexp(t, regexp.QuoteMeta(c[1]+":"+c[2]), page, "%s page: the app's %s", name, c[1])
		}
		assert.Contains(t, page, "prefers-color-scheme:dark", name)
		assert.Contains(t, page, `name="viewport"`, name)
		assert.Contains(t, page, "local dev stack", name)
	}
	_ = authkittest.DemoUser
}
