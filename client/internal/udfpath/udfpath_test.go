package udfpath

import (
	"strings"
	"testing"
)

// The cases follow the backend's parser for udfPath
// (get-convex/convex-backend crates/convex/sync_types/src/udf_path.rs,
// module_path.rs, path.rs, identifier.rs).
func TestParse(t *testing.T) {
	long := strings.Repeat("a", 61) // + ".js" is 64 bytes: the limit
	cases := []struct {
		path      string
		ok        bool
		canonical string
	}{
		{"messages:list", true, "messages:list"},
		{"messages", true, "messages:default"},
		{"messages.js:list", true, "messages:list"},
		{"folder/sub/messages:send", true, "folder/sub/messages:send"},
		{"folder//messages:send", true, "folder//messages:send"},
		{"folder/./messages:send", true, "folder/./messages:send"},
		{"_system/frontend:list", true, "_system/frontend:list"},
		{"a.b.js:f", true, "a.b:f"},
		{"v1.2/x:f", true, "v1.2/x:f"},
		{"messages:_private", true, "messages:_private"},
		{long + ":f", true, long + ":f"},
		{"m:" + strings.Repeat("f", 64), true, "m:" + strings.Repeat("f", 64)},
		{"a:b:c", false, ""},                        // module "a:b": ':' is not allowed in a component
		{"", false, ""},                             // no file name
		{":list", false, ""},                        // empty module
		{"/messages:list", false, ""},               // absolute
		{"./messages:list", false, ""},              // leading "."
		{"../messages:list", false, ""},             // parent
		{"a/../messages:list", false, ""},           // parent
		{"messages.ts:list", false, ""},             // extension other than js
		{"messages.:list", false, ""},               // empty extension
		{"mess-ages:list", false, ""},               // '-' in a component
		{"__/x:list", false, ""},                    // no alphanumeric
		{long + "a:f", false, ""},                   // 65 bytes with ".js"
		{"messages:", false, ""},                    // empty function name
		{"messages:1list", false, ""},               // starts with a digit
		{"messages:li-st", false, ""},               // '-' in the name
		{"messages:___", false, ""},                 // only underscores
		{"m:" + strings.Repeat("f", 65), false, ""}, // too long
		{"méssages:list", false, ""},                // non-ASCII
	}
	for _, c := range cases {
		p, err := Parse(c.path)
		if c.ok != (err == nil) {
			t.Errorf("Parse(%q) error = %v, want ok=%v", c.path, err, c.ok)
			continue
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), c.path+" is not a valid path to a Convex function. ") {
				t.Errorf("Parse(%q) error text %q", c.path, err)
			}
			continue
		}
		if got := p.Canonical(); got != c.canonical {
			t.Errorf("Parse(%q).Canonical() = %q, want %q", c.path, got, c.canonical)
		}
	}
}
