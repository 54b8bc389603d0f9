//go:build !js

package convextest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/internal/udfpath"
)

// The backend-rules suite: each case is a frame or an HTTP request, what
// the Convex backend does with it, and the backend source file the rule
// comes from (paths in get-convex/convex-backend). Every case runs against
// convextest over a real socket.

// Backend source files the rules come from.
const (
	srcJSON       = "crates/convex/sync_types/src/types/json.rs"
	srcUdfPath    = "crates/convex/sync_types/src/udf_path.rs"
	srcSessionID  = "crates/convex/sync_types/src/types/mod.rs (SessionId(Uuid))"
	srcArgsExt    = "crates/value/src/serialized_args_ext.rs"
	srcHelpers    = "crates/udf/src/helpers.rs"
	srcValidators = "crates/model/src/modules/function_validators.rs"
	srcState      = "crates/sync/src/state.rs"
	srcWorker     = "crates/sync/src/worker.rs"
	srcSubs       = "crates/local_backend/src/subs/mod.rs"
	srcErrors     = "crates/errors/src/lib.rs"
	srcPublicAPI  = "crates/local_backend/src/public_api.rs"
	srcExtract    = "crates/common/src/http/extract.rs"
	srcAuthn      = "crates/local_backend/src/authentication.rs"
	srcParse      = "crates/local_backend/src/parse.rs"
	srcAdminKey   = "crates/common/src/types/admin_key.rs"
	srcVersion    = "crates/common/src/version.rs"
	srcExport     = "crates/value/src/export.rs"
	srcLogLines   = "crates/isolate/src/environment/udf/mod.rs"
	srcAdmin      = "crates/local_backend/src/admin.rs"
)

const ruleSession = "ad4fce15-7c42-4dec-b4b1-a2378c6880d2"

var connectFrame = `{"type":"Connect","sessionId":"` + ruleSession + `","connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":1700000000000}`

// wsOutcome is what the backend does with a frame.
type wsOutcome struct {
	// fatal, when set, is the start of the FatalError text; the socket then
	// closes without a status code.
	fatal string
	// code and reason, when code is set, are the close frame's (no
	// FatalError first).
	code   websocket.StatusCode
	reason string
	// next, when set, are the types of the next messages (Pings skipped):
	// the frame was accepted.
	next []string
	// check, when set, looks at the messages of next.
	check func(t *testing.T, msgs []protocol.ServerMessage)
}

type wsRule struct {
	name   string
	source string
	// frames are sent in order; the last is the one under test. "wait:T"
	// waits for the next message, of type T; "binary:…" sends a binary
	// frame.
	frames []string
	want   wsOutcome
}

func fatal(text string) wsOutcome { return wsOutcome{fatal: text} }

func closes(code websocket.StatusCode, reason string) wsOutcome {
	return wsOutcome{code: code, reason: reason}
}

func accepted(types ...string) wsOutcome { return wsOutcome{next: types} }

func addQuery(base, next, id int, path, args string) string {
	return fmt.Sprintf(`{"type":"ModifyQuerySet","baseVersion":%d,"newVersion":%d,"modifications":[{"type":"Add","queryId":%d,"udfPath":%q,"args":%s}]}`, base, next, id, path, args)
}

func TestBackendRulesSync(t *testing.T) {
	const invalid = protocol.InvalidJSONPrefix
	rules := []wsRule{
		// The client-message parser.
		{"session id not a UUID", srcSessionID, []string{`{"type":"Connect","sessionId":"ZXhhbXBsZSBzZXNzaW9uIGlkIDEyMzQ1","connectionCount":0}`}, fatal(invalid + "invalid session id")},
		{"session id as 32 uppercase hex digits", srcSessionID, []string{`{"type":"Connect","sessionId":"AD4FCE157C424DECB4B1A2378C6880D2","connectionCount":0}`, addQuery(0, 1, 0, "q:list", `[{}]`)}, accepted("Transition")},
		{"Connect without sessionId", srcJSON, []string{`{"type":"Connect","connectionCount":0}`}, fatal(invalid + "missing field `sessionId`")},
		{"Connect without connectionCount", srcJSON, []string{`{"type":"Connect","sessionId":"` + ruleSession + `"}`}, fatal(invalid + "missing field `connectionCount`")},
		{"Connect with a float clientTs", srcJSON, []string{`{"type":"Connect","sessionId":"` + ruleSession + `","connectionCount":0,"clientTs":1700000000000.5}`}, fatal(invalid + "invalid type: floating point")},
		{"Connect with a maxObservedTimestamp that is not 8 bytes", srcJSON, []string{`{"type":"Connect","sessionId":"` + ruleSession + `","connectionCount":0,"maxObservedTimestamp":"AAAA"}`}, fatal(invalid + "u64 must be 8 bytes")},
		{"unknown fields are ignored", srcJSON, []string{`{"type":"Connect","sessionId":"` + ruleSession + `","connectionCount":0,"future":{"x":[1]}}`, addQuery(0, 1, 0, "q:list", `[{}]`)}, accepted("Transition")},
		{"unknown message type", srcJSON, []string{`{"type":"Hello"}`}, fatal(invalid + "unknown variant `Hello`")},
		{"ModifyQuerySet without modifications", srcJSON, []string{connectFrame, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1}`}, fatal(invalid + "ModifyQuerySet lacks modifications")},
		{"Mutation without args", srcJSON, []string{connectFrame, `{"type":"Mutation","requestId":0,"udfPath":"m:send"}`}, fatal(invalid + "Mutation lacks args")},
		{"Action without args", srcJSON, []string{connectFrame, `{"type":"Action","requestId":0,"udfPath":"a:run"}`}, fatal(invalid + "Action lacks args")},
		{"Event without event", srcJSON, []string{connectFrame, `{"type":"Event","eventType":"x"}`}, fatal(invalid + "missing field `event`")},
		{"Mutation with a float requestId", srcJSON, []string{connectFrame, `{"type":"Mutation","requestId":1.0,"udfPath":"m:send","args":[{}]}`}, fatal(invalid + "invalid type: floating point `1.0`, expected u32")},
		{"acting as nobody", srcJSON, []string{connectFrame, `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"admin|key","impersonating":{"name":"Ivy"}}`}, fatal(invalid + `Either "tokenIdentifier" or "issuer" and "subject" must be set`)},
		{"acting as with a typed field of the wrong type", srcJSON, []string{connectFrame, `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"admin|key","impersonating":{"tokenIdentifier":"t","email":5}}`}, fatal(invalid + "invalid type: integer `5`, expected a string")},
		// Function paths.
		{"Mutation path with a .ts extension", srcUdfPath, []string{connectFrame, `{"type":"Mutation","requestId":0,"udfPath":"m.ts:send","args":[{}]}`}, fatal(invalid + "Module path has an extension that isn't 'js'.")},
		{"one bad query path fails the whole ModifyQuerySet", srcUdfPath, []string{connectFrame, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"q:list","args":[{}]},{"type":"Add","queryId":1,"udfPath":"/q:list","args":[{}]}]}`}, fatal(invalid + "Module paths must be relative.")},
		{"a path with the .js extension", srcUdfPath, []string{connectFrame, `{"type":"Mutation","requestId":0,"udfPath":"m.js:send","args":[{}]}`}, accepted("MutationResponse", "Transition")},
		// Arguments.
		{"args as a bare object", srcArgsExt, []string{connectFrame, `{"type":"Mutation","requestId":0,"udfPath":"m:send","args":{"body":"x"}}`}, fatal("Invalid arguments provided")},
		{"query args missing", srcArgsExt, []string{connectFrame, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"q:list"}]}`}, fatal("Invalid arguments provided")},
		{"$commitTs in client arguments", srcHelpers, []string{connectFrame, `{"type":"Mutation","requestId":0,"udfPath":"m:send","args":[{"at":{"$commitTs":null}}]}`}, wsOutcome{next: []string{"MutationResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			r := msgs[0].(*protocol.MutationResponse)
			assert.False(t, r.Success)
			assert.Contains(t, protocol.ErrorMessage(r.Result), "Invalid arguments for m.js:send: ")
		}}},
		{"positional arguments", srcValidators, []string{connectFrame, `{"type":"Action","requestId":0,"udfPath":"a:run","args":[1,2]}`}, wsOutcome{next: []string{"ActionResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Contains(t, protocol.ErrorMessage(msgs[0].(*protocol.ActionResponse).Result), "Expected to receive a single object as the function's argument. Instead received 2 arguments")
		}}},
		// The sync state machine.
		{"query set base version mismatch", srcState, []string{connectFrame, addQuery(5, 6, 0, "q:list", `[{}]`)}, fatal("Base version 5 passed up doesn't match the current version 0")},
		{"query set version not increasing", srcState, []string{connectFrame, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":0,"modifications":[]}`}, closes(websocket.StatusInternalError, "InternalServerError")},
		{"duplicate query id", srcState, []string{connectFrame, addQuery(0, 1, 0, "q:list", `[{}]`), "wait:Transition", addQuery(1, 2, 0, "q:list", `[{}]`)}, closes(websocket.StatusInternalError, "InternalServerError")},
		{"removing a query that is not there", srcState, []string{connectFrame, `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Remove","queryId":3}]}`}, closes(websocket.StatusInternalError, "InternalServerError")},
		{"identity base version mismatch", srcState, []string{connectFrame, `{"type":"Authenticate","baseVersion":4,"tokenType":"None"}`}, closes(websocket.StatusInternalError, "InternalServerError")},
		// The sync worker.
		{"maxObservedTimestamp ahead of the deployment", srcWorker, []string{`{"type":"Connect","sessionId":"` + ruleSession + `","connectionCount":1,"maxObservedTimestamp":"/////////38="}`}, closes(websocket.StatusInternalError, "InternalServerError")},
		{"a Transition after an action", srcWorker, []string{connectFrame, `{"type":"Action","requestId":0,"udfPath":"a:run","args":[{}]}`}, accepted("ActionResponse", "Transition")},
		{"a Transition after a failed mutation", srcWorker, []string{connectFrame, `{"type":"Mutation","requestId":0,"udfPath":"m:fail","args":[{}]}`}, accepted("MutationResponse", "Transition")},
		{"a Transition after a mutation of an unknown function", srcWorker, []string{connectFrame, `{"type":"Mutation","requestId":0,"udfPath":"m:nothere","args":[{}]}`}, accepted("MutationResponse", "Transition")},
		{"a Transition after an auth change", srcWorker, []string{connectFrame, `{"type":"Authenticate","baseVersion":0,"tokenType":"None"}`}, accepted("Transition")},
		// The socket layer.
		{"a binary frame", srcSubs, []string{connectFrame, "binary:{}"}, closes(websocket.StatusInternalError, "InternalServerError")},
	}
	runWSRules(t, rules, rulesServer)
}

// runWSRules runs each rule as a subtest against a fresh server from
// newServer: its frames sent in order, then its outcome checked.
func runWSRules(t *testing.T, rules []wsRule, newServer func(*testing.T, ...Option) *Server) {
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Logf("backend: %s", r.source)
			c := dial(t, newServer(t))
			for _, f := range r.frames {
				if typ, ok := strings.CutPrefix(f, "wait:"); ok {
					m := c.next()
					require.Equal(t, typ, messageType(m), "got %s", m.AppendWire(nil))
					continue
				}
				if b, ok := strings.CutPrefix(f, "binary:"); ok {
					require.NoError(t, c.ws.Write(context.Background(), websocket.MessageBinary, []byte(b)))
					continue
				}
				c.sendRaw(f)
			}
			checkOutcome(t, c, r.want)
		})
	}
}

func checkOutcome(t *testing.T, c *wsClient, want wsOutcome) {
	t.Helper()
	var msgs []protocol.ServerMessage
	for _, typ := range want.next {
		m := c.next()
		require.Equal(t, typ, messageType(m), "got %s", m.AppendWire(nil))
		msgs = append(msgs, m)
	}
	if want.check != nil {
		want.check(t, msgs)
	}
	switch {
	case want.fatal != "":
		m := c.next()
		fe, ok := m.(*protocol.FatalError)
		require.True(t, ok, "expected a FatalError, got %s", m.AppendWire(nil))
		assert.True(t, strings.HasPrefix(fe.Error, want.fatal), "FatalError %q should start with %q", fe.Error, want.fatal)
		assert.Equal(t, websocket.StatusNoStatusRcvd, c.expectClose(), "a FatalError is followed by a close without a status code")
	case want.code != 0:
		assert.Equal(t, want.code, c.expectClose())
		assert.Equal(t, want.reason, c.closeReason())
	}
}

func messageType(m protocol.ServerMessage) string {
	var head struct{ Type string }
	_ = json.Unmarshal(m.AppendWire(nil), &head)
	return head.Type
}

// rulesServer registers the functions the rules call.
func rulesServer(t *testing.T, opts ...Option) *Server {
	srv := NewServer(append([]Option{WithAdminKey("prod:rules|secret")}, opts...)...)
	t.Cleanup(srv.Close)
	srv.Query("q:list", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("t").Collect())), nil
	})
	srv.Mutation("m:send", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("t", map[string]any{"body": args["body"]})
	})
	srv.Mutation("m:fail", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return nil, fmt.Errorf("no")
	})
	srv.Action("a:run", func(ctx *ActionCtx, args map[string]any) (any, error) { return "ran", nil })
	srv.Query("q:whoami", func(ctx *QueryCtx, args map[string]any) (any, error) {
		if id := ctx.Identity(); id != nil {
			return id.TokenIdentifier, nil
		}
		return nil, nil
	})
	srv.Query("q:chatty", func(ctx *QueryCtx, args map[string]any) (any, error) {
		for i := range 300 {
			ctx.Log(LevelLog, i)
		}
		return nil, nil
	})
	return srv
}

// httpRule is an HTTP request and the backend's answer.
type httpRule struct {
	name        string
	source      string
	method      string // POST when empty
	path        string
	contentType string // application/json when empty; "-" for none
	header      map[string]string
	body        string
	status      int
	code        string // the error body's code, when status is not 200
	message     string // the start of its message
	check       func(t *testing.T, body []byte)
}

func TestBackendRulesHTTP(t *testing.T) {
	actingAs := base64.StdEncoding.EncodeToString([]byte(`{"issuer":"https://i","subject":"dave"}`))
	rules := []httpRule{
		{name: "no Content-Type", source: srcExtract, path: "/api/query", contentType: "-", body: `{"path":"q:list","args":{}}`, status: 400, code: "BadJsonBody", message: "Expected request with `Content-Type: application/json`"},
		{name: "text/plain", source: srcExtract, path: "/api/query", contentType: "text/plain", body: `{"path":"q:list","args":{}}`, status: 400, code: "BadJsonBody"},
		{name: "a +json media type", source: srcExtract, path: "/api/query", contentType: "application/vnd.test+json; charset=utf-8", body: `{"path":"q:list","args":{}}`, status: 200},
		{name: "missing args", source: srcPublicAPI, path: "/api/query", body: `{"path":"q:list"}`, status: 400, code: "BadJsonBody", message: "Failed to deserialize the JSON body into the target type: missing field `args`"},
		{name: "a body over the limit", source: srcExtract, path: "/api/mutation", body: `{"path":"m:send","args":{"body":"` + strings.Repeat("x", maxHTTPBody) + `"}}`, status: 400, code: "BadJsonBody", message: "Failed to buffer the request body: length limit exceeded"},
		{name: "a bad function path", source: srcParse, path: "/api/query", body: `{"path":"q.ts:list","args":{}}`, status: 400, code: "BadConvexFunctionIdentifier", message: "q.ts:list is not a valid path to a Convex function. "},
		{name: "a non-Bearer scheme", source: srcAuthn, path: "/api/query", header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, body: `{"path":"q:list","args":{}}`, status: 400, code: "InvalidAdminKey", message: "Invalid admin key"},
		{name: "a bare Bearer", source: srcAuthn, path: "/api/query", header: map[string]string{"Authorization": "Bearer"}, body: `{"path":"q:list","args":{}}`, status: 400, code: "InvalidHeaderFailure"},
		{name: "the header is read before the body", source: srcAuthn, path: "/api/query", contentType: "-", header: map[string]string{"Authorization": "Basic x"}, body: `{`, status: 400, code: "InvalidAdminKey"},
		{name: "a bad format is refused after the mutation ran", source: srcPublicAPI + ", " + srcExport, path: "/api/mutation", body: `{"path":"m:send","args":{"body":"kept"},"format":"xml"}`, status: 400, code: "BadFormat", message: "format param must be one of [`json`]. Got xml"},
		{name: "query_ts over GET", source: srcPublicAPI, method: http.MethodGet, path: "/api/query_ts", status: 405},
		{name: "query_ts over POST", source: srcPublicAPI, path: "/api/query_ts", body: ``, contentType: "-", status: 200},
		{name: "query_at_ts without ts", source: srcPublicAPI, path: "/api/query_at_ts", body: `{"path":"q:list","args":{}}`, status: 400, code: "BadJsonBody", message: "Failed to deserialize the JSON body into the target type: missing field `ts`"},
		{name: "query_at_ts with a ts that is not 8 bytes", source: srcPublicAPI, path: "/api/query_at_ts", body: `{"path":"q:list","args":{},"ts":"AAAA"}`, status: 500, code: "InternalServerError"},
		{name: "query_batch", source: srcPublicAPI, path: "/api/query_batch", body: `{"queries":[{"path":"q:list","args":{}},{"path":"q:nothere","args":{}}]}`, status: 200, check: func(t *testing.T, body []byte) {
			var out struct{ Results []map[string]any }
			require.NoError(t, json.Unmarshal(body, &out))
			require.Len(t, out.Results, 2)
			assert.Equal(t, "success", out.Results[0]["status"])
			assert.Equal(t, "error", out.Results[1]["status"])
		}},
		{name: "the admin key's type prefix is stripped before the acting-as identity", source: srcAdminKey + ", " + srcAuthn, path: "/api/query", header: map[string]string{"Authorization": "Convex dev:rules|secret:" + actingAs}, body: `{"path":"q:whoami","args":{}}`, status: 200, check: func(t *testing.T, body []byte) {
			assert.JSONEq(t, `{"status":"success","value":"https://i|dave"}`, string(body))
		}},
		{name: "a malformed acting-as identity", source: srcAuthn, path: "/api/query", header: map[string]string{"Authorization": "Convex rules|secret:" + base64.StdEncoding.EncodeToString([]byte(`{"name":"x"}`))}, body: `{"path":"q:whoami","args":{}}`, status: 400, code: "HeaderParseFailure", message: "Malformed Authorization header."},
		{name: "/api/function needs an admin", source: srcAdmin, path: "/api/function", body: `{"path":"q:list","args":{}}`, status: 403, code: "BadDeployKey"},
		{name: "a Convex-Client header without a version", source: srcVersion, path: "/api/query", header: map[string]string{"Convex-Client": "goconvex"}, body: `{"path":"q:list","args":{}}`, status: 400, code: "InvalidClientVersion"},
		{name: "256 log lines at most, the last one saying so", source: srcLogLines, path: "/api/query", body: `{"path":"q:chatty","args":{}}`, status: 200, check: func(t *testing.T, body []byte) {
			var out struct{ LogLines []string }
			require.NoError(t, json.Unmarshal(body, &out))
			require.Len(t, out.LogLines, 256)
			assert.Equal(t, "[LOG] 254", out.LogLines[254])
			assert.Equal(t, "[ERROR] Log overflow (maximum 256). Remaining log lines omitted.", out.LogLines[255])
		}},
	}
	srv := rulesServer(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Logf("backend: %s", r.source)
			method := r.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, srv.URL()+r.path, strings.NewReader(r.body))
			require.NoError(t, err)
			switch r.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", r.contentType)
			}
			for k, v := range r.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, r.status, resp.StatusCode, "%s", body)
			if r.code != "" {
				var e struct{ Code, Message string }
				require.NoError(t, json.Unmarshal(body, &e), "%s", body)
				assert.Equal(t, r.code, e.Code)
				assert.True(t, strings.HasPrefix(e.Message, r.message), "message %q should start with %q", e.Message, r.message)
			}
			if r.check != nil {
				r.check(t, body)
			}
		})
	}
	// The mutation with a bad format ran.
	require.NoError(t, srv.Read(func(db *DatabaseReader) error {
		docs := db.Query("t").Filter(func(d map[string]any) bool { return d["body"] == "kept" }).Collect()
		assert.Len(t, docs, 1, "the backend checks the format after running the mutation")
		return nil
	}))
}

// TestBackendRuleActionLimit: 1001 actions may be in flight on one socket;
// the next closes it with 1013 TooManyInflightActionsForSingleClient
// (crates/sync/src/worker.rs, crates/errors/src/lib.rs).
func TestBackendRuleActionLimit(t *testing.T) {
	srv := rulesServer(t)
	release := make(chan struct{})
	started := make(chan struct{}, maxActionsInFlight+2)
	srv.Action("a:block", func(ctx *ActionCtx, args map[string]any) (any, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	defer close(release)
	c := dial(t, srv)
	c.sendRaw(connectFrame)
	var batch bytes.Buffer
	for i := range maxActionsInFlight + 1 {
		batch.Reset()
		fmt.Fprintf(&batch, `{"type":"Action","requestId":%d,"udfPath":"a:block","args":[{}]}`, i)
		c.sendRaw(batch.String())
	}
	for range maxActionsInFlight + 1 {
		select {
		case <-started:
		case <-time.After(waitTimeout):
			t.Fatal("the first 1001 actions did not all start")
		}
	}
	c.sendRaw(`{"type":"Action","requestId":5000,"udfPath":"a:block","args":[{}]}`)
	assert.Equal(t, websocket.StatusTryAgainLater, c.expectClose())
	assert.Equal(t, "TooManyInflightActionsForSingleClient", c.closeReason())
}

// TestBackendRuleRegistration: convextest refuses to register a function
// no client could call, naming the rule (crates/convex/sync_types/src/
// udf_path.rs, module_path.rs, identifier.rs).
func TestBackendRuleRegistration(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	noop := func(*QueryCtx, map[string]any) (any, error) { return nil, nil }
	for name, rule := range map[string]string{
		"messages.ts:list":             "extension that isn't 'js'",
		"/messages:list":               "must be relative",
		"messages:list-all":            "Function name",
		"messages:__":                  "underscores",
		"my-module:list":               "can only contain alphanumeric characters, underscores, or periods",
		"m:" + strings.Repeat("a", 65): "too long",
	} {
		_, err := udfpath.Parse(name)
		require.ErrorContains(t, err, rule, name)
		assert.PanicsWithValue(t, "convextest: cannot register "+strconv.Quote(name)+": "+err.Error(), func() { srv.Query(name, noop) }, name)
	}
	assert.NotPanics(t, func() { srv.Query("folder/messages.js:list", noop) })
}

// dialAs opens a raw sync socket at path with the given headers.
func dialAs(t *testing.T, srv *Server, path string, header http.Header) *wsClient {
	t.Helper()
	c, err := dialPath(t, srv.URL(), path, header)
	require.NoError(t, err)
	return c
}

// TestBackendRuleChunkingByClientVersion: the backend splits a large
// Transition only for npm clients from 1.28.0 on, known by the
// Convex-Client header or the sync URL (crates/local_backend/src/subs/
// mod.rs, crates/common/src/version.rs).
func TestBackendRuleChunkingByClientVersion(t *testing.T) {
	srv := rulesServer(t, WithChunkSize(64))
	srv.Query("q:big", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return strings.Repeat("x", 1000), nil
	})
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		chunks bool
	}{
		{"npm 1.48.0 by URL", "/api/1.48.0/sync", nil, true},
		{"npm 1.28.0 by URL", "/api/1.28.0/sync", nil, true},
		{"npm 1.27.9 by URL", "/api/1.27.9/sync", nil, false},
		{"a pre-release of 1.28.0", "/api/1.28.0-alpha.1/sync", nil, false},
		{"no version", "/api/sync", nil, false},
		{"npm by header", "/api/sync", http.Header{"Convex-Client": {"npm-1.48.0"}}, true},
		{"another client by header, even on a versioned URL", "/api/1.48.0/sync", http.Header{"Convex-Client": {"goconvex-0.1.0"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialAs(t, srv, tc.path, tc.header)
			c.sendRaw(connectFrame)
			c.sendRaw(addQuery(0, 1, 0, "q:big", `[{}]`))
			tr := c.nextTransition()
			require.Len(t, tr.Modifications, 1)
			assert.Equal(t, tc.chunks, c.chunkFrames > 0, "chunk frames: %d", c.chunkFrames)
		})
	}
	t.Run("a Convex-Client header without a version is refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL(), "http")+"/api/sync", &websocket.DialOptions{HTTPHeader: http.Header{"Convex-Client": {"goconvex"}}})
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
}

// TestBackendRuleMaxObservedTimestamp: a Connect whose maxObservedTimestamp
// is at most the deployment's latest timestamp is accepted; a later one
// closes the socket with 1011 (TestBackendRulesSync; crates/sync/src/
// worker.rs).
func TestBackendRuleMaxObservedTimestamp(t *testing.T) {
	srv := rulesServer(t)
	c := dial(t, srv)
	c.sendRaw(connectFrame)
	c.sendRaw(addQuery(0, 1, 0, "q:list", `[{}]`))
	latest := c.nextTransition().EndVersion.TS
	c2 := dial(t, srv)
	c2.sendRaw(`{"type":"Connect","sessionId":"` + ruleSession + `","connectionCount":1,"maxObservedTimestamp":"` + latest.String() + `"}`)
	c2.sendRaw(addQuery(0, 1, 0, "q:list", `[{}]`))
	assert.Equal(t, latest, c2.nextTransition().EndVersion.TS)
	c3 := dial(t, srv)
	c3.sendRaw(`{"type":"Connect","sessionId":"` + ruleSession + `","connectionCount":1,"maxObservedTimestamp":"` + (latest + 1).String() + `"}`)
	assert.Equal(t, websocket.StatusInternalError, c3.expectClose())
	assert.Equal(t, "InternalServerError", c3.closeReason())
}

// TestBackendRuleDedupIgnoresJournal: a re-run's result is new when its
// value or log lines changed, not its journal (crates/sync/src/state.rs).
func TestBackendRuleDedupIgnoresJournal(t *testing.T) {
	a, b := "cursor-a", "cursor-b"
	one := &outcome{value: []byte(`[1]`), logLines: []string{"[LOG] 'x'"}, journal: &a}
	two := &outcome{value: []byte(`[1]`), logLines: []string{"[LOG] 'x'"}, journal: &b}
	assert.Equal(t, resultHash(one), resultHash(two))
	three := &outcome{value: []byte(`[1]`), logLines: []string{"[LOG] 'y'"}, journal: &b}
	assert.NotEqual(t, resultHash(one), resultHash(three))
	failed := &outcome{failed: true, text: "Uncaught Error: x", errData: []byte(`1`)}
	sameText := &outcome{failed: true, text: "Uncaught Error: x", errData: []byte(`2`)}
	assert.Equal(t, resultHash(failed), resultHash(sameText), "an error hashes as its message and log lines")
}
