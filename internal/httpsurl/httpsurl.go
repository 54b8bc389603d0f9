// Package httpsurl checks the URLs the module's auth code sends tokens, codes
// and secrets to: https, or plain http to this machine only.
package httpsurl

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Check checks that raw is an absolute http(s) URL that tokens, codes
// or secrets may be sent to: https, or plain http to a loopback host only
// (localhost, 127.0.0.0/8, ::1), as the Convex client does for
// deployments. It returns a sentence naming what is wrong.
func Check(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%q uses plain http to a host that is not loopback; use https (plain http is only allowed for localhost, 127.0.0.0/8 and ::1)", raw)
	}
	return nil
}

// IsLoopbackHost reports whether hostname is localhost or a loopback
// address.
func IsLoopbackHost(hostname string) bool {
	h := strings.TrimSuffix(strings.ToLower(hostname), ".")
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}
