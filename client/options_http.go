//go:build !js

package client

import (
	"fmt"
	"net/http"
)

// httpOptions are the options of an HTTPClient only. The HTTPClient, and
// with it net/http, is left out of GOOS=js builds: in a browser net/http
// would add megabytes to the wasm binary (docs/wasm.md#size).
type httpOptions struct {
	client *http.Client
}

// WithHTTPClient sets the http.Client of an HTTPClient's requests (default
// http.DefaultClient). An HTTPClient's option only: a Client dials its
// WebSocket without one.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if o.only(true, "WithHTTPClient") && c != nil {
			o.http.client = c
		}
	}
}

// only records the option name as misapplied unless the options are for
// an HTTPClient (forHTTP true) or a Client (false), as the option requires.
func (o *options) only(forHTTP bool, name string) bool {
	if o.forHTTP != forHTTP && o.misapplied == "" {
		o.misapplied = name
	}
	return o.forHTTP == forHTTP
}

// misappliedError names the first option that did not apply.
func (o *options) misappliedError() error {
	if o.misapplied == "" {
		return nil
	}
	if o.forHTTP {
		return fmt.Errorf("client: %s applies to a Client, not an HTTPClient", o.misapplied)
	}
	return fmt.Errorf("client: %s applies to an HTTPClient, not a Client", o.misapplied)
}
