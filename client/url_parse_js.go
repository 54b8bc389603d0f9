//go:build js

package client

import (
	"errors"
	"strings"
	"syscall/js"
)

// parseDeploymentURL parses with the browser's URL, as the JS client does;
// net/url and net/netip would add about 20 KB to the gzipped wasm.
func parseDeploymentURL(address string) (u deploymentURL, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("invalid URL")
			if jerr, ok := r.(js.Error); ok {
				err = errors.New(jerr.Get("message").String())
			}
		}
	}()
	v := js.Global().Get("URL").New(address)
	hostname := v.Get("hostname").String()
	hostname = strings.TrimSuffix(strings.TrimPrefix(hostname, "["), "]")
	return deploymentURL{scheme: strings.TrimSuffix(v.Get("protocol").String(), ":"), hostname: hostname}, nil
}

// isLoopback recognizes the hostnames the URL parser produces for loopback
// hosts: localhost, a dotted-decimal IPv4 address in 127.0.0.0/8 (the
// parser normalizes every IPv4 form to that), ::1, and IPv4-mapped
// loopback, which it writes as ::ffff:7fXX:XXXX.
func isLoopback(hostname string) bool {
	switch {
	case hostname == "localhost", hostname == "::1":
		return true
	case strings.HasPrefix(hostname, "::ffff:7f"):
		return true
	}
	labels := strings.Split(hostname, ".")
	if len(labels) != 4 || labels[0] != "127" {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.Trim(l, "0123456789") != "" {
			return false
		}
	}
	return true
}
