package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/internal/syncbuf"
)

const pendingAPIKey = "sk_test_goconvex_pending"

// Users of the issuer who stop at a pending step.
var (
	pendOlga = authkittest.User{
		ID: "user_01CL10RGSELECT00000000000", Email: "olga@example.com", RequireOrganizationSelection: true,
		Memberships: []authkittest.Membership{
			{OrganizationID: "org_01ACME", OrganizationName: "Acme"},
			{OrganizationID: "org_01NAVY", OrganizationName: "Navy"},
		},
	}
	pendEve = authkittest.User{ID: "user_01CL1EMA1LT0TP0000000000", Email: "eve@example.com", UnverifiedEmail: true, TOTPSecret: "JBSWY3DPEHPK3PXP"}
	pendMia = authkittest.User{ID: "user_01CL1ENR0LL0000000000000", Email: "mia@example.com", RequireMFA: true}
)

func newPendingStack(t *testing.T, apiKey string) *stackT {
	t.Helper()
	st := newStack(t, authkittest.WithUsers(authkittest.DemoUser, pendOlga, pendEve, pendMia), authkittest.WithAPIKey(pendingAPIKey))
	t.Setenv(workos.EnvAPIKey, apiKey)
	return st
}

// prompter is the CLI's stderr and the user at the keyboard: when the
// CLI writes a prompt, answer (given the prompt and all of stderr so far)
// writes the reply into the pipe the CLI reads as stdin.
type prompter struct {
	out     syncbuf.Buffer
	w       *io.PipeWriter
	answer  func(prompt, stderr string) string
	mu      sync.Mutex
	prompts []string
}

var promptRE = regexp.MustCompile(`(Organization \[1-\d+\]|Authenticator app code|Code): $`)

func (p *prompter) Write(b []byte) (int, error) {
	p.out.Write(b)
	if m := promptRE.FindStringSubmatch(string(b)); m != nil {
		p.mu.Lock()
		p.prompts = append(p.prompts, m[1])
		p.mu.Unlock()
		reply := p.answer(m[1], p.out.String())
		go p.w.Write([]byte(reply + "\n")) // the CLI reads once the prompt is out
	}
	return len(b), nil
}

func (p *prompter) Prompts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.prompts...)
}

// loginWith runs goconvex login with stdin a pipe that p answers.
func loginWith(t *testing.T, answer func(prompt, stderr string) string, args ...string) (code int, stdout string, p *prompter) {
	t.Helper()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	p = &prompter{w: w, answer: answer}
	stdin = r
	t.Cleanup(func() { stdin = os.Stdin })
	var o syncbuf.Buffer
	code = run(append(append([]string{"login"}, args...), "--env-file", filepath.Join(t.TempDir(), "none.env")), &o, p)
	return code, o.String(), p
}

func totpNow(t *testing.T, secret string) string {
	c, err := authkittest.TOTPCode(secret, time.Now())
	require.NoError(t, err)
	return c
}

func TestLoginChoosesAnOrganization(t *testing.T) {
	newPendingStack(t, pendingAPIKey)
	answers := []string{"9", "2"} // out of range, then Navy
	code, stdout, p := loginWith(t, func(prompt, _ string) string {
		a := answers[0]
		answers = answers[1:]
		return a
	}, "--login-hint", pendOlga.Email, "--json")
	require.Equal(t, exitOK, code, p.out.String())
	assert.Contains(t, p.out.String(), "  1) Acme (org_01ACME)\n  2) Navy (org_01NAVY)\n")
	assert.Contains(t, p.out.String(), "Enter a number from 1 to 2.")
	assert.Equal(t, []string{"Organization [1-2]", "Organization [1-2]"}, p.Prompts())
	var out struct {
		OrganizationID string `json:"organization_id"`
		User           struct{ Email string }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	assert.Equal(t, "org_01NAVY", out.OrganizationID)
	assert.Equal(t, pendOlga.Email, out.User.Email)

	// The saved session works, in that organization.
	code, stdout, stderr := cli(t, "whoami", "--json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"org_01NAVY"`)
}

func TestLoginEmailCodeThenAuthenticatorCode(t *testing.T) {
	st := newPendingStack(t, pendingAPIKey)
	onDeviceCode = func(dc workos.DeviceCode) { require.NoError(t, st.ak.ApproveDevice(dc.UserCode, pendEve.ID)) }
	wrongTOTP := false
	code, stdout, p := loginWith(t, func(prompt, _ string) string {
		if prompt == "Code" {
			return st.ak.EmailVerificationCode(pendEve.ID)
		}
		if !wrongTOTP {
			wrongTOTP = true
			if c := totpNow(t, pendEve.TOTPSecret); c != "000000" {
				return "000000"
			}
			return "111111"
		}
		c := totpNow(t, pendEve.TOTPSecret)
		return c[:3] + " " + c[3:]
	}, "--device")
	require.Equal(t, exitOK, code, p.out.String())
	assert.Contains(t, p.out.String(), "A verification code was emailed to eve@example.com.")
	assert.Contains(t, p.out.String(), "That code is not right")
	assert.Equal(t, []string{"Code", "Authenticator app code", "Authenticator app code"}, p.Prompts())
	assert.Contains(t, stdout, "Signed in as eve@example.com")
}

func TestLoginEnrollsAnAuthenticator(t *testing.T) {
	newPendingStack(t, pendingAPIKey)
	keyRE := regexp.MustCompile(`Add this key to your authenticator app:\n\n  ([A-Z2-7]+)\n`)
	code, stdout, p := loginWith(t, func(prompt, stderr string) string {
		m := keyRE.FindStringSubmatch(stderr)
		require.NotNil(t, m, stderr)
		return totpNow(t, m[1])
	}, "--login-hint", pendMia.Email)
	require.Equal(t, exitOK, code, p.out.String())
	assert.Contains(t, p.out.String(), "otpauth://totp/")
	assert.Contains(t, stdout, "Signed in as mia@example.com")
}

func TestLoginPendingStepLimits(t *testing.T) {
	// Without the API key the step cannot be finished: said so, nothing read.
	newPendingStack(t, "")
	code, _, p := loginWith(t, func(string, string) string { t.Error("prompted without an API key"); return "" }, "--login-hint", pendOlga.Email)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, p.out.String(), "organization_selection_required")
	assert.Contains(t, p.out.String(), "needs the environment's API key")
	assert.Empty(t, p.Prompts())

	// Standard input closed: no answer, no session.
	t.Setenv(workos.EnvAPIKey, pendingAPIKey)
	r, w := io.Pipe()
	w.Close()
	stdin = r
	t.Cleanup(func() { stdin = os.Stdin })
	var o, e syncbuf.Buffer
	code = run([]string{"login", "--login-hint", pendOlga.Email, "--env-file", filepath.Join(t.TempDir(), "none.env")}, &o, &e)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, e.String(), "no answer on standard input")
	code, _, _ = cli(t, "whoami")
	assert.Equal(t, exitSignedOut, code)
	assert.False(t, strings.Contains(e.String(), "Signed in"))
}
