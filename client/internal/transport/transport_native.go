//go:build !js

package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
)

// Dial opens a WebSocket to url (ws:// or wss://).
func Dial(ctx context.Context, url string, opts DialOptions) (Conn, error) {
	h := http.Header{}
	for k, v := range opts.Header {
		h.Set(k, v)
	}
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("failed to dial %s: %w", url, err)
	}
	c.SetReadLimit(ReadLimit)
	return &nativeConn{c: c}, nil
}

type nativeConn struct{ c *websocket.Conn }

func (n *nativeConn) Read(ctx context.Context) ([]byte, error) {
	for {
		typ, data, err := n.c.Read(ctx)
		if err != nil {
			if ce, ok := errors.AsType[websocket.CloseError](err); ok {
				return nil, &CloseError{Code: int(ce.Code), Reason: ce.Reason}
			}
			return nil, err
		}
		if typ == websocket.MessageText {
			return data, nil
		}
		// The protocol has only text frames; binary ones are ignored.
	}
}

func (n *nativeConn) Write(ctx context.Context, frame []byte) error {
	return n.c.Write(ctx, websocket.MessageText, frame)
}

func (n *nativeConn) Close(reason string) error {
	return n.c.Close(websocket.StatusNormalClosure, reason)
}
