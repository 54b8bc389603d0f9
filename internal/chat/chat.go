// Package chat holds the example chat app's Convex functions written in Go,
// for the local dev stack and the tests: the same functions as the Vite
// example's convex/ folder, which a real deployment runs in TypeScript.
package chat

import (
	"strings"

	"github.com/goconvex/convex/client/convextest"
	v "github.com/goconvex/convex/funcspec"
)

// MaxBodyLength bounds a message body, in bytes.
const MaxBodyLength = 2000

// listLimit is how many of the latest messages messages:list returns.
const listLimit = 100

// Register adds the chat functions to srv, with the argument and return
// validators of their TypeScript (examples/vite/convex/messages.ts and
// users.ts), so that the deployment checks calls as a Convex deployment
// does and serves the same function spec (goconvex gen generates package
// chatapi from it):
//
//   - messages:list (query): the latest messages, oldest first, each with
//     _id, _creationTime, body, author and authorId;
//   - messages:send (mutation, signed in): {body} → the new message id;
//   - users:viewer (query): the signed-in user's name, email, subject and
//     tokenIdentifier, or null when signed out.
func Register(srv *convextest.Server) {
	srv.Query("messages:list", list, convextest.Args(v.Object(nil)), convextest.Returns(v.Array(message)))
	srv.Mutation("messages:send", send, convextest.Args(v.Object(v.Fields{"body": v.String()})), convextest.Returns(v.ID("messages")))
	srv.Query("users:viewer", viewer, convextest.Args(v.Object(nil)), convextest.Returns(v.Union(viewerResult, v.Null())))
}

// message is a document of the messages table, as messages.ts's message
// validator declares it (the schema's fields and the system fields).
var message = v.Object(v.Fields{
	"_id":           v.ID("messages"),
	"_creationTime": v.Number(),
	"body":          v.String(),
	"author":        v.String(),
	"authorId":      v.String(),
})

// viewerResult is users:viewer's result when signed in.
var viewerResult = v.Object(v.Fields{
	"name":            v.String(),
	"email":           v.String(),
	"subject":         v.String(),
	"tokenIdentifier": v.String(),
})

func list(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
	latest := ctx.DB.Query("messages").Order(true).Take(listLimit)
	out := make([]any, len(latest))
	for i, m := range latest {
		out[len(latest)-1-i] = m
	}
	return out, nil
}

func send(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
	id := ctx.Identity()
	if id == nil {
		return nil, convextest.ConvexError{Data: "Sign in to send messages."}
	}
	body, _ := args["body"].(string)
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return nil, convextest.ConvexError{Data: "A message needs a body."}
	case len(body) > MaxBodyLength:
		return nil, convextest.ConvexError{Data: "A message is at most 2000 bytes."}
	}
	return ctx.DB.Insert("messages", map[string]any{
		"body":     body,
		"author":   displayName(id),
		"authorId": id.TokenIdentifier,
	})
}

func viewer(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
	id := ctx.Identity()
	if id == nil {
		return nil, nil
	}
	return map[string]any{
		"name":            displayName(id),
		"email":           id.Email,
		"subject":         id.Subject,
		"tokenIdentifier": id.TokenIdentifier,
	}, nil
}

// displayName is the name a message shows: the user's name, else email,
// else subject.
func displayName(id *convextest.Identity) string {
	for _, s := range []string{id.Name, strings.TrimSpace(id.GivenName + " " + id.FamilyName), id.Email, id.Subject} {
		if s != "" {
			return s
		}
	}
	return "anonymous"
}
