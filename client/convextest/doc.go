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
// schemas and argument validation, file storage, scheduling, components,
// internal functions, HTTP actions, and OIDC auth providers (use custom JWT
// providers). Actions cannot use the database directly, only through
// RunQuery and RunMutation.
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
// from any origin; the HTTP API answers POST /api/query, /api/mutation,
// /api/action, /api/function, /api/run/<module path>/<function>,
// /api/query_ts and /api/query_at_ts (which runs at the latest timestamp:
// there is no history), with CORS open to any origin. Auth follows the real
// server: user JWTs are validated against the WithAuth providers (see
// AuthProvider and AuthError), admin keys set with WithAdminKey are
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
