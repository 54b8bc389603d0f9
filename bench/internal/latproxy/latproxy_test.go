package latproxy

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestProxy checks that bytes arrive intact, in order, and no earlier than
// the delays promise (only lower bounds: the host may be slow).
func TestProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	const rtt = 40 * time.Millisecond
	p, err := New(ln.Addr().String(), rtt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	start := time.Now()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("0123456789"), 20000)
	go func() { _, _ = c.Write(msg) }()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo through the proxy changed the bytes")
	}
	// Handshake (1 RTT) plus a round trip.
	if el := time.Since(start); el < 2*rtt {
		t.Fatalf("first echo after %v, want ≥ %v", el, 2*rtt)
	}
	// A later round trip costs one RTT.
	t0 := time.Now()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, got[:1]); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el < rtt {
		t.Fatalf("round trip %v, want ≥ %v", el, rtt)
	}
	// A half-close reaches the server, whose close comes back as EOF.
	_ = c.(*net.TCPConn).CloseWrite()
	if n, err := c.Read(got); err != io.EOF {
		t.Fatalf("after CloseWrite: read %d, %v; want EOF", n, err)
	}
}
