package authkittest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

func logoutPath(sid, returnTo string) string {
	q := url.Values{}
	if sid != "" {
		q.Set("session_id", sid)
	}
	if returnTo != "" {
		q.Set("return_to", returnTo)
	}
	return "/user_management/sessions/logout?" + q.Encode()
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)
	rotated := e.refresh(tok.RefreshToken)
	require.Equal(t, http.StatusOK, rotated.status)
	require.True(t, e.srv.SessionActive(tok.SessionID))

	r := e.get(logoutPath(tok.SessionID, appOrigin+"/goodbye"))
	require.Equal(t, http.StatusFound, r.status)
	assert.Equal(t, appOrigin+"/goodbye", r.header.Get("Location"), "same origin as an allowlisted redirect URI")
	assert.False(t, e.srv.SessionActive(tok.SessionID))

	// Every refresh token of the session is dead, even inside the replay window.
	requireOAuthError(t, e.refresh(rotated.json["refresh_token"].(string)), 400, "invalid_grant")
	requireOAuthError(t, e.refresh(tok.RefreshToken), 400, "invalid_grant")

	tests := []struct {
		name, sid, returnTo, want string
	}{
		{"exact redirect URI", "session_01X", callbackURI, callbackURI},
		{"foreign return_to goes home", "session_01X", "https://evil.example/", e.srv.URL() + "/"},
		{"no return_to goes home", "session_01X", "", e.srv.URL() + "/"},
		{"unknown session still redirects", "session_01UNKNOWN", appOrigin + "/", appOrigin + "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(logoutPath(tc.sid, tc.returnTo))
			require.Equal(t, http.StatusFound, r.status)
			assert.Equal(t, tc.want, r.header.Get("Location"))
		})
	}

	// No session id: 422.
	r = e.get(logoutPath("", appOrigin+"/"))
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.NotEmpty(t, r.json["message"])

	// The homepage answers.
	home := e.get("/")
	assert.Equal(t, http.StatusOK, home.status)
}

func TestLogoutHomepageOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithHomepageURL("http://127.0.0.1:5173/home"))
	r := e.get(logoutPath("session_01X", "https://evil.example/"))
	assert.Equal(t, "http://127.0.0.1:5173/home", r.header.Get("Location"))
}

func TestRevokeAndEndSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, err := e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)

	assert.Equal(t, http.StatusUnauthorized, e.postJSON("/user_management/sessions/revoke", map[string]any{"session_id": tok.SessionID}).status)
	assert.Equal(t, http.StatusUnauthorized, e.postJSON("/user_management/sessions/revoke", map[string]any{"session_id": tok.SessionID}, "Authorization", "Bearer sk_wrong").status)
	assert.Equal(t, http.StatusNotFound, e.postJSON("/user_management/sessions/revoke", map[string]any{"session_id": "session_01NONE"}, "Authorization", "Bearer "+apiKey).status)
	assert.Equal(t, http.StatusUnprocessableEntity, e.postJSON("/user_management/sessions/revoke", map[string]any{}, "Authorization", "Bearer "+apiKey).status)
	r := e.postJSON("/user_management/sessions/revoke", map[string]any{"session_id": tok.SessionID}, "Authorization", "Bearer "+apiKey)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	requireOAuthError(t, e.refresh(tok.RefreshToken), 400, "invalid_grant")

	tok, err = e.srv.IssueTokens(ada.ID)
	require.NoError(t, err)
	assert.True(t, e.srv.EndSession(tok.SessionID))
	assert.False(t, e.srv.EndSession(tok.SessionID), "already ended")
	assert.False(t, e.srv.EndSession("session_01NONE"))
	requireOAuthError(t, e.refresh(tok.RefreshToken), 400, "invalid_grant")
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/user_management/users/" + ada.ID
	assert.Equal(t, http.StatusUnauthorized, e.get(path).status)
	r := e.get(path, "Authorization", "Bearer "+apiKey)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, map[string]any{
		"object": "user", "id": ada.ID, "email": ada.Email, "email_verified": true,
		"first_name": "Ada", "last_name": "Lovelace", "name": "Ada Lovelace",
		"profile_picture_url": nil, "external_id": nil, "metadata": map[string]any{}, "locale": nil,
		"last_sign_in_at": nil, "created_at": "2026-03-01T12:00:00.000Z", "updated_at": "2026-03-01T12:00:00.000Z",
	}, r.json)
	nf := e.get("/user_management/users/user_01NONE", "Authorization", "Bearer "+apiKey)
	assert.Equal(t, http.StatusNotFound, nf.status)
}

func TestAdminEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithAutoApprove(ada.ID))
	auth := []string{"Authorization", "Bearer " + apiKey}
	newURI := "http://127.0.0.1:9999/cb"

	assert.Equal(t, http.StatusUnauthorized, e.postJSON("/user_management/redirect_uris", map[string]any{"uri": newURI}).status)
	assert.Equal(t, http.StatusCreated, e.postJSON("/user_management/redirect_uris", map[string]any{"uri": newURI}, auth...).status)
	dup := e.postJSON("/user_management/redirect_uris", map[string]any{"uri": newURI}, auth...)
	assert.Equal(t, http.StatusUnprocessableEntity, dup.status)
	assert.Contains(t, dup.json["message"], "already exists")
	q := e.authorizeQuery("")
	q.Set("redirect_uri", newURI)
	r := e.get("/user_management/authorize?" + q.Encode())
	assert.Equal(t, http.StatusFound, r.status)
	q.Set("redirect_uri", "myapp://callback")
	assert.Equal(t, http.StatusBadRequest, e.get("/user_management/authorize?"+q.Encode()).status)
	e.srv.AllowRedirectURI("myapp://callback")
	r = e.get("/user_management/authorize?" + q.Encode())
	require.Equal(t, http.StatusFound, r.status)
	assert.Regexp(t, `^myapp://callback\?code=[A-Za-z0-9_-]+$`, r.header.Get("Location"))

	assert.Equal(t, http.StatusCreated, e.postJSON("/user_management/cors_origins", map[string]any{"origin": "http://127.0.0.1:9999"}, auth...).status)
	c := e.postJSON("/user_management/cors_origins", map[string]any{"origin": "http://127.0.0.1:9999"}, auth...)
	assert.Equal(t, http.StatusConflict, c.status)
	assert.Equal(t, "duplicate_cors_origin", c.json["code"])

	req, err := http.NewRequest(http.MethodPut, e.srv.URL()+"/user_management/app_homepage_url", jsonBody(map[string]any{"url": "http://127.0.0.1:9999/"}))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	assert.Equal(t, http.StatusOK, e.do(req).status)
	assert.Equal(t, "http://127.0.0.1:9999/", e.get(logoutPath("session_01X", "")).header.Get("Location"))
}
