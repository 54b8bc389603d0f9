//go:build !js

package convextest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
)

const componentsAdminKey = "prod:components|secret"

// componentsServer has "counter:get" in the app (0) and in the component
// "waitlist" (the number of waitlist entries), and waitlist's "lib:join"
// (a mutation) and "lib:size" (an action that runs lib:get of its own
// component).
func componentsServer(t *testing.T) *Server {
	srv := NewServer(WithAdminKey(componentsAdminKey))
	t.Cleanup(srv.Close)
	srv.Query("counter:get", func(ctx *QueryCtx, _ map[string]any) (any, error) { return 0, nil })
	w := srv.Component("waitlist")
	w.Query("counter:get", func(ctx *QueryCtx, _ map[string]any) (any, error) {
		return len(ctx.DB.Query("waitlist").Collect()), nil
	})
	w.Mutation("lib:join", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("waitlist", map[string]any{"name": args["name"]})
	})
	w.Action("lib:size", func(ctx *ActionCtx, _ map[string]any) (any, error) {
		return ctx.RunQuery("counter:get", nil)
	})
	return srv
}

// closed waits for the server to close the socket, skipping the messages
// sent before, and returns the close status.
func closed(c *wsClient) websocket.StatusCode {
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				return websocket.CloseStatus(c.closeErr())
			}
		case <-time.After(waitTimeout):
			c.t.Fatal("timed out waiting for the socket to close")
		}
	}
}

// nextMutation returns the next MutationResponse, skipping Transitions.
func nextMutation(c *wsClient) *protocol.MutationResponse {
	for {
		if r, ok := c.next().(*protocol.MutationResponse); ok {
			return r
		}
	}
}

func adminAuth(c *wsClient, base uint32, actingAs string) {
	m := &protocol.Authenticate{BaseVersion: base, TokenType: protocol.TokenAdmin, Value: componentsAdminKey}
	if actingAs != "" {
		m.Impersonating = json.RawMessage(actingAs)
	}
	c.send(m)
}

// TestComponentOverSync: with an admin key, a component's query, mutation
// and action run the component's functions (a nested call stays in the
// component); the app's function of the same name is another one.
func TestComponentOverSync(t *testing.T) {
	srv := componentsServer(t)
	c := dial(t, srv)
	c.connect("components")
	adminAuth(c, 0, "")
	c.send(&protocol.ModifyQuerySet{BaseVersion: 0, NewVersion: 1, Modifications: []protocol.QuerySetModification{
		{Type: protocol.ModAdd, QueryID: 0, UDFPath: "counter:get", Args: json.RawMessage(`{}`)},
		{Type: protocol.ModAdd, QueryID: 1, UDFPath: "counter:get", Args: json.RawMessage(`{}`), ComponentPath: "waitlist"},
		{Type: protocol.ModAdd, QueryID: 2, UDFPath: "counter:nope", Args: json.RawMessage(`{}`), ComponentPath: "waitlist"},
	}})
	var tr *protocol.Transition
	for tr == nil || modByID(tr, 1) == nil {
		tr = c.nextTransition()
	}
	require.Equal(t, 0.0, decode(t, modByID(tr, 0).Value))
	require.Equal(t, 0.0, decode(t, modByID(tr, 1).Value))
	missing := modByID(tr, 2)
	require.Equal(t, protocol.QueryFailed, missing.Type)
	require.Contains(t, missing.ErrorMessage, "Could not find public function for 'counter:nope' in 'waitlist'.")

	c.send(&protocol.Mutation{RequestID: 0, UDFPath: "lib:join", Args: json.RawMessage(`{"name":"ada"}`), ComponentPath: "waitlist"})
	require.True(t, nextMutation(c).Success)
	tr = c.nextTransition()
	require.Equal(t, 1.0, decode(t, modByID(tr, 1).Value))
	require.Nil(t, modByID(tr, 0), "the app's counter:get is another function")

	c.send(&protocol.Action{RequestID: 1, UDFPath: "lib:size", Args: json.RawMessage(`{}`), ComponentPath: "waitlist"})
	for {
		if r, ok := c.next().(*protocol.ActionResponse); ok {
			require.True(t, r.Success, "%s", r.Result)
			require.Equal(t, 1.0, decode(t, r.Result))
			break
		}
	}
	// The app has no lib:join.
	c.send(&protocol.Mutation{RequestID: 2, UDFPath: "lib:join", Args: json.RawMessage(`{}`)})
	r := nextMutation(c)
	require.False(t, r.Success)
	require.Contains(t, string(r.Result), "Could not find public function for 'lib:join'.")
}

// TestComponentRefusedOverSync: as the backend's sync worker, a component
// path it cannot parse is a FatalError; a call into a component without a
// deployment admin (no auth, a user, an admin acting as a user) closes the
// connection with an internal error, for queries, mutations and actions;
// and so does an identity change away from admin while a component's query
// is subscribed.
func TestComponentRefusedOverSync(t *testing.T) {
	srv := componentsServer(t)
	add := func(c *wsClient, component string) {
		c.send(&protocol.ModifyQuerySet{BaseVersion: 0, NewVersion: 1, Modifications: []protocol.QuerySetModification{
			{Type: protocol.ModAdd, QueryID: 0, UDFPath: "counter:get", Args: json.RawMessage(`{}`), ComponentPath: component},
		}})
	}
	mutation := func(c *wsClient, component string) {
		c.send(&protocol.Mutation{RequestID: 0, UDFPath: "lib:join", Args: json.RawMessage(`{}`), ComponentPath: component})
	}
	action := func(c *wsClient, component string) {
		c.send(&protocol.Action{RequestID: 0, UDFPath: "lib:size", Args: json.RawMessage(`{}`), ComponentPath: component})
	}
	for _, call := range []struct {
		name string
		send func(*wsClient, string)
	}{{"query", add}, {"mutation", mutation}, {"action", action}} {
		for _, auth := range []string{"none", "acting as a user"} {
			t.Run(call.name+" with "+auth, func(t *testing.T) {
				c := dial(t, srv)
				c.connect("refused")
				if auth != "none" {
					adminAuth(c, 0, `{"subject":"u","issuer":"https://i.test"}`)
				}
				call.send(c, "waitlist")
				require.Equal(t, websocket.StatusInternalError, closed(c))
				require.Equal(t, "InternalServerError", c.closeReason())
			})
		}
		t.Run(call.name+" with a bad path", func(t *testing.T) {
			c := dial(t, srv)
			c.connect("bad-path")
			adminAuth(c, 0, "")
			call.send(c, "wait-list")
			var fe *protocol.FatalError
			for fe == nil {
				fe, _ = c.next().(*protocol.FatalError)
			}
			require.Equal(t, "Identifier wait-list has invalid character '-': Identifiers can only contain alphanumeric characters or underscores", fe.Error)
		})
	}

	t.Run("identity changed away from admin", func(t *testing.T) {
		c := dial(t, srv)
		c.connect("changed")
		adminAuth(c, 0, "")
		add(c, "waitlist")
		tr := c.nextTransition()
		for modByID(tr, 0) == nil {
			tr = c.nextTransition()
		}
		c.send(&protocol.Authenticate{BaseVersion: 1, TokenType: protocol.TokenNone})
		require.Equal(t, websocket.StatusInternalError, closed(c))
	})
}

// TestComponentOverHTTP: /api/function runs a component's function of any
// kind for an admin key (acting as a user or not), refuses other callers
// with 403 BadDeployKey and a bad path with 400 InvalidComponentPath.
func TestComponentOverHTTP(t *testing.T) {
	srv := componentsServer(t)
	url := srv.URL() + "/api/function"
	admin := "Convex " + componentsAdminKey
	status, body := post(t, url, admin, `{"componentPath":"waitlist","path":"lib:join","args":{"name":"ada"},"format":"convex_encoded_json"}`)
	require.Equal(t, 200, status, "%v", body)
	require.Equal(t, "success", body["status"])
	status, body = post(t, url, admin, `{"componentPath":"waitlist","path":"counter:get","args":{},"format":"convex_encoded_json"}`)
	require.Equal(t, 200, status)
	require.Equal(t, 1.0, body["value"])
	status, body = post(t, url, admin, `{"path":"counter:get","args":{},"format":"convex_encoded_json"}`)
	require.Equal(t, 200, status)
	require.Equal(t, 0.0, body["value"], "the app's own function")
	status, body = post(t, url, admin, `{"componentPath":"waitlist","path":"lib:nope","args":{}}`)
	require.Equal(t, 200, status)
	require.Equal(t, "error", body["status"])
	require.True(t, strings.HasSuffix(body["errorMessage"].(string), "Could not find function for 'lib:nope' in 'waitlist'. Did you forget to run `npx convex dev`?"), body["errorMessage"])

	status, body = post(t, url, admin, `{"componentPath":"wait/","path":"counter:get","args":{}}`)
	require.Equal(t, 400, status)
	require.Equal(t, "InvalidComponentPath", body["code"])
	require.Equal(t, "Identifier cannot be empty", body["message"])

	status, body = post(t, url, "", `{"componentPath":"waitlist","path":"counter:get","args":{}}`)
	require.Equal(t, 403, status)
	require.Equal(t, "BadDeployKey", body["code"])
}

// TestComponentPathErrors: the backend's texts (identifier.rs).
func TestComponentPathErrors(t *testing.T) {
	for path, want := range map[string]string{
		"waitlist":              "",
		"waitlist/limiter":      "",
		"":                      "",
		"1x":                    "Invalid first character '1' in 1x: Identifiers must start with an alphabetic character or underscore",
		"a/b c":                 "Identifier b c has invalid character ' ': Identifiers can only contain alphanumeric characters or underscores",
		"__":                    "Identifier __ cannot have exclusively underscores",
		"a//b":                  "Identifier cannot be empty",
		strings.Repeat("x", 65): "Identifier is too long (65 > maximum 64)",
		"it's":                  `Identifier it's has invalid character '\'': Identifiers can only contain alphanumeric characters or underscores`,
		"é":                     "Invalid first character 'é' in é: Identifiers must start with an alphabetic character or underscore",
	} {
		require.Equal(t, want, componentPathError(path), "path %q", path)
	}
	srv := NewServer()
	t.Cleanup(srv.Close) // a server left open fails TestNoGoroutinesAfterClose
	require.Panics(t, func() { srv.Component("bad path") })
}
