package middleware_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/middleware"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/internal/iron"
)

const mwAPIKey = "sk_test_middleware"

// pendingWeb is a mwWeb whose issuer signs in u (auto-approved), with the
// API key the pending steps need.
func pendingWeb(t *testing.T, u authkittest.User, mod ...func(*middleware.Config)) *mwWeb {
	t.Helper()
	return newMwWeb(t, []authkittest.Option{
		authkittest.WithUsers(u), authkittest.WithAutoApprove(u.ID), authkittest.WithAPIKey(mwAPIKey),
	}, append([]func(*middleware.Config){func(c *middleware.Config) { c.WorkOS.APIKey = mwAPIKey }}, mod...)...)
}

// post submits a form to target with the jar's cookies, as the app's own
// page does (Origin and Sec-Fetch-Site same-origin) unless hdr says
// otherwise.
func (w *mwWeb) post(target string, form url.Values, hdr map[string]string) *http.Response {
	w.t.Helper()
	req := httptest.NewRequest(http.MethodPost, mwOrigin+target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", mwOrigin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for k, v := range w.jar {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	resp := rec.Result()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(w.jar, c.Name)
		} else {
			w.jar[c.Name] = c.Value
		}
	}
	return resp
}

var nonceRE = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// pagePending checks a pending step's page and returns its body and nonce.
// The pending token is in the sealed cookie only.
func (w *mwWeb) pagePending(r *http.Response, status int, title string) (body, nonce string) {
	w.t.Helper()
	body = mwBody(r)
	require.Equal(w.t, status, r.StatusCode, body)
	require.Equal(w.t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Equal(w.t, "no-store", r.Header.Get("Cache-Control"))
	assert.Equal(w.t, "DENY", r.Header.Get("X-Frame-Options"))
	assert.Contains(w.t, r.Header.Get("Content-Security-Policy"), "form-action 'self'")
	assert.Contains(w.t, body, "<h1>"+title+"</h1>")
	assert.Contains(w.t, body, `<form method="post" action="/callback">`)
	m := nonceRE.FindStringSubmatch(body)
	require.NotNil(w.t, m, body)
	var st struct {
		Token, Nonce string
	}
	require.NoError(w.t, iron.Unseal(w.jar[middleware.PendingCookieName], mwCookiePW, &st))
	require.NotEmpty(w.t, st.Token)
	assert.NotContains(w.t, body, st.Token, "the pending token is never in the page")
	assert.Empty(w.t, r.Header.Get("Location"))
	assert.Equal(w.t, st.Nonce, m[1])
	return body, m[1]
}

func TestCallbackOrganizationSelection(t *testing.T) {
	olga := authkittest.User{
		ID: "user_01MW0RGSELECT000000000000", Email: "olga@example.com", RequireOrganizationSelection: true,
		Memberships: []authkittest.Membership{
			{OrganizationID: "org_01ACME", OrganizationName: "Acme <Inc>"},
			{OrganizationID: "org_01NAVY", OrganizationName: "Navy", Role: "admin"},
		},
	}
	w := pendingWeb(t, olga)
	body, nonce := w.pagePending(w.signIn("/private?x=1"), http.StatusOK, "Choose an organization")
	assert.Contains(t, body, "Acme &lt;Inc&gt;")
	assert.Contains(t, body, `value="org_01NAVY"`)
	assert.NotContains(t, w.jar, middleware.DefaultCookieName, "not signed in yet")
	for name := range w.jar {
		assert.False(t, strings.HasPrefix(name, "wos-auth-verifier"), "PKCE cookie deleted")
	}

	// Other sites cannot post the form; nor can a form without the nonce.
	pick := url.Values{"nonce": {nonce}, "organization_id": {"org_01NAVY"}}
	for _, hdr := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.test"}} {
		r := w.post("/callback", pick, hdr)
		assert.Equal(t, http.StatusForbidden, r.StatusCode, hdr)
	}
	r := w.post("/callback", url.Values{"nonce": {"guess"}, "organization_id": {"org_01NAVY"}}, nil)
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	assert.Contains(t, mwBody(r), "invalid_nonce")
	assert.Equal(t, http.StatusMethodNotAllowed, w.do("PUT", "/callback", nil).StatusCode, "GET and POST only")

	// Not one of the user's organizations: the page again, with the error.
	body, _ = w.pagePending(w.post("/callback", url.Values{"nonce": {nonce}, "organization_id": {"org_01ELSE"}}, nil), http.StatusBadRequest, "Choose an organization")
	assert.Contains(t, body, "Choose one of the organizations.")

	r = w.post("/callback", pick, nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, mwBody(r))
	assert.Equal(t, "/private?x=1", r.Header.Get("Location"))
	assert.NotContains(t, w.jar, middleware.PendingCookieName, "the step's cookie is deleted")
	s := w.session()
	assert.Equal(t, olga.ID, s.User.ID)
	r = w.do("GET", "/auth/session", nil)
	assert.Contains(t, mwBody(r), `"organizationId":"org_01NAVY"`)
	assert.Contains(t, w.logs.String(), "sign-in stopped at a step")

	// The step is over: its form cannot be posted again.
	r = w.post("/callback", pick, nil)
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, mwBody(r), "pending_step_expired")
}

func TestCallbackEmailVerificationThenMFAChallenge(t *testing.T) {
	eve := authkittest.User{ID: "user_01MWEMA1LTHENTOTP00000000", Email: "eve@example.com", UnverifiedEmail: true, TOTPSecret: "JBSWY3DPEHPK3PXP"}
	w := pendingWeb(t, eve)
	body, nonce := w.pagePending(w.signIn("/"), http.StatusOK, "Verify your email")
	assert.Contains(t, body, "eve@example.com")
	assert.Contains(t, body, `autocomplete="one-time-code"`)

	code := w.ak.EmailVerificationCode(eve.ID)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	body, _ = w.pagePending(w.post("/callback", url.Values{"nonce": {nonce}, "code": {wrong}}, nil), http.StatusBadRequest, "Verify your email")
	assert.Contains(t, body, "That code is not right")

	// The next step, with a nonce and a cookie of its own.
	body, nonce2 := w.pagePending(w.post("/callback", url.Values{"nonce": {nonce}, "code": {code}}, nil), http.StatusOK, "Two-factor authentication")
	assert.NotEqual(t, nonce, nonce2)
	assert.NotContains(t, body, eve.TOTPSecret, "an enrolled factor's secret is not shown")

	totp, err := authkittest.TOTPCode(eve.TOTPSecret, w.clk.Now())
	require.NoError(t, err)
	r := w.post("/callback", url.Values{"nonce": {nonce2}, "code": {totp[:3] + " " + totp[3:]}}, nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, mwBody(r))
	assert.Equal(t, "/", r.Header.Get("Location"))
	assert.Equal(t, eve.ID, w.session().User.ID)
}

func TestCallbackMFAEnrollment(t *testing.T) {
	mia := authkittest.User{ID: "user_01MWENR0LL00000000000000", Email: "mia@example.com", RequireMFA: true}
	w := pendingWeb(t, mia)
	body, nonce := w.pagePending(w.signIn("/"), http.StatusOK, "Set up two-factor authentication")
	m := regexp.MustCompile(`<code>([A-Z2-7]+)</code>`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	assert.Contains(t, body, `href="otpauth://totp/`)
	totp, err := authkittest.TOTPCode(m[1], w.clk.Now())
	require.NoError(t, err)
	r := w.post("/callback", url.Values{"nonce": {nonce}, "code": {totp}}, nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, mwBody(r))
	assert.Equal(t, mia.ID, w.session().User.ID)
	assert.NotContains(t, w.logs.String(), m[1], "the TOTP secret is not logged")
}

func TestCallbackPendingStepHandler(t *testing.T) {
	olga := authkittest.User{
		ID: "user_01MWHANDLER000000000000000", Email: "olga@example.com", RequireOrganizationSelection: true,
		Memberships: []authkittest.Membership{{OrganizationID: "org_01ACME"}, {OrganizationID: "org_01NAVY"}},
	}
	var got *middleware.PendingStep
	w := pendingWeb(t, olga, func(c *middleware.Config) {
		c.PendingStepHandler = func(rw http.ResponseWriter, r *http.Request, step *middleware.PendingStep) {
			got = step
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			rw.Write([]byte("<form method=post action=" + html.EscapeString(step.Action) + ">my page</form>"))
		}
	})
	r := w.signIn("/x")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, mwBody(r), "my page")
	require.NotNil(t, got)
	assert.Equal(t, workos.StepOrganizationSelection, got.Kind)
	assert.Equal(t, "/callback", got.Action)
	assert.Equal(t, []workos.Organization{{ID: "org_01ACME", Name: "org_01ACME"}, {ID: "org_01NAVY", Name: "org_01NAVY"}}, got.Organizations)
	assert.Equal(t, olga.Email, got.User.Email)
	assert.Empty(t, got.Error)
	r = w.post("/callback", url.Values{middleware.FieldNonce: {got.Nonce}, middleware.FieldOrganizationID: {"org_01ACME"}}, nil)
	require.Equal(t, http.StatusSeeOther, r.StatusCode, mwBody(r))
	assert.Equal(t, "/x", r.Header.Get("Location"))
}

func TestCallbackPendingStepLimits(t *testing.T) {
	olga := authkittest.User{
		ID: "user_01MWLIMITS0000000000000000", Email: "olga@example.com", RequireOrganizationSelection: true,
		Memberships: []authkittest.Membership{{OrganizationID: "org_01ACME"}, {OrganizationID: "org_01NAVY"}},
	}
	// Without the API key the step cannot be finished: said plainly.
	w := pendingWeb(t, olga, func(c *middleware.Config) { c.WorkOS.APIKey = "" })
	r := w.signIn("/")
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, mwBody(r), "pending_step_unsupported")
	assert.NotContains(t, w.jar, middleware.PendingCookieName)

	// The step lasts PendingStepTTL.
	w = pendingWeb(t, olga)
	_, nonce := w.pagePending(w.signIn("/"), http.StatusOK, "Choose an organization")
	w.clk.Advance(middleware.PendingStepTTL + 2*time.Minute)
	r = w.post("/callback", url.Values{"nonce": {nonce}, "organization_id": {"org_01ACME"}}, nil)
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, mwBody(r), "pending_step_expired")
}
