package convextest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Component registers the functions of a component: a Convex app mounts
// components (app.use(waitlist) in convex.config.ts) whose functions run
// under the component's path, "waitlist" for one the app mounts,
// "waitlist/limiter" for one mounted inside it. Clients call a component's
// functions by that path with admin auth only: over the sync protocol with
// a componentPath (an admin key not acting as a user; otherwise the
// backend closes the connection with an internal error), over HTTP at
// /api/function (an admin key, acting as a user or not).
//
// convextest keeps each component's functions apart from the app's, but
// all of them read and write the one database of the Server (a deployment
// gives every component tables of its own).
type Component struct {
	s    *Server
	path string
}

// Component returns the registrar of the functions of the component at
// path. A path the backend would refuse panics, naming the rule; "" is the
// app itself.
func (s *Server) Component(path string) *Component {
	if msg := componentPathError(path); msg != "" {
		panic("convextest: invalid component path " + strconv.Quote(path) + ": " + msg)
	}
	return &Component{s: s, path: path}
}

// Query registers a query of the component, as Server.Query does.
func (c *Component) Query(name string, fn QueryFunc, opts ...FunctionOption) {
	if fn == nil {
		panic("convextest: nil query")
	}
	c.s.registerIn(c.path, name, &function{kind: kindQuery, query: fn}, opts)
}

// Mutation registers a mutation of the component, as Server.Mutation does.
func (c *Component) Mutation(name string, fn MutationFunc, opts ...FunctionOption) {
	if fn == nil {
		panic("convextest: nil mutation")
	}
	c.s.registerIn(c.path, name, &function{kind: kindMutation, mutation: fn}, opts)
}

// Action registers an action of the component, as Server.Action does.
func (c *Component) Action(name string, fn ActionFunc, opts ...FunctionOption) {
	if fn == nil {
		panic("convextest: nil action")
	}
	c.s.registerIn(c.path, name, &function{kind: kindAction, action: fn}, opts)
}

// addFunction files a registered function under its component ("" for the app).
// The caller holds funcMu.
func (s *Server) addFunction(component string, f *function) {
	if component == "" {
		s.funcs[f.name] = f
		return
	}
	if s.components == nil {
		s.components = map[string]map[string]*function{}
	}
	if s.components[component] == nil {
		s.components[component] = map[string]*function{}
	}
	s.components[component][f.name] = f
}

// find returns the function registered under a canonical path in a
// component ("" for the app), or nil. The caller holds funcMu.
func (s *Server) find(component, path string) *function {
	if component == "" {
		return s.funcs[path]
	}
	return s.components[component][path]
}

type componentKey struct{}

// withComponent returns ctx carrying the component whose functions a call
// runs; "" leaves ctx as it is. A function's nested calls (ActionCtx.
// RunQuery and friends) stay in its component, as ctx.runQuery in a
// component's function calls that component's functions.
func withComponent(ctx context.Context, path string) context.Context {
	if path == "" {
		return ctx
	}
	return context.WithValue(ctx, componentKey{}, path)
}

// componentOf returns the component ctx carries, "" for the app.
func componentOf(ctx context.Context) string {
	p, _ := ctx.Value(componentKey{}).(string)
	return p
}

// inComponent is what the backend's messages put after a function's path
// (ComponentPath::in_component_str).
func inComponent(path string) string {
	if path == "" {
		return ""
	}
	return " in '" + path + "'"
}

// notAdminForComponent is the backend's error for a call into a component
// without an admin key (parse_admin_component_path in crates/sync/src/
// worker.rs): it has no error metadata, so the connection closes with an
// internal error.
const notAdminForComponent = "Only admin or system users can call functions on non-root components directly"

// componentRefused checks a componentPath of a client frame as the
// backend's sync worker does: a path it cannot parse is a FatalError
// (InvalidComponentPath), a component other than the root needs a
// deployment admin (an admin key not acting as a user: Identity::is_admin),
// else the connection closes with an internal error. It returns true when
// it closed the connection.
func (c *conn) componentRefused(path string) bool {
	if path == "" {
		return false
	}
	if msg := componentPathError(path); msg != "" {
		c.fatal(msg)
		return true
	}
	if c.caller != callerAdmin {
		c.internalError(notAdminForComponent)
		return true
	}
	return false
}

// componentQueriesRefused closes the connection when it holds queries of a
// component and its identity is no longer an admin's: the backend reruns
// every query after an identity change and fails on them.
func (c *conn) componentQueriesRefused() bool {
	if c.caller == callerAdmin {
		return false
	}
	for _, sub := range c.queries {
		if sub.component != "" {
			c.internalError(notAdminForComponent)
			return true
		}
	}
	return false
}

// runComponentFunction answers /api/function for a componentPath: 400
// InvalidComponentPath for a path the backend cannot parse, else the
// function of any kind, as execute_any_function runs it (crates/
// application/src/lib.rs, whose message for a missing function this is).
func (c *apiCall) runComponentFunction(component, path string, fields map[string]json.RawMessage, id *Identity) {
	if msg := componentPathError(component); msg != "" {
		c.fail(http.StatusBadRequest, "InvalidComponentPath", msg)
		return
	}
	c.s.funcMu.RLock()
	f := c.s.find(component, path)
	c.s.funcMu.RUnlock()
	if f == nil {
		msg := fmt.Sprintf("Could not find function for '%s'%s. Did you forget to run `npx convex dev`?", path, inComponent(component))
		c.respond(failure(nil, msg, nil), stringField(fields, "format"), nil)
		return
	}
	ctx := withComponent(withCaller(c.r.Context(), c.caller), component)
	out := c.s.run(ctx, f.kind, path, serializedArgs(fields["args"]), id)
	c.respond(out, stringField(fields, "format"), nil)
}

// componentPathError returns the backend's message for a component path it
// cannot parse (ComponentPath::from_str: names joined by "/", each a
// check_valid_identifier identifier, crates/convex/sync_types/src/
// identifier.rs), or "".
func componentPathError(path string) string {
	if path == "" {
		return ""
	}
	for _, name := range strings.Split(path, "/") {
		if msg := identifierError(name); msg != "" {
			return msg
		}
	}
	return ""
}

// identifierError is check_valid_identifier_slow's message, or "".
func identifierError(s string) string {
	if s == "" {
		return "Identifier cannot be empty"
	}
	first, size := utf8.DecodeRuneInString(s)
	if !(first < utf8.RuneSelf && (isASCIILetter(byte(first)) || first == '_')) {
		return fmt.Sprintf("Invalid first character %s in %s: Identifiers must start with an alphabetic character or underscore", rustChar(first), s)
	}
	for _, r := range s[size:] {
		if !(r < utf8.RuneSelf && (isASCIILetter(byte(r)) || r >= '0' && r <= '9' || r == '_')) {
			return fmt.Sprintf("Identifier %s has invalid character %s: Identifiers can only contain alphanumeric characters or underscores", s, rustChar(r))
		}
	}
	if len(s) > 64 {
		return fmt.Sprintf("Identifier is too long (%d > maximum 64)", len(s))
	}
	if strings.Trim(s, "_") == "" {
		return fmt.Sprintf("Identifier %s cannot have exclusively underscores", s)
	}
	return ""
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// rustChar formats r as Rust's {:?} formats a char: in single quotes, with
// the quote, the backslash and control characters escaped.
func rustChar(r rune) string {
	switch r {
	case '\'':
		return `'\''`
	case '\\':
		return `'\\'`
	case '\n':
		return `'\n'`
	case '\r':
		return `'\r'`
	case '\t':
		return `'\t'`
	case 0:
		return `'\0'`
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf(`'\u{%x}'`, r)
	}
	return "'" + string(r) + "'"
}
