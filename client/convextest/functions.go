package convextest

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/internal/udfpath"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/funcspec"
)

// QueryFunc is a query: it reads the database and returns a value the
// values package can marshal (or a values.Raw).
type QueryFunc func(ctx *QueryCtx, args map[string]any) (any, error)

// MutationFunc is a mutation: it reads and writes the database in one
// serializable transaction.
type MutationFunc func(ctx *MutationCtx, args map[string]any) (any, error)

// ActionFunc is an action: it runs outside any transaction and reaches the
// database only through RunQuery and RunMutation.
type ActionFunc func(ctx *ActionCtx, args map[string]any) (any, error)

type functionKind int

const (
	kindQuery functionKind = iota
	kindMutation
	kindAction
)

func (k functionKind) String() string {
	switch k {
	case kindQuery:
		return "Query"
	case kindMutation:
		return "Mutation"
	default:
		return "Action"
	}
}

type function struct {
	name     string
	kind     functionKind
	query    QueryFunc
	mutation MutationFunc
	action   ActionFunc
	// args and returns are the validators given with Args and Returns
	// (nil: none); internal is set by Internal.
	args, returns *funcspec.Validator
	internal      bool
}

// canonicalPath canonicalizes a function name as the backend does:
// "messages.js:list" -> "messages:list", "messages" -> "messages:default".
// A name the backend would refuse is returned as given (it names no
// function).
func canonicalPath(name string) string {
	p, err := udfpath.Parse(name)
	if err != nil {
		return name
	}
	return p.Canonical()
}

// register adds a function. A name the backend would refuse (see udfpath:
// the rules of crates/convex/sync_types/src/udf_path.rs) panics with the
// rule it breaks: no client could call it.
func (s *Server) register(name string, f *function, opts []FunctionOption) {
	s.registerIn("", name, f, opts)
}

// registerIn adds a function of a component ("" for the app; components.go).
func (s *Server) registerIn(component, name string, f *function, opts []FunctionOption) {
	p, err := udfpath.Parse(name)
	if err != nil {
		panic("convextest: cannot register " + strconv.Quote(name) + ": " + err.Error())
	}
	for _, o := range opts {
		o(f)
	}
	if err := f.args.CheckDefinition(true); err != nil {
		panic("convextest: cannot register " + strconv.Quote(name) + ": Error in args validator: " + err.Error())
	}
	if err := f.returns.CheckDefinition(false); err != nil {
		panic("convextest: cannot register " + strconv.Quote(name) + ": Error in returns validator: " + err.Error())
	}
	f.name = p.Canonical()
	s.funcMu.Lock()
	defer s.funcMu.Unlock()
	s.addFunction(component, f)
}

// Query registers a public query under name ("module:function", or a
// module path alone for its default export). Registering a name again
// replaces the earlier function. A name the backend would refuse (a module
// path that is absolute or has an extension other than ".js", a component
// or function name longer than 64 bytes, a function name that is not an
// identifier or is all underscores, …) panics, naming the rule. Options
// give the function argument and return validators (Args, Returns) or
// make it internal (Internal); a validator the backend would refuse
// panics too.
func (s *Server) Query(name string, fn QueryFunc, opts ...FunctionOption) {
	if fn == nil {
		panic("convextest: nil query")
	}
	s.register(name, &function{kind: kindQuery, query: fn}, opts)
}

// Mutation registers a public mutation under name, as Query does.
func (s *Server) Mutation(name string, fn MutationFunc, opts ...FunctionOption) {
	if fn == nil {
		panic("convextest: nil mutation")
	}
	s.register(name, &function{kind: kindMutation, mutation: fn}, opts)
}

// Action registers a public action under name, as Query does.
func (s *Server) Action(name string, fn ActionFunc, opts ...FunctionOption) {
	if fn == nil {
		panic("convextest: nil action")
	}
	s.register(name, &function{kind: kindAction, action: fn}, opts)
}

// lookup finds the function for a call of the given kind by the caller
// ctx carries, or returns the message the real server gives. An internal
// function is not found for a client that is not an admin, with the same
// message as a missing one (check_visibility_access in
// crates/udf/src/validation.rs), and is checked before the kind.
func (s *Server) lookup(ctx context.Context, name string, kind functionKind) (*function, string) {
	path := canonicalPath(name)
	component := componentOf(ctx)
	s.funcMu.RLock()
	f := s.find(component, path)
	s.funcMu.RUnlock()
	if f == nil || f.internal && callerOf(ctx) == callerUser {
		return nil, fmt.Sprintf("Could not find public function for '%s'%s.", path, inComponent(component))
	}
	if f.kind != kind {
		return nil, fmt.Sprintf("Trying to execute %s as %s, but it is defined as %s.", path, kind, f.kind)
	}
	return f, ""
}

// funcCtx is what every function context shares. It is a context.Context.
type funcCtx struct {
	context.Context
	srv      *Server
	identity *Identity
	mu       sync.Mutex
	logs     []string
}

// Identity returns the identity the function runs as, or nil when the
// caller is signed out (or is an admin not acting as a user). The result is
// a copy.
func (c *funcCtx) Identity() *Identity { return c.identity.clone() }

// Log appends a log line, as console.log and friends do in a JS function:
// "[LEVEL] arg1 arg2", each argument formatted like Node's inspect (strings
// single-quoted). Log lines reach the client with the function's result.
//
// As on the backend, a run keeps at most maxLogLines lines: the last one
// is then "[ERROR] Log overflow (maximum 256). Remaining log lines
// omitted." and later lines are dropped.
func (c *funcCtx) Log(level LogLevel, args ...any) {
	line := formatLogLine(level, args)
	c.mu.Lock()
	c.logs = appendLogLines(c.logs, line)
	c.mu.Unlock()
}

// maxLogLines is the backend's MAX_LOG_LINES (crates/isolate/src/
// environment/helpers/mod.rs); logOverflowLine replaces the lines beyond it
// (crates/isolate/src/environment/udf/mod.rs).
const maxLogLines = 256

var logOverflowLine = fmt.Sprintf("[%s] Log overflow (maximum %d). Remaining log lines omitted.", LevelError, maxLogLines)

// appendLogLines appends lines to a run's log, keeping the backend's cap:
// maxLogLines-1 lines, then the overflow line, then nothing.
func appendLogLines(logs []string, lines ...string) []string {
	room := maxLogLines - 1 - len(logs)
	switch {
	case room < 0:
		return logs
	case len(lines) <= room:
		return append(logs, lines...)
	}
	logs = append(logs, lines[:room]...)
	return append(logs, logOverflowLine)
}

func (c *funcCtx) logLines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.logs...)
}

// QueryCtx is the context of a query. It is a context.Context.
type QueryCtx struct {
	funcCtx
	// DB reads the database at the query's timestamp.
	DB *DatabaseReader
}

// MutationCtx is the context of a mutation. It is a context.Context.
type MutationCtx struct {
	funcCtx
	// DB reads and writes the database inside the mutation's transaction.
	DB *DatabaseWriter
}

// ActionCtx is the context of an action. It is a context.Context; it is
// canceled when the client that called the action disconnects.
type ActionCtx struct {
	funcCtx
}

// RunQuery runs a registered query with the action's identity and returns
// its result as values.Unmarshal decodes it into an any. A failed query
// returns its error: a ConvexError when it threw one.
func (c *ActionCtx) RunQuery(name string, args map[string]any) (any, error) {
	return c.run(kindQuery, name, args)
}

// RunMutation runs a registered mutation (in its own transaction) with the
// action's identity and returns its result.
func (c *ActionCtx) RunMutation(name string, args map[string]any) (any, error) {
	return c.run(kindMutation, name, args)
}

// RunAction runs a registered action with the action's identity and
// returns its result.
func (c *ActionCtx) RunAction(name string, args map[string]any) (any, error) {
	return c.run(kindAction, name, args)
}

func (c *ActionCtx) run(kind functionKind, name string, args map[string]any) (any, error) {
	raw, err := encodeArgs(args)
	if err != nil {
		return nil, err
	}
	// A function may call internal functions.
	ctx := withCaller(c, callerFunction)
	var out *outcome
	switch kind {
	case kindQuery:
		out = c.srv.runQuery(ctx, name, raw, c.identity)
	case kindMutation:
		out = c.srv.runMutation(ctx, name, raw, c.identity, nil, nil)
	default:
		out = c.srv.runAction(ctx, name, raw, c.identity)
	}
	c.mu.Lock()
	c.logs = appendLogLines(c.logs, out.logLines...)
	c.mu.Unlock()
	return out.nested()
}

// encodeArgs validates Go arguments and encodes them as a Convex object.
func encodeArgs(args map[string]any) ([]byte, error) {
	if args == nil {
		return []byte("{}"), nil
	}
	return values.Marshal(args)
}

// outcome is the result of one function execution.
type outcome struct {
	value    []byte // encoded result, on success
	logLines []string
	failed   bool
	// message is the errorMessage clients see ("[Request ID: …] Server
	// Error\nUncaught Error: …").
	message string
	// text is the message without the request id (it takes part in the
	// result hash, which must not change from run to run).
	text string
	// errData is the encoded ConvexError data, when there is some.
	errData []byte
	// cause is the error the function returned (for nested calls).
	cause error
	// ts is a mutation's commit timestamp.
	ts protocol.TS
	// journal is a query's journal: the end cursor of its page, when it
	// paginated.
	journal *string
	// reads are the tables a query read.
	reads map[string]struct{}
}

// nested converts an outcome to what RunQuery & co. return.
func (o *outcome) nested() (any, error) {
	if o.failed {
		if o.errData != nil {
			var data any
			if err := values.Unmarshal(o.errData, &data); err == nil {
				return nil, ConvexError{Data: data}
			}
		}
		if o.cause != nil {
			return nil, o.cause
		}
		return nil, errors.New(o.message)
	}
	var v any
	if err := values.Unmarshal(o.value, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// functionError converts a failed outcome for Server.Run.
func (o *outcome) functionError() *FunctionError {
	return &FunctionError{Message: o.message, Data: o.errData, LogLines: o.logLines}
}

func failure(logs []string, text string, cause error) *outcome {
	return &outcome{failed: true, logLines: logs, message: serverErrorMessage(text), text: text, cause: cause}
}

// invoke runs a handler, recovers a panic, encodes the result, and builds
// the outcome. args is the encoded argument object. The function's
// validators check the arguments before it runs and its result after, as
// the backend does (ArgsValidator::check_args and
// ReturnsValidator::check_output in
// crates/model/src/modules/function_validators.rs, their errors prefixed
// "ArgumentValidationError: " and "ReturnsValidationError: " by
// crates/udf/src/validation.rs and function_validators.rs); locked says
// whether the caller holds the store's lock (queries and mutations), which
// reading the tables of document ids needs.
func (s *Server) invoke(fc *funcCtx, f *function, args []byte, locked bool, call func(map[string]any) (any, error)) *outcome {
	s.countExecution(f.name)
	validated := f.args != nil && f.args.Type == funcspec.TypeObject
	argMap, msg := functionArgs(f.name, args, validated)
	if msg != "" {
		return failure(nil, msg, errors.New(msg))
	}
	if validated {
		if err := f.args.Check(argMap, s.docTables(locked)); err != nil {
			msg := "ArgumentValidationError: " + err.Error()
			return failure(nil, msg, errors.New(msg))
		}
	}
	result, err := func() (result any, err error) {
		defer func() {
			if p := recover(); p != nil {
				s.logger.Error("convextest: function panicked", "function", f.name, "panic", p, "stack", string(debug.Stack()))
				err = panicError{p}
			}
		}()
		return call(argMap)
	}()
	logs := fc.logLines()
	if err != nil {
		if ce, ok := asConvexError(err); ok {
			data, merr := values.Marshal(ce.Data)
			if merr != nil {
				return failure(logs, "Uncaught Error: ConvexError data is not a Convex value: "+merr.Error(), merr)
			}
			out := failure(logs, "Uncaught ConvexError: "+convexErrorMessage(ce.Data), err)
			out.errData = data
			return out
		}
		return failure(logs, "Uncaught Error: "+err.Error(), err)
	}
	value, err := values.Marshal(result)
	if err != nil {
		return failure(logs, "Uncaught Error: the function returned a value that is not a Convex value: "+err.Error(), err)
	}
	if f.returns != nil && f.returns.Type != funcspec.TypeAny {
		var decoded any
		if err := values.Unmarshal(value, &decoded); err != nil {
			return failure(logs, "Uncaught Error: "+err.Error(), err)
		}
		if err := f.returns.Check(decoded, s.docTables(locked)); err != nil {
			msg := "ReturnsValidationError: " + err.Error()
			return failure(logs, msg, errors.New(msg))
		}
	}
	return &outcome{value: value, logLines: logs}
}

// functionArgs reads a call's arguments: an object, or the positional
// arguments a frame held when they were not one object. As on the backend,
// values that are not Convex values fail the call with "Invalid arguments
// for <path>: <reason>" (crates/udf/src/helpers.rs), and a function, whose
// handler takes one object, fails on other positional arguments as a
// function with an argument validator does
// (crates/model/src/modules/function_validators.rs), with its
// "ArgumentValidationError: " prefix when it has one (validated).
func functionArgs(path string, args []byte, validated bool) (map[string]any, string) {
	argMap, msg := decodeArgs(path, args)
	if msg != "" && validated && strings.HasPrefix(msg, "Expected to receive") {
		msg = "ArgumentValidationError: " + msg
	}
	return argMap, msg
}

func decodeArgs(path string, args []byte) (map[string]any, string) {
	var decoded any
	if err := values.Unmarshal(args, &decoded); err != nil {
		// The backend names the module with its extension here.
		module, fn, _ := strings.Cut(path, ":")
		return nil, fmt.Sprintf("Invalid arguments for %s.js:%s: %v", module, fn, err)
	}
	if hasCommitTs(decoded) {
		// The token a mutation may write is not a value a client may send
		// (crates/value/src/pending.rs, crates/udf/src/validation.rs).
		module, fn, _ := strings.Cut(path, ":")
		return nil, fmt.Sprintf("Invalid arguments for %s.js:%s: Field name $commitTs starts with '$', which is reserved.", module, fn)
	}
	if list, ok := decoded.([]any); ok {
		if len(list) != 1 {
			return nil, fmt.Sprintf("Expected to receive a single object as the function's argument. Instead received %d arguments: %s", len(list), args)
		}
		decoded = list[0]
		if _, ok := decoded.(map[string]any); !ok {
			one, _ := values.Marshal(decoded)
			return nil, fmt.Sprintf("Expected to receive an object as the function's argument. Instead received: %s", one)
		}
	}
	argMap, ok := decoded.(map[string]any)
	if !ok {
		return nil, fmt.Sprintf("Expected to receive an object as the function's argument. Instead received: %s", args)
	}
	return argMap, ""
}

// hasCommitTs reports whether v holds the {"$commitTs":null} placeholder.
func hasCommitTs(v any) bool {
	switch v := v.(type) {
	case values.CommitTsPlaceholder:
		return true
	case map[string]any:
		for _, e := range v {
			if hasCommitTs(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasCommitTs(e) {
				return true
			}
		}
	}
	return false
}

type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprint(p.v) }

// runQueryLocked runs a query with the journal of its previous run (nil
// for none); the caller holds s.store.mu for reading.
func (s *Server) runQueryLocked(ctx context.Context, name string, args []byte, id *Identity, journal *string) *outcome {
	f, msg := s.lookup(ctx, name, kindQuery)
	if f == nil {
		return failure(nil, msg, errors.New(msg))
	}
	tx := s.store.begin(false)
	j := &pageJournal{prev: journal}
	qc := &QueryCtx{funcCtx: funcCtx{Context: ctx, srv: s, identity: id}, DB: &DatabaseReader{tx: tx, journal: j}}
	out := s.invoke(&qc.funcCtx, f, args, true, func(a map[string]any) (any, error) { return f.query(qc, a) })
	tx.done = true
	out.reads = tx.reads
	out.journal = j.next
	return out
}

// runQuery runs a query at the latest timestamp.
func (s *Server) runQuery(ctx context.Context, name string, args []byte, id *Identity) *outcome {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	out := s.runQueryLocked(ctx, name, args, id, nil)
	out.ts = s.store.ts
	return out
}

// dedupKey identifies a mutation for exactly-once execution across
// reconnects: the client's session and the request id.
type dedupKey struct {
	session string
	request uint32
}

// runMutation runs a mutation in a transaction. With a dedup key, a
// mutation that already succeeded returns its recorded outcome without
// running again. onDone, when set, runs while the commit is still
// exclusive, before any connection hears of the commit: connections use it
// to queue the MutationResponse ahead of the Transition that reflects it.
func (s *Server) runMutation(ctx context.Context, name string, args []byte, id *Identity, dedup *dedupKey, onDone func(*outcome)) *outcome {
	f, msg := s.lookup(ctx, name, kindMutation)
	if f == nil {
		out := failure(nil, msg, errors.New(msg))
		if onDone != nil {
			onDone(out)
		}
		return out
	}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if dedup != nil {
		if rec, ok := s.dedup[*dedup]; ok {
			if onDone != nil {
				onDone(rec)
			}
			return rec
		}
	}
	tx := st.begin(true)
	mc := &MutationCtx{funcCtx: funcCtx{Context: ctx, srv: s, identity: id}, DB: &DatabaseWriter{DatabaseReader{tx: tx}}}
	out := s.invoke(&mc.funcCtx, f, args, true, func(a map[string]any) (any, error) { return f.mutation(mc, a) })
	if out.failed {
		tx.rollback()
		if onDone != nil {
			onDone(out)
		}
		return out
	}
	out.ts = tx.commit()
	if dedup != nil {
		s.dedup[*dedup] = out
	}
	if onDone != nil {
		onDone(out)
	}
	s.broadcastCommit(tx.writtenTables())
	return out
}

// runAction runs an action.
func (s *Server) runAction(ctx context.Context, name string, args []byte, id *Identity) *outcome {
	f, msg := s.lookup(ctx, name, kindAction)
	if f == nil {
		return failure(nil, msg, errors.New(msg))
	}
	ac := &ActionCtx{funcCtx: funcCtx{Context: ctx, srv: s, identity: id}}
	return s.invoke(&ac.funcCtx, f, args, false, func(a map[string]any) (any, error) { return f.action(ac, a) })
}

// run runs any registered function by kind.
func (s *Server) run(ctx context.Context, kind functionKind, name string, args []byte, id *Identity) *outcome {
	switch kind {
	case kindQuery:
		return s.runQuery(ctx, name, args, id)
	case kindMutation:
		return s.runMutation(ctx, name, args, id, nil, nil)
	default:
		return s.runAction(ctx, name, args, id)
	}
}

// kindOf reports the kind of the function registered under name.
func (s *Server) kindOf(name string) (functionKind, bool) {
	s.funcMu.RLock()
	defer s.funcMu.RUnlock()
	f := s.funcs[canonicalPath(name)]
	if f == nil {
		return 0, false
	}
	return f.kind, true
}

// Run runs the registered function name (of any kind, internal ones
// included) with no identity and returns its result as values.Unmarshal
// decodes it into an any. A function failure is a *FunctionError. Run is
// for test setup and checks; calling it from inside a function deadlocks.
func (s *Server) Run(ctx context.Context, name string, args map[string]any) (any, error) {
	ctx = withCaller(ctx, callerFunction)
	raw, err := encodeArgs(args)
	if err != nil {
		return nil, err
	}
	kind, ok := s.kindOf(name)
	if !ok {
		msg := fmt.Sprintf("Could not find public function for '%s'.", canonicalPath(name))
		return nil, &FunctionError{Message: serverErrorMessage(msg)}
	}
	out := s.run(ctx, kind, name, raw, nil)
	if out.failed {
		return nil, out.functionError()
	}
	var v any
	if err := values.Unmarshal(out.value, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// Read runs fn with a reader of the latest committed state.
func (s *Server) Read(fn func(db *DatabaseReader) error) error {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	tx := s.store.begin(false)
	defer func() { tx.done = true }()
	return fn(&DatabaseReader{tx: tx})
}

// Write runs fn in a transaction, as a mutation would: when fn returns nil
// its writes commit (and subscribed queries update); otherwise they are
// rolled back and the error is returned.
func (s *Server) Write(fn func(db *DatabaseWriter) error) (err error) {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	tx := st.begin(true)
	defer func() {
		if p := recover(); p != nil {
			tx.rollback()
			panic(p)
		}
	}()
	if err := fn(&DatabaseWriter{DatabaseReader{tx: tx}}); err != nil {
		tx.rollback()
		return err
	}
	tx.commit()
	s.broadcastCommit(tx.writtenTables())
	return nil
}
