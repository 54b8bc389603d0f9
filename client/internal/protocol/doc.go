// Package protocol defines the messages of the Convex sync protocol (spec
// convex-protocol.md §2–4) and their JSON encoding, for both directions:
// the client encodes ClientMessages and decodes ServerMessages, and the
// in-memory test deployment does the reverse.
//
// Convex values inside messages (arguments, results, error data) are kept as
// raw Convex JSON; the values package decodes them when a caller asks.
//
// Encoders write fields in the order the official JavaScript client does, so
// the frames this package produces are byte-comparable with the ones the
// official client sends for the same scenario. Decoders are lenient in the
// way the real server and client are: unknown fields are ignored.
package protocol
