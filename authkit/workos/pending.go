package workos

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// This file is what a sign-in answers when WorkOS has a step still to do
// instead of tokens (docs/auth.md, "Pending steps"): 403 {"code",
// "message", "pending_authentication_token", …} with the codes
// email_verification_required, mfa_enrollment, mfa_challenge and
// organization_selection_required (@workos/openapi-spec 0.1.0, POST
// /user_management/authenticate; workos-node AuthenticationException), and
// the members each carries (WorkOS docs
// "reference/authkit/authentication-errors").

// ErrPendingStep matches (errors.Is) every error of a sign-in that WorkOS
// has not finished: *OrganizationSelectionRequired, *MFAEnrollmentRequired,
// *MFAChallengeRequired and *EmailVerificationRequired. Each carries the
// pending authentication token and what the step needs; the call that
// finishes it (CompleteOrganizationSelection, CompleteMFA,
// CompleteEmailVerification) returns the session like any sign-in, or the
// next step.
var ErrPendingStep = errors.New("workos: the sign-in has a step still to do")

// PendingStep is implemented by the errors that ErrPendingStep matches.
type PendingStep interface {
	error
	// StepCode is WorkOS's code for the step: organization_selection_required,
	// mfa_enrollment, mfa_challenge or email_verification_required.
	StepCode() string
	// PendingAuthenticationToken is the token the call that finishes the
	// step takes. It is a credential: never log it.
	PendingAuthenticationToken() string
}

// Step codes, as WorkOS names them.
const (
	StepOrganizationSelection = "organization_selection_required"
	StepMFAEnrollment         = "mfa_enrollment"
	StepMFAChallenge          = "mfa_challenge"
	StepEmailVerification     = "email_verification_required"
)

// pendingBase is what every pending step carries besides its fields: its
// code and the API error it came as.
type pendingBase struct {
	code string
	api  *APIError
}

// StepCode returns WorkOS's code for the step.
func (p pendingBase) StepCode() string { return p.code }

// Is reports whether target is ErrPendingStep.
func (p pendingBase) Is(target error) bool { return target == ErrPendingStep }

// Unwrap returns the *APIError the step came as (403 and the step's code),
// so code written for APIError keeps working.
func (p pendingBase) Unwrap() error {
	if p.api == nil {
		return nil
	}
	return p.api
}

// Organization is an organization a user may sign in to.
type Organization struct {
	// ID is the organization's id (org_…).
	ID string `json:"id"`
	// Name is its name.
	Name string `json:"name"`
}

// Factor is an MFA factor of a user.
type Factor struct {
	// ID is the factor's id (auth_factor_…).
	ID string `json:"id"`
	// Type is "totp" (authenticator apps) or "sms".
	Type string `json:"type"`
}

// OrganizationSelectionRequired: the user belongs to several organizations
// and must choose one. Finish with CompleteOrganizationSelection.
type OrganizationSelectionRequired struct {
	pendingBase
	// PendingToken is the pending authentication token. Never log it.
	PendingToken string
	// User is the user signing in.
	User *User
	// Organizations are those the user may choose from.
	Organizations []Organization
}

// Error names the step and the number of organizations.
func (e *OrganizationSelectionRequired) Error() string {
	return "workos: the sign-in needs an organization: the user belongs to " + strconv.Itoa(len(e.Organizations)) + " (" + e.code + ")"
}

// PendingAuthenticationToken returns PendingToken.
func (e *OrganizationSelectionRequired) PendingAuthenticationToken() string { return e.PendingToken }

// MFAEnrollmentRequired: the environment requires MFA and the user has no
// factor yet. Enroll one with EnrollTOTP (show the user its secret), then
// finish with CompleteMFA and a code from the authenticator app.
type MFAEnrollmentRequired struct {
	pendingBase
	// PendingToken is the pending authentication token. Never log it.
	PendingToken string
	// User is the user signing in; EnrollTOTP takes its ID.
	User *User
}

// Error names the step.
func (e *MFAEnrollmentRequired) Error() string {
	return "workos: the sign-in needs an MFA factor enrolled (" + e.code + ")"
}

// PendingAuthenticationToken returns PendingToken.
func (e *MFAEnrollmentRequired) PendingAuthenticationToken() string { return e.PendingToken }

// MFAChallengeRequired: the user has MFA factors and must pass one.
// Challenge a TOTP factor with ChallengeFactor, then finish with CompleteMFA
// and a code from the authenticator app.
type MFAChallengeRequired struct {
	pendingBase
	// PendingToken is the pending authentication token. Never log it.
	PendingToken string
	// User is the user signing in.
	User *User
	// Factors are the user's factors.
	Factors []Factor
}

// Error names the step.
func (e *MFAChallengeRequired) Error() string {
	return "workos: the sign-in needs an MFA code (" + e.code + ")"
}

// PendingAuthenticationToken returns PendingToken.
func (e *MFAChallengeRequired) PendingAuthenticationToken() string { return e.PendingToken }

// TOTPFactor returns the user's first TOTP factor, the one an
// authenticator app answers.
func (e *MFAChallengeRequired) TOTPFactor() (Factor, bool) {
	for _, f := range e.Factors {
		if f.Type == "totp" {
			return f, true
		}
	}
	return Factor{}, false
}

// EmailVerificationRequired: the user's email is not verified yet; WorkOS
// has emailed a one-time code (when the environment sends the emails).
// Finish with CompleteEmailVerification and that code.
type EmailVerificationRequired struct {
	pendingBase
	// PendingToken is the pending authentication token. Never log it.
	PendingToken string
	// Email is where the code went.
	Email string
	// EmailVerificationID identifies the verification (to send the email
	// yourself when WorkOS does not).
	EmailVerificationID string
	// User is the user signing in, when the answer names it.
	User *User
}

// Error names the step and the email.
func (e *EmailVerificationRequired) Error() string {
	return fmt.Sprintf("workos: the sign-in needs the code emailed to %s (%s)", e.Email, e.code)
}

// PendingAuthenticationToken returns PendingToken.
func (e *EmailVerificationRequired) PendingAuthenticationToken() string { return e.PendingToken }

// pendingStep returns the typed error of an authenticate answer that names
// a step still to do, or nil. An answer without a pending token is left as
// the *APIError: there is nothing to finish.
func pendingStep(ae *APIError, body []byte) error {
	switch ae.Code {
	case StepOrganizationSelection, StepMFAEnrollment, StepMFAChallenge, StepEmailVerification:
	default:
		return nil
	}
	var b struct {
		Token               string         `json:"pending_authentication_token"`
		User                *User          `json:"user"`
		Organizations       []Organization `json:"organizations"`
		Factors             []Factor       `json:"authentication_factors"`
		Email               string         `json:"email"`
		EmailVerificationID string         `json:"email_verification_id"`
	}
	if json.Unmarshal(body, &b) != nil || b.Token == "" {
		return nil
	}
	base := pendingBase{code: ae.Code, api: ae}
	switch ae.Code {
	case StepOrganizationSelection:
		return &OrganizationSelectionRequired{pendingBase: base, PendingToken: b.Token, User: b.User, Organizations: b.Organizations}
	case StepMFAEnrollment:
		return &MFAEnrollmentRequired{pendingBase: base, PendingToken: b.Token, User: b.User}
	case StepMFAChallenge:
		return &MFAChallengeRequired{pendingBase: base, PendingToken: b.Token, User: b.User, Factors: b.Factors}
	default:
		email := b.Email
		if email == "" && b.User != nil {
			email = b.User.Email
		}
		return &EmailVerificationRequired{pendingBase: base, PendingToken: b.Token, Email: email, EmailVerificationID: b.EmailVerificationID, User: b.User}
	}
}
