//go:build js

package transport

// The browser transport: a thin syscall/js wrapper over the global WebSocket
// (browsers, and node ≥ 20 with --experimental-websocket). coder/websocket's
// js build is not used: it loses the peer's close code, closes with codes
// browsers refuse (1001, 1008, 1009, 1011), blocks inside a JS callback
// (a deadlock when the close event can then never be delivered) and imports
// net/http, which doubles the wasm binary (docs/wasm.md#transport).
//
// Rules this file keeps:
//   - A JS event handler never blocks: it records what happened under a
//     mutex and signals through channels that never fill.
//   - The socket is closed only with 1000 or an application code 4000–4999,
//     with a reason cut to the 123 bytes browsers allow.
//   - Every js.Func is detached from the socket and released once the socket
//     is done (close event, failed dial, or Close timing out).
//   - Blocking methods (Dial, Read, Write, Close) run on Go goroutines, never
//     on the goroutine serving a JS callback.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"
	"unicode/utf8"
)

const (
	// closeNormal is the only standard code browsers let a page send.
	closeNormal = 1000
	// closeMessageTooBig is sent when a frame exceeds the read limit
	// (1009, its standard code, is refused by browsers).
	closeMessageTooBig = 4009
	// closeTimeout bounds the wait for the close handshake, as the native
	// transport's 5 s.
	closeTimeout = 5 * time.Second
	// errorGrace is how long an open socket waits, after an error event, for
	// the close event browsers send next; some runtimes (undici) never do.
	errorGrace = time.Second
	// maxBuffered is the bufferedAmount above which Write waits for the
	// browser to drain the socket.
	maxBuffered = 8 << 20
	// maxReasonBytes is the longest close reason browsers accept.
	maxReasonBytes = 123
)

var objectCtor = js.Global().Get("Object")

// ErrMessageTooBig is the read error after a frame exceeded the read limit.
var ErrMessageTooBig = errors.New("websocket: message exceeds the read limit")

// errClosed is returned by Write after the socket closed.
var errClosed = errors.New("websocket: connection closed")

type jsConn struct {
	ws    js.Value
	limit int

	// Set by event handlers and Close, under mu.
	mu       sync.Mutex
	frames   [][]byte
	opened   bool
	done     bool  // no more frames: close event seen, or given up on it
	readErr  error // returned by Read once frames are drained
	closing  bool  // Close was called or a limit violation started a close
	released bool
	funcs    []js.Func

	wake     chan struct{} // cap 1: a frame arrived
	openCh   chan struct{} // closed on the open event
	failCh   chan struct{} // closed when the socket ended (or failed to open)
	failOnce sync.Once
	openOnce sync.Once
}

// Dial opens a WebSocket to url (ws://, wss://, or http(s):// which is
// mapped to ws(s)://). Headers cannot be set from a browser and are ignored.
// Dial returns when the socket opens, fails, or ctx ends; a dial that fails
// reports the close event's code as a *CloseError where the runtime sends one.
func Dial(ctx context.Context, url string, _ DialOptions) (Conn, error) {
	return dial(ctx, url, ReadLimit)
}

func dial(ctx context.Context, url string, limit int) (*jsConn, error) {
	// The page's loader may define the constructor: it hands over the socket
	// it opened to this URL while the wasm loaded, if that is still there
	// (and repeats its open event once the handlers below are installed),
	// or makes a new one (js/src/loader.ts, preconnect).
	ctor := js.Global().Get("__goconvexWebSocket")
	if ctor.Type() != js.TypeFunction {
		ctor = js.Global().Get("WebSocket")
	}
	if ctor.Type() != js.TypeFunction {
		return nil, fmt.Errorf("failed to dial %s: this JavaScript runtime has no WebSocket (node 20 needs --experimental-websocket)", url)
	}
	switch {
	case strings.HasPrefix(url, "http://"):
		url = "ws://" + strings.TrimPrefix(url, "http://")
	case strings.HasPrefix(url, "https://"):
		url = "wss://" + strings.TrimPrefix(url, "https://")
	}
	c := &jsConn{
		limit:  limit,
		wake:   make(chan struct{}, 1),
		openCh: make(chan struct{}),
		failCh: make(chan struct{}),
	}
	if err := jsTry(func() { c.ws = ctor.New(url) }); err != nil {
		return nil, fmt.Errorf("failed to dial %s: %w", url, err)
	}
	c.ws.Set("binaryType", "arraybuffer")
	c.listen("onopen", c.onOpen)
	c.listen("onmessage", c.onMessage)
	c.listen("onclose", c.onClose)
	c.listen("onerror", c.onError)

	select {
	case <-c.openCh:
		return c, nil
	case <-c.failCh:
	case <-ctx.Done():
	}
	c.mu.Lock()
	opened, err := c.opened, c.readErr
	c.mu.Unlock()
	if opened {
		// It opened, even if it closed again since: Read reports that.
		return c, nil
	}
	if err == nil {
		c.abort()
		return nil, fmt.Errorf("failed to dial %s: %w", url, ctx.Err())
	}
	c.release()
	return nil, fmt.Errorf("failed to dial %s: %w", url, err)
}

// listen installs fn as the socket's on<event> handler.
func (c *jsConn) listen(prop string, fn func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		// A panic here would kill the Go runtime: end the socket instead.
		defer func() {
			if r := recover(); r != nil {
				c.finish(fmt.Errorf("websocket %s handler: %v", prop, r))
				go c.abort()
			}
		}()
		var ev js.Value
		if len(args) > 0 {
			ev = args[0]
		}
		fn(ev)
		return nil
	})
	c.mu.Lock()
	c.funcs = append(c.funcs, f)
	c.mu.Unlock()
	c.ws.Set(prop, f)
}

func (c *jsConn) onOpen(js.Value) {
	c.mu.Lock()
	c.opened = true
	c.mu.Unlock()
	c.openOnce.Do(func() { close(c.openCh) })
}

func (c *jsConn) onMessage(ev js.Value) {
	data := ev.Get("data")
	if data.Type() != js.TypeString {
		return // the protocol has only text frames; binary ones are ignored
	}
	// A JS string of n UTF-16 units is at least n bytes of UTF-8: check
	// before copying it into Go memory. (syscall/js reads properties of
	// objects only: box the string to read its length.)
	if objectCtor.Invoke(data).Get("length").Int() > c.limit {
		c.tooBig()
		return
	}
	b := []byte(data.String())
	if len(b) > c.limit {
		c.tooBig()
		return
	}
	c.mu.Lock()
	if c.done || c.closing {
		c.mu.Unlock()
		return
	}
	c.frames = append(c.frames, b)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// tooBig ends reading with ErrMessageTooBig and closes the socket with an
// application code browsers accept.
func (c *jsConn) tooBig() {
	c.mu.Lock()
	if c.closing || c.done {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.readErr = fmt.Errorf("%w (%d bytes)", ErrMessageTooBig, c.limit)
	c.mu.Unlock()
	_ = jsTry(func() { c.ws.Call("close", closeMessageTooBig, "message too big") })
	c.finish(nil) // Read reports the limit error at once; the close event only releases
}

func (c *jsConn) onClose(ev js.Value) {
	ce := &CloseError{Code: 1005}
	if ev.Type() == js.TypeObject {
		if code := ev.Get("code"); code.Type() == js.TypeNumber {
			ce.Code = code.Int()
		}
		if reason := ev.Get("reason"); reason.Type() == js.TypeString {
			ce.Reason = reason.String()
		}
	}
	c.finish(ce)
	c.release()
}

func (c *jsConn) onError(ev js.Value) {
	msg := "websocket error"
	if ev.Type() == js.TypeObject {
		if m := ev.Get("message"); m.Type() == js.TypeString && m.String() != "" {
			msg = m.String()
		}
	}
	c.mu.Lock()
	opened := c.opened
	c.mu.Unlock()
	if !opened {
		// Browsers follow with a close event (code 1006); undici does not.
		// Either way the dial has failed: Dial releases the handlers.
		c.finish(&CloseError{Code: 1006, Reason: msg})
		return
	}
	// An open socket gets a close event next. Should it never come, stop
	// reading after a grace period instead of hanging.
	go func() {
		select {
		case <-c.failCh:
		case <-time.After(errorGrace):
			c.finish(fmt.Errorf("websocket error: %s", msg))
			c.abort()
		}
	}()
}

// finish marks the socket done with err as the read error (unless one is
// already set) and wakes Dial and Read. It never blocks.
func (c *jsConn) finish(err error) {
	c.mu.Lock()
	if c.readErr == nil {
		if err == nil {
			err = errClosed
		}
		c.readErr = err
	}
	c.done = true
	c.mu.Unlock()
	c.failOnce.Do(func() { close(c.failCh) })
}

// abort closes the socket without waiting and releases the handlers.
func (c *jsConn) abort() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	_ = jsTry(func() { c.ws.Call("close", closeNormal) })
	c.finish(nil)
	c.release()
}

// release detaches the handlers from the socket and frees them. Detaching
// first means a late event finds no handler rather than a released one.
func (c *jsConn) release() {
	c.mu.Lock()
	if c.released {
		c.mu.Unlock()
		return
	}
	c.released = true
	funcs := c.funcs
	c.funcs = nil
	c.mu.Unlock()
	for _, p := range []string{"onopen", "onmessage", "onclose", "onerror"} {
		c.ws.Set(p, js.Null())
	}
	for _, f := range funcs {
		f.Release()
	}
}

// Read returns the next text frame. Frames that arrived before the close
// event are returned first; after them Read returns the *CloseError of the
// peer's close frame (code 1005 when it had none, 1006 for an abnormal
// end). When ctx ends Read returns ctx.Err() and leaves the socket open.
func (c *jsConn) Read(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if len(c.frames) > 0 {
			f := c.frames[0]
			c.frames[0] = nil
			c.frames = c.frames[1:]
			c.mu.Unlock()
			return f, nil
		}
		if c.done {
			err := c.readErr
			c.mu.Unlock()
			return nil, err
		}
		c.mu.Unlock()
		select {
		case <-c.wake:
		case <-c.failCh:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Write sends one text frame. It waits while the browser holds more than
// maxBuffered bytes unsent, so a fast writer cannot grow its buffer without
// bound.
func (c *jsConn) Write(ctx context.Context, frame []byte) error {
	for {
		c.mu.Lock()
		stop := c.done || c.closing
		c.mu.Unlock()
		if stop {
			return errClosed
		}
		if bufferedAmount(c.ws) <= maxBuffered {
			break
		}
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-t.C:
		case <-c.failCh:
			t.Stop()
			return errClosed
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if err := jsTry(func() { c.ws.Call("send", string(frame)) }); err != nil {
		return fmt.Errorf("failed to send: %w", err)
	}
	return nil
}

// Close closes the socket with code 1000 and reason (cut to 123 bytes), and
// waits up to 5 s for the close event. It must not be called on the
// goroutine serving a JS callback.
func (c *jsConn) Close(reason string) error {
	c.mu.Lock()
	if c.done || c.closing {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	c.mu.Unlock()
	err := jsTry(func() { c.ws.Call("close", closeNormal, truncateReason(reason)) })
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-c.failCh:
	case <-t.C:
		c.finish(nil)
		c.release()
	}
	if err != nil {
		return fmt.Errorf("failed to close: %w", err)
	}
	return nil
}

// bufferedAmount reads ws.bufferedAmount, 0 where a WebSocket polyfill
// lacks it.
func bufferedAmount(ws js.Value) int {
	if v := ws.Get("bufferedAmount"); v.Type() == js.TypeNumber {
		return v.Int()
	}
	return 0
}

// truncateReason cuts reason to the close reason limit on a rune boundary.
func truncateReason(reason string) string {
	if len(reason) <= maxReasonBytes {
		return reason
	}
	cut := maxReasonBytes
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}

// jsTry runs fn, turning a JS exception (a panic in syscall/js) into an
// error.
func jsTry(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			switch e := r.(type) {
			case error:
				err = e
			default:
				err = fmt.Errorf("%v", e)
			}
		}
	}()
	fn()
	return nil
}
