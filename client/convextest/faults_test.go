//go:build !js

package convextest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
)

func TestDropConnections(t *testing.T) {
	tests := []struct {
		name       string
		drop       func(*Server)
		wantCode   websocket.StatusCode
		wantReason string
	}{
		{"default", (*Server).DropConnections, websocket.StatusInternalError, "InternalServerError"},
		{"custom", func(s *Server) { s.DropConnectionsWith(1013, "SubscriptionsWorkerFullError") }, websocket.StatusTryAgainLater, "SubscriptionsWorkerFullError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newMessagesServer(t)
			a, b := dial(t, srv), dial(t, srv)
			a.subscribe(0, "messages:list", `{}`)
			b.subscribe(0, "messages:list", `{}`)
			eventually(t, func() bool { return srv.Connections() == 2 }, "connected")
			tt.drop(srv)
			for _, c := range []*wsClient{a, b} {
				assert.Equal(t, tt.wantCode, c.expectClose())
				assert.Equal(t, tt.wantReason, c.closeReason())
			}
			eventually(t, func() bool { return srv.Connections() == 0 }, "all gone")
			// New connections work.
			c := dial(t, srv)
			c.subscribe(0, "messages:list", `{}`)
		})
	}
}

func TestDropAfterFrames(t *testing.T) {
	srv := newMessagesServer(t)
	c := dial(t, srv)
	c.connect("s")
	c.subscribe(0, "messages:list", `{}`)
	srv.DropAfterFrames(1)
	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
	resp := c.nextMutationResponse()
	require.True(t, resp.Success)
	assert.Equal(t, websocket.StatusInternalError, c.expectClose(), "the Transition never comes")

	// The resend on a new connection is deduplicated and gets its
	// Transition.
	c2 := dial(t, srv)
	c2.connect("s")
	c2.subscribe(0, "messages:list", `{}`)
	c2.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
	resp2 := c2.nextMutationResponse()
	assert.Equal(t, *resp.TS, *resp2.TS)
	tr := c2.nextTransition()
	assert.GreaterOrEqual(t, tr.EndVersion.TS, *resp2.TS)
	assert.Equal(t, 1, srv.ExecutionCount("messages:send"))
}

func TestDelayFrames(t *testing.T) {
	srv := newMessagesServer(t)
	c := dial(t, srv)
	c.subscribe(0, "messages:list", `{}`)
	srv.DelayFrames(150 * time.Millisecond)
	start := time.Now()
	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
	c.nextMutationResponse()
	c.nextTransition()
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "two frames, each delayed")
	srv.DelayFrames(0)
}

func TestRefuseConnections(t *testing.T) {
	srv := newMessagesServer(t)
	old := dial(t, srv)
	srv.RefuseConnections(time.Hour)
	_, err := tryDial(t, srv.URL())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503")
	// Existing connections keep working.
	old.subscribe(0, "messages:list", `{}`)
	srv.RefuseConnections(0)
	dial(t, srv).subscribe(0, "messages:list", `{}`)
}

func TestInjectErrors(t *testing.T) {
	srv := newMessagesServer(t)
	c := dial(t, srv)
	c.send(&protocol.Authenticate{BaseVersion: 0, TokenType: protocol.TokenNone})
	c.nextTransition()
	eventually(t, func() bool { return srv.Connections() == 1 }, "connected")
	srv.InjectAuthError("Could not verify OIDC token claim.", true)
	ae, ok := c.next().(*protocol.AuthError)
	require.True(t, ok)
	assert.Equal(t, "Could not verify OIDC token claim.", ae.Error)
	assert.True(t, ae.AuthUpdateAttempted)
	assert.Equal(t, uint32(1), *ae.BaseVersion)
	assert.Equal(t, websocket.StatusNoStatusRcvd, c.expectClose())
	eventually(t, func() bool { return srv.Connections() == 0 }, "the first connection gone")

	c = dial(t, srv)
	eventually(t, func() bool { return srv.Connections() == 1 }, "connected")
	srv.InjectFatalError("InternalServerError: something")
	fe, ok := c.next().(*protocol.FatalError)
	require.True(t, ok)
	assert.Equal(t, "InternalServerError: something", fe.Error)
	assert.Equal(t, websocket.StatusNoStatusRcvd, c.expectClose())
}

func TestRestartKeepsDataAndSessions(t *testing.T) {
	srv := newMessagesServer(t)
	url := srv.URL()
	c := dial(t, srv)
	c.connect("s")
	c.subscribe(0, "messages:list", `{}`)
	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"kept"}`)})
	resp := c.nextMutationResponse()
	tr := c.nextTransition()

	require.NoError(t, srv.Restart())
	assert.Equal(t, url, srv.URL())
	c.expectClose()
	assert.Equal(t, 0, srv.Connections())

	c2 := dial(t, srv)
	c2.connect("s")
	tr2 := c2.subscribe(0, "messages:list", `{}`)
	assert.JSONEq(t, `["kept"]`, string(tr2.Modifications[0].Value))
	assert.GreaterOrEqual(t, tr2.EndVersion.TS, tr.EndVersion.TS)
	c2.send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"kept"}`)})
	assert.Equal(t, *resp.TS, *c2.nextMutationResponse().TS, "dedup records survive")
	assert.Equal(t, 1, srv.ExecutionCount("messages:send"))
}

func TestFrameObserver(t *testing.T) {
	var mu sync.Mutex
	var in, out [][]byte
	srv := newMessagesServer(t, WithFrameObserver(func(dir Direction, _ uint64, f []byte) {
		mu.Lock()
		defer mu.Unlock()
		cp := bytes.Clone(f)
		if dir == ToServer {
			in = append(in, cp)
		} else {
			out = append(out, cp)
		}
	}))
	c := dial(t, srv)
	c.subscribe(0, "messages:list", `{}`)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, in, 1)
	assert.Contains(t, string(in[0]), `"ModifyQuerySet"`)
	require.Len(t, out, 1)
	assert.Contains(t, string(out[0]), `"Transition"`)
	eventually(t, func() bool { return srv.FramesSent() == 1 }, "one frame sent")
}

// ourGoroutines lists goroutines running code of this package (not its
// tests).
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	own := regexp.MustCompile(`client/convextest/[a-z_]+\.go:`)
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, m := range own.FindAllString(g, -1) {
			if !strings.Contains(m, "_test.go") {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

func TestNoGoroutinesAfterClose(t *testing.T) {
	srv := newMessagesServer(t, WithPingInterval(10*time.Millisecond))
	block := make(chan struct{})
	srv.Action("a:block", func(ctx *ActionCtx, args map[string]any) (any, error) {
		close(block)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	var clients []*wsClient
	for range 3 {
		c := dial(t, srv)
		c.connect("s")
		c.subscribe(0, "messages:list", `{}`)
		clients = append(clients, c)
	}
	clients[0].send(&protocol.Action{RequestID: 0, UDFPath: "a:block"})
	<-block
	clients[1].send(&protocol.Mutation{RequestID: 0, UDFPath: "messages:send", Args: json.RawMessage(`{"body":"x"}`)})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL()+"/api/query", strings.NewReader(`{"path":"messages:list","args":{}}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.NotEmpty(t, ourGoroutines())

	srv.Close()
	srv.Close() // idempotent
	assert.Eventually(t, func() bool { return len(ourGoroutines()) == 0 }, 2*time.Second, 10*time.Millisecond, "goroutines left: %v", ourGoroutines())
	_, err = tryDial(t, srv.URL())
	assert.Error(t, err)
	assert.ErrorIs(t, srv.Restart(), ErrClosed)
}
