//go:build js

package client

// httpOptions is empty under GOOS=js, where there is no HTTPClient: the
// browser build talks to the deployment over the WebSocket only.
type httpOptions struct{}
