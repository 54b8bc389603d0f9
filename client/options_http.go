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
	client     *http.Client
	forHTTP    bool   // set by NewHTTPClient before the options apply
	misapplied string // the first option given to the one it does not apply to
}

// apply applies opts, and fails for one that does not apply to a Client
// (forHTTP false) or to an HTTPClient (forHTTP true).
func (o *options) apply(forHTTP bool, opts []Option) error {
	o.http.forHTTP = forHTTP
	for _, opt := range opts {
		opt(o)
	}
	return o.misappliedError()
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
	if o.http.forHTTP != forHTTP && o.http.misapplied == "" {
		o.http.misapplied = name
	}
	return o.http.forHTTP == forHTTP
}

// misappliedError names the first option that did not apply.
func (o *options) misappliedError() error {
	if o.http.misapplied == "" {
		return nil
	}
	if o.http.forHTTP {
		return fmt.Errorf("client: %s applies to a Client, not an HTTPClient", o.http.misapplied)
	}
	return fmt.Errorf("client: %s applies to an HTTPClient, not a Client", o.http.misapplied)
}
