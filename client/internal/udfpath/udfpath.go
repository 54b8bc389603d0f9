// Package udfpath holds the Convex backend's rules for function paths
// ("messages:list", "folder/module.js:send", "messages" for a default
// export), so that the client can refuse a path the backend would refuse
// before it goes out, and convextest refuses it the same way.
//
// The rules are those the backend applies when it parses a udfPath, in
// get-convex/convex-backend crates/convex/sync_types/src/udf_path.rs,
// module_path.rs, path.rs and identifier.rs. Over the sync protocol a path
// that breaks them fails the whole frame (a FatalError); over HTTP it is a
// 400 with code "BadConvexFunctionIdentifier" (crates/local_backend/src/parse.rs).
package udfpath

import (
	"fmt"
	"strings"
)

// MaxComponentLen is the longest a module path component or a function name
// may be, in bytes (MAX_IDENTIFIER_LEN in the backend's identifier.rs).
const MaxComponentLen = 64

// Path is a parsed function path.
type Path struct {
	// Module is the module path as written, e.g. "folder/messages" or
	// "messages.js".
	Module string
	// Function is the exported function's name; "" when the path names the
	// module's default export.
	Function string
}

// Canonical returns the path in the form the JS client uses to identify a
// query: the module without its ".js" extension, then ":" and the function
// name ("default" when none was given).
func (p Path) Canonical() string {
	fn := p.Function
	if fn == "" {
		fn = "default"
	}
	return strings.TrimSuffix(p.Module, ".js") + ":" + fn
}

// Error reports a function path the backend would refuse.
type Error struct {
	// Path is the path as given.
	Path string
	// Reason names the rule it breaks.
	Reason string
}

// Error implements error. The text starts as the backend's HTTP error for
// a bad path does.
func (e *Error) Error() string {
	return fmt.Sprintf("%s is not a valid path to a Convex function. %s", e.Path, e.Reason)
}

// Parse checks path against the backend's rules: the module and the
// function are split at the last ':'; without one the path names the
// module's default export.
func Parse(path string) (Path, error) {
	module, function, hasFunction := cutLast(path, ':')
	if reason := checkModule(module); reason != "" {
		return Path{}, &Error{Path: path, Reason: reason}
	}
	if hasFunction {
		if reason := checkIdentifier(function); reason != "" {
			return Path{}, &Error{Path: path, Reason: "Function name " + reason}
		}
	}
	return Path{Module: module, Function: function}, nil
}

// Check reports whether path is one the backend accepts; nil when it is.
func Check(path string) error {
	_, err := Parse(path)
	return err
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// checkModule applies the module path rules. Paths are read the way the
// backend reads them, as Unix paths: repeated and trailing slashes are
// ignored, a "." component is dropped unless it comes first.
func checkModule(module string) string {
	if strings.HasPrefix(module, "/") {
		return "Module paths must be relative."
	}
	components := splitComponents(module)
	if len(components) == 0 || components[len(components)-1] == ".." {
		return "Module path has no file name."
	}
	last := components[len(components)-1]
	switch ext, ok := extension(last); {
	case !ok:
		// The backend checks components with ".js" appended.
		components[len(components)-1] = last + ".js"
	case ext != "js":
		return "Module path has an extension that isn't 'js'."
	}
	for i, c := range components {
		if c == "." && i == 0 || c == ".." {
			return fmt.Sprintf("Module path component %q is not allowed.", c)
		}
		if reason := checkComponent(c); reason != "" {
			return reason
		}
	}
	return ""
}

// splitComponents splits a relative path at '/', dropping empty components
// and "." components after the first.
func splitComponents(p string) []string {
	var out []string
	for i, c := range strings.Split(p, "/") {
		if c == "" || c == "." && i > 0 {
			continue
		}
		out = append(out, c)
	}
	return out
}

// extension returns a file name's extension as a Unix path reads it: the
// text after the last '.', unless that dot starts the name.
func extension(name string) (string, bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return "", false
	}
	return name[i+1:], true
}

// checkComponent applies path.rs's rules to one module path component.
func checkComponent(c string) string {
	if len(c) > MaxComponentLen {
		return fmt.Sprintf("Path component is too long (%d > maximum %d).", len(c), MaxComponentLen)
	}
	alnum := false
	for i := 0; i < len(c); i++ {
		switch b := c[i]; {
		case isAlnum(b):
			alnum = true
		case b == '_' || b == '.':
		default:
			return fmt.Sprintf("Path component %q can only contain alphanumeric characters, underscores, or periods.", c)
		}
	}
	if !alnum {
		return fmt.Sprintf("Path component %q must have at least one alphanumeric character.", c)
	}
	return ""
}

// checkIdentifier applies identifier.rs's rules to a function name; the
// reason it returns reads after "Function name ".
func checkIdentifier(s string) string {
	if s == "" {
		return "cannot be empty."
	}
	if b := s[0]; !isAlpha(b) && b != '_' {
		return fmt.Sprintf("%q must start with a letter or an underscore.", s)
	}
	onlyUnderscores := true
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case isAlnum(b):
			onlyUnderscores = false
		case b == '_':
		default:
			return fmt.Sprintf("%q can only contain letters, digits and underscores.", s)
		}
	}
	if len(s) > MaxComponentLen {
		return fmt.Sprintf("is too long (%d > maximum %d).", len(s), MaxComponentLen)
	}
	if onlyUnderscores {
		return fmt.Sprintf("%q cannot consist only of underscores.", s)
	}
	return ""
}

func isAlpha(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }
func isAlnum(b byte) bool { return isAlpha(b) || b >= '0' && b <= '9' }
