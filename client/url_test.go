package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestJSDeploymentURL runs natively and in the js lane (its name starts
// with TestJS), where parsing goes through the browser's URL.
func TestJSDeploymentURL(t *testing.T) {
	tests := []struct {
		address string
		skip    bool
		wantErr string // "" for accepted
	}{
		{"https://happy-animal-123.convex.cloud", false, ""},
		{"http://127.0.0.1:3210", false, ""},
		{"http://127.9.8.7", false, ""},
		{"http://localhost:1", false, ""},
		{"http://LOCALHOST:1", false, ""},
		{"http://[::1]:2", false, ""},
		{"http://[::ffff:127.0.0.1]:2", false, ""},
		{"ftp://x", false, `must start with "https://" or "http://"`},
		{"happy-animal-123.convex.cloud", false, `must start with "https://" or "http://"`},
		{"https://happy-animal-123.convex.site", false, ".convex.site is for HTTP actions"},
		{"https://", false, "invalid deployment address"},
		{"http://example.com", false, "plain http is only allowed for loopback hosts"},
		{"http://127.example.com", false, "plain http is only allowed for loopback hosts"},
		{"http://127.0.0.1.example.com", false, "plain http is only allowed for loopback hosts"},
		{"http://10.1.2.3", false, "plain http is only allowed for loopback hosts"},
		{"http://[::2]", false, "plain http is only allowed for loopback hosts"},
		{"http://example.com", true, "plain http is only allowed for loopback hosts"},
		{"anything goes", true, ""},
	}
	for _, tt := range tests {
		err := checkDeploymentURL(tt.address, tt.skip, false)
		if tt.wantErr == "" {
			assert.NoError(t, err, tt.address)
		} else {
			assert.ErrorContains(t, err, tt.wantErr, tt.address)
		}
	}
	assert.NoError(t, checkDeploymentURL("http://10.1.2.3", false, true), "WithInsecureTransport")
}
