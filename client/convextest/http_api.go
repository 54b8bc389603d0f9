package convextest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/goconvex/convex/client/internal/udfpath"
	"github.com/goconvex/convex/client/values"
)

// maxHTTPBody is the real server's limit on public API request bodies.
const maxHTTPBody = 16<<20 + 2000

// valueFormat is how an HTTP response encodes values.
type valueFormat int

const (
	formatEncoded valueFormat = iota // convex_encoded_json
	formatClean                      // json: lossy, human-readable
	formatExport                     // export_json: like json, int64 as a number
)

// parseFormat reads a request's format (crates/value/src/export.rs); def
// is the client's default.
func parseFormat(f *string, def valueFormat) (valueFormat, error) {
	if f == nil {
		return def, nil
	}
	switch *f {
	case "convex_encoded_json", "convex_json":
		return formatEncoded, nil
	case "json", "convex_clean_json":
		return formatClean, nil
	case "export_json":
		return formatExport, nil
	}
	return 0, errors.New("format param must be one of [`json`]. Got " + *f)
}

type apiResponse struct {
	Status       string          `json:"status"`
	Value        json.RawMessage `json:"value,omitempty"`
	ErrorMessage string          `json:"errorMessage,omitempty"`
	ErrorData    json.RawMessage `json:"errorData,omitempty"`
	LogLines     []string        `json:"logLines,omitempty"`
}

func setCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	} else {
		h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, Convex-Client")
	}
	h.Set("Access-Control-Max-Age", "86400")
	h.Add("Vary", "Origin")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeAPIError writes the real server's error body: {"code", "message"}.
func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

// serveAPI answers the HTTP function API as the backend's public API does
// (crates/local_backend/src/public_api.rs). rest is the path after "/api/".
// The checks run in the backend's order: the Authorization header and the
// Convex-Client header, then the JSON body, then the function path, the
// credential, the function run, and only then the format.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rest string) {
	setCORS(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	methods := "POST"
	switch {
	case rest == "query":
		methods = "GET,HEAD,POST"
	case rest == "query_ts", rest == "query_at_ts", rest == "query_batch", rest == "mutation",
		rest == "action", rest == "function", strings.HasPrefix(rest, "run/"):
	default:
		writeAPIError(w, http.StatusNotFound, "NotFound", "Unknown API endpoint /api/"+rest)
		return
	}
	if !strings.Contains(methods, r.Method) {
		// The router's answer to another method: 405, no body.
		w.Header().Set("Allow", methods)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if rest == "query_ts" {
		s.store.mu.RLock()
		ts := s.store.ts
		s.store.mu.RUnlock()
		writeJSON(w, http.StatusOK, map[string]string{"ts": ts.String()})
		return
	}
	tok, aerr := httpTokenOf(r)
	if aerr != nil {
		aerr.write(w)
		return
	}
	cv, aerr := parseClientVersion(r, "")
	if aerr != nil {
		aerr.write(w)
		return
	}
	call := &apiCall{s: s, w: w, r: r, tok: tok, cv: cv}
	switch {
	case r.Method != http.MethodPost:
		call.queryGET()
	case rest == "query_batch":
		call.queryBatch()
	case rest == "function":
		call.function()
	case strings.HasPrefix(rest, "run/"):
		call.runByPath(strings.TrimPrefix(rest, "run/"))
	default:
		kind := map[string]functionKind{"query": kindQuery, "query_at_ts": kindQuery, "mutation": kindMutation, "action": kindAction}[rest]
		call.named(kind, rest == "query_at_ts")
	}
}

// apiCall is one HTTP API request being answered.
type apiCall struct {
	s   *Server
	w   http.ResponseWriter
	r   *http.Request
	tok *httpToken
	cv  clientVersion
	// caller is who calls, once identity has run.
	caller callerKind
}

// fail writes an error answer and returns false.
func (c *apiCall) fail(status int, code, msg string) bool {
	writeAPIError(c.w, status, code, msg)
	return false
}

// body reads the JSON body as the backend's Json extractor does
// (crates/common/src/http/extract.rs): Content-Type application/json (or a
// +json type), at most maxHTTPBody bytes, a JSON object with the required
// fields; every failure is a 400 BadJsonBody.
func (c *apiCall) body(required ...string) (map[string]json.RawMessage, bool) {
	if !isJSONContentType(c.r.Header.Get("Content-Type")) {
		return nil, c.fail(http.StatusBadRequest, "BadJsonBody", "Expected request with `Content-Type: application/json`")
	}
	data, err := io.ReadAll(io.LimitReader(c.r.Body, maxHTTPBody+1))
	if err != nil {
		return nil, c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to buffer the request body: "+err.Error())
	}
	if len(data) > maxHTTPBody {
		return nil, c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to buffer the request body: length limit exceeded")
	}
	if !json.Valid(data) {
		return nil, c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to parse the request body as JSON")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body into the target type: the body is not an object")
	}
	for _, f := range required {
		if _, ok := fields[f]; !ok {
			return nil, c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body into the target type: missing field `"+f+"`")
		}
	}
	for _, f := range []string{"path", "format", "ts", "componentPath"} {
		raw, ok := fields[f]
		if !ok || string(raw) == "null" && f != "path" && f != "ts" {
			continue
		}
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return nil, c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body into the target type: invalid type for `"+f+"`, expected a string")
		}
	}
	return fields, true
}

// isJSONContentType accepts application/json and application/<x>+json.
func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	typ, sub, _ := strings.Cut(mt, "/")
	return typ == "application" && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

func stringField(fields map[string]json.RawMessage, name string) *string {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return &s
}

// exportPath checks a function path (400 BadConvexFunctionIdentifier, as
// crates/local_backend/src/parse.rs answers).
func (c *apiCall) exportPath(path string) (string, bool) {
	p, err := udfpath.Parse(path)
	if err != nil {
		return "", c.fail(http.StatusBadRequest, "BadConvexFunctionIdentifier", err.Error())
	}
	return p.Canonical(), true
}

func (c *apiCall) identity() (*Identity, bool) {
	id, err := c.s.authenticate(c.r.Context(), c.tok)
	if err != nil {
		if ae, ok := errors.AsType[*AuthError](err); ok {
			return nil, c.fail(http.StatusUnauthorized, ae.Code, ae.Message)
		}
		return nil, c.fail(http.StatusUnauthorized, "Unauthenticated", err.Error())
	}
	c.caller = callerUser
	if c.tok != nil && c.tok.admin {
		c.caller = callerAdmin
		if id != nil {
			c.caller = callerActingAs
		}
	}
	return id, true
}

// allowed refuses a system function to a caller that is not an admin, as
// the backend does (403 SystemIdentityRequired), and returns the context
// to run the function in.
func (c *apiCall) allowed(path string, kind functionKind) (context.Context, bool) {
	if msg := systemForbidden(path, kind, c.caller); msg != "" {
		return nil, c.fail(http.StatusForbidden, systemForbiddenCode, msg)
	}
	return withCaller(c.r.Context(), c.caller), true
}

// named answers /api/query, /api/query_at_ts, /api/mutation and
// /api/action.
func (c *apiCall) named(kind functionKind, atTS bool) {
	required := []string{"path", "args"}
	if atTS {
		required = append(required, "ts")
	}
	fields, ok := c.body(required...)
	if !ok {
		return
	}
	path, ok := c.exportPath(*stringField(fields, "path"))
	if !ok {
		return
	}
	id, ok := c.identity()
	if !ok {
		return
	}
	if atTS && !c.checkTS(*stringField(fields, "ts")) {
		return
	}
	ctx, ok := c.allowed(path, kind)
	if !ok {
		return
	}
	out := c.s.run(ctx, kind, path, serializedArgs(fields["args"]), id)
	c.respond(out, stringField(fields, "format"), nil)
}

// checkTS reads query_at_ts's ts: base64 of 8 little-endian bytes, at most
// i64 max. The backend's conversion errors carry no metadata: a 500.
func (c *apiCall) checkTS(ts string) bool {
	b, err := base64.StdEncoding.DecodeString(ts)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(ts)
	}
	if err != nil || len(b) != 8 || binary.LittleEndian.Uint64(b) > 1<<63-1 {
		return c.fail(http.StatusInternalServerError, "InternalServerError", "Your request couldn't be completed. Try again later.")
	}
	return true
}

// function answers /api/function: admin only (403 BadDeployKey otherwise),
// any kind of function.
func (c *apiCall) function() {
	fields, ok := c.body("path", "args")
	if !ok {
		return
	}
	id, ok := c.identity()
	if !ok {
		return
	}
	if c.tok == nil || !c.tok.admin {
		c.fail(http.StatusForbidden, "BadDeployKey", "The provided deploy key was invalid for this deployment. Double check that the environment this key was generated for matches the desired deployment.")
		return
	}
	path, ok := c.exportPath(*stringField(fields, "path"))
	if !ok {
		return
	}
	if cp := stringField(fields, "componentPath"); cp != nil && *cp != "" {
		c.runComponentFunction(*cp, path, fields, id)
		return
	}
	c.runAnyKind(path, fields, id, nil)
}

// runByPath answers /api/run/<module path>/<function>; its default format
// is clean JSON whatever the client.
func (c *apiCall) runByPath(rest string) {
	fields, ok := c.body("args")
	if !ok {
		return
	}
	id, ok := c.identity()
	if !ok {
		return
	}
	joined, ok := runPath(rest)
	if !ok {
		c.fail(http.StatusBadRequest, "MissingIdentifier", "Path or function name not provided in path, e.g. /api/run/messages/list")
		return
	}
	path, ok := c.exportPath(joined)
	if !ok {
		return
	}
	clean := formatClean
	c.runAnyKind(path, fields, id, &clean)
}

func (c *apiCall) runAnyKind(path string, fields map[string]json.RawMessage, id *Identity, def *valueFormat) {
	kind, ok := c.s.kindOf(path)
	if !ok {
		c.respond(failure(nil, "Could not find public function for '"+path+"'.", nil), stringField(fields, "format"), def)
		return
	}
	ctx, ok := c.allowed(path, kind)
	if !ok {
		return
	}
	out := c.s.run(ctx, kind, path, serializedArgs(fields["args"]), id)
	c.respond(out, stringField(fields, "format"), def)
}

// queryBatch answers /api/query_batch: {"queries": [{path, args, format}]}
// run at one timestamp, answered as {"results": [...]}. A bad format or
// path in any query fails the whole request.
func (c *apiCall) queryBatch() {
	fields, ok := c.body("queries")
	if !ok {
		return
	}
	var queries []map[string]json.RawMessage
	if err := json.Unmarshal(fields["queries"], &queries); err != nil {
		c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body into the target type: invalid type for `queries`, expected a sequence of objects")
		return
	}
	for _, q := range queries {
		if _, ok := q["path"]; !ok {
			c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body into the target type: missing field `path`")
			return
		}
		if _, ok := q["args"]; !ok {
			c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body into the target type: missing field `args`")
			return
		}
		if stringField(q, "path") == nil {
			c.fail(http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body into the target type: invalid type for `path`, expected a string")
			return
		}
	}
	id, ok := c.identity()
	if !ok {
		return
	}
	st := c.s.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	results := make([]json.RawMessage, 0, len(queries))
	for _, q := range queries {
		format, err := parseFormat(stringField(q, "format"), c.cv.defaultFormat())
		if err != nil {
			c.fail(http.StatusBadRequest, "BadFormat", err.Error())
			return
		}
		path, ok := c.exportPath(*stringField(q, "path"))
		if !ok {
			return
		}
		ctx, ok := c.allowed(path, kindQuery)
		if !ok {
			return
		}
		out := c.s.runQueryLocked(ctx, path, serializedArgs(q["args"]), id, nil)
		resp, err := exportResponse(out, format)
		if err != nil {
			c.fail(http.StatusInternalServerError, "InternalServerError", err.Error())
			return
		}
		b, _ := marshalNoEscape(resp)
		results = append(results, b)
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"results": results})
}

// queryGET answers GET /api/query?path=…&args=…&format=….
func (c *apiCall) queryGET() {
	q := c.r.URL.Query()
	if !q.Has("path") || !q.Has("args") {
		missing := "path"
		if q.Has("path") {
			missing = "args"
		}
		c.fail(http.StatusBadRequest, "BadQueryArgs", "Failed to deserialize query string: missing field `"+missing+"`")
		return
	}
	path, ok := c.exportPath(q.Get("path"))
	if !ok {
		return
	}
	id, ok := c.identity()
	if !ok {
		return
	}
	var format *string
	if q.Has("format") {
		f := q.Get("format")
		format = &f
	}
	ctx, ok := c.allowed(path, kindQuery)
	if !ok {
		return
	}
	out := c.s.run(ctx, kindQuery, path, serializedArgs(json.RawMessage(q.Get("args"))), id)
	c.respond(out, format, nil)
}

// respond writes a function's outcome in the requested format; the format
// is checked after the function ran, as the backend does (a mutation with
// a bad format has committed).
func (c *apiCall) respond(out *outcome, format *string, def *valueFormat) {
	d := c.cv.defaultFormat()
	if def != nil {
		d = *def
	}
	f, err := parseFormat(format, d)
	if err != nil {
		c.fail(http.StatusBadRequest, "BadFormat", err.Error())
		return
	}
	resp, err := exportResponse(out, f)
	if err != nil {
		c.fail(http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	writeJSON(c.w, http.StatusOK, resp)
}

func exportResponse(out *outcome, f valueFormat) (apiResponse, error) {
	resp := apiResponse{LogLines: out.logLines}
	var err error
	if out.failed {
		resp.Status = "error"
		resp.ErrorMessage = out.message
		if out.errData != nil {
			resp.ErrorData, err = exportValue(out.errData, f)
		}
	} else {
		resp.Status = "success"
		resp.Value, err = exportValue(out.value, f)
	}
	return resp, err
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSpace(buf.Bytes()), err
}

// serializedArgs turns an HTTP request's args into what the function runs
// with, as UdfArgsJson does (crates/udf/src/helpers.rs): an array is
// positional arguments as given, anything else is the one argument. One
// object comes out as that object.
func serializedArgs(raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) == nil && len(elems) == 1 {
			if one := bytes.TrimSpace(elems[0]); len(one) > 0 && one[0] == '{' {
				return one
			}
		}
		return raw
	}
	if len(raw) > 0 && raw[0] == '{' {
		return raw
	}
	return append(append([]byte("["), raw...), ']')
}

// runPath turns "messages/list" into "messages:list" and "dir/file/fn"
// into "dir/file:fn".
func runPath(p string) (string, bool) {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		dec, err := url.PathUnescape(part)
		if err != nil || dec == "" {
			return "", false
		}
		parts[i] = dec
	}
	if len(parts) < 2 {
		return "", false
	}
	return strings.Join(parts[:len(parts)-1], "/") + ":" + parts[len(parts)-1], true
}

// exportValue re-encodes an encoded Convex value in the response format.
func exportValue(encoded []byte, f valueFormat) (json.RawMessage, error) {
	if f == formatEncoded {
		return encoded, nil
	}
	var v any
	if err := values.Unmarshal(encoded, &v); err != nil {
		return nil, err
	}
	var b strings.Builder
	writeClean(&b, v, f)
	return json.RawMessage(b.String()), nil
}

// writeClean writes the real server's clean export: int64 as a decimal
// string (a number for export_json), bytes as base64, NaN and ±Infinity as
// strings.
func writeClean(b *strings.Builder, v any, f valueFormat) {
	(&textForm{key: writeJSONString, scalar: func(b *strings.Builder, v any) {
		switch v := v.(type) {
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case float64:
			switch {
			case math.IsNaN(v):
				b.WriteString(`"NaN"`)
			case math.IsInf(v, 1):
				b.WriteString(`"Infinity"`)
			case math.IsInf(v, -1):
				b.WriteString(`"-Infinity"`)
			case v == 0 && math.Signbit(v):
				b.WriteString("-0.0")
			default:
				b.WriteString(jsNumber(v))
			}
		case values.Int64:
			if f == formatExport {
				b.WriteString(strconv.FormatInt(int64(v), 10))
			} else {
				b.WriteString(`"` + strconv.FormatInt(int64(v), 10) + `"`)
			}
		case string:
			writeJSONString(b, v)
		case []byte:
			writeJSONString(b, base64.StdEncoding.EncodeToString(v))
		default:
			b.WriteString("null")
		}
	}}).write(b, v)
}
