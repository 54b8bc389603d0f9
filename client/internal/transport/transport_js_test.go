//go:build js

package transport

// These tests run under GOOS=js GOARCH=wasm, in node (with
// --experimental-websocket) and in Chromium (wasmbrowsertest), against the
// native peer started by wasm/internal/testenv (make test-wasm).

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

func helperURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("GOCONVEX_TEST_HELPER_URL")
	if u == "" {
		t.Skip("GOCONVEX_TEST_HELPER_URL is not set: run through wasm/internal/testenv (make test-wasm)")
	}
	return u
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dialEcho(t *testing.T, limit int) *jsConn {
	t.Helper()
	// An http:// URL: Dial maps it to ws://.
	c, err := dial(testCtx(t, 10*time.Second), helperURL(t)+"/echo", limit)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close("") })
	return c
}

func mustWrite(t *testing.T, c Conn, s string) {
	t.Helper()
	if err := c.Write(testCtx(t, 5*time.Second), []byte(s)); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

func mustRead(t *testing.T, c Conn) string {
	t.Helper()
	b, err := c.Read(testCtx(t, 10*time.Second))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func closeErrOf(t *testing.T, err error) *CloseError {
	t.Helper()
	var ce *CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("want a *CloseError, got %T %v", err, err)
	}
	return ce
}

func TestEchoRoundTrip(t *testing.T) {
	c := dialEcho(t, ReadLimit)
	for _, s := range []string{"hello", `{"type":"Connect"}`, "héllo wörld ✓ 🚀", ""} {
		mustWrite(t, c, s)
		if got := mustRead(t, c); got != s {
			t.Fatalf("echo: got %q, want %q", got, s)
		}
	}
}

func TestPeerCloseCodeAndReasonKept(t *testing.T) {
	c := dialEcho(t, ReadLimit)
	mustWrite(t, c, "close 4001 server says bye")
	_, err := c.Read(testCtx(t, 10*time.Second))
	ce := closeErrOf(t, err)
	if ce.Code != 4001 || ce.Reason != "server says bye" {
		t.Fatalf("got %+v, want 4001 %q", ce, "server says bye")
	}
	// The close error sticks, and writing fails.
	if _, err := c.Read(testCtx(t, time.Second)); closeErrOf(t, err).Code != 4001 {
		t.Fatalf("second read: %v", err)
	}
	if err := c.Write(testCtx(t, time.Second), []byte("x")); err == nil {
		t.Fatal("write after close succeeded")
	}
}

func TestFramesBeforeCloseAreDelivered(t *testing.T) {
	c := dialEcho(t, ReadLimit)
	mustWrite(t, c, "burst 200")
	for i := range 200 {
		if got := mustRead(t, c); got != strconv.Itoa(i) {
			t.Fatalf("frame %d: got %q", i, got)
		}
	}
	_, err := c.Read(testCtx(t, 10*time.Second))
	if ce := closeErrOf(t, err); ce.Code != 4002 || ce.Reason != "burst done" {
		t.Fatalf("got %+v", ce)
	}
	// The close event released every handler.
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.released || c.funcs != nil {
		t.Fatal("handlers not released after the close event")
	}
	if !c.ws.Get("onmessage").IsNull() {
		t.Fatal("onmessage still attached")
	}
}

func TestReadLimitEnforced(t *testing.T) {
	c := dialEcho(t, 1000)
	mustWrite(t, c, "big 999")
	if got := mustRead(t, c); len(got) != 999 {
		t.Fatalf("got %d bytes", len(got))
	}
	mustWrite(t, c, "big 1001")
	_, err := c.Read(testCtx(t, 10*time.Second))
	if !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("want ErrMessageTooBig, got %v", err)
	}
	if err := c.Write(testCtx(t, time.Second), []byte("x")); err == nil {
		t.Fatal("write after the limit violation succeeded")
	}
	// The socket was closed with 4009 (a code browsers accept): the close
	// event arrives and releases the handlers.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		released := c.released
		c.mu.Unlock()
		if released {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("socket not closed after the limit violation")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLargeFrameWithinDefaultLimit(t *testing.T) {
	c := dialEcho(t, ReadLimit)
	mustWrite(t, c, "big 4000000")
	if got := mustRead(t, c); len(got) != 4000000 {
		t.Fatalf("got %d bytes", len(got))
	}
	big := strings.Repeat("z", 2<<20)
	mustWrite(t, c, big)
	if got := mustRead(t, c); got != big {
		t.Fatalf("echo of 2 MiB: got %d bytes", len(got))
	}
}

func TestBinaryFramesIgnored(t *testing.T) {
	c := dialEcho(t, ReadLimit)
	mustWrite(t, c, "binary")
	if got := mustRead(t, c); got != "after-binary" {
		t.Fatalf("got %q", got)
	}
}

func TestCloseIsNormalAndBounded(t *testing.T) {
	c := dialEcho(t, ReadLimit)
	mustWrite(t, c, "ping")
	mustRead(t, c)
	// A reason longer than browsers allow is cut, not thrown on.
	start := time.Now()
	if err := c.Close(strings.Repeat("é", 100)); err != nil {
		t.Fatalf("close: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("close took %v", d)
	}
	_, err := c.Read(testCtx(t, time.Second))
	if ce := closeErrOf(t, err); ce.Code != 1000 {
		t.Fatalf("got %+v, want the echoed 1000", ce)
	}
	if len(truncateReason(strings.Repeat("é", 100))) > maxReasonBytes {
		t.Fatal("reason not truncated")
	}
	if err := c.Close("again"); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestReadContextEndLeavesSocketOpen(t *testing.T) {
	c := dialEcho(t, ReadLimit)
	if _, err := c.Read(testCtx(t, 30*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	mustWrite(t, c, "still open")
	if got := mustRead(t, c); got != "still open" {
		t.Fatalf("got %q", got)
	}
}

func TestDialRefusedFailsFast(t *testing.T) {
	u := os.Getenv("GOCONVEX_TEST_REFUSED_URL")
	if u == "" {
		t.Skip("GOCONVEX_TEST_REFUSED_URL is not set")
	}
	start := time.Now()
	_, err := Dial(testCtx(t, 8*time.Second), u, DialOptions{})
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("dial failure took %v", d)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial waited for its deadline: %v", err)
	}
}

func TestDialTimeoutDoesNotHang(t *testing.T) {
	start := time.Now()
	_, err := Dial(testCtx(t, 300*time.Millisecond), helperURL(t)+"/hang", DialOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("dial took %v", d)
	}
}

func TestDialBadURL(t *testing.T) {
	if _, err := Dial(testCtx(t, time.Second), "ftp://127.0.0.1/x", DialOptions{}); err == nil {
		t.Fatal("dial of an ftp:// URL succeeded")
	}
}

func TestDialWithoutWebSocket(t *testing.T) {
	g := js.Global()
	saved := g.Get("WebSocket")
	g.Set("WebSocket", js.Undefined())
	defer g.Set("WebSocket", saved)
	_, err := Dial(testCtx(t, time.Second), "ws://127.0.0.1:1/", DialOptions{})
	if err == nil || !strings.Contains(err.Error(), "no WebSocket") {
		t.Fatalf("got %v", err)
	}
}

// TestDialUsesTheLoadersConstructor: when the page's loader defines
// __goconvexWebSocket (js/src/loader.ts, preconnect), sockets come from it;
// here it hands over a socket opened before the dial, as the loader does.
func TestDialUsesTheLoadersConstructor(t *testing.T) {
	base := helperURL(t)
	url := "ws" + strings.TrimPrefix(base, "http") + "/echo"
	early := js.Global().Get("WebSocket").New(url)
	opened := make(chan struct{})
	onOpen := js.FuncOf(func(js.Value, []js.Value) any { close(opened); return nil })
	defer onOpen.Release()
	early.Call("addEventListener", "open", onOpen, map[string]any{"once": true})
	select {
	case <-opened:
	case <-testCtx(t, 10*time.Second).Done():
		t.Fatal("the early socket did not open")
	}
	// The loader repeats the open event after the dial's handlers are set.
	repeatOpen := js.FuncOf(func(js.Value, []js.Value) any {
		early.Call("dispatchEvent", js.Global().Get("Event").New("open"))
		return nil
	})
	defer repeatOpen.Release()
	var asked []string
	ctor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		asked = append(asked, args[0].String())
		js.Global().Call("queueMicrotask", repeatOpen)
		return early
	})
	defer ctor.Release()
	g := js.Global()
	g.Set("__goconvexWebSocket", ctor)
	defer g.Delete("__goconvexWebSocket")

	c, err := dial(testCtx(t, 10*time.Second), base+"/echo", ReadLimit)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close("") })
	if len(asked) != 1 || asked[0] != url {
		t.Fatalf("the constructor was asked for %q, want [%s]", asked, url)
	}
	if !c.ws.Equal(early) {
		t.Fatal("the dial did not use the socket the constructor returned")
	}
	mustWrite(t, c, "taken over")
	if got := mustRead(t, c); got != "taken over" {
		t.Fatalf("echo: got %q", got)
	}
}

func TestTruncateReason(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("a", 200), strings.Repeat("€", 60)} {
		r := truncateReason(s)
		if len(r) > maxReasonBytes || !strings.HasPrefix(s, r) || !utf8Valid(r) {
			t.Fatalf("truncateReason(%d bytes) = %d bytes", len(s), len(r))
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
