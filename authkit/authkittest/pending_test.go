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

// Users who stop at each step a sign-in can stop at (pending.go).
var (
	// olga belongs to two organizations and must choose one.
	olga = authkittest.User{
		ID: "user_01HBEQKA6K4QJAS93VPE39W4OL", Email: "olga@example.com", Password: "orgs",
		RequireOrganizationSelection: true,
		Memberships: []authkittest.Membership{
			{OrganizationID: "org_01ACME", OrganizationName: "Acme", Role: "admin"},
			{OrganizationID: "org_01NAVY"},
		},
	}
	// tom has an authenticator app.
	tom = authkittest.User{
		ID: "user_01HBEQKA6K4QJAS93VPE39W5TM", Email: "tom@example.com", Password: "totp",
		TOTPSecret: "JBSWY3DPEHPK3PXP",
	}
	// mia must enroll in MFA.
	mia = authkittest.User{ID: "user_01HBEQKA6K4QJAS93VPE39W6MI", Email: "mia@example.com", Password: "enroll", RequireMFA: true}
	// eve has not verified her email; she also belongs to two organizations.
	eve = authkittest.User{
		ID: "user_01HBEQKA6K4QJAS93VPE39W7EV", Email: "eve@example.com", Password: "verify", UnverifiedEmail: true,
		RequireOrganizationSelection: true,
		Memberships:                  []authkittest.Membership{{OrganizationID: "org_01ACME"}, {OrganizationID: "org_01NAVY"}},
	}
)

func newPendingEnv(t *testing.T, opts ...authkittest.Option) *env {
	return newEnv(t, append([]authkittest.Option{authkittest.WithUsers(olga, tom, mia, eve)}, opts...)...)
}

// password signs u in with the password grant and the API key.
func (e *env) password(u authkittest.User) *response {
	e.t.Helper()
	return e.authenticate(map[string]any{"grant_type": "password", "client_secret": apiKey, "email": u.Email, "password": u.Password})
}

// requireStep checks a pending step's 403 and returns its token.
func requireStep(t *testing.T, r *response, code string) string {
	t.Helper()
	requirePlainError(t, r, http.StatusForbidden, code)
	tok, _ := r.json["pending_authentication_token"].(string)
	require.NotEmpty(t, tok, string(r.body))
	return tok
}

func TestTOTPCodeRFC6238(t *testing.T) {
	t.Parallel()
	// RFC 6238 appendix B, SHA-1: the secret "12345678901234567890", last 6
	// of the 8 digits.
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	for _, c := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		got, err := authkittest.TOTPCode(secret, time.Unix(c.unix, 0))
		require.NoError(t, err)
		assert.Equal(t, c.want, got, c.unix)
	}
	_, err := authkittest.TOTPCode("not base32!", time.Unix(0, 0))
	assert.Error(t, err)
}

func TestOrganizationSelectionRequired(t *testing.T) {
	t.Parallel()
	e := newPendingEnv(t)
	r := e.password(olga)
	tok := requireStep(t, r, "organization_selection_required")
	assert.Equal(t, "The user must choose an organization to finish their authentication.", r.json["message"])
	assert.Equal(t, []any{
		map[string]any{"id": "org_01ACME", "name": "Acme"},
		map[string]any{"id": "org_01NAVY", "name": "org_01NAVY"},
	}, r.json["organizations"])
	assert.Equal(t, olga.ID, r.json["user"].(map[string]any)["id"])

	sel := func(org string, extra ...string) *response {
		body := map[string]any{"grant_type": "urn:workos:oauth:grant-type:organization-selection", "client_secret": apiKey, "pending_authentication_token": tok, "organization_id": org}
		for i := 0; i+1 < len(extra); i += 2 {
			body[extra[i]] = extra[i+1]
		}
		return e.authenticate(body)
	}
	requireOAuthError(t, e.authenticate(map[string]any{"grant_type": "urn:workos:oauth:grant-type:organization-selection", "pending_authentication_token": tok, "organization_id": "org_01ACME"}), 400, "invalid_client")
	requirePlainError(t, sel("org_01ELSE"), 400, "organization_membership_not_found")
	requirePlainError(t, sel("org_01ACME", "pending_authentication_token", "nope"), 400, "invalid_pending_authentication_token")

	// The token survives those mistakes and is used up by the selection.
	ok := sel("org_01ACME")
	require.Equal(t, http.StatusOK, ok.status, string(ok.body))
	assert.Equal(t, "org_01ACME", ok.json["organization_id"])
	assert.Equal(t, "Password", ok.json["authentication_method"])
	_, claims := e.verify(ok.json["access_token"].(string))
	assert.Equal(t, "org_01ACME", claims["org_id"])
	assert.Equal(t, "admin", claims["role"])
	requirePlainError(t, sel("org_01NAVY"), 400, "invalid_pending_authentication_token")

	// Its refresh token rotates like any other, switching organization.
	sw := e.refresh(ok.json["refresh_token"].(string), "organization_id", "org_01NAVY")
	require.Equal(t, http.StatusOK, sw.status, string(sw.body))
	assert.Equal(t, "org_01NAVY", sw.json["organization_id"])

	// The authorization code grant stops at the same step, unless the
	// sign-in named an organization.
	verifier, challenge := pkce()
	cb := e.signInWithForm(e.authorizeQuery(challenge), olga.Email, olga.Password)
	requireStep(t, e.authenticate(map[string]any{"grant_type": "authorization_code", "code": cb.Get("code"), "code_verifier": verifier}), "organization_selection_required")
	q := e.authorizeQuery(challenge)
	q.Set("organization_id", "org_01NAVY")
	cb = e.signInWithForm(q, olga.Email, olga.Password)
	direct := e.authenticate(map[string]any{"grant_type": "authorization_code", "code": cb.Get("code"), "code_verifier": verifier})
	require.Equal(t, http.StatusOK, direct.status, string(direct.body))
	assert.Equal(t, "org_01NAVY", direct.json["organization_id"])

	// The device code grant too.
	dev := e.postForm("/user_management/authorize/device", url.Values{"client_id": {e.srv.ClientID()}})
	require.Equal(t, http.StatusOK, dev.status, string(dev.body))
	require.NoError(t, e.srv.ApproveDevice(dev.json["user_code"].(string), olga.ID))
	requireStep(t, e.authenticate(map[string]any{"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": dev.json["device_code"]}), "organization_selection_required")
}

func TestMFAChallenge(t *testing.T) {
	t.Parallel()
	e := newPendingEnv(t)
	r := e.password(tom)
	tok := requireStep(t, r, "mfa_challenge")
	assert.Equal(t, "The user must complete an MFA challenge to finish authenticating.", r.json["message"])
	factors := r.json["authentication_factors"].([]any)
	require.Len(t, factors, 1)
	factor := factors[0].(map[string]any)
	assert.Equal(t, "totp", factor["type"])
	assert.Regexp(t, `^auth_factor_01`, factor["id"])
	assert.Equal(t, tom.ID, r.json["user"].(map[string]any)["id"])

	path := "/auth/factors/" + factor["id"].(string) + "/challenge"
	assert.Equal(t, http.StatusUnauthorized, e.postJSON(path, map[string]any{}).status, "the API key is required")
	assert.Equal(t, http.StatusNotFound, e.postJSON("/auth/factors/auth_factor_nope/challenge", map[string]any{}, "Authorization", "Bearer "+apiKey).status)
	ch := e.postJSON(path, map[string]any{}, "Authorization", "Bearer "+apiKey)
	require.Equal(t, http.StatusCreated, ch.status, string(ch.body))
	assert.Equal(t, "authentication_challenge", ch.json["object"])
	assert.Equal(t, factor["id"], ch.json["authentication_factor_id"])
	assert.NotContains(t, ch.json, "expires_at", "TOTP challenges do not expire")

	totp := func(code string) *response {
		return e.authenticate(map[string]any{
			"grant_type": "urn:workos:oauth:grant-type:mfa-totp", "client_secret": apiKey,
			"pending_authentication_token": tok, "authentication_challenge_id": ch.json["id"], "code": code,
		})
	}
	codeAt := func(d time.Duration) string {
		c, err := authkittest.TOTPCode(tom.TOTPSecret, e.clock.Now().Add(d))
		require.NoError(t, err)
		return c
	}
	requirePlainError(t, totp(codeAt(-2*time.Minute)), 400, "invalid_one_time_code")
	ok := totp(codeAt(-30 * time.Second)) // the step before is accepted
	require.Equal(t, http.StatusOK, ok.status, string(ok.body))
	assert.Equal(t, tom.ID, ok.json["user"].(map[string]any)["id"])
	requirePlainError(t, totp(codeAt(0)), 400, "invalid_pending_authentication_token")

	// A challenge of tom's factor does not finish mia's sign-in.
	miaTok := requireStep(t, e.password(mia), "mfa_enrollment")
	ch2 := e.postJSON(path, map[string]any{}, "Authorization", "Bearer "+apiKey)
	mismatch := e.authenticate(map[string]any{
		"grant_type": "urn:workos:oauth:grant-type:mfa-totp", "client_secret": apiKey,
		"pending_authentication_token": miaTok, "authentication_challenge_id": ch2.json["id"], "code": codeAt(0),
	})
	requirePlainError(t, mismatch, 400, "user_mismatch")
}

func TestMFAEnrollment(t *testing.T) {
	t.Parallel()
	e := newPendingEnv(t)
	r := e.password(mia)
	tok := requireStep(t, r, "mfa_enrollment")
	assert.Equal(t, "The user must enroll in MFA to finish authenticating.", r.json["message"])
	assert.Equal(t, mia.ID, r.json["user"].(map[string]any)["id"])

	path := "/user_management/users/" + mia.ID + "/auth_factors"
	assert.Equal(t, http.StatusUnauthorized, e.postJSON(path, map[string]any{"type": "totp"}).status)
	assert.Equal(t, http.StatusUnprocessableEntity, e.postJSON(path, map[string]any{"type": "sms"}, "Authorization", "Bearer "+apiKey).status)
	assert.Equal(t, http.StatusNotFound, e.postJSON("/user_management/users/user_nope/auth_factors", map[string]any{"type": "totp"}, "Authorization", "Bearer "+apiKey).status)
	en := e.postJSON(path, map[string]any{"type": "totp", "totp_issuer": "Chat"}, "Authorization", "Bearer "+apiKey)
	require.Equal(t, http.StatusCreated, en.status, string(en.body))
	f := en.json["authentication_factor"].(map[string]any)
	ch := en.json["authentication_challenge"].(map[string]any)
	assert.Equal(t, "authentication_factor", f["object"])
	assert.Equal(t, mia.ID, f["user_id"])
	totp := f["totp"].(map[string]any)
	secret := totp["secret"].(string)
	assert.Equal(t, "Chat", totp["issuer"])
	assert.Equal(t, mia.Email, totp["user"])
	assert.Equal(t, "otpauth://totp/Chat:mia@example.com?issuer=Chat&secret="+secret, totp["uri"])
	assert.Equal(t, f["id"], ch["authentication_factor_id"])

	code, err := authkittest.TOTPCode(secret, e.clock.Now())
	require.NoError(t, err)
	ok := e.authenticate(map[string]any{
		"grant_type": "urn:workos:oauth:grant-type:mfa-totp", "client_secret": apiKey,
		"pending_authentication_token": tok, "authentication_challenge_id": ch["id"], "code": code,
	})
	require.Equal(t, http.StatusOK, ok.status, string(ok.body))

	// Enrolled: the next sign-in is challenged with that factor.
	next := e.password(mia)
	requireStep(t, next, "mfa_challenge")
	assert.Equal(t, f["id"], next.json["authentication_factors"].([]any)[0].(map[string]any)["id"])
}

func TestEmailVerificationThenOrganizationSelection(t *testing.T) {
	t.Parallel()
	e := newPendingEnv(t)
	r := e.password(eve)
	tok := requireStep(t, r, "email_verification_required")
	assert.Equal(t, "Email ownership must be verified before authentication.", r.json["message"])
	assert.Equal(t, eve.Email, r.json["email"])
	assert.Regexp(t, `^email_verification_01`, r.json["email_verification_id"])
	code := e.srv.EmailVerificationCode(eve.ID)
	require.Regexp(t, `^[0-9]{6}$`, code)

	verify := func(code string) *response {
		return e.authenticate(map[string]any{
			"grant_type": "urn:workos:oauth:grant-type:email-verification:code", "client_secret": apiKey,
			"pending_authentication_token": tok, "code": code,
		})
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	requirePlainError(t, verify(wrong), 400, "invalid_one_time_code")
	// The next step follows, with a token of its own.
	next := verify(code)
	orgTok := requireStep(t, next, "organization_selection_required")
	assert.NotEqual(t, tok, orgTok)
	assert.Equal(t, true, next.json["user"].(map[string]any)["email_verified"])
	requirePlainError(t, verify(code), 400, "invalid_pending_authentication_token")

	// Verified for good: the next sign-in goes straight to the organization.
	requireStep(t, e.password(eve), "organization_selection_required")

	// Pending tokens last 10 minutes.
	e.clock.Advance(10*time.Minute + time.Second)
	late := e.authenticate(map[string]any{
		"grant_type": "urn:workos:oauth:grant-type:organization-selection", "client_secret": apiKey,
		"pending_authentication_token": orgTok, "organization_id": "org_01ACME",
	})
	requirePlainError(t, late, 400, "invalid_pending_authentication_token")
}
