package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
)

// TestStack starts the dev stack on free ports and signs in as both demo
// users with tokens from its issuer: the deployment accepts them, and each
// sees the other's messages under the right name.
func TestStack(t *testing.T) {
	st, err := start(config{
		convexAddr: "127.0.0.1:0", authkitAddr: "127.0.0.1:0", appAddr: "127.0.0.1:0",
		appDir: t.TempDir(), tokenLifetime: time.Minute, logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	defer st.close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	resp, err := http.Get(st.appURL + "/config.json")
	require.NoError(t, err)
	var conf appConfig
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&conf))
	resp.Body.Close()
	require.Equal(t, st.convex.URL(), conf.ConvexURL)
	require.Equal(t, st.authkit.ClientID(), conf.WorkOSClientID)
	require.Equal(t, st.appURL+"/callback", conf.RedirectURI)

	resp, err = http.Get(st.appURL + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(page), "make demo", "an unbuilt app says how to build it")

	resp, err = http.Post(st.appURL+"/_e2e/drop", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "no fault injection without -e2e-control")

	signIn := func(userID string) *client.Client {
		c, err := client.New(conf.ConvexURL)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		c.SetAuth(client.TokenProviderFunc(func(context.Context, bool) (string, error) {
			tok, err := st.authkit.IssueTokens(userID)
			if err != nil {
				return "", err
			}
			return tok.AccessToken, nil
		}))
		return c
	}
	demo, ada := signIn(users[0].ID), signIn(users[1].ID)
	var viewer struct{ Name, Email string }
	require.NoError(t, demo.Query(ctx, "users:viewer", nil, &viewer))
	require.Equal(t, "Demo User", viewer.Name)
	require.NoError(t, demo.Mutation(ctx, "messages:send", client.Args{"body": "hello Ada"}, nil))
	var msgs []struct{ Body, Author string }
	require.NoError(t, ada.Query(ctx, "messages:list", nil, &msgs))
	require.Equal(t, "Demo User", msgs[0].Author)
	require.True(t, strings.HasPrefix(msgs[0].Body, "hello"))
}
