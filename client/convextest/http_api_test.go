//go:build !js

package convextest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/customjwt"
)

func httpServer(t *testing.T) *Server {
	testKeys(t)
	srv := viewerServer(t, WithAdminKey("admin-key"), WithAuth(customjwt.Provider{Issuer: testIssuer, JWKS: jwksJSON(rsaJWK("k1", &rsaKey1.PublicKey))}))
	srv.Query("values:echo", func(ctx *QueryCtx, args map[string]any) (any, error) {
		ctx.Log(LevelInfo, "echo", args["v"])
		return args["v"], nil
	})
	srv.Mutation("values:fail", func(ctx *MutationCtx, args map[string]any) (any, error) {
		return nil, ConvexError{Data: map[string]any{"n": values.Int64(5)}}
	})
	srv.Action("values:act", func(ctx *ActionCtx, args map[string]any) (any, error) {
		if _, err := ctx.RunMutation("messages:send", map[string]any{"body": "from action"}); err != nil {
			return nil, err
		}
		return ctx.RunQuery("messages:list", nil)
	})
	return srv
}

func post(t *testing.T, url, auth, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out
}

func TestHTTPAPI(t *testing.T) {
	srv := httpServer(t)
	u := srv.URL()
	token := sign(t, jwt.SigningMethodRS256, "k1", rsaKey1, jwt.MapClaims{"iss": testIssuer, "sub": "carol", "exp": time.Now().Add(time.Hour).Unix()})
	actingAs := base64.StdEncoding.EncodeToString([]byte(`{"issuer":"https://i","subject":"dave"}`))

	tests := []struct {
		name       string
		path, auth string
		body       string
		wantStatus int
		want       string // expected JSON body
		check      func(t *testing.T, body map[string]any)
	}{
		{name: "query, encoded", path: "/api/query", body: `{"path":"values:echo","format":"convex_encoded_json","args":[{"v":{"$integer":"BQAAAAAAAAA="}}]}`,
			wantStatus: 200, want: `{"status":"success","value":{"$integer":"BQAAAAAAAAA="},"logLines":["[INFO] 'echo' 5n"]}`},
		{name: "query, bare object args, clean JSON", path: "/api/query", body: `{"path":"values:echo","format":"json","args":{"v":[{"$integer":"BQAAAAAAAAA="},{"$bytes":"AAEC/w=="},{"$float":"AAAAAAAA+H8="},1.5]}}`,
			wantStatus: 200, want: `{"status":"success","value":["5","AAEC/w==","NaN",1.5],"logLines":["[INFO] 'echo' [ 5n, ArrayBuffer [ArrayBuffer] {}, NaN, 1.5 ]"]}`},
		{name: "no format is clean JSON; no log lines omits them", path: "/api/query", body: `{"path":"messages:list","args":{}}`,
			wantStatus: 200, want: `{"status":"success","value":[]}`},
		{name: "mutation with ConvexError", path: "/api/mutation", body: `{"path":"values:fail","format":"convex_encoded_json","args":[{}]}`,
			wantStatus: 200, check: func(t *testing.T, b map[string]any) {
				assert.Equal(t, "error", b["status"])
				assert.Equal(t, map[string]any{"n": map[string]any{"$integer": "BQAAAAAAAAA="}}, b["errorData"])
				assert.Regexp(t, `^\[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: \{"n":"5n"\}$`, b["errorMessage"])
				assert.NotContains(t, b, "logLines")
			}},
		{name: "action calling a mutation and a query", path: "/api/action", body: `{"path":"values:act","format":"convex_encoded_json","args":[{}]}`,
			wantStatus: 200, want: `{"status":"success","value":["from action"],"logLines":["[LOG] 'sending' 'from action'"]}`},
		{name: "run by URL path", path: "/api/run/users/viewer", auth: "Bearer " + token, body: `{"args":{}}`,
			wantStatus: 200, want: `{"status":"success","value":{"subject":"carol","tokenIdentifier":"https://issuer.example.com|carol"}}`},
		{name: "function endpoint (admin only)", path: "/api/function", auth: "Convex admin-key", body: `{"path":"users:viewer","args":{},"format":"convex_encoded_json"}`,
			wantStatus: 200, want: `{"status":"success","value":null}`},
		{name: "admin acting as a user", path: "/api/query", auth: "Convex admin-key:" + actingAs, body: `{"path":"users:viewer","args":[{}]}`,
			wantStatus: 200, want: `{"status":"success","value":{"subject":"dave","tokenIdentifier":"https://i|dave"}}`},
		{name: "admin alone", path: "/api/query", auth: "Convex admin-key", body: `{"path":"users:viewer","args":[{}]}`,
			wantStatus: 200, want: `{"status":"success","value":null}`},
		{name: "wrong kind", path: "/api/query", body: `{"path":"messages:send","args":[{}]}`,
			wantStatus: 200, check: func(t *testing.T, b map[string]any) {
				assert.Contains(t, b["errorMessage"], "Trying to execute messages:send as Query, but it is defined as Mutation.")
			}},
		{name: "missing function", path: "/api/function", auth: "Convex admin-key", body: `{"path":"nope:nope","args":{}}`,
			wantStatus: 200, check: func(t *testing.T, b map[string]any) {
				assert.Contains(t, b["errorMessage"], "Could not find public function for 'nope:nope'.")
			}},
		{name: "bad token", path: "/api/query", auth: "Bearer x.y.z", body: `{"path":"users:viewer","args":[{}]}`,
			wantStatus: 401, check: func(t *testing.T, b map[string]any) {
				assert.Equal(t, "InvalidAuthHeader", b["code"])
				assert.Contains(t, b["message"], "Could not parse JWT payload")
			}},
		{name: "bad admin key", path: "/api/query", auth: "Convex nope", body: `{"path":"users:viewer","args":[{}]}`,
			wantStatus: 401, want: `{"code":"BadAdminKey","message":"The provided admin key was invalid for this instance"}`},
		{name: "bad JSON", path: "/api/query", body: `{`, wantStatus: 400, check: func(t *testing.T, b map[string]any) { assert.Equal(t, "BadJsonBody", b["code"]) }},
		{name: "positional args fail the function", path: "/api/query", body: `{"path":"values:echo","args":[1,2]}`, wantStatus: 200, check: func(t *testing.T, b map[string]any) {
			assert.Contains(t, b["errorMessage"], "Expected to receive a single object as the function's argument. Instead received 2 arguments")
		}},
		{name: "bad format", path: "/api/query", body: `{"path":"values:echo","args":{},"format":"xml"}`, wantStatus: 400, check: func(t *testing.T, b map[string]any) { assert.Equal(t, "BadFormat", b["code"]) }},
		{name: "bad run path", path: "/api/run/list", body: `{"args":{}}`, wantStatus: 400, check: func(t *testing.T, b map[string]any) { assert.Equal(t, "MissingIdentifier", b["code"]) }},
		{name: "unknown endpoint", path: "/api/nope", body: `{}`, wantStatus: 404, check: func(t *testing.T, b map[string]any) { assert.Equal(t, "NotFound", b["code"]) }},
		{name: "query_at_ts runs at the latest ts", path: "/api/query_at_ts", body: `{"path":"users:viewer","args":[{}],"format":"convex_encoded_json","ts":"AAAAAAAAAAA="}`,
			wantStatus: 200, want: `{"status":"success","value":null}`},
		{name: "query_ts", path: "/api/query_ts", body: ``, wantStatus: 200, check: func(t *testing.T, b map[string]any) {
			assert.Len(t, b["ts"], 12)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, u+tt.path, tt.auth, tt.body)
			assert.Equal(t, tt.wantStatus, status)
			if tt.want != "" {
				got, _ := json.Marshal(body)
				assert.JSONEq(t, tt.want, string(got))
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func TestHTTPPreflight(t *testing.T) {
	srv := httpServer(t)
	req, err := http.NewRequest(http.MethodOptions, srv.URL()+"/api/mutation", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,authorization,convex-client")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	assert.Equal(t, "content-type,authorization,convex-client", resp.Header.Get("Access-Control-Allow-Headers"))
}

func TestExportClean(t *testing.T) {
	for _, tt := range []struct {
		in   any
		want string
	}{
		{map[string]any{"b": values.Int64(-7), "a": []byte("hi")}, `{"a":"aGk=","b":"-7"}`},
		{[]any{math.Inf(1), math.Inf(-1), 1e21, 0.5, nil, true}, `["Infinity","-Infinity",1e+21,0.5,null,true]`},
	} {
		enc, err := values.Marshal(tt.in)
		require.NoError(t, err)
		got, err := exportValue(enc, formatClean)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(got))
	}
	enc, _ := values.Marshal(values.Int64(7))
	got, err := exportValue(enc, formatExport)
	require.NoError(t, err)
	assert.Equal(t, "7", string(got))
}
