package convextest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/goconvex/convex/customjwt"
)

// Server is an in-memory Convex deployment listening on a loopback port.
// It speaks the sync WebSocket protocol and the HTTP function API, so the
// official clients (and this module's client) can use it like a real
// deployment. Create one with NewServer and stop it with Close.
type Server struct {
	opts     options
	logger   *slog.Logger
	store    *store
	verifier *customjwt.Verifier // the WithAuth providers

	funcMu     sync.RWMutex
	funcs      map[string]*function
	components map[string]map[string]*function // by component path (components.go)

	// dedup records successful mutations by (session, request id); guarded
	// by store.mu.
	dedup map[dedupKey]*outcome

	execMu sync.Mutex
	execs  map[string]int

	connMu     sync.Mutex
	conns      map[*conn]struct{}
	connsGone  *sync.Cond // signaled when a connection unregisters
	nextConnID uint64
	generation uint64 // bumped by Restart: stragglers of an old listener are refused
	closed     bool
	closing    chan struct{}
	wg         sync.WaitGroup // connection and HTTP handlers

	lnMu      sync.Mutex
	addr      string
	httpSrv   *http.Server
	serveDone chan struct{}

	faultMu     sync.Mutex
	dropAfter   int64 // frames still allowed before a drop; -1 when off
	refuseUntil time.Time
	delay       atomic.Int64
	framesSent  atomic.Int64
}

// NewServer starts a deployment on 127.0.0.1 (or the WithAddr address). It
// panics if it cannot listen or an option is invalid, as httptest.NewServer
// does.
func NewServer(opts ...Option) *Server {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{
		opts:      o,
		logger:    o.logger,
		store:     newStore(time.Now()),
		funcs:     map[string]*function{},
		dedup:     map[dedupKey]*outcome{},
		execs:     map[string]int{},
		conns:     map[*conn]struct{}{},
		closing:   make(chan struct{}),
		dropAfter: -1,
	}
	s.connsGone = sync.NewCond(&s.connMu)
	s.verifier = newVerifier(o.providers, o.httpClient)
	s.registerSystem()
	ln := o.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", o.addr); err != nil {
			panic(fmt.Sprintf("convextest: failed to listen on %s: %v", o.addr, err))
		}
	}
	s.addr = ln.Addr().String()
	s.startServing(ln)
	s.logger.Info("convextest: deployment started", "url", s.URL())
	return s
}

func (s *Server) startServing(ln net.Listener) {
	s.httpSrv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	s.serveDone = done
	srv := s.httpSrv
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
}

// URL returns the deployment URL to give clients: "http://127.0.0.1:PORT".
func (s *Server) URL() string { return "http://" + s.addr }

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.addr }

// Close shuts the server down: it stops listening, ends every connection
// and waits for every goroutine it started, functions included (handlers
// must return once their context is done).
func (s *Server) Close() {
	s.connMu.Lock()
	if s.closed {
		s.connMu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	s.connMu.Unlock()

	s.lnMu.Lock()
	_ = s.httpSrv.Close()
	<-s.serveDone
	s.lnMu.Unlock()
	s.killConns()
	s.wg.Wait()
}

// Restart simulates a deployment restart: the listener closes, every
// connection drops at once (clients see an abnormal closure), and the
// server listens again on the same address. Data, mutation dedup records
// and the timestamp sequence are kept, so clients reconnect and resume.
func (s *Server) Restart() error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	if s.opts.listener != nil {
		return errors.New("convextest: Restart listens on a TCP port again; this server serves a listener it was given")
	}
	s.connMu.Lock()
	s.generation++
	s.connMu.Unlock()
	_ = s.httpSrv.Close()
	<-s.serveDone
	s.killConns()
	s.connMu.Lock()
	for len(s.conns) > 0 {
		s.connsGone.Wait()
	}
	s.connMu.Unlock()
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		ln, err = net.Listen("tcp", s.addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("convextest: restart: %w", err)
	}
	s.startServing(ln)
	return nil
}

func (s *Server) isClosed() bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.closed
}

func (s *Server) killConns() {
	for _, c := range s.snapshotConns() {
		c.kill()
	}
}

func (s *Server) snapshotConns() []*conn {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// track registers a request handler with the server's WaitGroup, unless
// the server is closed, and returns the listener generation it serves.
func (s *Server) track() (uint64, bool) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.closed {
		return 0, false
	}
	s.wg.Add(1)
	return s.generation, true
}

func (s *Server) now() time.Time { return s.opts.clock() }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	gen, ok := s.track()
	if !ok {
		writeAPIError(w, http.StatusServiceUnavailable, "ServerClosed", "The deployment is shutting down")
		return
	}
	defer s.wg.Done()
	path := r.URL.Path
	i := strings.Index(path, "/api/")
	if i < 0 {
		if path == "/" || path == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("This Convex deployment is running. See https://docs.convex.dev/.\n"))
			return
		}
		writeAPIError(w, http.StatusNotFound, "NotFound", "Not found: "+path)
		return
	}
	rest := path[i+len("/api/"):]
	if version, ok := strings.CutSuffix(rest, "sync"); ok && (version == "" || (strings.HasSuffix(version, "/") && !strings.Contains(strings.TrimSuffix(version, "/"), "/"))) {
		s.serveSync(w, r, gen, strings.TrimSuffix(version, "/"))
		return
	}
	s.serveAPI(w, r, rest)
}

// serveSync upgrades a sync WebSocket and runs the connection.
// pathVersion is the client version in the URL (/api/<version>/sync).
func (s *Server) serveSync(w http.ResponseWriter, r *http.Request, gen uint64, pathVersion string) {
	if s.refusing() {
		writeAPIError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The deployment is refusing connections")
		return
	}
	cv, verr := parseClientVersion(r, pathVersion)
	if verr != nil {
		verr.write(w)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Browsers send an Origin that differs from the deployment's host.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.logger.Debug("convextest: websocket upgrade failed", "error", err)
		return
	}
	s.connMu.Lock()
	if s.closed || gen != s.generation {
		s.connMu.Unlock()
		_ = ws.CloseNow()
		return
	}
	s.nextConnID++
	c := s.newConn(ws, s.nextConnID)
	c.chunks = cv.supportsChunks()
	s.conns[c] = struct{}{}
	s.connMu.Unlock()
	s.logger.Debug("convextest: connection opened", "conn", c.id, "path", r.URL.Path)

	c.serve()

	s.connMu.Lock()
	delete(s.conns, c)
	s.connsGone.Broadcast()
	s.connMu.Unlock()
	s.logger.Debug("convextest: connection closed", "conn", c.id)
}

// broadcastCommit tells every connection about a commit. The caller holds
// the store's write lock, which orders notes by commit.
func (s *Server) broadcastCommit(tables []string) {
	if len(tables) == 0 {
		return
	}
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.conns {
		c.pushCommit(commitNote{tables: tables})
	}
}

func (s *Server) countExecution(name string) {
	s.execMu.Lock()
	s.execs[name]++
	s.execMu.Unlock()
}

func (s *Server) observe(dir Direction, id uint64, frame []byte) {
	if fn := s.opts.observer; fn != nil {
		fn(dir, id, frame)
	}
}
