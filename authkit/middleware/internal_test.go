package middleware

import (
	"github.com/goconvex/convex/authkit"
	"testing"
	"time"
)

func TestMatchPath(t *testing.T) {
	for _, c := range []struct {
		pat, p string
		want   bool
	}{
		{"/", "/", true},
		{"/", "/x", false},
		{"/public/*", "/public", true},
		{"/public/*", "/public/", true},
		{"/public/*", "/public/a/b", true},
		{"/public/*", "/publicity", false},
		{"/assets/*.js", "/assets/a.js", true},
		{"/assets/*.js", "/assets/a/b.js", false},
		{"/a/*/c", "/a/b/c", true},
		{"[", "/x", false},
	} {
		if got := matchPath(c.pat, c.p); got != c.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", c.pat, c.p, got, c.want)
		}
	}
}

func TestDue(t *testing.T) {
	iat := time.Unix(1_000_000, 0)
	tok := func(life time.Duration) *authkit.Token { return &authkit.Token{IssuedAt: iat, Expiry: iat.Add(life)} }
	for _, c := range []struct {
		buffer time.Duration
		life   time.Duration
		at     time.Duration // after iat
		want   bool
	}{
		{0, time.Hour, 58 * time.Minute, false},        // 60 s default buffer
		{0, time.Hour, 59 * time.Minute, true},         // within it
		{0, 5 * time.Minute, 269 * time.Second, false}, // 30 s for ≤ 300 s tokens
		{0, 5 * time.Minute, 270 * time.Second, true},
		{0, 10 * time.Second, 9 * time.Second, false}, // 15 s floor: only on expiry
		{0, 10 * time.Second, 10 * time.Second, true},
		{0, 40 * time.Second, 14 * time.Second, false}, // floor caps the 30 s buffer at 25 s
		{0, 40 * time.Second, 15 * time.Second, true},
		{-1, time.Hour, 59*time.Minute + 59*time.Second, false}, // negative: only expired
		{-1, time.Hour, time.Hour, true},
		{5 * time.Minute, time.Hour, 55 * time.Minute, true},
	} {
		m := &Middleware{cfg: Config{RefreshBuffer: c.buffer}}
		if got := m.due(tok(c.life), iat.Add(c.at)); got != c.want {
			t.Errorf("buffer %v, life %v, at %v: due = %v, want %v", c.buffer, c.life, c.at, got, c.want)
		}
	}
}
