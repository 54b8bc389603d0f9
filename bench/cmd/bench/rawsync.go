package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/coder/websocket"

	"github.com/goconvex/convex/bench/internal/benchsrv"
	"github.com/goconvex/convex/client"
)

// rawSync is a sync-protocol session driven by hand, without a client
// library: it writes the Mutation frame a client writes and waits for the
// same MutationResponse and Transition. Its round trip is row B3's floor
// for a mutation: the server's work and the loopback, with nothing of the
// client's around them.
type rawSync struct {
	conn *websocket.Conn
	next uint32
}

// rawRequestBase keeps the raw session's request ids clear of the ones the
// driver's frame observer tracks.
const rawRequestBase = 1 << 30

func dialRawSync(ctx context.Context, deployment string) (*rawSync, error) {
	u := strings.Replace(deployment, "http://", "ws://", 1) + "/api/" + client.ProtocolVersion + "/sync"
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(64 << 20)
	r := &rawSync{conn: conn, next: rawRequestBase}
	connect := fmt.Sprintf(`{"type":"Connect","sessionId":%q,"connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":0}`, newUUID())
	for _, f := range []string{connect, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[]}`} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *rawSync) close() { _ = r.conn.Close(websocket.StatusNormalClosure, "") }

// mutation runs benchsrv.EchoMutation with n and returns once the
// Transition that covers its commit arrived.
func (r *rawSync) mutation(ctx context.Context, n int) error {
	id := r.next
	r.next++
	frame := fmt.Sprintf(`{"type":"Mutation","requestId":%d,"udfPath":%q,"args":[{"n":%d}]}`, id, benchsrv.EchoMutation, n)
	if err := r.conn.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		return err
	}
	var committed uint64
	answered := false
	for {
		_, data, err := r.conn.Read(ctx)
		if err != nil {
			return err
		}
		var m struct {
			Type       string
			RequestID  *uint32
			Success    bool
			TS         string
			EndVersion struct{ TS string }
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("raw session: %w", err)
		}
		switch {
		case m.Type == "MutationResponse" && m.RequestID != nil && *m.RequestID == id:
			if !m.Success {
				return fmt.Errorf("raw session: mutation %d failed: %s", id, data)
			}
			if committed, err = decodeTS(m.TS); err != nil {
				return err
			}
			answered = true
		case m.Type == "FatalError" || m.Type == "AuthError":
			return fmt.Errorf("raw session: %s", data)
		case m.Type == "Transition" && answered:
			ts, err := decodeTS(m.EndVersion.TS)
			if err != nil {
				return err
			}
			if ts >= committed {
				return nil
			}
		}
	}
}

// newUUID is a random (version 4) UUID: the session id a Connect must
// carry (the server refuses others).
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// decodeTS reads a protocol timestamp: 8 bytes little-endian, base64.
func decodeTS(s string) (uint64, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 8 {
		return 0, fmt.Errorf("raw session: bad timestamp %q", s)
	}
	return binary.LittleEndian.Uint64(b), nil
}
