package convextest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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

func parseFormat(f *string) (valueFormat, error) {
	if f == nil {
		return formatClean, nil
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

// apiRequest is the body of /api/query, /api/mutation, /api/action,
// /api/function, /api/query_at_ts and /api/run/...
type apiRequest struct {
	Path          string          `json:"path"`
	Args          json.RawMessage `json:"args"`
	Format        *string         `json:"format"`
	ComponentPath *string         `json:"componentPath"`
	TS            *string         `json:"ts"`
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

// serveAPI answers the HTTP function API (spec §1.3). rest is the path
// after "/api/".
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rest string) {
	setCORS(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var kind functionKind
	anyKind := false
	switch {
	case rest == "query" || rest == "query_at_ts":
		kind = kindQuery
	case rest == "mutation":
		kind = kindMutation
	case rest == "action":
		kind = kindAction
	case rest == "function":
		anyKind = true
	case strings.HasPrefix(rest, "run/"):
		anyKind = true
	case rest == "query_ts":
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			writeAPIError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Use POST")
			return
		}
		s.store.mu.RLock()
		ts := s.store.ts
		s.store.mu.RUnlock()
		writeJSON(w, http.StatusOK, map[string]string{"ts": ts.String()})
		return
	default:
		writeAPIError(w, http.StatusNotFound, "NotFound", "Unknown API endpoint /api/"+rest)
		return
	}

	var req apiRequest
	switch {
	case r.Method == http.MethodGet && rest == "query":
		q := r.URL.Query()
		req.Path = q.Get("path")
		req.Args = json.RawMessage(q.Get("args"))
		if f := q.Get("format"); f != "" {
			req.Format = &f
		}
	case r.Method != http.MethodPost:
		writeAPIError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Use POST")
		return
	default:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxHTTPBody+1))
		if err != nil {
			writeAPIError(w, http.StatusBadRequest, "BadJsonBody", "Failed to read the request body: "+err.Error())
			return
		}
		if len(body) > maxHTTPBody {
			writeAPIError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", "The request body is too large")
			return
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeAPIError(w, http.StatusBadRequest, "BadJsonBody", "Failed to deserialize the JSON body: "+err.Error())
			return
		}
	}
	if strings.HasPrefix(rest, "run/") {
		path, ok := runPath(strings.TrimPrefix(rest, "run/"))
		if !ok {
			writeAPIError(w, http.StatusBadRequest, "MissingIdentifier", "Path or function name not provided in path, e.g. /api/run/messages/list")
			return
		}
		req.Path = path
	}
	if req.Path == "" {
		writeAPIError(w, http.StatusBadRequest, "BadRequest", "Missing the function path")
		return
	}
	if req.ComponentPath != nil && *req.ComponentPath != "" {
		writeAPIError(w, http.StatusBadRequest, "BadRequest", "Components are not supported by convextest")
		return
	}
	format, err := parseFormat(req.Format)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "BadFormat", err.Error())
		return
	}
	args, err := httpArgs(req.Args)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidArgs", err.Error())
		return
	}
	id, err := s.httpIdentity(r)
	if err != nil {
		if ae, ok := errors.AsType[*AuthError](err); ok {
			writeAPIError(w, http.StatusUnauthorized, ae.code(), ae.Message)
		} else {
			writeAPIError(w, http.StatusUnauthorized, "Unauthenticated", err.Error())
		}
		return
	}
	if anyKind {
		k, ok := s.kindOf(req.Path)
		if !ok {
			writeJSON(w, http.StatusOK, apiResponse{Status: "error", ErrorMessage: serverErrorMessage("Could not find public function for '" + canonicalPath(req.Path) + "'.")})
			return
		}
		kind = k
	}
	out := s.run(r.Context(), kind, req.Path, args, id)
	resp := apiResponse{LogLines: out.logLines}
	if out.failed {
		resp.Status = "error"
		resp.ErrorMessage = out.message
		if out.errData != nil {
			resp.ErrorData, err = exportValue(out.errData, format)
		}
	} else {
		resp.Status = "success"
		resp.Value, err = exportValue(out.value, format)
	}
	if err != nil {
		writeAPIError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, resp)
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

// httpArgs accepts what the real server accepts: a one-element array
// holding an object, or a bare object; absent args are {}.
func httpArgs(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return []byte("{}"), nil
	}
	if raw[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, err
		}
		if len(arr) != 1 {
			return nil, errors.New("args must be an array holding exactly one object")
		}
		raw = bytes.TrimSpace(arr[0])
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("the arguments to a Convex function must be an object")
	}
	if err := values.Validate(raw); err != nil {
		return nil, err
	}
	return raw, nil
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
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
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
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeClean(b, e, f)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeClean(b, v[k], f)
		}
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}
