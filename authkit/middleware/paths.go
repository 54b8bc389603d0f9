package middleware

import (
	"net/url"
	"path"
	"strings"
)

// localPath returns p as a cleaned path on this site (with its query and
// fragment), or "" when p could lead anywhere else. It is what every
// redirect Location and every returnTo of the middleware is built from.
//
// Refused: anything that is not an absolute path ("evil.example",
// "https://…", "javascript:…"), a network-path reference ("//host"), a
// backslash, raw or percent-encoded (browsers read "/\host" as "//host"),
// and control characters, raw or encoded (a browser drops tabs and
// newlines, so "/\t/host" is "//host" too). The path is then cleaned
// (path.Clean, keeping a trailing slash): "/./a/../b" is "/b".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return ""
	}
	if strings.ContainsAny(p, `\`) || hasControl(p) {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	// The decoded path: %5C, %09, %0A, … decode to what was refused above.
	if strings.ContainsAny(u.Path, `\`) || hasControl(u.Path) || hasControl(u.RawQuery) || hasControl(u.Fragment) {
		return ""
	}
	clean := cleanPath(u.Path)
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return ""
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery, Fragment: u.Fragment}).String()
	// Belt and braces: what the browser will resolve must stay here.
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, `\`) {
		return ""
	}
	return out
}

// cleanPath is path.Clean of a URL path, rooted, keeping a trailing slash
// ("/a/./b/" is "/a/b/"): the path http.FileServer and ServeMux resolve.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// hasControl reports whether s holds an ASCII control character (C0 or
// DEL), or its percent-encoding.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return true
		}
		if c == '%' && i+2 < len(s) {
			if v, ok := unhex2(s[i+1], s[i+2]); ok && (v < 0x20 || v == 0x7f) {
				return true
			}
		}
	}
	return false
}

func unhex2(a, b byte) (byte, bool) {
	x, ok1 := unhex(a)
	y, ok2 := unhex(b)
	return x<<4 | y, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
