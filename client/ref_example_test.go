//go:build !js

package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/goconvex/convex/client"
)

// The Go types of messages:send and messages:list. goconvex gen writes
// these, and the references, from a deployment's function spec.
type (
	SendArgs struct {
		Body string `json:"body"`
	}
	ListArgs struct{}
	Message  struct {
		ID   string `json:"_id"`
		Body string `json:"body"`
	}
)

var (
	Send = client.NewMutationRef[SendArgs, string]("messages:send")
	List = client.NewQueryRef[ListArgs, []Message]("messages:list")
)

func ExampleRunQuery() {
	srv := exampleDeployment()
	defer srv.Close()
	ctx := context.Background()
	c, err := client.New(srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The compiler checks the arguments and the result against the
	// references' types.
	if _, err := client.RunMutation(ctx, c, Send, SendArgs{Body: "typed"}); err != nil {
		log.Fatal(err)
	}
	msgs, err := client.RunQuery(ctx, c, List, ListArgs{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(msgs), msgs[0].Body)
	// Output: 1 typed
}

func ExampleSubscribeTo() {
	srv := exampleDeployment()
	defer srv.Close()
	ctx := context.Background()
	c, _ := client.New(srv.URL())
	defer c.Close()

	sub, err := client.SubscribeTo(ctx, c, List, ListArgs{})
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	for _, body := range []string{"one", "two"} {
		if _, err := client.RunMutation(ctx, c, Send, SendArgs{Body: body}); err != nil {
			log.Fatal(err)
		}
		msgs, err := sub.Next(ctx) // a []Message
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(msgs), msgs[len(msgs)-1].Body)
	}
	// Output:
	// 1 one
	// 2 two
}
