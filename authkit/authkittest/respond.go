package authkittest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeOAuthError writes the OAuth-shaped error body of the RFC 6749
// grants: {"error":…, "error_description":…}.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": description})
}

// writeMessage writes the body of the resource endpoints' errors:
// {"message":…} (with a "code" when one is given).
func writeMessage(w http.ResponseWriter, status int, code, message string) {
	body := map[string]any{"message": message}
	if code != "" {
		body["code"] = code
	}
	writeJSON(w, status, body)
}

// readParams reads a JSON object or an application/x-www-form-urlencoded
// body into string parameters. JSON members that are not strings are
// ignored, except null, which reads as absent.
func readParams(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := ct == "application/json" || strings.HasSuffix(ct, "+json")
	if ct == "" || ct == "text/plain" {
		trimmed := strings.TrimSpace(string(body))
		isJSON = strings.HasPrefix(trimmed, "{")
	}
	out := map[string]string{}
	if isJSON {
		var m map[string]any
		if len(strings.TrimSpace(string(body))) == 0 {
			return out, nil
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, errors.New("the request body is not a JSON object")
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out, nil
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("the request body is not valid form data")
	}
	for k := range vals {
		out[k] = vals.Get(k)
	}
	return out, nil
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func secretEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// checkAPIKey answers 401 unless the request carries the API key.
func (s *Server) checkAPIKey(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.apiKey != "" && secretEqual(bearer(r), s.cfg.apiKey) {
		return true
	}
	writeMessage(w, http.StatusUnauthorized, "", "Unauthorized")
	return false
}
