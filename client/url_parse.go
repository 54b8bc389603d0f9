//go:build !js

package client

import (
	"net/netip"
	"net/url"
	"strings"
)

// parseDeploymentURL parses with net/url (the browser build uses the
// browser's URL, as the JS client does).
func parseDeploymentURL(address string) (deploymentURL, error) {
	u, err := url.Parse(address)
	if err != nil {
		return deploymentURL{}, err
	}
	return deploymentURL{scheme: u.Scheme, hostname: strings.ToLower(u.Hostname())}, nil
}

func isLoopback(hostname string) bool {
	if hostname == "localhost" {
		return true
	}
	// net/netip rather than net: net adds ~20 KB (gzip) to the wasm build.
	ip, err := netip.ParseAddr(hostname)
	return err == nil && ip.Unmap().IsLoopback()
}
