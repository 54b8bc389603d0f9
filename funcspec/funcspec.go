// Package funcspec reads and writes a Convex deployment's function spec:
// its functions with their kinds, visibility and argument and return
// validators. The deployment serves it to an admin or deploy key as the
// system query _system/cli/modules:apiSpec, and `npx convex function-spec`
// prints it as {"url": …, "functions": […]}.
//
// The format is the backend's (get-convex/convex-backend):
// npm-packages/system-udfs/convex/_system/cli/modules.ts builds each entry
// ({identifier, functionType, visibility, args, returns}, or {functionType:
// "HttpAction", method, path} for an HTTP route) from the validators'
// JSON form, which npm-packages/convex/src/values/validators.ts writes
// (the json getters and ValidatorJSON); npm-packages/convex/src/cli/lib/
// functionSpec.ts adds the deployment's URL and prints it through
// convexToJson, which sorts object keys.
//
// Go code that declares validators builds them with this package's
// constructors, which read like convex/values' v builder when the package
// is imported as v (v.Object(v.Fields{"body": v.String()})), and checks
// values against them with Validator.Check, which answers as the backend
// does, in its words (package convextest checks its functions' arguments
// and results with it).
package funcspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// FunctionType is the kind of a function, as the spec spells it.
type FunctionType string

// The function types (udfType in npm-packages/system-udfs/convex/schema.ts).
const (
	Query      FunctionType = "Query"
	Mutation   FunctionType = "Mutation"
	Action     FunctionType = "Action"
	HTTPAction FunctionType = "HttpAction"
)

// Visibility says who may call a function (udfVisibility in the same
// schema): public functions are the deployment's API; internal ones only
// other functions and admin keys can run.
type Visibility string

// The visibilities.
const (
	Public   Visibility = "public"
	Internal Visibility = "internal"
)

// Spec is a deployment's function spec.
type Spec struct {
	// URL is the deployment's URL; empty in the bare list apiSpec returns.
	URL string
	// Functions are the deployment's functions and HTTP routes, in the
	// order of the spec.
	Functions []Function
}

// Function is one entry of the spec: a query, mutation or action, or an
// HTTP route.
type Function struct {
	// Identifier is the module path and the export's name, joined by ':'
	// ("messages.js:list", "folder/tasks.js:default"); empty for a route.
	Identifier string
	Type       FunctionType
	Visibility Visibility
	// Args and Returns are the function's validators: {"type":"any"}
	// for a function declared without them (modules.ts's defaults).
	// Returns is nil when the spec holds null, which it does for a
	// function without a returns validator (exportReturns in
	// npm-packages/convex/src/server/impl/registration_impl.ts writes
	// "null").
	Args, Returns *Validator
	// Method and Path are an HTTP route's ("GET", "/hello").
	Method, Path string
}

// Module returns the module path of the function's identifier
// ("folder/tasks.js").
func (f Function) Module() string {
	m, _, _ := cutLast(f.Identifier, ':')
	return m
}

// Name returns the export's name ("list"; "default" for a default
// export).
func (f Function) Name() string {
	_, n, ok := cutLast(f.Identifier, ':')
	if !ok || n == "" {
		return "default"
	}
	return n
}

// CanonicalPath returns the path clients call the function by: the module
// without its ".js" extension, ':' and the export's name
// ("folder/tasks:default"), the form the JS client uses.
func (f Function) CanonicalPath() string {
	return strings.TrimSuffix(f.Module(), ".js") + ":" + f.Name()
}

func cutLast(s string, sep byte) (string, string, bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// functionJSON is an entry as the spec writes it.
type functionJSON struct {
	Identifier   string          `json:"identifier,omitempty"`
	FunctionType FunctionType    `json:"functionType"`
	Visibility   *visibilityJSON `json:"visibility,omitempty"`
	Args         json.RawMessage `json:"args,omitempty"`
	Returns      json.RawMessage `json:"returns,omitempty"`
	Method       string          `json:"method,omitempty"`
	Path         string          `json:"path,omitempty"`
}

type visibilityJSON struct {
	Kind Visibility `json:"kind"`
}

// Parse reads a function spec: the object `npx convex function-spec`
// prints ({"url", "functions"}), or the bare list of functions that the
// apiSpec query returns.
func Parse(data []byte) (*Spec, error) {
	data = bytes.TrimSpace(data)
	var spec Spec
	var entries []json.RawMessage
	if len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &entries); err != nil {
			return nil, fmt.Errorf("funcspec: %w", err)
		}
	} else {
		var top struct {
			URL       string            `json:"url"`
			Functions []json.RawMessage `json:"functions"`
		}
		if err := json.Unmarshal(data, &top); err != nil {
			return nil, fmt.Errorf("funcspec: %w", err)
		}
		if top.Functions == nil {
			return nil, fmt.Errorf(`funcspec: no "functions" list: not a function spec`)
		}
		spec.URL, entries = top.URL, top.Functions
	}
	for i, e := range entries {
		f, err := parseFunction(e)
		if err != nil {
			return nil, fmt.Errorf("funcspec: functions[%d]: %w", i, err)
		}
		spec.Functions = append(spec.Functions, f)
	}
	return &spec, nil
}

func parseFunction(data []byte) (Function, error) {
	var j functionJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Function{}, err
	}
	f := Function{Identifier: j.Identifier, Type: j.FunctionType, Method: j.Method, Path: j.Path}
	switch j.FunctionType {
	case HTTPAction:
		return f, nil
	case Query, Mutation, Action:
	default:
		return f, fmt.Errorf("unknown functionType %q", j.FunctionType)
	}
	if _, n, ok := cutLast(j.Identifier, ':'); !ok || n == "" {
		return f, fmt.Errorf("identifier %q is not module:function", j.Identifier)
	}
	f.Visibility = Public
	if j.Visibility != nil {
		switch j.Visibility.Kind {
		case Public, Internal:
			f.Visibility = j.Visibility.Kind
		default:
			return f, fmt.Errorf("%s: unknown visibility %q", j.Identifier, j.Visibility.Kind)
		}
	}
	var err error
	if f.Args, err = parseOptionalValidator(j.Args); err != nil {
		return f, fmt.Errorf("%s: args: %w", j.Identifier, err)
	}
	if f.Args == nil {
		f.Args = &Validator{Type: TypeAny}
	}
	if f.Returns, err = parseOptionalValidator(j.Returns); err != nil {
		return f, fmt.Errorf("%s: returns: %w", j.Identifier, err)
	}
	return f, nil
}

func parseOptionalValidator(data json.RawMessage) (*Validator, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	return ParseValidator(data)
}

// JSON writes the spec as `npx convex function-spec` prints it: {"url",
// "functions"}, the functions' keys sorted, indented by two spaces.
func (s *Spec) JSON() ([]byte, error) {
	fns := make([]any, 0, len(s.Functions))
	for i := range s.Functions {
		fns = append(fns, s.Functions[i].jsonForm())
	}
	out := struct {
		URL       string `json:"url"`
		Functions []any  `json:"functions"`
	}{s.URL, fns}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// jsonForm is the function's entry as a map, so that encoding/json sorts
// its keys as convexToJson does.
func (f *Function) jsonForm() map[string]any {
	m := map[string]any{"functionType": f.Type}
	if f.Type == HTTPAction {
		m["method"], m["path"] = f.Method, f.Path
		return m
	}
	vis := f.Visibility
	if vis == "" {
		vis = Public
	}
	m["identifier"] = f.Identifier
	m["visibility"] = map[string]any{"kind": vis}
	args := f.Args
	if args == nil {
		args = &Validator{Type: TypeAny}
	}
	m["args"] = args.jsonForm()
	if f.Returns == nil {
		m["returns"] = nil
	} else {
		m["returns"] = f.Returns.jsonForm()
	}
	return m
}
