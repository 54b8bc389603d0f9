package client

import "time"

// ConnectionState describes the client's connection, like the JS client's
// connectionState().
type ConnectionState struct {
	// IsWebSocketConnected is true while a socket is open.
	IsWebSocketConnected bool
	// HasEverConnected is true once a socket has opened.
	HasEverConnected bool
	// ConnectionCount counts the sockets that opened.
	ConnectionCount int
	// ConnectionRetries counts consecutive failed connections; it drops to
	// 0 once the server has answered everything sent since the reconnect.
	ConnectionRetries int
	// InflightMutations and InflightActions count unsettled requests.
	InflightMutations int
	InflightActions   int
	// TimeOfOldestInflightRequest is when the oldest unanswered request was
	// made; zero when there is none.
	TimeOfOldestInflightRequest time.Time
	// LastError describes the last connection-level failure (a dropped
	// socket, a FatalError, a protocol violation); empty when there was
	// none.
	LastError string
	// Failed is set once the client stopped for good after repeated
	// FatalErrors from the deployment: it no longer connects, and calls
	// fail with a *FatalError (whose text LastError holds).
	Failed bool
}

// HasInflightRequests reports whether a mutation or action is unsettled.
func (s ConnectionState) HasInflightRequests() bool {
	return s.InflightMutations+s.InflightActions > 0
}
