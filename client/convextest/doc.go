// Package convextest runs an in-memory Convex deployment for tests, the way
// net/http/httptest runs an HTTP server. It speaks the real sync protocol
// over WebSocket and the HTTP function API, faithfully enough that the
// official convex npm client cannot tell it from a real deployment for
// queries, subscriptions, mutations, actions, auth and reconnects.
//
//	srv := convextest.NewServer()
//	defer srv.Close()
//	srv.Mutation("messages:send", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
//		return ctx.DB.Insert("messages", map[string]any{"body": args["body"]})
//	})
//	srv.Query("messages:list", func(ctx *convextest.QueryCtx, args map[string]any) (any, error) {
//		return ctx.DB.Query("messages").Collect(), nil
//	})
//	client := newClient(srv.URL()) // any Convex client
//
// # Functions
//
// Query, Mutation and Action register Go functions under Convex function
// names ("module:function"; names are canonicalized as the JS client does,
// so "messages.js:list" is "messages:list" and "messages" is
// "messages:default"). A function gets its arguments as values.Unmarshal
// decodes them into an any (numbers are float64, bigints values.Int64,
// bytes []byte), and returns any value values.Marshal accepts (or a
// values.Raw). Its context is a context.Context that also gives the
// caller's Identity, a way to Log lines the client prints ("[LOG] 'hi'"),
// and, for queries and mutations, the database.
//
// Returning a ConvexError makes the call fail with error data, as
// `throw new ConvexError(data)` does in JS; any other error fails it with a
// message like a dev deployment's: "[Request ID: <16 hex>] Server
// Error\nUncaught Error: <err>". A panic is recovered and reported the same
// way. An unknown name fails with "Could not find public function for
// 'messages:list'." (after the same request id prefix).
//
// # Validators, internal functions and the function spec
//
// Registration options give a function what `args:` and `returns:` give it
// in TypeScript, validators built with package funcspec (imported as v,
// they read like convex/values' v):
//
//	srv.Mutation("messages:send", send,
//		convextest.Args(v.Object(v.Fields{"body": v.String()})),
//		convextest.Returns(v.ID("messages")))
//
// The deployment then checks each call's arguments before the function
// runs and its result after, as the backend does: a call that does not
// conform fails with the backend's text ("ArgumentValidationError: Object
// is missing the required field `body`. …", "ReturnsValidationError: …"),
// and a mutation whose result fails is rolled back. Internal makes a
// function internal: only admin keys and other functions can call it.
//
// FunctionSpec returns the deployment's function spec, and the system query
// _system/cli/modules:apiSpec (APISpecQuery) serves it to an admin key, as
// a Convex deployment does for `npx convex function-spec`, so `goconvex
// gen` works against a convextest deployment. Functions of a system module
// (_system/…) are for admin keys only: other callers get the backend's
// 403 SystemIdentityRequired over HTTP, and a FatalError and a normal
// close over a WebSocket.
//
// # Database
//
// The database is a set of tables of documents (map[string]any of Convex
// values). Tables appear with their first insert. Documents get a unique
// opaque "_id" string and a "_creationTime" (float64 milliseconds, strictly
// increasing). Documents are validated and deep-copied on the way in and
// out. Queries read through a DatabaseReader and mutations write through a
// DatabaseWriter; a scan (Query) reads a table in _creationTime order,
// filtered in Go.
//
// Paginated queries work as in Convex: Query.Paginate reads a page from
// ParsePaginationOptions(args), and the run's journal (sent with the result,
// and back by the client when it re-adds the query) records where the page
// ended, so that re-runs keep the page's end and the last page grows. A
// function may paginate once; a cursor of another query fails with
// "InvalidCursor". Other queries carry a null journal.
//
// Not supported: indexes (withIndex), full-text and vector search,
// schemas (table validators), file storage, scheduling, HTTP actions, and
// OIDC auth providers (use custom JWT providers). Actions cannot use the
// database directly, only through RunQuery and RunMutation. Component
// registers the functions of a component, which clients call by its path
// with admin auth as on a deployment; its functions share the Server's one
// database (a deployment gives each component its own tables).
//
// # Consistency and reactivity
//
// Mutations run one at a time over the whole server (serializable; a
// connection's mutations run in arrival order, its actions concurrently)
// and each commit gets a timestamp: u64 nanoseconds, strictly increasing,
// near the wall clock, kept across Restart. Each query run records the
// tables it read (the read set is table-grained: any write to a table a
// query read re-runs it). After a commit, every subscribed query whose read
// set includes a written table is re-run at the new timestamp, and the
// connection's next Transition carries only the results whose hash (value
// and log lines, or error and log lines) changed. A client always gets a
// MutationResponse before the Transition that reflects the mutation, and
// that Transition's end timestamp is at least the mutation's commit
// timestamp. Successful mutations are recorded by (session id, request id),
// so a client that resends a mutation after a reconnect gets the recorded
// result and commit timestamp and the mutation does not run again.
//
// # Protocol
//
// Sync WebSockets are accepted on GET /api/sync and /api/<version>/sync
// from any origin; the HTTP API answers GET and POST /api/query, POST
// /api/mutation, /api/action, /api/function (admin only),
// /api/run/<module path>/<function>, /api/query_batch, /api/query_ts and
// /api/query_at_ts (which checks its ts but runs at the latest timestamp:
// there is no history), with CORS open to any origin.
//
// convextest accepts exactly what a Convex deployment accepts, and refuses
// the rest with the same FatalError texts, close codes and HTTP answers, so
// that a client that works against it works against the real backend. The
// rules, each from the backend's source (get-convex/convex-backend; the
// backend-rules suite in rules_test.go and spec_test.go has a case for
// each, and docs/backend-rules.md explains them):
//
//	rule                                                           backend source
//	client frames parsed strictly: required fields, integer types,  crates/convex/sync_types/src/types/json.rs
//	  unknown fields ignored; a refused frame is a FatalError
//	  "Received Invalid JSON on websocket: …" and a close without    crates/local_backend/src/subs/mod.rs
//	  a status code
//	Connect's sessionId is a UUID                                   crates/convex/sync_types/src/types/mod.rs
//	function paths: relative module path, ".js" or no extension,    crates/convex/sync_types/src/udf_path.rs,
//	  components and function names as the backend allows            module_path.rs, path.rs, identifier.rs
//	args not an array: FatalError "Invalid arguments provided"     crates/value/src/serialized_args_ext.rs
//	args that are not Convex values ($commitTs included): the call  crates/udf/src/helpers.rs
//	  fails with "Invalid arguments for <module>.js:<fn>: …"
//	positional args other than one object: the call fails          crates/model/src/modules/function_validators.rs
//	acting-as identity: tokenIdentifier, or issuer and subject      crates/convex/sync_types/src/types/json.rs
//	base version mismatch: FatalError; other state errors: 1011     crates/sync/src/state.rs
//	maxObservedTimestamp after the latest ts: close 1011            crates/sync/src/worker.rs
//	a Transition after every response and query set or auth change crates/sync/src/worker.rs
//	re-run results deduplicated by value (or error) and log lines  crates/sync/src/state.rs
//	TransitionChunks only for npm clients >= 1.28.0                 crates/local_backend/src/subs/mod.rs,
//	                                                                  crates/common/src/version.rs
//	WebSocket Ping every 5 s; 120 s of silence: close 1000          crates/local_backend/src/subs/mod.rs,
//	  "ClientDisconnected"                                            crates/errors/src/lib.rs
//	1001 actions in flight at most: close 1013                      crates/sync/src/worker.rs
//	  "TooManyInflightActionsForSingleClient"; 1000 queued
//	  mutations: close 1013 "TooManyConcurrentMutations"
//	256 log lines per run, the last "[ERROR] Log overflow …"        crates/isolate/src/environment/udf/mod.rs
//	HTTP: Content-Type application/json, body limits and shapes:   crates/common/src/http/extract.rs,
//	  400 BadJsonBody                                                crates/local_backend/src/public_api.rs
//	HTTP: bad path: 400 BadConvexFunctionIdentifier                crates/local_backend/src/parse.rs
//	HTTP: Authorization header: 400 for a malformed one, admin      crates/local_backend/src/authentication.rs,
//	  key type prefix stripped before an acting-as identity           crates/common/src/types/admin_key.rs
//	HTTP: format checked after the function ran                     crates/local_backend/src/public_api.rs
//	HTTP: /api/query_ts over POST only (405 otherwise)              crates/local_backend/src/public_api.rs
//	registering a name the backend refuses panics, naming the rule crates/convex/sync_types/src/udf_path.rs
//	validators: args and results checked, the backend's texts      crates/udf/src/validation.rs,
//	  ("ArgumentValidationError: …", "ReturnsValidationError: …");    crates/model/src/modules/function_validators.rs,
//	  a mutation whose result fails rolls back; a validator the       crates/common/src/schemas/validator.rs,
//	  backend refuses at push panics at registration                  crates/common/src/schemas/json.rs
//	internal functions: not found for non-admins                   crates/udf/src/validation.rs
//	system modules (_system/): admin keys only, 403                 crates/application/src/application_function_runner/mod.rs
//	  SystemIdentityRequired, or FatalError and close 1000
//
// Auth follows the real server: user JWTs are validated against the WithAuth providers by
// package customjwt, the module's one implementation of the backend's customJwt rules (see
// customjwt.Provider and AuthError), admin keys set with WithAdminKey are
// accepted, optionally acting as a user. A connection whose token expires
// gets AuthError(authUpdateAttempted: false) the next time it runs a
// function or computes a Transition.
//
// # Faults and observation
//
// DropConnections, DropConnectionsWith, DropAfterFrames, DelayFrames,
// RefuseConnections, InjectAuthError, InjectFatalError and Restart inject
// failures; Connections, Subscriptions, ExecutionCount, FramesSent and
// WithFrameObserver let tests see what happened.
package convextest
