package client

import (
	"fmt"
	"strings"
)

// ProtocolVersion is the version of the official convex npm client whose sync
// protocol this client speaks. It goes into the sync URL, where the server
// reads it (docs/protocol.md#urls and #client-version): the backend treats
// the socket as that npm client's, and so sends it TransitionChunks (npm 1.28
// and later).
const ProtocolVersion = "1.48.0"

// Version is this client's version, sent in the Convex-Client header of
// HTTPClient's requests.
const Version = "0.1.0"

// clientHeader is the Convex-Client header value of HTTP requests. The sync
// socket sends none (see socket.dial).
const clientHeader = "goconvex-" + Version

// checkDeploymentURL validates a deployment URL as the JS client does (skip
// turns that off, as skipConvexDeploymentUrlCheck does), and refuses plain
// http:// for hosts that are not loopback unless allowInsecure.
func checkDeploymentURL(address string, skip, allowInsecure bool) error {
	insecure := func(u deploymentURL) error {
		if u.scheme == "http" && !allowInsecure && !isLoopback(u.hostname) {
			return fmt.Errorf("invalid deployment address %q: plain http is only allowed for loopback hosts; use https (or WithInsecureTransport)", address)
		}
		return nil
	}
	if skip {
		if u, err := parseDeploymentURL(address); err == nil {
			return insecure(u)
		}
		return nil
	}
	if !strings.HasPrefix(address, "http:") && !strings.HasPrefix(address, "https:") {
		return fmt.Errorf("invalid deployment address %q: must start with \"https://\" or \"http://\"", address)
	}
	u, err := parseDeploymentURL(address)
	if err != nil {
		return fmt.Errorf("invalid deployment address %q: %w", address, err)
	}
	if u.hostname == "" {
		return fmt.Errorf("invalid deployment address %q: no host", address)
	}
	if strings.HasSuffix(u.hostname, ".convex.site") {
		return fmt.Errorf("invalid deployment address %q: .convex.site is for HTTP actions; use the .convex.cloud address", address)
	}
	return insecure(u)
}

// deploymentURL is what the checks need of a parsed deployment URL.
type deploymentURL struct {
	scheme   string // without the colon
	hostname string // lower case, IPv6 without brackets
}

// syncURL derives the sync WebSocket address from a deployment URL by the
// JS client's string surgery: http becomes ws, https becomes wss, the rest
// is kept verbatim (a trailing slash gives "//api"), and
// /api/<version>/sync is appended.
func syncURL(address string) (string, error) {
	i := strings.Index(address, "://")
	if i < 0 {
		return "", fmt.Errorf("invalid deployment address %q: no scheme", address)
	}
	var scheme string
	switch address[:i] {
	case "http":
		scheme = "ws"
	case "https":
		scheme = "wss"
	default:
		return "", fmt.Errorf("unknown parent protocol %q", address[:i])
	}
	return scheme + address[i:] + "/api/" + ProtocolVersion + "/sync", nil
}
