package workos_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
)

// Users of authkittest who stop at each pending step.
var (
	pendingAPIKey = "sk_test_pending"
	olga          = authkittest.User{
		ID: "user_01PENDING0RGSELECT0000000", Email: "olga@example.com", Password: "orgs",
		RequireOrganizationSelection: true,
		Memberships: []authkittest.Membership{
			{OrganizationID: "org_01ACME", OrganizationName: "Acme"},
			{OrganizationID: "org_01NAVY", OrganizationName: "Navy"},
		},
	}
	tom = authkittest.User{ID: "user_01PENDINGT0TP00000000000", Email: "tom@example.com", Password: "totp", TOTPSecret: "JBSWY3DPEHPK3PXP"}
	mia = authkittest.User{ID: "user_01PENDINGENR0LL000000000", Email: "mia@example.com", Password: "enroll", RequireMFA: true}
	eve = authkittest.User{
		ID: "user_01PENDINGEMA1L000000000", Email: "eve@example.com", Password: "verify", UnverifiedEmail: true,
		RequireOrganizationSelection: true,
		Memberships:                  olga.Memberships,
	}
)

func newPendingServer(t *testing.T, opts ...authkittest.Option) (*authkittest.Server, workos.Config) {
	t.Helper()
	srv := authkittest.NewServer(append([]authkittest.Option{authkittest.WithUsers(olga, tom, mia, eve), authkittest.WithAPIKey(pendingAPIKey)}, opts...)...)
	t.Cleanup(srv.Close)
	cfg := cfgFor(srv)
	cfg.APIKey = pendingAPIKey
	return srv, cfg
}

func TestPasswordSignInOrganizationSelection(t *testing.T) {
	srv, cfg := newPendingServer(t)
	ctx := context.Background()
	_, err := workos.SignInWithPassword(ctx, cfg, olga.Email, olga.Password)
	require.ErrorIs(t, err, workos.ErrPendingStep)
	sel, ok := errors.AsType[*workos.OrganizationSelectionRequired](err)
	require.True(t, ok, err)
	assert.Equal(t, []workos.Organization{{ID: "org_01ACME", Name: "Acme"}, {ID: "org_01NAVY", Name: "Navy"}}, sel.Organizations)
	assert.Equal(t, olga.ID, sel.User.ID)
	assert.NotEmpty(t, sel.PendingToken)
	assert.NotContains(t, err.Error(), sel.PendingToken, "the token is never in the message")
	step, ok := errors.AsType[workos.PendingStep](err)
	require.True(t, ok)
	assert.Equal(t, workos.StepOrganizationSelection, step.StepCode())
	assert.Equal(t, sel.PendingToken, step.PendingAuthenticationToken())
	ae, ok := errors.AsType[*workos.APIError](err)
	require.True(t, ok, "the API error stays reachable")
	assert.Equal(t, http.StatusForbidden, ae.Status)
	assert.False(t, ae.Transient())

	// Not a member: the step stays open.
	_, err = workos.CompleteOrganizationSelection(ctx, cfg, sel.PendingToken, "org_01ELSE")
	ae, ok = errors.AsType[*workos.APIError](err)
	require.True(t, ok, err)
	assert.Equal(t, "organization_membership_not_found", ae.Code)

	st, err := workos.CompleteOrganizationSelection(ctx, cfg, sel.PendingToken, "org_01NAVY")
	require.NoError(t, err)
	assert.Equal(t, "org_01NAVY", st.OrganizationID)
	assert.Equal(t, olga.ID, st.User.ID)
	tok, err := authkit.ParseToken(st.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "org_01NAVY", tok.OrganizationID)
	assert.Equal(t, srv.URL(), st.APIBase)

	// Without the API key nothing is sent.
	before := srv.Requests(authkittest.RouteAuthenticate)
	noKey := cfg
	noKey.APIKey = ""
	_, err = workos.CompleteOrganizationSelection(ctx, noKey, sel.PendingToken, "org_01NAVY")
	assert.ErrorContains(t, err, "API key")
	_, err = workos.EnrollTOTP(ctx, noKey, mia.ID)
	assert.ErrorContains(t, err, "API key")
	assert.Equal(t, before, srv.Requests(authkittest.RouteAuthenticate))
}

// codeFor runs the authorize redirect for a user (WithAutoApprove with
// login_hint) and returns the code and its verifier.
func codeFor(t *testing.T, srv *authkittest.Server, cfg workos.Config, email string) (code, verifier string) {
	t.Helper()
	const redirect = "http://127.0.0.1:5173/callback"
	srv.AllowRedirectURI(redirect)
	verifier = "a-verifier-of-at-least-43-characters-aaaaaaaaaaaaaaaa"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(workos.AuthorizeURL(cfg, redirect, "st", challenge, workos.SignInOptions{LoginHint: email}))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return loc.Query().Get("code"), verifier
}

func TestExchangeCodeAndDeviceCodeStopAtTheStep(t *testing.T) {
	srv, cfg := newPendingServer(t, authkittest.WithAutoApprove(tom.ID))
	code, verifier := codeFor(t, srv, cfg, olga.Email)
	_, err := workos.ExchangeCode(context.Background(), cfg, code, verifier)
	_, ok := errors.AsType[*workos.OrganizationSelectionRequired](err)
	require.True(t, ok, err)

	code, verifier = codeFor(t, srv, cfg, tom.Email)
	_, err = workos.ExchangeCode(context.Background(), cfg, code, verifier)
	_, ok = errors.AsType[*workos.MFAChallengeRequired](err)
	require.True(t, ok, err)

	clk := newStepClock()
	var dc workos.DeviceCode
	clk.onSleep = func(n int, d time.Duration) time.Duration {
		if n == 1 {
			require.NoError(t, srv.ApproveDevice(dc.UserCode, mia.ID))
		}
		return d
	}
	_, err = workos.SignInWithDeviceCodeOnClock(context.Background(), cfg, func(c workos.DeviceCode) { dc = c }, workos.SignInOptions{}, clk.Now, clk.Sleep)
	enr, ok := errors.AsType[*workos.MFAEnrollmentRequired](err)
	require.True(t, ok, err)
	assert.Equal(t, mia.ID, enr.User.ID)
}

func TestMFAChallengeAndEnrollment(t *testing.T) {
	_, cfg := newPendingServer(t)
	ctx := context.Background()

	// Enrolled: challenge the TOTP factor, answer with the app's code.
	_, err := workos.SignInWithPassword(ctx, cfg, tom.Email, tom.Password)
	chal, ok := errors.AsType[*workos.MFAChallengeRequired](err)
	require.True(t, ok, err)
	assert.Equal(t, tom.ID, chal.User.ID)
	f, ok := chal.TOTPFactor()
	require.True(t, ok)
	c, err := workos.ChallengeFactor(ctx, cfg, f.ID)
	require.NoError(t, err)
	assert.Equal(t, f.ID, c.FactorID)
	assert.True(t, c.ExpiresAt.IsZero(), "TOTP challenges do not expire")
	_, err = workos.ChallengeFactor(ctx, cfg, "auth_factor_nope")
	ae, ok := errors.AsType[*workos.APIError](err)
	require.True(t, ok, err)
	assert.Equal(t, http.StatusNotFound, ae.Status)

	code, err := authkittest.TOTPCode(tom.TOTPSecret, time.Now())
	require.NoError(t, err)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err = workos.CompleteMFA(ctx, cfg, chal.PendingToken, c.ID, wrong)
	ae, ok = errors.AsType[*workos.APIError](err)
	require.True(t, ok, err)
	assert.Equal(t, "invalid_one_time_code", ae.Code)
	st, err := workos.CompleteMFA(ctx, cfg, chal.PendingToken, c.ID, code)
	require.NoError(t, err)
	assert.Equal(t, tom.ID, st.User.ID)

	// Not enrolled: enroll, show the secret, answer with its code.
	_, err = workos.SignInWithPassword(ctx, cfg, mia.Email, mia.Password)
	enr, ok := errors.AsType[*workos.MFAEnrollmentRequired](err)
	require.True(t, ok, err)
	e, err := workos.EnrollTOTP(ctx, cfg, enr.User.ID)
	require.NoError(t, err)
	assert.NotEmpty(t, e.FactorID)
	assert.NotEmpty(t, e.ChallengeID)
	assert.Contains(t, e.URI, "secret="+e.Secret)
	assert.Equal(t, mia.Email, e.Account)
	code, err = authkittest.TOTPCode(e.Secret, time.Now())
	require.NoError(t, err)
	st, err = workos.CompleteMFA(ctx, cfg, enr.PendingToken, e.ChallengeID, code)
	require.NoError(t, err)
	assert.Equal(t, mia.ID, st.User.ID)
	_, err = workos.SignInWithPassword(ctx, cfg, mia.Email, mia.Password)
	_, ok = errors.AsType[*workos.MFAChallengeRequired](err)
	assert.True(t, ok, "enrolled now: challenged next time, %v", err)
}

func TestEmailVerificationThenOrganization(t *testing.T) {
	srv, cfg := newPendingServer(t)
	ctx := context.Background()
	_, err := workos.SignInWithPassword(ctx, cfg, eve.Email, eve.Password)
	ev, ok := errors.AsType[*workos.EmailVerificationRequired](err)
	require.True(t, ok, err)
	assert.Equal(t, eve.Email, ev.Email)
	assert.NotEmpty(t, ev.EmailVerificationID)
	assert.Contains(t, err.Error(), eve.Email)

	_, err = workos.CompleteEmailVerification(ctx, cfg, ev.PendingToken, srv.EmailVerificationCode(eve.ID))
	sel, ok := errors.AsType[*workos.OrganizationSelectionRequired](err)
	require.True(t, ok, "the next step follows: %v", err)
	assert.True(t, sel.User.EmailVerified)
	st, err := workos.CompleteOrganizationSelection(ctx, cfg, sel.PendingToken, "org_01ACME")
	require.NoError(t, err)
	assert.Equal(t, "org_01ACME", st.OrganizationID)
	assert.True(t, st.User.EmailVerified)
}

func TestSessionSwitchOrganization(t *testing.T) {
	srv, cfg := newPendingServer(t)
	ctx := context.Background()
	signedIn, err := srv.IssueTokens(olga.ID, authkittest.IssueOrganization("org_01ACME"))
	require.NoError(t, err)
	var ended []error
	store := workos.NewMemoryStore()
	pub := cfg
	pub.APIKey = ""
	sess, err := workos.NewSessionWithSleep(workos.SessionConfig{Config: pub, Store: store, OnSignedOut: func(err error) { ended = append(ended, err) }}, instant)
	require.NoError(t, err)
	require.NoError(t, sess.Save(ctx, &workos.StoredSession{RefreshToken: signedIn.RefreshToken, AccessToken: signedIn.AccessToken}))

	tok, err := sess.SwitchOrganization(ctx, "org_01NAVY")
	require.NoError(t, err)
	assert.Equal(t, "org_01NAVY", tok.OrganizationID)
	assert.Equal(t, signedIn.SessionID, tok.SessionID, "the same session")
	saved, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "org_01NAVY", saved.OrganizationID)
	assert.Equal(t, tok.AccessToken, saved.AccessToken, "persisted")

	// Later refreshes stay there.
	again, err := sess.Token(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, "org_01NAVY", again.OrganizationID)

	// An organization the user is not in: refused, the session kept.
	_, err = sess.SwitchOrganization(ctx, "org_01ELSE")
	require.Error(t, err)
	assert.NotErrorIs(t, err, authkit.ErrSignedOut)
	ae, ok := errors.AsType[*workos.APIError](err)
	require.True(t, ok, err)
	assert.Equal(t, "organization_not_found", ae.Code)
	still, err := sess.Token(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, "org_01NAVY", still.OrganizationID)
	assert.Empty(t, ended)

	// A session ended at WorkOS: the switch signs out, as a refresh does.
	require.True(t, srv.EndSession(signedIn.SessionID))
	_, err = sess.SwitchOrganization(ctx, "org_01ACME")
	assert.ErrorIs(t, err, authkit.ErrSignedOut)
	assert.Len(t, ended, 1)
	_, err = sess.SwitchOrganization(ctx, "")
	assert.Error(t, err)
}
