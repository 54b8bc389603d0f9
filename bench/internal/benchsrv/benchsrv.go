// Package benchsrv sets up the convextest deployment that both clients (Go
// and the official JS client) run against in the benchmarks: the same
// functions and the same data for both sides.
package benchsrv

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
)

// Functions registered on the deployment.
const (
	// ItemQuery ({i}) returns a small object (about 80 bytes) computed from
	// its argument; it reads no table. Rows B4 (memory) and B6 (cold start).
	ItemQuery = "bench:item"
	// EchoMutation ({n}) returns n and writes nothing. Row B3.
	EchoMutation = "bench:echo"
	// FanoutQuery ({i}) reads the "fanout" table's generation counter and
	// returns a ~1 KB object that depends on i and the generation: bumping
	// the counter changes the result of every one of them. Row B2.
	FanoutQuery = "fanout:item"
	// BumpMutation increments the generation counter FanoutQuery reads
	// (as Server.Bump does) and returns the new generation. Row B5.
	BumpMutation = "fanout:bump"
)

// Server is the benchmark deployment.
type Server struct {
	*convextest.Server
}

// New starts the deployment with the benchmark functions and data.
func New(opts ...convextest.Option) (*Server, error) {
	s := &Server{Server: convextest.NewServer(opts...)}
	s.Query(ItemQuery, func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		i, _ := args["i"].(float64)
		return Item(int(i)), nil
	})
	s.Mutation(EchoMutation, func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return args["n"], nil
	})
	s.Query(FanoutQuery, func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		i, _ := args["i"].(float64)
		doc := ctx.DB.Query("fanout").First()
		if doc == nil {
			return nil, fmt.Errorf("no generation document")
		}
		gen, _ := doc["gen"].(float64)
		return FanoutValue(int(i), int(gen)), nil
	})
	s.Mutation(BumpMutation, func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		gen, err := bump(ctx.DB)
		return float64(gen), err
	})
	err := s.Write(func(db *convextest.DatabaseWriter) error {
		_, err := db.Insert("fanout", map[string]any{"gen": float64(0)})
		return err
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Bump increments the generation counter in one transaction: every
// subscribed FanoutQuery re-runs and changes, so each connection gets one
// Transition carrying all of them. It returns the new generation.
func (s *Server) Bump() (int, error) {
	var gen int
	err := s.Write(func(db *convextest.DatabaseWriter) error {
		var err error
		gen, err = bump(db)
		return err
	})
	return gen, err
}

func bump(db *convextest.DatabaseWriter) (int, error) {
	doc := db.Query("fanout").First()
	if doc == nil {
		return 0, fmt.Errorf("no generation document")
	}
	gen := int(doc["gen"].(float64)) + 1
	return gen, db.Patch(doc["_id"].(string), map[string]any{"gen": float64(gen)})
}

// Item is the value of ItemQuery for i.
func Item(i int) map[string]any {
	return map[string]any{
		"i":     float64(i),
		"name":  fmt.Sprintf("item-%d", i),
		"score": float64(i) * 0.5,
		"tags":  []any{"alpha", "beta"},
		"ok":    true,
	}
}

// FanoutValue is the value of FanoutQuery for i at generation gen: about
// 1 KB of Convex JSON.
func FanoutValue(i, gen int) map[string]any {
	r := rand.New(rand.NewPCG(uint64(i), uint64(gen)))
	word := func() string {
		b := make([]byte, 3+r.IntN(7))
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	var body strings.Builder
	for body.Len() < 700 {
		if body.Len() > 0 {
			body.WriteByte(' ')
		}
		body.WriteString(word())
	}
	tags := make([]any, 5)
	for j := range tags {
		tags[j] = word()
	}
	return map[string]any{
		"i":       float64(i),
		"gen":     float64(gen),
		"title":   fmt.Sprintf("item %d at generation %d", i, gen),
		"body":    body.String(),
		"tags":    tags,
		"score":   r.Float64() * 100,
		"version": values.Int64(int64(i)*1_000_003 + int64(gen)),
		"meta":    map[string]any{"author": "user_" + word(), "pinned": i%7 == 0, "likes": float64(r.IntN(1000))},
	}
}
