package middleware

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit/workos"
)

// This file is the callback's pending steps (docs/auth.md, "Pending
// steps"): a code exchange that WorkOS answered with a step still to do
// (choose an organization, an MFA code, an emailed code) is sealed in a
// short-lived cookie and shown as a page whose same-origin form posts back
// to the callback, which finishes the sign-in. The pending authentication
// token stays in the sealed cookie: it is never in a page or a URL.

// PendingCookieName is the cookie that holds a sign-in's pending step,
// sealed like the session, for PendingStepTTL.
const PendingCookieName = "wos-pending-step"

// PendingStepTTL is how long a pending step can be finished: WorkOS's
// pending authentication tokens are short-lived too.
const PendingStepTTL = 10 * time.Minute

// Form fields the pending step's page posts to PendingStep.Action.
const (
	// FieldNonce carries PendingStep.Nonce (every step).
	FieldNonce = "nonce"
	// FieldOrganizationID carries the chosen organization's id
	// (organization selection).
	FieldOrganizationID = "organization_id"
	// FieldCode carries the authenticator app's or the emailed code (MFA,
	// email verification).
	FieldCode = "code"
)

// PendingStep is a sign-in WorkOS has not finished, for the page that asks
// the user what the step needs (Config.PendingStepHandler). The page posts
// a form (method POST) to Action with FieldNonce = Nonce and, for the
// step, FieldOrganizationID (one of Organizations) or FieldCode.
type PendingStep struct {
	// Kind is the step: workos.StepOrganizationSelection,
	// workos.StepMFAChallenge, workos.StepMFAEnrollment or
	// workos.StepEmailVerification.
	Kind string
	// User is the user signing in, when WorkOS named it.
	User *workos.User
	// Organizations are those to choose from (organization selection).
	Organizations []workos.Organization
	// Email is where the code went (email verification).
	Email string
	// TOTPSecret and TOTPURI are the key to add to an authenticator app
	// (MFA enrollment): show them (the URI as a QR code, or a link), never
	// log them.
	TOTPSecret, TOTPURI string
	// Action is where the form posts: the callback's path.
	Action string
	// Nonce is the form's FieldNonce value, checked against the sealed
	// cookie (with the request's origin) so that no other site can post
	// the form.
	Nonce string
	// Error says what was wrong with the last answer ("" at first).
	Error string
}

// pendingState is the sealed content of PendingCookieName.
type pendingState struct {
	Kind           string                `json:"kind"`
	Token          string                `json:"token"`
	ChallengeID    string                `json:"challengeId,omitempty"`
	ReturnPathname string                `json:"returnPathname,omitempty"`
	Nonce          string                `json:"nonce"`
	User           *workos.User          `json:"user,omitempty"`
	Organizations  []workos.Organization `json:"organizations,omitempty"`
	Email          string                `json:"email,omitempty"`
	TOTPSecret     string                `json:"totpSecret,omitempty"`
	TOTPURI        string                `json:"totpUri,omitempty"`
}

// startPending turns a step WorkOS answered into a sealed cookie and its
// page. For MFA it first starts the challenge (or enrolls the TOTP factor)
// whose code the page asks for.
func (m *Middleware) startPending(w http.ResponseWriter, r *http.Request, err error, returnPathname string) {
	step, _ := errors.AsType[workos.PendingStep](err)
	m.debug("sign-in stopped at a step", "step", step.StepCode())
	if m.cfg.WorkOS.APIKey == "" {
		m.jar.deleteCookie(w, PendingCookieName)
		writeJSONError(w, http.StatusBadRequest, "pending_step_unsupported",
			"WorkOS asks for one more step ("+step.StepCode()+"); finishing it needs the server's API key (WORKOS_API_KEY).")
		return
	}
	nonce, nerr := randomB64(16)
	if nerr != nil {
		writeJSONError(w, http.StatusInternalServerError, "server_error", "Could not continue the sign-in.")
		return
	}
	st := &pendingState{Kind: step.StepCode(), Token: step.PendingAuthenticationToken(), ReturnPathname: localPath(returnPathname), Nonce: nonce}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), refreshTimeout)
	defer cancel()
	var apiErr error
	switch s := step.(type) {
	case *workos.OrganizationSelectionRequired:
		st.User, st.Organizations = s.User, s.Organizations
	case *workos.EmailVerificationRequired:
		st.User, st.Email = s.User, s.Email
	case *workos.MFAChallengeRequired:
		st.User = s.User
		f, ok := s.TOTPFactor()
		if !ok {
			m.jar.deleteCookie(w, PendingCookieName)
			writeJSONError(w, http.StatusBadRequest, "unsupported_mfa_factor", "The account's MFA factor is not an authenticator app; sign in on the hosted page.")
			return
		}
		var c *workos.Challenge
		if c, apiErr = workos.ChallengeFactor(ctx, m.cfg.WorkOS, f.ID); apiErr == nil {
			st.ChallengeID = c.ID
		}
	case *workos.MFAEnrollmentRequired:
		st.User = s.User
		if s.User == nil {
			apiErr = errors.New("workos: mfa_enrollment without a user")
			break
		}
		var e *workos.TOTPEnrollment
		if e, apiErr = workos.EnrollTOTP(ctx, m.cfg.WorkOS, s.User.ID); apiErr == nil {
			st.ChallengeID, st.TOTPSecret, st.TOTPURI = e.ChallengeID, e.Secret, e.URI
		}
	}
	if apiErr != nil {
		m.jar.deleteCookie(w, PendingCookieName)
		m.debug("could not start the MFA step", "err", apiErr.Error())
		writeJSONError(w, http.StatusBadGateway, "pending_step_failed", "WorkOS could not start the MFA step; try signing in again.")
		return
	}
	if !m.setPending(w, st) {
		return
	}
	m.renderPending(w, r, st, "")
}

// setPending seals st into its cookie.
func (m *Middleware) setPending(w http.ResponseWriter, st *pendingState) bool {
	v, err := m.jar.sealer.Seal(st, PendingStepTTL)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "server_error", "Could not continue the sign-in.")
		return false
	}
	ss := m.jar.sameSite
	if ss == http.SameSiteNoneMode {
		ss = http.SameSiteLaxMode // never sent with another site's requests
	}
	http.SetCookie(w, m.jar.base(PendingCookieName, v, PendingStepTTL, ss))
	noStore(w)
	return true
}

// renderPending shows the step: the app's page, or the default one.
func (m *Middleware) renderPending(w http.ResponseWriter, r *http.Request, st *pendingState, errMsg string) {
	p := &PendingStep{
		Kind: st.Kind, User: st.User, Organizations: slices.Clone(st.Organizations), Email: st.Email,
		TOTPSecret: st.TOTPSecret, TOTPURI: st.TOTPURI,
		Action: m.redirectURL.EscapedPath(), Nonce: st.Nonce, Error: errMsg,
	}
	noStore(w)
	if m.cfg.PendingStepHandler != nil {
		m.cfg.PendingStepHandler(w, r, p)
		return
	}
	writePendingPage(w, p)
}

// finishPending serves the pending step's form: a same-origin POST with
// the cookie's nonce. It finishes the sign-in, shows the next step, or
// shows the same step again with what was wrong.
func (m *Middleware) finishPending(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !m.sameOrigin(r) {
		m.debug("pending step refused: cross-origin request")
		writeJSONError(w, http.StatusForbidden, "cross_site", "Cross-site requests are refused.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		writeJSONError(w, http.StatusBadRequest, "invalid_form", "The form could not be read.")
		return
	}
	var st pendingState
	c, err := r.Cookie(PendingCookieName)
	if err != nil || m.jar.sealer.Unseal(c.Value, &st) != nil || st.Token == "" || st.Nonce == "" {
		m.jar.deleteCookie(w, PendingCookieName)
		writeJSONError(w, http.StatusBadRequest, "pending_step_expired", "This sign-in step is over or took over 10 minutes; sign in again.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get(FieldNonce)), []byte(st.Nonce)) != 1 {
		m.debug("pending step refused: the nonce does not match")
		writeJSONError(w, http.StatusForbidden, "invalid_nonce", "The form does not belong to this browser's sign-in.")
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), refreshTimeout)
	defer cancel()
	var resp *workos.StoredSession
	switch st.Kind {
	case workos.StepOrganizationSelection:
		org := r.PostForm.Get(FieldOrganizationID)
		if !slices.ContainsFunc(st.Organizations, func(o workos.Organization) bool { return o.ID == org }) {
			m.renderPending(w, r, &st, "Choose one of the organizations.")
			return
		}
		resp, err = workos.CompleteOrganizationSelection(ctx, m.cfg.WorkOS, st.Token, org)
	case workos.StepMFAChallenge, workos.StepMFAEnrollment, workos.StepEmailVerification:
		code := strings.Join(strings.Fields(r.PostForm.Get(FieldCode)), "")
		if code == "" {
			m.renderPending(w, r, &st, "Enter the code.")
			return
		}
		if st.Kind == workos.StepEmailVerification {
			resp, err = workos.CompleteEmailVerification(ctx, m.cfg.WorkOS, st.Token, code)
		} else {
			resp, err = workos.CompleteMFA(ctx, m.cfg.WorkOS, st.Token, st.ChallengeID, code)
		}
	default:
		m.jar.deleteCookie(w, PendingCookieName)
		writeJSONError(w, http.StatusBadRequest, "pending_step_expired", "Unknown sign-in step; sign in again.")
		return
	}
	if errors.Is(err, workos.ErrPendingStep) {
		m.startPending(w, r, err, st.ReturnPathname)
		return
	}
	if ae, ok := errors.AsType[*workos.APIError](err); ok && !ae.Transient() {
		switch ae.Code {
		case "invalid_one_time_code":
			m.renderPending(w, r, &st, "That code is not right, or has expired. Try again.")
			return
		case "organization_membership_not_found":
			m.renderPending(w, r, &st, "You are not a member of that organization.")
			return
		}
		m.jar.deleteCookie(w, PendingCookieName)
		m.debug("pending step refused", "code", ae.Code)
		writeJSONError(w, http.StatusBadRequest, "pending_step_failed", "WorkOS refused the step ("+truncate(ae.Code, 64)+"); sign in again.")
		return
	}
	if err != nil {
		m.debug("pending step failed", "err", err.Error())
		writeJSONError(w, http.StatusBadGateway, "pending_step_failed", "WorkOS could not be reached; try again.")
		return
	}
	m.jar.deleteCookie(w, PendingCookieName)
	m.signedIn(w, r, resp, st.ReturnPathname, http.StatusSeeOther)
}

var pendingPage = template.Must(template.New("pending").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;line-height:1.45}
label{display:block;margin:.5rem 0}input[type=text]{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;letter-spacing:.1em}
button{font:inherit;margin-top:1rem;padding:.45rem 1.2rem}.error{color:#b3261e}code{word-break:break-all}</style></head>
<body><main><h1>{{.Title}}</h1>
{{with .P.Error}}<p class="error" role="alert">{{.}}</p>{{end}}
<form method="post" action="{{.P.Action}}">
<input type="hidden" name="nonce" value="{{.P.Nonce}}">
{{if .Orgs}}<p>Your account belongs to several organizations. Which one do you sign in to?</p>
{{range $i, $o := .P.Organizations}}<label><input type="radio" name="organization_id" value="{{$o.ID}}"{{if eq $i 0}} checked{{end}}> {{$o.Name}}</label>
{{end}}{{else}}{{if .P.TOTPSecret}}<p>Your account needs two-factor authentication. Add this key to your authenticator app{{if .TOTPLink}} (or <a href="{{.TOTPLink}}">open it there</a>){{end}}:</p>
<p><code>{{.P.TOTPSecret}}</code></p>{{end}}
<label for="code">{{.Prompt}}</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autofocus required>
{{end}}<button type="submit">Continue</button>
</form></main></body></html>`))

// writePendingPage writes the default page of a step.
func writePendingPage(w http.ResponseWriter, p *PendingStep) {
	d := struct {
		P             *PendingStep
		Title, Prompt string
		Orgs          bool
		TOTPLink      template.URL // an otpauth: link, which html/template would otherwise void
	}{P: p}
	if strings.HasPrefix(p.TOTPURI, "otpauth://totp/") {
		d.TOTPLink = template.URL(p.TOTPURI)
	}
	switch p.Kind {
	case workos.StepOrganizationSelection:
		d.Title, d.Orgs = "Choose an organization", true
	case workos.StepEmailVerification:
		d.Title, d.Prompt = "Verify your email", "The code we emailed to "+p.Email
	case workos.StepMFAEnrollment:
		d.Title, d.Prompt = "Set up two-factor authentication", "The code your authenticator app shows"
	default:
		d.Title, d.Prompt = "Two-factor authentication", "The code your authenticator app shows"
	}
	var buf bytes.Buffer
	if err := pendingPage.Execute(&buf, d); err != nil {
		writeJSONError(w, http.StatusInternalServerError, "server_error", "Could not show the sign-in step.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	status := http.StatusOK
	if p.Error != "" {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
