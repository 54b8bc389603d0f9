//go:build !js

package convextest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/values"
	v "github.com/goconvex/convex/funcspec"
)

// Backend sources of the validator and visibility rules.
const (
	srcValidation   = "crates/udf/src/validation.rs"
	srcValidator    = "crates/common/src/schemas/validator.rs"
	srcSchemaJSON   = "crates/common/src/schemas/json.rs"
	srcFunctionRun  = "crates/application/src/application_function_runner/mod.rs"
	srcSystemModule = "crates/convex/sync_types/src/module_path.rs"
	srcModulesTS    = "npm-packages/system-udfs/convex/_system/cli/modules.ts"
)

// validatedServer registers functions with validators, as the example's
// messages.ts declares them.
func validatedServer(t *testing.T, opts ...Option) *Server {
	srv := rulesServer(t, opts...)
	message := v.Object(v.Fields{"_id": v.ID("messages"), "_creationTime": v.Number(), "body": v.String()})
	srv.Mutation("messages:send", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("messages", map[string]any{"body": args["body"]})
	}, Args(v.Object(v.Fields{"body": v.String(), "tags": v.Optional(v.Array(v.String()))})), Returns(v.ID("messages")))
	srv.Query("messages:list", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return ctx.DB.Query("messages").Collect(), nil
	}, Args(v.Object(nil)), Returns(v.Array(message)))
	// A mutation whose result breaks its returns validator: it must not
	// commit.
	srv.Mutation("messages:broken", func(ctx *MutationCtx, args map[string]any) (any, error) {
		ctx.Log(LevelLog, "writing")
		if _, err := ctx.DB.Insert("messages", map[string]any{"body": "never"}); err != nil {
			return nil, err
		}
		return map[string]any{"count": 1}, nil
	}, Args(v.Object(nil)), Returns(v.Object(v.Fields{"count": v.Int64()})))
	// An id of another table than the validator's.
	srv.Mutation("other:make", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("other", map[string]any{})
	}, Returns(v.ID("other")))
	srv.Action("messages:relay", func(ctx *ActionCtx, args map[string]any) (any, error) {
		return ctx.RunMutation("messages:send", map[string]any{"body": args["body"]})
	}, Args(v.Object(v.Fields{"body": v.Any()})))
	srv.Query("admin:stats", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("messages").Collect())), nil
	}, Internal(), Returns(v.Number()))
	srv.Action("admin:peek", func(ctx *ActionCtx, args map[string]any) (any, error) {
		return ctx.RunQuery("admin:stats", nil)
	})
	return srv
}

func mutationError(t *testing.T, msgs []protocol.ServerMessage) string {
	t.Helper()
	r := msgs[0].(*protocol.MutationResponse)
	require.False(t, r.Success)
	return protocol.ErrorMessage(r.Result)
}

// serverError strips the "[Request ID: …] Server Error\n" prefix.
func serverError(t *testing.T, msg string) string {
	t.Helper()
	_, text, ok := strings.Cut(msg, "] Server Error\n")
	require.True(t, ok, msg)
	return text
}

// The deployment checks arguments and results against the validators the
// functions were registered with, before and after they run, with the
// backend's texts.
func TestBackendRulesValidators(t *testing.T) {
	mutation := func(path, args string) string {
		return `{"type":"Mutation","requestId":0,"udfPath":"` + path + `","args":` + args + `}`
	}
	rules := []wsRule{
		{"arguments missing a required field", srcValidation + ", " + srcValidator, []string{connectFrame, mutation("messages:send", `[{}]`)}, wsOutcome{next: []string{"MutationResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Equal(t, "ArgumentValidationError: Object is missing the required field `body`. Consider wrapping the field validator in `v.optional(...)` if this is expected.\n\nObject: {}\nValidator: v.object({body: v.string(), tags: v.optional(v.array(v.string()))})", serverError(t, mutationError(t, msgs)))
		}}},
		{"arguments with an extra field", srcValidation + ", " + srcValidator, []string{connectFrame, mutation("messages:send", `[{"body":"hi","channel":"x"}]`)}, wsOutcome{next: []string{"MutationResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Equal(t, "ArgumentValidationError: Object contains extra field `channel` that is not in the validator.\n\nObject: {body: \"hi\", channel: \"x\"}\nValidator: v.object({body: v.string(), tags: v.optional(v.array(v.string()))})", serverError(t, mutationError(t, msgs)))
		}}},
		{"an argument of the wrong type, with its path", srcValidation + ", " + srcValidator, []string{connectFrame, mutation("messages:send", `[{"body":"hi","tags":["a",2]}]`)}, wsOutcome{next: []string{"MutationResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Equal(t, "ArgumentValidationError: Value does not match validator.\nPath: .tags[1]\nValue: 2.0\nValidator: v.string()", serverError(t, mutationError(t, msgs)))
		}}},
		{"positional arguments to a function with an args validator", srcValidators + ", " + srcValidation, []string{connectFrame, mutation("messages:send", `[{"body":"a"},{"body":"b"}]`)}, wsOutcome{next: []string{"MutationResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Equal(t, `ArgumentValidationError: Expected to receive a single object as the function's argument. Instead received 2 arguments: [{"body":"a"},{"body":"b"}]`, serverError(t, mutationError(t, msgs)))
		}}},
		{"valid arguments", srcValidation, []string{connectFrame, mutation("messages:send", `[{"body":"hi","tags":[]}]`)}, wsOutcome{next: []string{"MutationResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.True(t, msgs[0].(*protocol.MutationResponse).Success)
		}}},
		{"a result its returns validator refuses; the log lines stay", srcValidators + ", " + srcValidator, []string{connectFrame, mutation("messages:broken", `[{}]`)}, wsOutcome{next: []string{"MutationResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Equal(t, "ReturnsValidationError: Value does not match validator.\nPath: .count\nValue: 1.0\nValidator: v.int64()", serverError(t, mutationError(t, msgs)))
			assert.Equal(t, []string{"[LOG] 'writing'"}, msgs[0].(*protocol.MutationResponse).LogLines)
		}}},
		{"the arguments of a nested call are checked", srcValidation, []string{connectFrame, `{"type":"Action","requestId":0,"udfPath":"messages:relay","args":[{"body":5}]}`}, wsOutcome{next: []string{"ActionResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			r := msgs[0].(*protocol.ActionResponse)
			assert.False(t, r.Success)
			assert.Contains(t, protocol.ErrorMessage(r.Result), "ArgumentValidationError: Value does not match validator.\nPath: .body\nValue: 5.0\nValidator: v.string()")
		}}},
		// Visibility (check_visibility_access).
		{"an internal function is not found by a client", srcValidation, []string{connectFrame, addQuery(0, 1, 0, "admin:stats", `[{}]`)}, wsOutcome{next: []string{"Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			m := msgs[0].(*protocol.Transition).Modifications[0]
			assert.Equal(t, protocol.QueryFailed, m.Type)
			assert.Equal(t, "Could not find public function for 'admin:stats'.", serverError(t, m.ErrorMessage))
		}}},
		{"an internal function is found by an admin", srcValidation, []string{connectFrame, `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"prod:rules|secret"}`, "wait:Transition", addQuery(0, 1, 0, "admin:stats", `[{}]`)}, wsOutcome{next: []string{"Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Equal(t, protocol.QueryUpdated, msgs[0].(*protocol.Transition).Modifications[0].Type)
		}}},
		{"an internal function is found by an admin acting as a user", srcValidation, []string{connectFrame, `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"prod:rules|secret","impersonating":{"tokenIdentifier":"t|u"}}`, "wait:Transition", addQuery(0, 1, 0, "admin:stats", `[{}]`)}, wsOutcome{next: []string{"Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.Equal(t, protocol.QueryUpdated, msgs[0].(*protocol.Transition).Modifications[0].Type)
		}}},
		{"a function may call an internal function", srcValidation, []string{connectFrame, `{"type":"Action","requestId":0,"udfPath":"admin:peek","args":[{}]}`}, wsOutcome{next: []string{"ActionResponse", "Transition"}, check: func(t *testing.T, msgs []protocol.ServerMessage) {
			assert.True(t, msgs[0].(*protocol.ActionResponse).Success)
		}}},
	}
	runWSRules(t, rules, validatedServer)
}

// A mutation whose result fails its returns validator is rolled back, as
// the backend drops its transaction (run_mutation_no_udf_log in
// crates/application/src/application_function_runner/mod.rs).
func TestReturnsValidationRollsBack(t *testing.T) {
	srv := validatedServer(t)
	_, err := srv.Run(context.Background(), "messages:broken", nil)
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Message, "ReturnsValidationError: ")
	require.NoError(t, srv.Read(func(db *DatabaseReader) error {
		assert.Empty(t, db.Query("messages").Collect())
		return nil
	}))
	// A valid result commits, and an id of its table passes v.id.
	id, err := srv.Run(context.Background(), "messages:send", map[string]any{"body": "hi"})
	require.NoError(t, err)
	list, err := srv.Run(context.Background(), "messages:list", nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, id, list.([]any)[0].(map[string]any)["_id"])
	// The relay checks its nested mutation's id result outside any lock.
	_, err = srv.Run(context.Background(), "messages:relay", map[string]any{"body": "again"})
	require.NoError(t, err)
}

// An id from another table fails v.id with the backend's text.
func TestReturnsValidationIDTable(t *testing.T) {
	srv := validatedServer(t)
	srv.Query("messages:wrong", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return args["id"], nil
	}, Returns(v.ID("messages")))
	other, err := srv.Run(context.Background(), "other:make", nil)
	require.NoError(t, err)
	_, err = srv.Run(context.Background(), "messages:wrong", map[string]any{"id": other})
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "ReturnsValidationError: Found ID \""+other.(string)+"\" from table `other`, which does not match the table name in validator `v.id(\"messages\")`.", serverError(t, fe.Message))
	_, err = srv.Run(context.Background(), "messages:wrong", map[string]any{"id": "not-an-id"})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "ReturnsValidationError: Value does not match validator.\n\nValue: \"not-an-id\"\nValidator: v.id(\"messages\")", serverError(t, fe.Message))
}

// Registering a validator the backend refuses at push time panics
// (crates/common/src/schemas/json.rs, function_validators.rs).
func TestBackendRuleValidatorRegistration(t *testing.T) {
	t.Logf("backend: %s, %s", srcSchemaJSON, srcValidators)
	srv := NewServer()
	t.Cleanup(srv.Close)
	noop := func(*QueryCtx, map[string]any) (any, error) { return nil, nil }
	assert.PanicsWithValue(t, `convextest: cannot register "q:a": Error in args validator: Args validator must be an object or any`, func() {
		srv.Query("q:a", noop, Args(v.String()))
	})
	assert.PanicsWithValue(t, `convextest: cannot register "q:b": Error in returns validator: Records can only have string keys. Your validator contains a record with key typed as `+"`v.float64()`"+`, which is not a subtype of `+"`v.string()`", func() {
		srv.Query("q:b", noop, Returns(v.Record(v.Number(), v.String())))
	})
	assert.NotPanics(t, func() { srv.Query("q:c", noop, Args(v.Any()), Returns(v.Any())) })
}

// The deployment serves its function spec as the system query
// _system/cli/modules:apiSpec, to an admin key only; other callers are
// refused as the backend refuses a system function to a non-admin
// (forbidden SystemIdentityRequired: a 403 over HTTP, a FatalError and a
// normal close over the socket).
func TestBackendRulesSystemQuery(t *testing.T) {
	t.Logf("backend: %s, %s, %s", srcFunctionRun, srcSystemModule, srcModulesTS)
	srv := validatedServer(t)
	actingAs := base64.StdEncoding.EncodeToString([]byte(`{"issuer":"https://i","subject":"dave"}`))
	body := `{"path":"` + APISpecQuery + `","args":{},"format":"convex_encoded_json"}`
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no credential", "", http.StatusForbidden},
		{"an admin acting as a user", "Convex prod:rules|secret:" + actingAs, http.StatusForbidden},
		{"an admin", "Convex prod:rules|secret", http.StatusOK},
	} {
		t.Run("HTTP: "+tc.name, func(t *testing.T) {
			status, out := post(t, srv.URL()+"/api/query", tc.auth, body)
			require.Equal(t, tc.status, status, "%v", out)
			if status != http.StatusOK {
				assert.Equal(t, map[string]any{"code": "SystemIdentityRequired", "message": "Operation query not permitted"}, out)
				return
			}
			raw, err := json.Marshal(out["value"])
			require.NoError(t, err)
			spec, err := v.Parse(raw)
			require.NoError(t, err)
			var paths []string
			for _, f := range spec.Functions {
				paths = append(paths, f.Identifier+" "+string(f.Type)+" "+string(f.Visibility))
			}
			assert.Equal(t, []string{
				"a.js:run Action public", "admin.js:peek Action public", "admin.js:stats Query internal",
				"m.js:fail Mutation public", "m.js:send Mutation public",
				"messages.js:broken Mutation public", "messages.js:list Query public", "messages.js:relay Action public", "messages.js:send Mutation public",
				"other.js:make Mutation public",
				"q.js:chatty Query public", "q.js:list Query public", "q.js:whoami Query public",
			}, paths)
		})
	}
	t.Run("HTTP: a mutation of a system module", func(t *testing.T) {
		status, out := post(t, srv.URL()+"/api/mutation", "", `{"path":"_system/frontend:anything","args":{}}`)
		require.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, "Operation mutation not permitted", out["message"])
	})
	t.Run("HTTP: bad arguments fail as a thrown Error", func(t *testing.T) {
		status, out := post(t, srv.URL()+"/api/query", "Convex prod:rules|secret", `{"path":"`+APISpecQuery+`","args":{"x":1}}`)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "error", out["status"])
		assert.Contains(t, out["errorMessage"], "Uncaught Error: Object contains extra field `x` that is not in the validator.")
	})
	t.Run("sync: a user's subscription", func(t *testing.T) {
		c := dial(t, srv)
		c.sendRaw(connectFrame)
		c.sendRaw(addQuery(0, 1, 0, APISpecQuery, `[{}]`))
		m := c.next()
		fe, ok := m.(*protocol.FatalError)
		require.True(t, ok, "expected a FatalError, got %s", m.AppendWire(nil))
		assert.Equal(t, "Operation query not permitted", fe.Error)
		assert.Equal(t, websocket.StatusNormalClosure, c.expectClose())
		assert.Equal(t, "SystemIdentityRequired", c.closeReason())
	})
	t.Run("sync: an admin's subscription, then signing out", func(t *testing.T) {
		c := dial(t, srv)
		c.sendRaw(connectFrame)
		c.sendRaw(`{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"prod:rules|secret"}`)
		c.nextTransition()
		tr := c.subscribe(0, APISpecQuery, `{}`)
		require.Equal(t, protocol.QueryUpdated, tr.Modifications[0].Type, "%s", tr.Modifications[0].ErrorMessage)
		spec, err := v.Parse(tr.Modifications[0].Value)
		require.NoError(t, err)
		assert.Len(t, spec.Functions, 13)
		// The query re-runs with the new identity, which may not run it.
		c.sendRaw(`{"type":"Authenticate","baseVersion":1,"tokenType":"None"}`)
		m := c.next()
		_, ok := m.(*protocol.FatalError)
		require.True(t, ok, "expected a FatalError, got %s", m.AppendWire(nil))
		assert.Equal(t, websocket.StatusNormalClosure, c.expectClose())
	})
}

// FunctionSpec is what apiSpec serves: the validators as registered, in
// the format funcspec reads and `npx convex function-spec` prints.
func TestFunctionSpec(t *testing.T) {
	srv := validatedServer(t)
	spec := srv.FunctionSpec()
	require.Equal(t, srv.URL(), spec.URL)
	byID := map[string]v.Function{}
	for _, f := range spec.Functions {
		byID[f.Identifier] = f
	}
	send := byID["messages.js:send"]
	assert.Equal(t, v.Mutation, send.Type)
	assert.Equal(t, `v.object({body: v.string(), tags: v.optional(v.array(v.string()))})`, send.Args.String())
	assert.Equal(t, `v.id("messages")`, send.Returns.String())
	run := byID["a.js:run"]
	assert.Equal(t, v.TypeAny, run.Args.Type, "no args validator: v.any()")
	assert.Nil(t, run.Returns, "no returns validator: null")

	data, err := spec.JSON()
	require.NoError(t, err)
	back, err := v.Parse(data)
	require.NoError(t, err)
	assert.Equal(t, spec, back)

	// apiSpec's answer holds the same entries, the validators as Convex
	// values (an int64 literal as {"$integer": …}).
	srv.Query("lit:seven", func(*QueryCtx, map[string]any) (any, error) { return values.Int64(7), nil }, Returns(v.Literal(values.Int64(7))))
	out, err := srv.Run(context.Background(), APISpecQuery, nil)
	require.NoError(t, err)
	raw, err := values.Marshal(out)
	require.NoError(t, err)
	served, err := v.Parse(raw)
	require.NoError(t, err)
	served.URL = srv.URL()
	assert.Equal(t, srv.FunctionSpec(), served)
	assert.Contains(t, string(raw), `{"type":"literal","value":{"$integer":"BwAAAAAAAAA="}}`)
	_, err = srv.Run(context.Background(), "lit:seven", nil)
	require.NoError(t, err)
}
