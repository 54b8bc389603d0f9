// Package latproxy is a TCP proxy on loopback that puts a network's round
// trip time between a client and a server: row B5 runs the browser pages
// against the deployment through it at 50 ms and 150 ms.
//
// Every byte is held for RTT/2 in each direction (a delay line: bytes keep
// their order, and what was read together is written together once its
// time has come; bandwidth is not limited). A new connection also pays the
// TCP handshake: on a real network the client's first byte leaves one RTT
// after its SYN, so the proxy forwards nothing from the client before
// accept + RTT + RTT/2. (The loopback connection itself is set up at once,
// which is why the handshake is added here.) TLS is not emulated: a wss://
// deployment costs both clients one more RTT.
package latproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards connections to one target address with a round trip time.
type Proxy struct {
	ln     net.Listener
	target string
	rtt    time.Duration

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New listens on 127.0.0.1 and forwards to target (host:port) with the
// given round trip time.
func New(target string, rtt time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, rtt: rtt, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// RTT is the round trip time the proxy adds.
func (p *Proxy) RTT() time.Duration { return p.rtt }

// Close stops listening and cuts every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		accepted := time.Now()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c, accepted)
		}()
	}
}

func (p *Proxy) handle(c net.Conn, accepted time.Time) {
	if !p.track(c) {
		return
	}
	defer p.untrack(c)
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(u) {
		return
	}
	defer p.untrack(u)
	half := p.rtt / 2
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pipe(u, c, half, accepted.Add(p.rtt+half)) }()
	go func() { defer wg.Done(); pipe(c, u, half, time.Time{}) }()
	wg.Wait()
}

// chunk is what one read returned, and when it may be written.
type chunk struct {
	b   []byte // nil: the reader saw EOF (or an error, then err is set)
	err error
	due time.Time
}

// pipe copies src to dst, each read written delay after it was read and
// not before notBefore. On src's EOF it half-closes dst (after the delay);
// on an error it cuts both.
func pipe(dst, src net.Conn, delay time.Duration, notBefore time.Time) {
	q := make(chan chunk, 4096)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			due := time.Now().Add(delay)
			if due.Before(notBefore) {
				due = notBefore
			}
			if n > 0 {
				q <- chunk{b: append([]byte(nil), buf[:n]...), due: due}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				q <- chunk{err: err, due: due}
				close(q)
				return
			}
		}
	}()
	for ch := range q {
		if d := time.Until(ch.due); d > 0 {
			time.Sleep(d)
		}
		if ch.b == nil {
			if ch.err != nil {
				_ = dst.Close()
				_ = src.Close()
			} else if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			} else {
				_ = dst.Close()
			}
			break
		}
		if _, err := dst.Write(ch.b); err != nil {
			_ = dst.Close()
			_ = src.Close()
			break
		}
	}
	for range q { // let the reader finish
	}
}
