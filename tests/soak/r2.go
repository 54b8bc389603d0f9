package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/devauth"
)

type r2Result struct {
	duration         time.Duration
	lifetime         time.Duration
	refreshRequests  int
	refreshFaulted   int
	tokensIssued     int
	tokensHanded     int
	lateReplacements int
	calls            int
	callsFailed      int
	callsFailedAuth  int
	errSamples       []string
	signOuts         int // Session and Provider sign-out callbacks
	authDrops        int // client AuthState: authenticated → not, after the first confirmation
	authErrors       int // AuthError frames sent by the deployment, the injected one included
	injected         int
	subCaughtUp      bool
	storeFile        string
	storeDir         string
	err              error
}

// faultyIssuer is the Session's transport: it arms authkittest's fault
// injection (a 503, once) before a share of the refresh requests, and
// records every token the issuer hands out.
type faultyIssuer struct {
	issuer *authkittest.Server
	tokens *tokenSet

	mu      sync.Mutex
	rng     *rand.Rand
	share   float64
	total   int
	faulted int
	issued  int
}

func (f *faultyIssuer) RoundTrip(r *http.Request) (*http.Response, error) {
	refresh := strings.HasSuffix(r.URL.Path, authkittest.RouteAuthenticate)
	if refresh {
		f.mu.Lock()
		f.total++
		if f.rng.Float64() < f.share {
			f.faulted++
			f.issuer.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: http.StatusServiceUnavailable, Times: 1})
		}
		f.mu.Unlock()
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !refresh || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var t struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &t) == nil && t.AccessToken != "" {
		f.tokens.add("access", t.AccessToken)
		f.tokens.add("refresh", t.RefreshToken)
		f.mu.Lock()
		f.issued++
		f.mu.Unlock()
	}
	return resp, nil
}

// runR2: the whole native auth stack (client, Provider with proactive
// refresh, Session over a file store, the local issuer, the deployment)
// with 5 s tokens for dur, a fifth of the refresh requests failing, a
// mutation every 250 ms, and midway the deployment rejecting the identity
// once (a server-side expiry).
func runR2(dur time.Duration, logger *slog.Logger, tokens *tokenSet) (r r2Result) {
	const lifetime = 5 * time.Second
	r.duration, r.lifetime = dur, lifetime
	issuer := authkittest.NewServer(authkittest.WithTokenLifetime(lifetime), authkittest.WithJWTTemplate(authkittest.NameEmailTemplate))
	defer issuer.Close()
	var obsMu sync.Mutex
	deployment := convextest.NewServer(convextest.WithAuth(devauth.ConvexProviders(issuer)...),
		convextest.WithLogger(logger.With("at", "r2-deployment")),
		convextest.WithFrameObserver(func(dir convextest.Direction, _ uint64, frame []byte) {
			if dir == convextest.ToClient && bytes.Contains(frame, []byte(`"type":"AuthError"`)) {
				obsMu.Lock()
				r.authErrors++
				obsMu.Unlock()
			}
		}))
	defer deployment.Close()
	chat.Register(deployment)

	dir, err := os.MkdirTemp("", "goconvex-soak-")
	if err != nil {
		r.err = err
		return r
	}
	defer os.RemoveAll(dir)
	r.storeDir = filepath.Join(dir, "goconvex")
	r.storeFile = filepath.Join(r.storeDir, "session.json")
	store := workos.NewFileStore(r.storeFile)
	ctx, cancel := withTimeout(dur + 2*time.Minute)
	defer cancel()
	first, err := issuer.IssueTokens(authkittest.DemoUser.ID)
	if err != nil {
		r.err = err
		return r
	}
	tokens.add("access", first.AccessToken)
	tokens.add("refresh", first.RefreshToken)
	if err := store.Save(ctx, &workos.StoredSession{RefreshToken: first.RefreshToken, AccessToken: first.AccessToken}); err != nil {
		r.err = err
		return r
	}
	// The store's modes as the Session leaves them are read by R6 once
	// the run is over (see below).

	faulty := &faultyIssuer{issuer: issuer, tokens: tokens, rng: rand.New(rand.NewPCG(4, 2)), share: 0.2}
	var mu sync.Mutex
	session, err := workos.NewSession(workos.SessionConfig{Config: workos.Config{ClientID: issuer.ClientID(), APIBase: issuer.URL(), HTTPClient: &http.Client{Transport: faulty, Timeout: 10 * time.Second}}, Store: store, OnSignedOut: func(error) { mu.Lock(); r.signOuts++; mu.Unlock() }, Logger: logger.With("at", "r2-session")})
	if err != nil {
		r.err = err
		return r
	}
	provider := authkit.NewProvider(session, authkit.ProviderConfig{
		ProactiveRefresh: true,
		OnSignedOut:      func(error) { mu.Lock(); r.signOuts++; mu.Unlock() },
	})
	defer provider.Close()

	c, err := client.New(deployment.URL(), client.WithLogger(logger.With("at", "r2-client")))
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	type handed struct {
		at  time.Time
		exp time.Time
	}
	var handedOut []handed
	last := ""
	c.SetAuth(client.TokenProviderFunc(func(ctx context.Context, force bool) (string, error) {
		s, err := provider.FetchToken(ctx, force)
		if err == nil && s != "" {
			tokens.add("access", s)
			if tok, perr := authkit.ParseToken(s); perr == nil {
				mu.Lock()
				if s != last {
					handedOut = append(handedOut, handed{at: time.Now(), exp: tok.Expiry})
					last = s
				}
				mu.Unlock()
			}
		}
		return s, err
	}))
	confirmed := false
	stop := c.WatchAuth(func(s client.AuthState) {
		mu.Lock()
		defer mu.Unlock()
		if s.IsAuthenticated {
			confirmed = true
		} else if confirmed {
			r.authDrops++
			confirmed = false
		}
	})
	defer stop()

	sub, err := c.Subscribe(ctx, "messages:list", nil)
	if err != nil {
		r.err = err
		return r
	}
	defer sub.Close()

	errSamples := map[string]int{}
	start := time.Now()
	for time.Since(start) < dur {
		if r.injected == 0 && time.Since(start) > dur/2 {
			deployment.InjectAuthError("Convex token identity expired", false)
			r.injected++
		}
		r.calls++
		err := c.Mutation(ctx, "messages:send", client.Args{"body": fmt.Sprintf("message %d", r.calls)}, nil)
		if err != nil {
			r.callsFailed++
			if fe, ok := errors.AsType[*client.FunctionError](err); ok && strings.Contains(strings.ToLower(fe.Error()), "sign in") {
				r.callsFailedAuth++
			}
			errSamples[err.Error()]++
		}
		time.Sleep(250 * time.Millisecond) // the pace of a user, not a wait for something
	}
	for e, n := range errSamples {
		r.errSamples = append(r.errSamples, fmt.Sprintf("%d × %s", n, e))
	}

	// The subscription carried on to the last message.
	want := fmt.Sprintf("message %d", r.calls)
	subCtx, subCancel := context.WithTimeout(ctx, 30*time.Second)
	defer subCancel()
	for {
		res, err := sub.Next(subCtx)
		if err != nil {
			break
		}
		var msgs []struct{ Body string }
		if res.Decode(&msgs) == nil && len(msgs) > 0 && msgs[len(msgs)-1].Body == want {
			r.subCaughtUp = true
			break
		}
	}

	mu.Lock()
	defer mu.Unlock()
	r.tokensHanded = len(handedOut)
	for i := 1; i < len(handedOut); i++ {
		if !handedOut[i].at.Before(handedOut[i-1].exp) {
			r.lateReplacements++
		}
	}
	faulty.mu.Lock()
	r.refreshRequests, r.refreshFaulted, r.tokensIssued = faulty.total, faulty.faulted, faulty.issued
	faulty.mu.Unlock()
	obsMu.Lock()
	defer obsMu.Unlock()
	// Keep the store's directory for R6 until it has looked: copy modes now.
	storeModes.record(r.storeFile, r.storeDir)
	return r
}

func (r r2Result) failed() bool {
	return r.err != nil || r.signOuts > 0 || r.authDrops > 0 || r.callsFailed > 0 || r.lateReplacements > 0 || !r.subCaughtUp || r.refreshFaulted == 0
}

func (r r2Result) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "## R2: %s tokens for %s, 20 %% of the refresh requests failing\n\n", r.lifetime, r.duration)
	if r.err != nil {
		fmt.Fprintf(b, "✗ setup failed: %v\n\n", r.err)
		return
	}
	fmt.Fprintf(b, "| figure | value | |\n|---|---|---|\n")
	fmt.Fprintf(b, "| refresh requests (503 injected by authkittest) | %d (%d) | %s |\n", r.refreshRequests, r.refreshFaulted, mark(r.refreshFaulted > 0))
	fmt.Fprintf(b, "| tokens issued by refreshes; distinct tokens handed to the client | %d; %d | |\n", r.tokensIssued, r.tokensHanded)
	fmt.Fprintf(b, "| tokens replaced after their expiry | %d | %s |\n", r.lateReplacements, mark(r.lateReplacements == 0))
	fmt.Fprintf(b, "| false sign-outs (Session/Provider callbacks) | %d | %s |\n", r.signOuts, mark(r.signOuts == 0))
	fmt.Fprintf(b, "| client auth state dropped after the first confirmation | %d | %s |\n", r.authDrops, mark(r.authDrops == 0))
	fmt.Fprintf(b, "| AuthError frames from the deployment (%d injected on purpose) | %d | |\n", r.injected, r.authErrors)
	fmt.Fprintf(b, "| mutations; failed; failed for auth | %d; %d; %d | %s |\n", r.calls, r.callsFailed, r.callsFailedAuth, mark(r.callsFailed == 0))
	fmt.Fprintf(b, "| the subscription reached the last message | %v | %s |\n", r.subCaughtUp, mark(r.subCaughtUp))
	b.WriteString("\n")
	for _, e := range r.errSamples {
		fmt.Fprintf(b, "- error: %s\n", e)
	}
	if len(r.errSamples) > 0 {
		b.WriteString("\n")
	}
}
