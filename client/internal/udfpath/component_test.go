package udfpath

import (
	"strings"
	"testing"
)

// The cases follow ComponentPath::from_str (crates/common/src/components/
// component_path.rs) and check_valid_identifier (crates/convex/sync_types/
// src/identifier.rs).
func TestCheckComponentPath(t *testing.T) {
	cases := []struct {
		path string
		ok   bool
	}{
		{"", true}, // the root
		{"waitlist", true},
		{"waitlist/limiter", true},
		{"_private", true},
		{"a1_b2", true},
		{"A", true},
		{strings.Repeat("c", 64), true},
		{"waitlist/" + strings.Repeat("c", 64), true},
		{strings.Repeat("c", 65), false}, // longer than 64 bytes
		{"/waitlist", false},             // an empty name
		{"waitlist/", false},
		{"a//b", false},
		{"1waitlist", false}, // starts with a digit
		{"wait-list", false},
		{"wait list", false},
		{"wait.list", false},
		{"waitlist:x", false},
		{"__", false}, // only underscores
		{"_", false},
		{"café", false},
		{"./waitlist", false},
	}
	for _, c := range cases {
		err := CheckComponentPath(c.path)
		if (err == nil) != c.ok {
			t.Errorf("CheckComponentPath(%q) = %v, want ok=%v", c.path, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "Component name") {
			t.Errorf("CheckComponentPath(%q): %v does not name the rule", c.path, err)
		}
	}
}
