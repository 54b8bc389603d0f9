//go:build !js

package client

import "net/http"

// httpOptions are the options of the HTTPClient. The HTTPClient, and with
// it net/http, is left out of GOOS=js builds: in a browser net/http alone
// would add megabytes to the wasm binary (notes/go-wasm.md §3).
type httpOptions struct {
	client *http.Client
}

// WithHTTPClient sets the http.Client of the HTTPClient's requests.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c != nil {
			o.http.client = c
		}
	}
}
