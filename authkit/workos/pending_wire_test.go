package workos

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The bodies of WorkOS docs "reference/authkit/authentication-errors"
// (status 403: @workos/openapi-spec 0.1.0, POST
// /user_management/authenticate), read into the typed steps.
func TestPendingStepBodiesOfWorkOSDocs(t *testing.T) {
	user := `{"object":"user","id":"user_01E4ZCR3C56J083X43JQXF3JK5","email":"marcelina.davis@example.com","first_name":"Marcelina","last_name":"Davis","email_verified":true}`
	read := func(body string) error {
		return pendingStep(parseAPIError(403, http.Header{}, []byte(body), time.Now()), []byte(body))
	}

	err := read(`{"code":"organization_selection_required","message":"The user must choose an organization to finish their authentication.","pending_authentication_token":"YQyCkYfuVw2mI3tzSrk2C1Y7S","organizations":[{"id":"org_01H93RZAP85YGYZJXYPAZ9QTXF","name":"Foo Corp"},{"id":"org_01H93S4E6GB5A8PFNKGTA4S42X","name":"Bar Corp"}],"user":` + user + `}`)
	sel, ok := err.(*OrganizationSelectionRequired)
	require.True(t, ok, err)
	assert.Equal(t, "YQyCkYfuVw2mI3tzSrk2C1Y7S", sel.PendingToken)
	assert.Equal(t, []Organization{{"org_01H93RZAP85YGYZJXYPAZ9QTXF", "Foo Corp"}, {"org_01H93S4E6GB5A8PFNKGTA4S42X", "Bar Corp"}}, sel.Organizations)
	assert.Equal(t, "marcelina.davis@example.com", sel.User.Email)
	assert.ErrorIs(t, err, ErrPendingStep)
	ae, ok := errors.AsType[*APIError](err)
	require.True(t, ok)
	assert.Equal(t, "The user must choose an organization to finish their authentication.", ae.Description)

	err = read(`{"code":"mfa_enrollment","message":"The user must enroll in MFA to finish authenticating.","pending_authentication_token":"YQyCkYfuVw2mI3tzSrk2C1Y7S","user":` + user + `}`)
	enr, ok := err.(*MFAEnrollmentRequired)
	require.True(t, ok, err)
	assert.Equal(t, "user_01E4ZCR3C56J083X43JQXF3JK5", enr.User.ID)
	assert.Equal(t, StepMFAEnrollment, enr.StepCode())

	err = read(`{"code":"mfa_challenge","message":"The user must complete an MFA challenge to finish authenticating.","pending_authentication_token":"YQyCkYfuVw2mI3tzSrk2C1Y7S","authentication_factors":[{"id":"auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ","type":"totp"}],"user":` + user + `}`)
	chal, ok := err.(*MFAChallengeRequired)
	require.True(t, ok, err)
	assert.Equal(t, []Factor{{"auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ", "totp"}}, chal.Factors)
	f, ok := chal.TOTPFactor()
	assert.True(t, ok)
	assert.Equal(t, "auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ", f.ID)

	err = read(`{"code":"email_verification_required","message":"Email ownership must be verified before authentication.","pending_authentication_token":"YQyCkYfuVw2mI3tzSrk2C1Y7S","email":"marcelina.davis@example.com","email_verification_id":"email_verification_01HYGGEB6FYMWQNWF3XDZG7VV3"}`)
	ev, ok := err.(*EmailVerificationRequired)
	require.True(t, ok, err)
	assert.Equal(t, "marcelina.davis@example.com", ev.Email)
	assert.Equal(t, "email_verification_01HYGGEB6FYMWQNWF3XDZG7VV3", ev.EmailVerificationID)
	assert.Nil(t, ev.User)
	for _, e := range []error{sel, enr, chal, ev} {
		assert.NotContains(t, e.Error(), "YQyCkYfuVw2mI3tzSrk2C1Y7S")
	}

	// Nothing to finish: left as the API error. The OAuth-shaped
	// mfa_enrollment of the spec's 400 has no token; sso_required is
	// another kind of answer.
	assert.Nil(t, read(`{"error":"mfa_enrollment","error_description":"The request failed due to: mfa_enrollment."}`))
	assert.Nil(t, read(`{"error":"sso_required","error_description":"x","pending_authentication_token":"t","connection_ids":["conn_1"],"email":"a@b"}`))
	assert.Nil(t, read(`{"code":"invalid_credentials","message":"x","pending_authentication_token":"t"}`))
}

// grantRecorder answers every request with a scripted body and records
// what was sent.
type grantRecorder struct {
	mu   sync.Mutex
	reqs []recorded
	body string
}

type recorded struct {
	method, path, auth string
	body               map[string]any
}

func (g *grantRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	g.mu.Lock()
	g.reqs = append(g.reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"), m})
	body := g.body
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != authenticatePath {
		w.WriteHeader(http.StatusCreated)
	}
	io.WriteString(w, body)
}

func (g *grantRecorder) last(t *testing.T) recorded {
	g.mu.Lock()
	defer g.mu.Unlock()
	require.NotEmpty(t, g.reqs)
	return g.reqs[len(g.reqs)-1]
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The requests carry the fields of workos-node 11.0.0's serializers
// (node_modules/@workos-inc/node/lib/factory-BbGPjwhL.mjs:
// serializeAuthenticateWithOrganizationSelectionOptions,
// serializeAuthenticateWithTotpOptions,
// serializeAuthenticateWithEmailVerificationOptions,
// serializeEnrollAuthFactorOptions; MultiFactorAuth.challengeFactor),
// without the optional ip_address and user_agent.
func TestPendingGrantRequests(t *testing.T) {
	rec := &grantRecorder{body: `{"user":{"id":"user_1","email":"a@example.com"},"access_token":"at","refresh_token":"rt","organization_id":"org_1"}`}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := Config{ClientID: "client_1", APIKey: "sk_test_1", APIBase: srv.URL}
	ctx := context.Background()

	st, err := CompleteOrganizationSelection(ctx, cfg, "pending_1", "org_1")
	require.NoError(t, err)
	assert.Equal(t, "org_1", st.OrganizationID)
	r := rec.last(t)
	assert.Equal(t, "POST "+authenticatePath, r.method+" "+r.path)
	assert.Equal(t, map[string]any{
		"grant_type": "urn:workos:oauth:grant-type:organization-selection", "client_id": "client_1", "client_secret": "sk_test_1",
		"pending_authentication_token": "pending_1", "organization_id": "org_1",
	}, r.body)

	_, err = CompleteMFA(ctx, cfg, "pending_2", "auth_challenge_1", "123456")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"grant_type": "urn:workos:oauth:grant-type:mfa-totp", "client_id": "client_1", "client_secret": "sk_test_1",
		"code": "123456", "authentication_challenge_id": "auth_challenge_1", "pending_authentication_token": "pending_2",
	}, rec.last(t).body)

	_, err = CompleteEmailVerification(ctx, cfg, "pending_3", "654321")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"grant_type": "urn:workos:oauth:grant-type:email-verification:code", "client_id": "client_1", "client_secret": "sk_test_1",
		"pending_authentication_token": "pending_3", "code": "654321",
	}, rec.last(t).body)

	// The enrollment answer of @workos/openapi-spec's
	// UserlandUserAuthenticationFactorEnrollResponse.
	rec.body = `{"authentication_factor":{"object":"authentication_factor","id":"auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ","type":"totp","user_id":"user_01E4ZCR3C56J083X43JQXF3JK5","totp":{"issuer":"WorkOS","user":"user@example.com","secret":"JBSWY3DPEHPK3PXP","qr_code":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg...","uri":"otpauth://totp/WorkOS:user@example.com?secret=JBSWY3DPEHPK3PXP&issuer=WorkOS"},"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"},"authentication_challenge":{"object":"authentication_challenge","id":"auth_challenge_01FVYZWQTZQ5VB6BC5MPG2EYC5","authentication_factor_id":"auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ","created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}}`
	e, err := EnrollTOTP(ctx, cfg, "user_01E4ZCR3C56J083X43JQXF3JK5")
	require.NoError(t, err)
	assert.Equal(t, &TOTPEnrollment{
		FactorID: "auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ", ChallengeID: "auth_challenge_01FVYZWQTZQ5VB6BC5MPG2EYC5",
		Secret: "JBSWY3DPEHPK3PXP", URI: "otpauth://totp/WorkOS:user@example.com?secret=JBSWY3DPEHPK3PXP&issuer=WorkOS",
		QRCode: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg...", Issuer: "WorkOS", Account: "user@example.com",
	}, e)
	r = rec.last(t)
	assert.Equal(t, "POST /user_management/users/user_01E4ZCR3C56J083X43JQXF3JK5/auth_factors", r.method+" "+r.path)
	assert.Equal(t, "Bearer sk_test_1", r.auth)
	assert.Equal(t, map[string]any{"type": "totp"}, r.body)

	rec.body = `{"object":"authentication_challenge","id":"auth_challenge_2","authentication_factor_id":"auth_factor_2","expires_at":"2026-01-15T12:10:00.000Z","created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`
	c, err := ChallengeFactor(ctx, cfg, "auth_factor_2")
	require.NoError(t, err)
	assert.Equal(t, &Challenge{ID: "auth_challenge_2", FactorID: "auth_factor_2", ExpiresAt: time.Date(2026, 1, 15, 12, 10, 0, 0, time.UTC)}, c)
	r = rec.last(t)
	assert.Equal(t, "POST /auth/factors/auth_factor_2/challenge", r.method+" "+r.path)
	assert.Equal(t, "Bearer sk_test_1", r.auth)
	assert.Empty(t, keys(r.body))
}
