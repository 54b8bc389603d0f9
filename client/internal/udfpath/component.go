package udfpath

import (
	"fmt"
	"strings"
)

// ComponentPathError reports a component path the backend would refuse.
type ComponentPathError struct {
	// Path is the path as given.
	Path string
	// Reason names the rule it breaks.
	Reason string
}

func (e *ComponentPathError) Error() string {
	return fmt.Sprintf("%q is not a valid component path. %s", e.Path, e.Reason)
}

// CheckComponentPath reports whether p is a component path the backend
// accepts (ComponentPath::from_str in crates/common/src/components/
// component_path.rs): "" is the app itself (the root); any other path is
// the names of the components from the root down, joined by "/" (a
// component "waitlist" of the app, "waitlist/limiter" for one inside it),
// each an identifier as identifier.rs defines it (check_valid_identifier:
// a letter or '_' first, then letters, digits and '_', at most 64 bytes, not
// only underscores). Over the sync protocol the backend answers a bad path
// with a FatalError, over HTTP with 400 InvalidComponentPath
// (ComponentPath::deserialize).
func CheckComponentPath(p string) error {
	if p == "" {
		return nil
	}
	for _, name := range strings.Split(p, "/") {
		if reason := checkIdentifier(name); reason != "" {
			return &ComponentPathError{Path: p, Reason: "Component name " + reason}
		}
	}
	return nil
}
