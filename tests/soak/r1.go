package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/devauth"
)

const r1Clients = 4

type r1Result struct {
	duration      time.Duration
	clients       int
	mutations     int
	returnedOK    int
	returnedErr   int
	errSamples    []string
	cuts          int
	cutsMidFlight int
	reconnects    int
	applied       int // distinct mutations found in the database
	lost          int
	doubled       int
	converged     int
	convergeTime  time.Duration
	goroutineBase int
	goroutinePeak int
	goroutineEnd  int
	goroutinesOK  bool
	err           error
}

// runR1: r1Clients clients, each with a subscription read by Next and an
// OnUpdate callback, make mutations at a steady pace while the deployment
// cuts every connection every 0.5–3 s (all at once, or after a random
// number of frames, which cuts between a MutationResponse and the
// Transition that confirms it).
func runR1(dur time.Duration, total int, logger *slog.Logger, tokens *tokenSet) (r r1Result) {
	r.duration, r.clients, r.mutations = dur, r1Clients, total
	issuer := authkittest.NewServer(authkittest.WithTokenLifetime(time.Hour))
	defer issuer.Close()
	srv := convextest.NewServer(convextest.WithAuth(devauth.ConvexProviders(issuer)...), convextest.WithLogger(logger.With("at", "r1-deployment")))
	defer srv.Close()
	registerR1(srv)

	r.goroutineBase = runtime.NumGoroutine()
	var peak atomic.Int64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			n := int64(runtime.NumGoroutine())
			if n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-t.C:
			case <-stopSampling:
				return
			}
		}
	})

	type soakClient struct {
		c      *client.Client
		name   string
		mu     sync.Mutex
		next   map[string]any // latest result seen by Next
		update map[string]any // latest result seen by OnUpdate
		stop   func()
		done   chan struct{}
	}
	ctx, cancel := withTimeout(dur + 3*time.Minute)
	defer cancel()
	clients := make([]*soakClient, r1Clients)
	for i := range clients {
		tok, err := issuer.IssueTokens(authkittest.DemoUser.ID)
		if err != nil {
			r.err = err
			return r
		}
		tokens.add("access", tok.AccessToken)
		tokens.add("refresh", tok.RefreshToken)
		c, err := client.New(srv.URL(), client.WithLogger(logger.With("at", fmt.Sprintf("r1-client-%d", i))))
		if err != nil {
			r.err = err
			return r
		}
		access := tok.AccessToken
		c.SetAuth(client.TokenProviderFunc(func(context.Context, bool) (string, error) { return access, nil }))
		sc := &soakClient{c: c, name: fmt.Sprintf("c%d", i), done: make(chan struct{})}
		clients[i] = sc
		sub, err := c.Subscribe(ctx, "soak:counts", nil)
		if err != nil {
			r.err = err
			return r
		}
		go func() {
			defer close(sc.done)
			for {
				res, err := sub.Next(ctx)
				if errors.Is(err, client.ErrClosed) || ctx.Err() != nil {
					return
				}
				var m map[string]any
				if err == nil && res.Decode(&m) == nil {
					sc.mu.Lock()
					sc.next = m
					sc.mu.Unlock()
				}
			}
		}()
		sc.stop, err = c.OnUpdate(ctx, "soak:counts", nil, func(res *client.Result, err error) {
			var m map[string]any
			if err == nil && res.Decode(&m) == nil {
				sc.mu.Lock()
				sc.update = m
				sc.mu.Unlock()
			}
		})
		if err != nil {
			r.err = err
			return r
		}
	}

	// The faults.
	stopCuts := make(chan struct{})
	var cutter sync.WaitGroup
	cutter.Go(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		for {
			wait := 500*time.Millisecond + time.Duration(rng.Int64N(int64(2500*time.Millisecond)))
			select {
			case <-time.After(wait):
			case <-stopCuts:
				return
			}
			if rng.IntN(2) == 0 {
				srv.DropConnections()
			} else {
				srv.DropAfterFrames(1 + rng.IntN(30))
				r.cutsMidFlight++
			}
			r.cuts++
		}
	})

	// The mutations: each client its share, paced over dur, at most 16 in
	// flight per client.
	var ok, failed atomic.Int64
	var errMu sync.Mutex
	errSamples := map[string]int{}
	var calls sync.WaitGroup
	per := total / r1Clients
	interval := dur / time.Duration(per)
	for _, sc := range clients {
		calls.Go(func() {
			sem := make(chan struct{}, 16)
			var inner sync.WaitGroup
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for seq := range per {
				<-tick.C
				sem <- struct{}{}
				inner.Go(func() {
					defer func() { <-sem }()
					err := sc.c.Mutation(ctx, "soak:add", client.Args{"client": sc.name, "seq": seq}, nil)
					if err != nil {
						failed.Add(1)
						errMu.Lock()
						errSamples[err.Error()]++
						errMu.Unlock()
						return
					}
					ok.Add(1)
				})
			}
			inner.Wait()
		})
	}
	calls.Wait()
	close(stopCuts)
	cutter.Wait()
	srv.DropAfterFrames(-1)
	r.returnedOK, r.returnedErr = int(ok.Load()), int(failed.Load())
	for e, n := range errSamples {
		r.errSamples = append(r.errSamples, fmt.Sprintf("%d × %s", n, e))
	}

	// The database: every mutation once.
	seen := map[string]int{}
	want := map[string]any{}
	_ = srv.Read(func(db *convextest.DatabaseReader) error {
		for _, d := range db.Query("items").Collect() {
			seen[fmt.Sprintf("%v/%v", d["client"], d["seq"])]++
		}
		for _, d := range db.Query("counters").Collect() {
			want[d["client"].(string)] = d["n"]
		}
		return nil
	})
	for _, sc := range clients {
		for seq := range per {
			switch n := seen[fmt.Sprintf("%s/%d", sc.name, seq)]; {
			case n == 0:
				r.lost++
			case n > 1:
				r.doubled += n - 1
			}
		}
	}
	r.applied = len(seen)

	// Every subscription converges on the database's counts.
	convStart := time.Now()
	deadline := convStart.Add(60 * time.Second)
	for _, sc := range clients {
		for {
			sc.mu.Lock()
			done := reflect.DeepEqual(sc.next, want) && reflect.DeepEqual(sc.update, want)
			sc.mu.Unlock()
			if done {
				r.converged++
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	r.convergeTime = time.Since(convStart)

	for _, sc := range clients {
		r.reconnects += sc.c.ConnectionState().ConnectionCount - 1
		sc.stop()
		sc.c.Close()
		<-sc.done
	}
	close(stopSampling)
	sampler.Wait()
	r.goroutinePeak = int(peak.Load())
	for end := time.Now().Add(15 * time.Second); ; {
		r.goroutineEnd = runtime.NumGoroutine()
		if r.goroutineEnd <= r.goroutineBase || time.Now().After(end) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.goroutinesOK = r.goroutineEnd <= r.goroutineBase
	return r
}

func registerR1(srv *convextest.Server) {
	srv.Mutation("soak:add", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		if ctx.Identity() == nil {
			return nil, convextest.ConvexError{Data: "signed out"}
		}
		name, _ := args["client"].(string)
		if _, err := ctx.DB.Insert("items", map[string]any{"client": name, "seq": args["seq"]}); err != nil {
			return nil, err
		}
		c := ctx.DB.Query("counters").Filter(func(d map[string]any) bool { return d["client"] == name }).First()
		if c == nil {
			_, err := ctx.DB.Insert("counters", map[string]any{"client": name, "n": float64(1)})
			return nil, err
		}
		return nil, ctx.DB.Patch(c["_id"].(string), map[string]any{"n": c["n"].(float64) + 1})
	})
	srv.Query("soak:counts", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		out := map[string]any{}
		for _, d := range ctx.DB.Query("counters").Collect() {
			out[d["client"].(string)] = d["n"]
		}
		return out, nil
	})
}

func (r r1Result) failed() bool {
	return r.err != nil || r.lost > 0 || r.doubled > 0 || r.returnedErr > 0 || r.converged < r.clients || !r.goroutinesOK
}

func (r r1Result) write(b *bytes.Buffer) {
	fmt.Fprintf(b, "## R1: %d clients, connections cut every 0.5–3 s for %s, %d mutations\n\n", r.clients, r.duration, r.mutations)
	if r.err != nil {
		fmt.Fprintf(b, "✗ setup failed: %v\n\n", r.err)
		return
	}
	fmt.Fprintf(b, "| figure | value | |\n|---|---|---|\n")
	fmt.Fprintf(b, "| cuts (of which after a random number of frames, mid-flight) | %d (%d) | |\n", r.cuts, r.cutsMidFlight)
	fmt.Fprintf(b, "| reconnects, over all clients | %d | |\n", r.reconnects)
	fmt.Fprintf(b, "| mutations returned without error | %d of %d | %s |\n", r.returnedOK, r.mutations, mark(r.returnedOK == r.mutations))
	fmt.Fprintf(b, "| mutations in the database | %d | |\n", r.applied)
	fmt.Fprintf(b, "| lost (made, not in the database) | %d | %s |\n", r.lost, mark(r.lost == 0))
	fmt.Fprintf(b, "| doubled (applied more than once) | %d | %s |\n", r.doubled, mark(r.doubled == 0))
	fmt.Fprintf(b, "| subscriptions converged on the final counts (Next and OnUpdate) | %d of %d, %s after the last mutation | %s |\n",
		r.converged, r.clients, r.convergeTime.Round(time.Millisecond), mark(r.converged == r.clients))
	fmt.Fprintf(b, "| goroutines: before the clients, peak, after Close | %d, %d, %d | %s |\n", r.goroutineBase, r.goroutinePeak, r.goroutineEnd, mark(r.goroutinesOK))
	b.WriteString("\n")
	for _, e := range r.errSamples {
		fmt.Fprintf(b, "- error: %s\n", e)
	}
	if len(r.errSamples) > 0 {
		b.WriteString("\n")
	}
}
