package authkittest

import (
	"net"
	"net/url"
)

// loopbackMatch reports whether redirect is an http URI on a loopback IP
// literal (127.0.0.1, ::1, or anything in 127.0.0.0/8) that equals one of
// the registered ones in everything but the port. Native apps, such as the
// goconvex CLI, listen on a port the system picks at the time of the
// request (RFC 8252 §7.3), so the port of a loopback redirect cannot be
// known when it is registered. Names ("localhost") get no such latitude.
// The caller holds s.mu.
func (s *Server) loopbackMatch(redirect string) bool {
	want, ok := loopbackURI(redirect)
	if !ok {
		return false
	}
	for registered := range s.redirectURIs {
		if have, ok := loopbackURI(registered); ok && have == want {
			return true
		}
	}
	return false
}

// loopbackURI returns raw without its port, when raw is an http URI whose
// host is a loopback IP literal and which carries no fragment or user
// info.
func loopbackURI(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return "", false
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return "", false
	}
	if p := u.Port(); p != "" {
		if n, ok := portNumber(p); !ok || n == 0 {
			return "", false
		}
	}
	u.Host = u.Hostname()
	if ip.To4() == nil {
		u.Host = "[" + u.Host + "]"
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), true
}

// portNumber parses a decimal TCP port.
func portNumber(s string) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, false
		}
	}
	return n, s != ""
}
