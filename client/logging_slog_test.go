//go:build !js

package client

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/internal/logging"
)

func TestWithLoggerIgnoresNil(t *testing.T) {
	o := defaultOptions()
	WithLogger(nil)(&o)
	assert.Equal(t, logging.Discard{}, o.logger)
	WithLogger(slog.Default())(&o)
	assert.Equal(t, slog.Default(), o.logger)
}

// TestMisappliedOptions: WithServerInactivityThreshold concerns a Client
// and WithHTTPClient an HTTPClient; given to the other, it is an error, not
// ignored. The common options apply to both.
func TestMisappliedOptions(t *testing.T) {
	const url = "http://127.0.0.1:1"
	_, err := New(url, WithHTTPClient(http.DefaultClient))
	require.EqualError(t, err, "client: WithHTTPClient applies to an HTTPClient, not a Client")
	_, err = NewHTTPClient(url, WithServerInactivityThreshold(time.Second))
	require.EqualError(t, err, "client: WithServerInactivityThreshold applies to a Client, not an HTTPClient")

	hc := &http.Client{}
	h, err := NewHTTPClient(url, WithHTTPClient(hc), WithLogger(slog.Default()), WithSkipDeploymentURLCheck(), WithInsecureTransport())
	require.NoError(t, err)
	assert.Same(t, hc, h.hc)
	assert.Equal(t, slog.Default(), h.log)
	c, err := New(url, WithServerInactivityThreshold(time.Second), WithLogger(slog.Default()), WithSkipDeploymentURLCheck(), WithInsecureTransport())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	assert.Equal(t, time.Second, c.opts.inactivityThreshold)
	assert.Equal(t, slog.Default(), c.opts.logger)
}
