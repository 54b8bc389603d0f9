//go:build !js

package convextest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/goconvex/convex/client/convextest"
)

func Example() {
	srv := convextest.NewServer()
	defer srv.Close()

	srv.Mutation("messages:send", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		body, _ := args["body"].(string)
		if body == "" {
			return nil, convextest.ConvexError{Data: map[string]any{"code": "EMPTY"}}
		}
		ctx.Log(convextest.LevelLog, "sending", body)
		return ctx.DB.Insert("messages", map[string]any{"body": body})
	})
	srv.Query("messages:list", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		var bodies []any
		for _, doc := range ctx.DB.Query("messages").Collect() {
			bodies = append(bodies, doc["body"])
		}
		return bodies, nil
	})

	// Any Convex client can use srv.URL() as its deployment URL. Here, the
	// HTTP API that ConvexHttpClient uses.
	call := func(kind, body string) string {
		resp, err := http.Post(srv.URL()+"/api/"+kind, "application/json", strings.NewReader(body))
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(out))
	}
	call("mutation", `{"path":"messages:send","args":{"body":"hello"}}`)
	fmt.Println(call("query", `{"path":"messages:list","args":{}}`))

	// Tests can also run functions directly.
	_, err := srv.Run(context.Background(), "messages:send", map[string]any{"body": ""})
	fmt.Println(strings.SplitN(err.Error(), "\n", 2)[1])
	fmt.Println(srv.ExecutionCount("messages:send"))
	// Output:
	// {"status":"success","value":["hello"]}
	// Uncaught ConvexError: {"code":"EMPTY"}
	// 2
}

// A paginated query, as usePaginatedQuery calls it: each page starts at the
// previous page's continueCursor.
func ExampleQuery_Paginate() {
	srv := convextest.NewServer()
	defer srv.Close()
	srv.Mutation("messages:send", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("messages", map[string]any{"body": args["body"]})
	})
	srv.Query("messages:page", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
		opts, err := convextest.ParsePaginationOptions(args)
		if err != nil {
			return nil, err
		}
		res, err := ctx.DB.Query("messages").Order(true).Paginate(opts) // newest first
		if err != nil {
			return nil, err
		}
		return res.Value(), nil
	})
	ctx := context.Background()
	for _, body := range []string{"a", "b", "c"} {
		if _, err := srv.Run(ctx, "messages:send", map[string]any{"body": body}); err != nil {
			panic(err)
		}
	}
	var cursor any // null: the first page
	for {
		v, err := srv.Run(ctx, "messages:page", map[string]any{"paginationOpts": map[string]any{"numItems": 2.0, "cursor": cursor}})
		if err != nil {
			panic(err)
		}
		page := v.(map[string]any)
		var bodies []any
		for _, doc := range page["page"].([]any) {
			bodies = append(bodies, doc.(map[string]any)["body"])
		}
		fmt.Println(bodies, "done:", page["isDone"])
		if page["isDone"] == true {
			break
		}
		cursor = page["continueCursor"]
	}
	// Output:
	// [c b] done: false
	// [a] done: true
}
