package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
)

// TestE2EControl drives the -e2e-control endpoints the browser tests use:
// drop-on-next-mutation cuts every connection after the MutationResponse and
// before the confirming Transition; the client resends, the deployment
// dedupes, and the stats show it.
func TestE2EControl(t *testing.T) {
	st, err := start(config{
		convexAddr: "127.0.0.1:0", authkitAddr: "127.0.0.1:0", appAddr: "127.0.0.1:0",
		appDir: t.TempDir(), tokenLifetime: time.Minute, logger: slog.New(slog.DiscardHandler),
		e2eControl: true,
	})
	require.NoError(t, err)
	defer st.close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	info := filepath.Join(t.TempDir(), "info.json")
	require.NoError(t, st.writeInfo(info))
	b, err := os.ReadFile(info)
	require.NoError(t, err)
	var si stackInfo
	require.NoError(t, json.Unmarshal(b, &si))
	require.Equal(t, stackInfo{AppURL: st.appURL, ConvexURL: st.convex.URL(), AuthKitURL: st.authkit.URL(), ClientID: st.authkit.ClientID()}, si)

	post := func(path string) int {
		resp, err := http.Post(st.appURL+path, "", nil)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	stats := func() e2eStats {
		resp, err := http.Get(st.appURL + "/_e2e/stats")
		require.NoError(t, err)
		defer resp.Body.Close()
		var s e2eStats
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
		return s
	}
	require.Equal(t, http.StatusBadRequest, post("/_e2e/drop-after-frames?n=x"))
	require.Equal(t, http.StatusBadRequest, post("/_e2e/delay-frames?d=soon"))
	require.Equal(t, http.StatusNoContent, post("/_e2e/delay-frames?d=0"))

	c, err := client.New(st.convex.URL())
	require.NoError(t, err)
	defer c.Close()
	c.SetAuth(client.TokenProviderFunc(func(context.Context, bool) (string, error) {
		tok, err := st.authkit.IssueTokens(users[0].ID)
		if err != nil {
			return "", err
		}
		return tok.AccessToken, nil
	}))
	require.NoError(t, c.Mutation(ctx, "messages:send", client.Args{"body": "warm up"}, nil))

	before := stats()
	require.Equal(t, 1, before.Connections)
	require.Equal(t, http.StatusNoContent, post("/_e2e/drop-on-next-mutation"))
	require.NoError(t, c.Mutation(ctx, "messages:send", client.Args{"body": "through a drop"}, nil))
	after := stats()
	require.Equal(t, before.DropsTriggered+1, after.DropsTriggered)
	require.Greater(t, after.Connects, before.Connects, "the client reconnected")
	require.Equal(t, before.SendExecutions+1, after.SendExecutions, "the mutation ran once")
	require.Zero(t, after.MutationsFailed+after.QueriesFailed+after.AuthErrors+after.FatalErrors)

	var msgs []struct{ Body string }
	require.NoError(t, c.Query(ctx, "messages:list", nil, &msgs))
	n := 0
	for _, m := range msgs {
		if m.Body == "through a drop" {
			n++
		}
	}
	require.Equal(t, 1, n)

	require.Equal(t, http.StatusNoContent, post("/_e2e/drop"))
	require.Eventually(t, func() bool { return stats().Connects > after.Connects }, 10*time.Second, 50*time.Millisecond, "reconnected after /_e2e/drop")

	// The "no failed call" counters can fail: a query that fails (it is
	// reported inside a Transition) and an action that fails are counted.
	err = c.Query(ctx, "messages:nope", nil, nil)
	require.ErrorContains(t, err, "Could not find public function")
	require.Equal(t, 1, stats().QueriesFailed)
	require.Error(t, c.Action(ctx, "messages:nope", nil, nil))
	require.Equal(t, 1, stats().ActionsFailed)
}

// TestE2EStatsChunkedTransition: a QueryFailed in a Transition sent as
// TransitionChunks is counted once, when its last part arrives, and parts
// of two connections do not mix.
func TestE2EStatsChunkedTransition(t *testing.T) {
	var e e2eControl
	whole := `{"type":"Transition","startVersion":{},"endVersion":{},"modifications":[` +
		`{"type":"QueryUpdated","queryId":0,"value":1},{"type":"QueryFailed","queryId":1,"errorMessage":"boom"}]}`
	third := len(whole) / 3
	parts := []string{whole[:third], whole[third : 2*third], whole[2*third:]}
	chunk := func(i int) []byte {
		b, err := json.Marshal(map[string]any{"type": "TransitionChunk", "chunk": parts[i], "partNumber": i, "totalParts": 3, "transitionId": "t"})
		require.NoError(t, err)
		return b
	}
	e.observe(convextest.ToClient, 1, chunk(0))
	e.observe(convextest.ToClient, 2, chunk(0))
	e.observe(convextest.ToClient, 1, chunk(1))
	e.observe(convextest.ToClient, 1, chunk(2))
	require.Equal(t, 1, e.stats.QueriesFailed)
	e.observe(convextest.ToClient, 2, chunk(1))
	e.observe(convextest.ToClient, 2, chunk(2))
	require.Equal(t, 2, e.stats.QueriesFailed)
	e.observe(convextest.ToClient, 3, []byte(whole))
	require.Equal(t, 3, e.stats.QueriesFailed)
}
