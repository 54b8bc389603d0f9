// Package core is the client's sync state as plain state machines: the local
// query set, the remote query set, the request manager, the backoff policy,
// and Core, which joins them the way the official JS client's
// BaseConvexClient does (spec convex-protocol.md §6–8).
//
// Nothing here does I/O, starts a goroutine or reads a clock: the client's
// event loop feeds Core the frames it receives, the socket's lifecycle and
// the time, and sends the messages Core hands back. That makes every
// protocol rule testable with scripted messages.
package core
