// Package client is a Go client for Convex, the reactive backend. It speaks
// the same sync protocol over a WebSocket as the official JavaScript client
// (the convex npm package): subscriptions that update when their data
// changes, mutations that are applied exactly once across reconnects and
// return once their writes are visible, and actions.
//
//	c, err := client.New("https://happy-animal-123.convex.cloud")
//	if err != nil { … }
//	defer c.Close()
//
//	sub, err := c.Subscribe(ctx, "messages:list", client.Args{"channel": "general"})
//	for {
//		res, err := sub.Next(ctx) // the current result, then each change
//		…
//	}
//
// HTTPClient is the one-shot form, over Convex's HTTP API, like the JS
// ConvexHttpClient.
//
// # Values
//
// Arguments and results are Convex values, encoded by package values: Go
// numbers are Convex float64 (integers beyond ±2^53 are an error),
// values.Int64 is a Convex int64 (a JS bigint), []byte is bytes, and maps
// and structs (through json tags) are objects.
//
// # Typed calls
//
// A QueryRef, MutationRef or ActionRef names a function with the Go types
// of its arguments and result; RunQuery, RunMutation and RunAction (on a
// Client or an HTTPClient) and SubscribeTo take them, so the compiler
// checks each call. goconvex gen writes them for every function of a
// deployment from its function spec (package codegen).
//
// # One timestamp, and components
//
// WatchAll gives a Snapshot of every subscription's result as of one
// server timestamp after each Transition that changed one (convex-rs's
// watch_all). HTTPClient.ConsistentQuery runs queries at the timestamp of
// the first (the JS ConvexHttpClient's consistentQuery). Client.Component
// and HTTPClient.Component call the functions of a component of the app by
// its path, with the admin auth the deployment requires for that. None of
// these are in the browser build (GOOS=js).
//
// # Errors
//
// A function that fails returns a *FunctionError; when it threw a
// ConvexError (IsConvexError, also for a ConvexError(null)), ErrorData
// decodes the data it carried. An action in flight when the connection
// drops fails with an error matching ErrConnectionLost; calls on a closed
// client return ErrClosed.
//
// The client checks what it sends by the rules the Convex backend applies,
// so that a bad call fails at once, on its own, instead of taking the
// session down: a function path the backend would refuse fails the call
// with an error matching ErrInvalidFunctionPath and naming the rule
// (nothing is sent, nothing queued); arguments that are not Convex values
// fail with a *values.Error; an acting-as identity the backend would refuse
// fails SetAdminAuth.
//
// # Fatal errors
//
// The deployment answers a message it refuses (its "deterministic user
// errors": a malformed message, a bad function path or acting-as identity,
// a query set version that does not follow) with a FatalError message and
// closes the socket. The client logs it at ERROR, records it in
// ConnectionState.LastError and reconnects with backoff: a passing cause
// (a deployment being updated) clears. Since a reconnect resends the same
// session, the same answer usually follows; after three FatalErrors in a
// row (the count restarts once a session syncs past its reconnect) the
// client stops for good: ConnectionState.Failed is set, every call in
// flight and every subscription fails with a *FatalError carrying the
// server's text, later calls fail with it at once, and it does not connect
// again. Close it and create a new client to start over.
//
// # Where this client differs from the JS client
//
// It follows the JS client's protocol behaviour (message order and fields,
// backoff, inactivity timeout, mutation resolution), except where the JS
// client wedges, crashes or waits for no reason:
//
//   - A Transition that does not start at the client's version (the JS
//     client throws "Invalid start version" and stays stuck), a malformed
//     server frame, or TransitionChunks out of order: the client drops the
//     socket, records the error in ConnectionState.LastError, logs it at
//     ERROR, and reconnects with backoff. Unconfirmed mutations are resent
//     with their request ids, so they still apply once.
//   - A FatalError: the JS client stops for good at the first and leaves
//     promises pending; this client retries a few times, then stops and
//     fails every call (see Fatal errors above).
//   - What a newer server may add is ignored and the socket kept, as by
//     the JS client: unknown message types, unknown fields (whatever JSON
//     they hold) and modifications of an unknown type (the JS client
//     throws on those and wedges), each type logged once at DEBUG.
//   - Actions in flight fail with ErrConnectionLost as soon as their socket
//     closes, not when the next socket opens.
//   - At most 512 mutations and 512 actions are sent and unanswered on a
//     connection; more wait, in the order they were made, and go out as
//     answers arrive. The server closes a connection with more than 1000
//     queued mutations (or running actions) with 1013
//     TooManyConcurrentMutations; the JS client then resends everything on
//     the next socket and is closed again.
//   - Like the JS client, the sync socket carries no Convex-Client header:
//     the backend takes the client version from the URL
//     (/api/<ProtocolVersion>/sync) and so splits large Transitions into
//     TransitionChunks, which it does only for npm clients from 1.28 on.
//     HTTPClient's requests carry Convex-Client: goconvex-<Version>.
//   - Plain http:// (ws://) is refused for hosts that are not loopback unless
//     WithInsecureTransport is given.
//   - Subscribers that read slower than results arrive get the latest
//     result, skipping intermediate ones, instead of a growing backlog.
//   - There are no optimistic updates in the Go API; the browser package
//     (js/, @goconvex/react) layers them over this client in JS, and drops
//     them in step with the server's results.
package client
