//go:build !js

package convextest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/values"
)

// waitTimeout bounds every wait in these tests; nothing should come close.
const waitTimeout = 30 * time.Second

// wsClient is a raw protocol client. Like the JS client it checks that
// every Transition starts at the version the previous one ended at.
type wsClient struct {
	t       *testing.T
	ws      *websocket.Conn
	frames  chan []byte
	closeMu sync.Mutex
	closeEr error
	done    chan struct{}

	version protocol.StateVersion
	chunks  protocol.ChunkAssembler
	// chunkFrames counts TransitionChunk frames received.
	chunkFrames int
}

func dial(t *testing.T, srv *Server) *wsClient {
	t.Helper()
	c, err := tryDial(t, srv.URL())
	require.NoError(t, err)
	return c
}

func tryDial(t *testing.T, url string) (*wsClient, error) {
	t.Helper()
	return dialPath(t, url, "/api/1.48.0/sync", http.Header{"Origin": []string{"http://example.test:5173"}})
}

// dialPath opens a raw sync socket at url+path with the given headers and
// reads its frames in the background until it closes.
func dialPath(t *testing.T, url, path string, header http.Header) (*wsClient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(64 << 20)
	c := &wsClient{t: t, ws: ws, frames: make(chan []byte, 1024), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				c.closeMu.Lock()
				c.closeEr = err
				c.closeMu.Unlock()
				close(c.frames)
				return
			}
			c.frames <- data
		}
	}()
	t.Cleanup(func() {
		_ = ws.CloseNow()
		<-c.done
	})
	return c, nil
}

func (c *wsClient) send(m protocol.ClientMessage) {
	c.t.Helper()
	c.sendRaw(string(m.AppendJSON(nil)))
}

func (c *wsClient) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(c.t, c.ws.Write(ctx, websocket.MessageText, []byte(s)))
}

// connect sends a Connect for the named session (sent as a UUID derived
// from the name, as the backend wants a UUID).
func (c *wsClient) connect(session string) {
	c.t.Helper()
	c.send(&protocol.Connect{SessionID: sessionUUID(session), ClientTS: time.Now().UnixMilli()})
}

// sessionUUID derives a session UUID from a name.
func sessionUUID(name string) string {
	h := sha256.Sum256([]byte(name))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
}

// nextFrame returns the next raw frame, failing the test on timeout or
// close.
func (c *wsClient) nextFrame() []byte {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection closed while waiting for a frame: %v", c.closeErr())
		}
		return f
	case <-time.After(waitTimeout):
		c.t.Fatal("timed out waiting for a frame")
	}
	return nil
}

// next returns the next message, skipping Pings, reassembling chunks and
// checking transition chaining.
func (c *wsClient) next() protocol.ServerMessage {
	c.t.Helper()
	for {
		f := c.nextFrame()
		msg, err := protocol.DecodeServerMessage(f)
		require.NoError(c.t, err, "frame %s", f)
		switch m := msg.(type) {
		case *protocol.Ping:
			continue
		case *protocol.TransitionChunk:
			c.chunkFrames++
			tr, err := c.chunks.Add(m)
			require.NoError(c.t, err)
			if tr == nil {
				continue
			}
			msg = tr
		}
		if tr, ok := msg.(*protocol.Transition); ok {
			require.Equal(c.t, c.version, tr.StartVersion, "transition must start at the last end version")
			require.GreaterOrEqual(c.t, tr.EndVersion.TS, tr.StartVersion.TS)
			require.GreaterOrEqual(c.t, tr.EndVersion.QuerySet, tr.StartVersion.QuerySet)
			require.GreaterOrEqual(c.t, tr.EndVersion.Identity, tr.StartVersion.Identity)
			require.NotNil(c.t, tr.ServerTS)
			c.version = tr.EndVersion
		}
		return msg
	}
}

func (c *wsClient) nextTransition() *protocol.Transition {
	c.t.Helper()
	msg := c.next()
	tr, ok := msg.(*protocol.Transition)
	require.True(c.t, ok, "expected a Transition, got %T %s", msg, msg.AppendWire(nil))
	return tr
}

func (c *wsClient) nextMutationResponse() *protocol.MutationResponse {
	c.t.Helper()
	msg := c.next()
	r, ok := msg.(*protocol.MutationResponse)
	require.True(c.t, ok, "expected a MutationResponse, got %T %s", msg, msg.AppendWire(nil))
	return r
}

func (c *wsClient) closeErr() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	return c.closeEr
}

// expectClose waits for the server to close the socket and returns the
// close status (-1 for a close without a close frame).
func (c *wsClient) expectClose() websocket.StatusCode {
	c.t.Helper()
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return websocket.CloseStatus(c.closeErr())
			}
			msg, err := protocol.DecodeServerMessage(f)
			require.NoError(c.t, err)
			if _, ping := msg.(*protocol.Ping); !ping {
				c.t.Fatalf("expected the socket to close, got %s", f)
			}
		case <-time.After(waitTimeout):
			c.t.Fatal("timed out waiting for the socket to close")
		}
	}
}

// closeReason returns the reason of the close frame received.
func (c *wsClient) closeReason() string {
	var ce websocket.CloseError
	if errors.As(c.closeErr(), &ce) {
		return ce.Reason
	}
	return ""
}

// subscribe adds one query and returns the transition that answers it.
func (c *wsClient) subscribe(id uint32, path string, args string) *protocol.Transition {
	c.t.Helper()
	base := c.version.QuerySet
	c.send(&protocol.ModifyQuerySet{BaseVersion: base, NewVersion: base + 1, Modifications: []protocol.QuerySetModification{
		{Type: protocol.ModAdd, QueryID: id, UDFPath: path, Args: json.RawMessage(args)},
	}})
	return c.nextTransition()
}

// decode decodes an encoded Convex value.
func decode(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	require.NoError(t, values.Unmarshal(raw, &v))
	return v
}

// eventually polls cond until it holds.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, waitTimeout, 5*time.Millisecond, msg)
}

// modByID finds a query's modification in a transition.
func modByID(tr *protocol.Transition, id uint32) *protocol.StateModification {
	for i := range tr.Modifications {
		if tr.Modifications[i].QueryID == id {
			return &tr.Modifications[i]
		}
	}
	return nil
}

// newMessagesServer registers a small chat app.
func newMessagesServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	srv := NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.Query("messages:list", func(ctx *QueryCtx, args map[string]any) (any, error) {
		q := ctx.DB.Query("messages")
		if ch, ok := args["channel"].(string); ok {
			q = q.Filter(func(d map[string]any) bool { return d["channel"] == ch })
		}
		docs := q.Collect()
		out := make([]any, len(docs))
		for i, d := range docs {
			out[i] = d["body"]
		}
		return out, nil
	})
	srv.Mutation("messages:send", func(ctx *MutationCtx, args map[string]any) (any, error) {
		ctx.Log(LevelLog, "sending", args["body"])
		return ctx.DB.Insert("messages", map[string]any{"channel": args["channel"], "body": args["body"]})
	})
	srv.Query("other:count", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("other").Collect())), nil
	})
	srv.Mutation("other:add", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("other", map[string]any{})
	})
	return srv
}
