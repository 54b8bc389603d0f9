package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/internal/syncbuf"
)

// bannerEnv reads the "export K=V" lines the banner prints.
func bannerEnv(t *testing.T, st *stack) (map[string]string, string) {
	t.Helper()
	var b bytes.Buffer
	st.printURLs(&b)
	env := map[string]string{}
	for _, line := range strings.Split(b.String(), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "="); ok && strings.HasPrefix(strings.TrimSpace(line), "export ") {
			env[k] = v
		}
	}
	return env, b.String()
}

// TestBannerEnvAndBotIdentity follows the banner: its env lines point at
// this stack, and the bot's lines give a machine identity the deployment
// accepts, whose messages are its own, not a demo user's.
func TestBannerEnvAndBotIdentity(t *testing.T) {
	st, err := start(config{
		convexAddr: "127.0.0.1:0", authkitAddr: "127.0.0.1:0", appAddr: "127.0.0.1:0",
		appDir: t.TempDir(), tokenLifetime: time.Minute, logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	defer st.close()
	env, banner := bannerEnv(t, st)
	assert.Equal(t, map[string]string{
		"CONVEX_URL":            st.convex.URL(),
		"WORKOS_CLIENT_ID":      st.authkit.ClientID(),
		"WORKOS_API_BASE":       st.authkit.URL(),
		"CONVEX_ADMIN_KEY":      adminKey,
		"BOT_CLIENT_ID":         bot.ClientID,
		"BOT_CLIENT_SECRET":     bot.ClientSecret,
		"WORKOS_AUTHKIT_DOMAIN": st.authkit.URL(),
	}, env)
	for _, cmd := range []string{"go run ./cmd/goconvex login", "go run ./cmd/goconvex watch messages:list", "go run ./cmd/goconvex gen -o internal/chat/chatapi --check", "go run ./examples/bot"} {
		assert.Contains(t, banner, cmd)
	}

	// What examples/bot does with those variables (BOT_CLIENT_ID set).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src, err := workos.NewClientCredentialsSource(workos.ClientCredentialsConfig{
		AuthKitDomain: env["WORKOS_AUTHKIT_DOMAIN"], ClientID: env["BOT_CLIENT_ID"], ClientSecret: env["BOT_CLIENT_SECRET"],
	})
	require.NoError(t, err)
	p := authkit.NewProvider(src, authkit.ProviderConfig{})
	defer p.Close()
	c, err := client.New(env["CONVEX_URL"])
	require.NoError(t, err)
	defer c.Close()
	c.SetAuth(p)
	require.NoError(t, c.Mutation(ctx, "messages:send", client.Args{"body": "pong"}, nil))
	var msgs []struct{ Body, Author string }
	require.NoError(t, c.Query(ctx, "messages:list", nil, &msgs))
	require.Len(t, msgs, 1)
	assert.Equal(t, "demo-bot", msgs[0].Author)
	for _, u := range users {
		assert.NotEqual(t, u.FirstName+" "+u.LastName, msgs[0].Author)
	}
}

// TestVerboseLogsFramesAndRequests: -v logs the frames to and from the
// deployment and the app server's requests, as its help says.
func TestVerboseLogsFramesAndRequests(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		var logs syncbuf.Buffer
		st, err := start(config{
			convexAddr: "127.0.0.1:0", authkitAddr: "127.0.0.1:0", appAddr: "127.0.0.1:0",
			appDir: t.TempDir(), tokenLifetime: time.Minute, verbose: verbose,
			logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		require.NoError(t, err)
		resp, err := http.Get(st.appURL + "/config.json")
		require.NoError(t, err)
		resp.Body.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := client.New(st.convex.URL())
		require.NoError(t, err)
		var msgs []any
		require.NoError(t, c.Query(ctx, "messages:list", nil, &msgs))
		c.Close()
		cancel()
		st.close()
		out := logs.String()
		if !verbose {
			assert.NotContains(t, out, "convex frame")
			assert.NotContains(t, out, "app request")
			continue
		}
		assert.Contains(t, out, `msg="app request" method=GET path=/config.json`)
		assert.Contains(t, out, `msg="convex frame"`)
		assert.Contains(t, out, `messages:list`, "the frames' content")
		assert.Contains(t, out, `Transition`, "frames in both directions")
	}
}
