package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/customjwt"
	"github.com/goconvex/convex/internal/authstack"
	"github.com/goconvex/convex/internal/chat/chatapi"
	"github.com/goconvex/convex/internal/syncbuf"
)

var ada = authkittest.User{ID: "user_01ADA0000000000000000000000", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Password: "pw"}

func bodies(t *testing.T, cx *convextest.Server) []chatapi.MessagesListResultItem {
	var out []chatapi.MessagesListResultItem
	require.NoError(t, cx.Read(func(db *convextest.DatabaseReader) error {
		for _, d := range db.Query("messages").Collect() {
			out = append(out, chatapi.MessagesListResultItem{Body: d["body"].(string), Author: d["author"].(string)})
		}
		return nil
	}))
	return out
}

func countPongs(t *testing.T, cx *convextest.Server) int {
	n := 0
	for _, m := range bodies(t, cx) {
		if m.Body == "pong" {
			n++
		}
	}
	return n
}

// answered reports whether a pong follows the message body.
func answered(t *testing.T, cx *convextest.Server, body string) bool {
	after := false
	for _, m := range bodies(t, cx) {
		after = after || m.Body == body
		if after && m.Body == "pong" {
			return true
		}
	}
	return false
}

// waitWatching waits until the bot has its first result, the history: a
// message sent after that is new to it.
func waitWatching(t *testing.T, logs *syncbuf.Buffer) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "bot: watching") }, 20*time.Second, 10*time.Millisecond, logs.String())
}

// userClient is a person in the chat.
func userClient(t *testing.T, ak *authkittest.Server, cx *convextest.Server, userID string) *client.Client {
	tok, err := ak.IssueTokens(userID)
	require.NoError(t, err)
	sess, err := workos.NewSession(workos.SessionConfig{Config: workos.Config{ClientID: ak.ClientID(), APIBase: ak.URL()}, Store: workos.NewMemoryStore()})
	require.NoError(t, err)
	require.NoError(t, sess.Save(context.Background(), &workos.StoredSession{RefreshToken: tok.RefreshToken, AccessToken: tok.AccessToken}))
	c, err := client.New(cx.URL())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	p := authkit.NewProvider(sess, authkit.ProviderConfig{ProactiveRefresh: true})
	t.Cleanup(func() { p.Close() })
	c.SetAuth(p)
	return c
}

func startBot(t *testing.T, args ...string) (stop func() int, logs *syncbuf.Buffer) {
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append(args, "--env-file", filepath.Join(t.TempDir(), "none")), logs) }()
	var once sync.Once
	var code int
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(15 * time.Second):
				t.Error("the bot did not stop")
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return stop, logs
}

// The bot, signed in with a refresh token in the CLI's store, answers
// "!ping", keeps answering across a deployment restart and across token
// rotations (3 s tokens), and never answers history or twice.
func TestBotPingRestartRotation(t *testing.T) {
	st := authstack.New(t, authstack.Options{Issuer: []authkittest.Option{authkittest.WithUsers(authkittest.DemoUser, ada),
		authkittest.WithTokenLifetime(3 * time.Second), authkittest.WithJWTTemplate(authkittest.NameEmailTemplate)}})
	ak, cx := st.Issuer, st.Deployment
	id := ak.ClientID()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The bot user signed in once (goconvex login does this).
	t.Setenv(workos.EnvStoreDir, t.TempDir())
	t.Setenv(workos.EnvClientID, id)
	t.Setenv(workos.EnvAPIBase, ak.URL())
	t.Setenv("CONVEX_URL", cx.URL())
	t.Setenv(envBotClientID, "")
	path, err := workos.DefaultStorePath(id)
	require.NoError(t, err)
	botTok, err := ak.IssueTokens(authkittest.DemoUser.ID)
	require.NoError(t, err)
	require.NoError(t, workos.NewFileStore(path).Save(ctx, &workos.StoredSession{RefreshToken: botTok.RefreshToken}))

	human := userClient(t, ak, cx, ada.ID)
	// History: an old !ping gets no answer.
	require.NoError(t, human.Mutation(ctx, "messages:send", client.Args{"body": "!ping from before"}, nil))

	stop, logs := startBot(t)
	waitWatching(t, logs)
	require.NoError(t, human.Mutation(ctx, "messages:send", client.Args{"body": "hey bot, !ping"}, nil))
	require.Eventually(t, func() bool { return answered(t, cx, "hey bot, !ping") }, 10*time.Second, 10*time.Millisecond, logs.String())
	// The bot answers in order and waits for each answer: an answer to the
	// history would have come before this one.
	assert.Equal(t, 1, countPongs(t, cx), "history is not answered")
	for _, m := range bodies(t, cx) {
		if m.Body == "pong" {
			assert.Equal(t, "Demo User", m.Author, "answered as the bot's user")
		}
	}

	// The deployment restarts; the bot reconnects and goes on.
	require.NoError(t, cx.Restart())
	require.NoError(t, human.Mutation(ctx, "messages:send", client.Args{"body": "!ping after the restart"}, nil))
	require.Eventually(t, func() bool { return countPongs(t, cx) == 2 }, 15*time.Second, 10*time.Millisecond, logs.String())

	// Tokens rotate (3 s lifetime): the store gets new refresh tokens and
	// the bot still answers.
	snap, err := workos.NewFileStore(path).Load(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, botTok.RefreshToken, snap.RefreshToken)
	var saved *workos.StoredSession
	for range 2 {
		prev := snap.RefreshToken
		require.Eventually(t, func() bool {
			saved, err = workos.NewFileStore(path).Load(ctx)
			return err == nil && saved != nil && saved.RefreshToken != prev
		}, 15*time.Second, 50*time.Millisecond, "the bot rotates its refresh token")
		snap = saved
	}
	require.NoError(t, human.Mutation(ctx, "messages:send", client.Args{"body": "!PING?"}, nil))
	require.Eventually(t, func() bool { return countPongs(t, cx) == 3 }, 10*time.Second, 10*time.Millisecond, logs.String())

	assert.Equal(t, 0, stop())
	// Stopped: its connection is gone, and with it anything it could send.
	require.Eventually(t, func() bool { return cx.Connections() == 1 }, 10*time.Second, 10*time.Millisecond, "only the human is connected")
	assert.Equal(t, 3, countPongs(t, cx), "nothing answered twice")
	assert.NotContains(t, logs.String(), saved.RefreshToken)
}

// With client credentials the bot is a machine identity, accepted through
// the third provider.
func TestBotClientCredentials(t *testing.T) {
	app := authkittest.M2MApp{ClientID: "client_01BOTAPP000000000000000000", ClientSecret: "s3cret"}
	ak := authkittest.NewServer(authkittest.WithUsers(ada), authkittest.WithM2MApps(app))
	defer ak.Close()
	cx := authstack.NewDeployment(t, ak, []customjwt.Provider{workos.M2MConvexProvider(ak.M2MIssuer(), ak.ClientID())})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Setenv("CONVEX_URL", cx.URL())
	t.Setenv(envBotClientID, app.ClientID)
	t.Setenv(envBotClientSecret, app.ClientSecret)
	t.Setenv(envAuthKitDomain, ak.M2MIssuer())

	human := userClient(t, ak, cx, ada.ID)
	stop, logs := startBot(t)
	waitWatching(t, logs)
	require.NoError(t, human.Mutation(ctx, "messages:send", client.Args{"body": "!ping"}, nil))
	require.Eventually(t, func() bool { return countPongs(t, cx) == 1 }, 10*time.Second, 10*time.Millisecond, logs.String())
	for _, m := range bodies(t, cx) {
		if m.Body == "pong" {
			assert.Equal(t, app.ClientID, m.Author)
		}
	}
	assert.Equal(t, 0, stop())
}

func TestBotNoSession(t *testing.T) {
	t.Setenv(workos.EnvStoreDir, t.TempDir())
	t.Setenv(workos.EnvClientID, authkittest.DefaultClientID)
	t.Setenv("CONVEX_URL", "http://127.0.0.1:1")
	t.Setenv(envBotClientID, "")
	var out bytes.Buffer
	assert.Equal(t, 3, run(context.Background(), []string{"--env-file", "/nonexistent"}, &out))
	assert.Contains(t, out.String(), "goconvex login")
}

func TestReply(t *testing.T) {
	b := NewBot(nil, nil)
	assert.Equal(t, "pong", b.reply("!ping"))
	assert.Equal(t, "pong", b.reply("hey, !PING!"))
	assert.Equal(t, "", b.reply("ping"))
	assert.Equal(t, "", b.reply("pong"))
}
