//go:build !js

package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
)

// A deployment with two functions, in memory. Against a real deployment,
// pass its URL ("https://happy-animal-123.convex.cloud") to client.New.
func exampleDeployment() *convextest.Server {
	srv := convextest.NewServer()
	srv.Query("messages:list", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return ctx.DB.Query("messages").Collect(), nil
	})
	srv.Mutation("messages:send", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("messages", map[string]any{"body": args["body"]})
	})
	return srv
}

func Example() {
	srv := exampleDeployment()
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := c.Mutation(ctx, "messages:send", client.Args{"body": "hello"}, nil); err != nil {
		log.Fatal(err)
	}
	var msgs []struct {
		Body string `json:"body"`
	}
	if err := c.Query(ctx, "messages:list", nil, &msgs); err != nil {
		log.Fatal(err)
	}
	fmt.Println(msgs[0].Body)
	// Output: hello
}

func ExampleClient_Subscribe() {
	srv := exampleDeployment()
	defer srv.Close()
	ctx := context.Background()
	c, _ := client.New(srv.URL())
	defer c.Close()

	sub, err := c.Subscribe(ctx, "messages:list", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	for _, body := range []string{"one", "two"} {
		if err := c.Mutation(ctx, "messages:send", client.Args{"body": body}, nil); err != nil {
			log.Fatal(err)
		}
		// The subscription already holds the mutation's write when
		// Mutation returns.
		res, err := sub.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		var msgs []map[string]any
		if err := res.Decode(&msgs); err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(msgs), msgs[len(msgs)-1]["body"])
	}
	// Output:
	// 1 one
	// 2 two
}

func ExampleHTTPClient() {
	srv := exampleDeployment()
	defer srv.Close()
	ctx := context.Background()

	hc, err := client.NewHTTPClient(srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	var id string
	if err := hc.Mutation(ctx, "messages:send", client.Args{"body": "over HTTP"}, &id); err != nil {
		log.Fatal(err)
	}
	var msgs []map[string]any
	if err := hc.Query(ctx, "messages:list", nil, &msgs); err != nil {
		log.Fatal(err)
	}
	fmt.Println(msgs[0]["body"], msgs[0]["_id"] == id)
	// Output: over HTTP true
}
