package authkittest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
)

// startDevice starts a device authorization and returns its answer.
func (e *env) startDevice() *response {
	e.t.Helper()
	r := e.postJSON("/user_management/authorize/device", map[string]any{"client_id": e.srv.ClientID()})
	require.Equal(e.t, http.StatusOK, r.status, string(r.body))
	return r
}

func (e *env) poll(deviceCode string) *response {
	e.t.Helper()
	return e.authenticate(map[string]any{"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": deviceCode})
}

func TestDeviceAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.startDevice()
	assert.Regexp(t, `^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`, r.json["user_code"])
	assert.NotEmpty(t, r.json["device_code"])
	assert.Equal(t, e.srv.URL()+"/device", r.json["verification_uri"])
	assert.Equal(t, e.srv.URL()+"/device?user_code="+r.json["user_code"].(string), r.json["verification_uri_complete"])
	assert.Equal(t, 300.0, r.json["expires_in"])
	assert.Equal(t, 5.0, r.json["interval"])

	// Form body works too; errors.
	f := e.postForm("/user_management/authorize/device", url.Values{"client_id": {e.srv.ClientID()}})
	assert.Equal(t, http.StatusOK, f.status)
	requireOAuthError(t, e.postJSON("/user_management/authorize/device", map[string]any{}), 400, "invalid_request")
	requireOAuthError(t, e.postJSON("/user_management/authorize/device", map[string]any{"client_id": "client_01OTHER"}), 400, "invalid_client")
}

func TestDevicePolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.startDevice()
	dc, uc := r.json["device_code"].(string), r.json["user_code"].(string)

	requireOAuthError(t, e.poll(dc), 400, "authorization_pending")
	// Too soon: slow_down, and the interval grows to 10 s.
	e.clock.Advance(4 * time.Second)
	requireOAuthError(t, e.poll(dc), 400, "slow_down")
	e.clock.Advance(6 * time.Second)
	requireOAuthError(t, e.poll(dc), 400, "slow_down")
	e.clock.Advance(15 * time.Second) // interval is now 15 s
	requireOAuthError(t, e.poll(dc), 400, "authorization_pending")

	// Approve (the user code in any case, without its dash).
	require.NoError(t, e.srv.ApproveDevice(uc[:4]+uc[5:], linus.ID))
	e.clock.Advance(15 * time.Second)
	ok := e.poll(dc)
	require.Equal(t, http.StatusOK, ok.status, string(ok.body))
	assert.Equal(t, linus.ID, ok.json["user"].(map[string]any)["id"])
	assert.Equal(t, "org_01ACME", ok.json["organization_id"])
	_, claims := e.verify(ok.json["access_token"].(string))
	assert.Equal(t, linus.ID, claims["sub"])
	assert.Equal(t, http.StatusOK, e.refresh(ok.json["refresh_token"].(string)).status)

	// Spent.
	e.clock.Advance(15 * time.Second)
	requireOAuthError(t, e.poll(dc), 400, "invalid_grant")
	assert.ErrorIs(t, e.srv.ApproveDevice(uc, ada.ID), authkittest.ErrUnknownUserCode)

	// Errors.
	requireOAuthError(t, e.poll("nope"), 400, "invalid_grant")
	requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}), 400, "invalid_request")
	assert.ErrorIs(t, e.srv.ApproveDevice("BBBB-BBBB", ada.ID), authkittest.ErrUnknownUserCode)
}

func TestDeviceDenyAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	denied := e.startDevice()
	require.NoError(t, e.srv.DenyDevice(denied.json["user_code"].(string)))
	requireOAuthError(t, e.poll(denied.json["device_code"].(string)), 400, "access_denied")
	assert.ErrorIs(t, e.srv.DenyDevice(denied.json["user_code"].(string)), authkittest.ErrUnknownUserCode)

	pending := e.startDevice()
	approved := e.startDevice()
	require.NoError(t, e.srv.ApproveDevice(approved.json["user_code"].(string), ada.ID))
	e.clock.Advance(authkittest.DeviceCodeLifetime + time.Second)
	requireOAuthError(t, e.poll(pending.json["device_code"].(string)), 400, "expired_token")
	requireOAuthError(t, e.poll(approved.json["device_code"].(string)), 400, "expired_token")
	requireOAuthError(t, e.poll(denied.json["device_code"].(string)), 400, "expired_token")
	assert.ErrorIs(t, e.srv.ApproveDevice(pending.json["user_code"].(string), ada.ID), authkittest.ErrUnknownUserCode)
}

func TestDeviceVerificationPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.startDevice()
	dc, uc := r.json["device_code"].(string), r.json["user_code"].(string)

	page := e.get(r.json["verification_uri_complete"].(string))
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, string(page.body), `value="`+uc+`"`)

	form := url.Values{"user_code": {uc}, "email": {ada.Email}, "password": {"wrong"}, "action": {"approve"}}
	assert.Equal(t, http.StatusUnauthorized, e.postForm("/device", form).status)
	form.Set("user_code", "BBBB-BBBB")
	form.Set("password", ada.Password)
	assert.Equal(t, http.StatusBadRequest, e.postForm("/device", form).status)
	form.Set("user_code", uc)
	done := e.postForm("/device", form)
	require.Equal(t, http.StatusOK, done.status)
	assert.Contains(t, string(done.body), "approved")
	ok := e.poll(dc)
	require.Equal(t, http.StatusOK, ok.status, string(ok.body))
	assert.Equal(t, ada.ID, ok.json["user"].(map[string]any)["id"])

	// Deny from the page.
	r = e.startDevice()
	d := e.postForm("/device", url.Values{"user_code": {r.json["user_code"].(string)}, "action": {"deny"}})
	require.Equal(t, http.StatusOK, d.status)
	requireOAuthError(t, e.poll(r.json["device_code"].(string)), 400, "access_denied")
}

func TestDeviceIntervalOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authkittest.WithDeviceInterval(0))
	r := e.startDevice()
	assert.Equal(t, 0.0, r.json["interval"])
	dc := r.json["device_code"].(string)
	for range 3 {
		requireOAuthError(t, e.poll(dc), 400, "authorization_pending")
	}
}
