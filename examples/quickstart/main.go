// Command quickstart is the README's example as a program: it sends a
// message and prints the live message list as it changes, through the
// typed references goconvex gen writes for the example chat's functions
// (internal/chat/chatapi). Without -url it runs against an in-memory
// deployment (convextest) with those functions, so it works with no
// account anywhere.
//
//	go run ./examples/quickstart                       # embedded deployment
//	go run ./examples/quickstart -url http://127.0.0.1:3210 -token "$(go run ./cmd/goconvex token)"
//
// The second line runs it against `make demo`'s deployment, as the user
// that `goconvex login` signed in (with the env lines the demo prints);
// -token (default $CONVEX_TOKEN) is any JWT the deployment accepts.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/internal/chat"
	"github.com/goconvex/convex/internal/chat/chatapi"
)

// flags are the command's flags.
type flags struct{ url, token string }

func (f *flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "url", "", "deployment URL; empty runs an in-memory one")
	fs.StringVar(&f.token, "token", os.Getenv("CONVEX_TOKEN"), "a JWT to send messages as (signed-in users only)")
}

func main() {
	var f flags
	f.register(flag.CommandLine)
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout, f.url, f.token); err != nil {
		log.Fatal(err)
	}
}

// run connects, sends "hi" as a signed-in user, and prints the message list
// until it holds the new message.
func run(ctx context.Context, out io.Writer, url, token string) error {
	adminKey := ""
	if url == "" {
		srv := convextest.NewServer(convextest.WithAdminKey(demoAdminKey))
		defer srv.Close()
		chat.Register(srv)
		url, adminKey = srv.URL(), demoAdminKey
	}
	c, err := client.New(url)
	if err != nil {
		return err
	}
	defer c.Close()
	switch {
	case token != "":
		c.SetAuth(client.TokenProviderFunc(func(context.Context, bool) (string, error) { return token, nil }))
	case adminKey != "":
		// The embedded deployment has no issuer: act as a demo user.
		demo := map[string]any{"subject": "demo", "issuer": "https://quickstart.local", "name": "Demo User"}
		if err := c.SetAdminAuth(adminKey, demo); err != nil {
			return err
		}
	}

	sub, err := client.SubscribeTo(ctx, c, chatapi.Messages.List, chatapi.MessagesListArgs{})
	if err != nil {
		return err
	}
	defer sub.Close()
	if _, err := client.RunMutation(ctx, c, chatapi.Messages.Send, chatapi.MessagesSendArgs{Body: "hi"}); err != nil {
		return err
	}
	for {
		msgs, err := sub.Next(ctx) // the current result first, then each change
		if err != nil {
			return err
		}
		for _, m := range msgs {
			fmt.Fprintf(out, "%s: %s\n", m.Author, m.Body)
		}
		if len(msgs) > 0 {
			return nil
		}
	}
}

// demoAdminKey is the admin key of the embedded deployment.
const demoAdminKey = "quickstart-admin-key"
