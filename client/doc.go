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
// # Errors
//
// A function that fails returns a *FunctionError; when it threw a
// ConvexError, ErrorData decodes the data it carried. An action in flight
// when the connection drops fails with an error matching ErrConnectionLost;
// calls on a closed client return ErrClosed.
//
// # Where this client differs from the JS client
//
// It follows the JS client's protocol behaviour (message order and fields,
// backoff, inactivity timeout, mutation resolution), except where the JS
// client wedges, crashes or waits for no reason:
//
//   - A Transition that does not start at the client's version (the JS
//     client throws "Invalid start version" and stays stuck), a FatalError
//     (the JS client stops for good and leaves promises pending), a
//     malformed server frame, an unknown message type, or TransitionChunks
//     out of order: the client drops the socket, records the error in
//     ConnectionState.LastError, logs it at ERROR, and reconnects with
//     backoff. Unconfirmed mutations are resent with their request ids,
//     so they still apply once.
//   - Actions in flight fail with ErrConnectionLost as soon as their socket
//     closes, not when the next socket opens.
//   - At most 512 mutations and 512 actions are sent and unanswered on a
//     connection; more wait, in the order they were made, and go out as
//     answers arrive. The server closes a connection with more than 1000
//     queued mutations (or running actions) with 1013
//     TooManyConcurrentMutations; the JS client then resends everything on
//     the next socket and is closed again.
//   - Natively it sends a Convex-Client header (goconvex-<version>) on the
//     upgrade; the JS client cannot set headers.
//   - Plain http:// (ws://) is refused for hosts that are not loopback unless
//     WithInsecureTransport is given.
//   - Subscribers that read slower than results arrive get the latest
//     result, skipping intermediate ones, instead of a growing backlog.
//   - There are no optimistic updates in the Go API; the browser package
//     (js/, @goconvex/react) layers them over this client in JS, and
//     WaitForCallbacks lets it drop them in step with the server's results.
package client
