package convextest

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/funcspec"
)

// FunctionOption configures a function at registration (Query, Mutation,
// Action).
type FunctionOption func(*function)

// Args gives the function an argument validator, as `args:` does in
// TypeScript: an object validator (funcspec.Object), or funcspec.Any()
// for none. The deployment then checks every call's arguments before the
// function runs, and a call whose arguments do not conform fails with the
// backend's "ArgumentValidationError: …" message. Build validators with
// package funcspec's constructors:
//
//	import v "github.com/goconvex/convex/funcspec"
//
//	srv.Mutation("messages:send", send,
//		convextest.Args(v.Object(v.Fields{"body": v.String()})),
//		convextest.Returns(v.ID("messages")))
func Args(validator *funcspec.Validator) FunctionOption {
	return func(f *function) { f.args = validator }
}

// Returns gives the function a return validator, as `returns:` does in
// TypeScript: a result that does not conform fails the call with the
// backend's "ReturnsValidationError: …" message (and a mutation's writes
// are rolled back).
func Returns(validator *funcspec.Validator) FunctionOption {
	return func(f *function) { f.returns = validator }
}

// Internal makes the function internal, as internalQuery,
// internalMutation and internalAction do: only admin keys (acting as a
// user or not) and other functions (ActionCtx.RunQuery and friends, and
// Server.Run) can call it; for other clients it does not exist ("Could
// not find public function for …").
func Internal() FunctionOption {
	return func(f *function) { f.internal = true }
}

// callerKind is who calls a function, as far as visibility goes.
type callerKind int

const (
	callerUser     callerKind = iota // a client with a user's token, or none
	callerAdmin                      // an admin key
	callerActingAs                   // an admin key acting as a user
	callerFunction                   // a function calling another, or Server.Run
)

type callerKey struct{}

// withCaller returns ctx carrying who calls.
func withCaller(ctx context.Context, k callerKind) context.Context {
	return context.WithValue(ctx, callerKey{}, k)
}

// callerOf returns who calls, callerUser by default.
func callerOf(ctx context.Context) callerKind {
	k, _ := ctx.Value(callerKey{}).(callerKind)
	return k
}

// systemModule is the first component of the deployment's own modules
// (SYSTEM_UDF_DIR, crates/convex/sync_types/src/module_path.rs).
const systemModule = "_system"

func isSystemPath(path string) bool {
	return strings.HasPrefix(canonicalPath(path), systemModule+"/")
}

// systemForbidden is the error a caller gets for running a function of a
// system module without an admin key (an admin acting as a user is not
// one): the backend refuses before looking the function up, with
// ErrorMetadata::forbidden("SystemIdentityRequired", "Operation <kind> not
// permitted") (run_query_at_ts_inner, run_mutation and run_action in
// crates/application/src/application_function_runner/mod.rs;
// unauthorized_error in crates/database/src/database.rs). "" when the
// caller may run it.
func systemForbidden(path string, kind functionKind, caller callerKind) string {
	if !isSystemPath(path) || caller == callerAdmin || caller == callerFunction {
		return ""
	}
	return "Operation " + strings.ToLower(kind.String()) + " not permitted"
}

// systemForbiddenCode is that error's short code: an HTTP 403's code, and
// the reason of the close frame (1000) that follows the FatalError on a
// WebSocket (crates/errors/src/lib.rs, crates/local_backend/src/subs/
// mod.rs).
const systemForbiddenCode = "SystemIdentityRequired"

// APISpecQuery is the system query that serves the deployment's function
// spec to an admin key, as npm-packages/system-udfs/convex/_system/cli/
// modules.ts does on a Convex deployment; `goconvex gen` and `npx convex
// function-spec` read it.
const APISpecQuery = "_system/cli/modules:apiSpec"

// apiSpecArgs is apiSpec's args validator (modules.ts).
var apiSpecArgs = funcspec.Object(funcspec.Fields{
	"componentId": funcspec.Optional(funcspec.Union(funcspec.String(), funcspec.Null())),
})

// registerSystem registers the system functions convextest serves.
func (s *Server) registerSystem() {
	s.register(APISpecQuery, &function{kind: kindQuery, query: s.apiSpec}, nil)
}

// apiSpec answers APISpecQuery: every function's entry as modules.ts
// builds it ({identifier, functionType, visibility, args, returns}, the
// validators as Convex values, returns null without a returns validator).
// Like the backend's system functions it checks its arguments itself,
// failing as a thrown Error ("Uncaught Error: …").
func (s *Server) apiSpec(_ *QueryCtx, args map[string]any) (any, error) {
	if err := apiSpecArgs.Check(args, nil); err != nil {
		return nil, err
	}
	if id, _ := args["componentId"].(string); id != "" {
		return nil, errors.New("components are not supported by convextest")
	}
	spec := s.FunctionSpec()
	out := make([]any, 0, len(spec.Functions))
	for _, f := range spec.Functions {
		args, err := validatorValue(f.Args)
		if err != nil {
			return nil, err
		}
		returns, err := validatorValue(f.Returns)
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{
			"identifier":   f.Identifier,
			"functionType": string(f.Type),
			"visibility":   map[string]any{"kind": string(f.Visibility)},
			"args":         args,
			"returns":      returns,
		})
	}
	return out, nil
}

// validatorValue is a validator's JSON form as a Convex value
// (jsonToConvex of it, as modules.ts returns it); nil for none.
func validatorValue(v *funcspec.Validator) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := v.JSON()
	if err != nil {
		return nil, err
	}
	var x any
	err = values.Unmarshal(b, &x)
	return x, err
}

// FunctionSpec returns the deployment's function spec, as APISpecQuery
// serves it (and `npx convex function-spec` prints it for a Convex
// deployment): each registered function's identifier ("messages.js:list"),
// kind, visibility and validators ({"type":"any"} args and no returns for
// a function registered without them), sorted by identifier. System
// functions are not in it.
func (s *Server) FunctionSpec() *funcspec.Spec {
	s.funcMu.RLock()
	fns := make([]funcspec.Function, 0, len(s.funcs))
	for path, f := range s.funcs {
		if isSystemPath(path) {
			continue
		}
		module, name, _ := strings.Cut(path, ":")
		fn := funcspec.Function{
			Identifier: module + ".js:" + name,
			Type:       funcspec.FunctionType(f.kind.String()),
			Visibility: funcspec.Public,
			Args:       f.args,
			Returns:    f.returns,
		}
		if f.internal {
			fn.Visibility = funcspec.Internal
		}
		if fn.Args == nil {
			fn.Args = funcspec.Any()
		}
		fns = append(fns, fn)
	}
	s.funcMu.RUnlock()
	sort.Slice(fns, func(i, j int) bool { return fns[i].Identifier < fns[j].Identifier })
	return &funcspec.Spec{URL: s.URL(), Functions: fns}
}

// docTables resolves document ids to their tables for validators; locked
// says whether the caller holds the store's lock already.
func (s *Server) docTables(locked bool) funcspec.TableOf {
	return func(id string) (string, bool) {
		if !locked {
			s.store.mu.RLock()
			defer s.store.mu.RUnlock()
		}
		num, ok := tableOfID(id)
		if !ok {
			return "", false
		}
		t := s.store.tableByNum(num)
		if t == nil {
			return "", false
		}
		return t.name, true
	}
}
