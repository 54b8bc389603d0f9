package workos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The calls that finish a pending sign-in (docs/auth.md, "Pending steps").
// Grant types and fields are workos-node 11.0.0's
// (authenticateWithOrganizationSelection, authenticateWithTotp,
// authenticateWithEmailVerification and their serializers in
// lib/factory-*.mjs; multiFactorAuth.createUserAuthFactor and
// challengeFactor) and @workos/openapi-spec 0.1.0's, which marks
// client_secret required on the three grants: each needs the API key.

// Grant types of the calls that finish a step.
const (
	grantOrganizationSelection = "urn:workos:oauth:grant-type:organization-selection"
	grantMFATOTP               = "urn:workos:oauth:grant-type:mfa-totp"
	grantEmailVerification     = "urn:workos:oauth:grant-type:email-verification:code"
)

// pendingGrant is the JSON body of the three grants; the fields a grant
// does not take are left out.
type pendingGrant struct {
	GrantType                 string `json:"grant_type"`
	ClientID                  string `json:"client_id"`
	ClientSecret              string `json:"client_secret"`
	PendingToken              string `json:"pending_authentication_token"`
	OrganizationID            string `json:"organization_id,omitempty"`
	Code                      string `json:"code,omitempty"`
	AuthenticationChallengeID string `json:"authentication_challenge_id,omitempty"`
}

// finishStep sends one of the grants that finish a step.
func finishStep(ctx context.Context, cfg Config, what string, g pendingGrant) (*StoredSession, error) {
	if err := cfg.checkAPI(); err != nil {
		return nil, err
	}
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("workos: %s needs the API key (Config.APIKey) as client_secret", what)
	}
	if g.PendingToken == "" {
		return nil, fmt.Errorf("workos: %s needs the pending authentication token of the step", what)
	}
	g.ClientID, g.ClientSecret = cfg.ClientID, cfg.APIKey
	ar, err := postAuthenticate(ctx, cfg.httpClient(), cfg.apiBase(), g, time.Now)
	if err != nil {
		return nil, fmt.Errorf("workos: %s: %w", what, err)
	}
	return ar.stored(time.Now(), cfg.apiBase()), nil
}

// CompleteOrganizationSelection finishes a sign-in that stopped at
// *OrganizationSelectionRequired in organizationID, one of its
// Organizations (the organization-selection grant, workos-node
// authenticateWithOrganizationSelection). It needs cfg.APIKey. The result
// is ready for Session.Save; the error may be another step (matching
// ErrPendingStep), or an *APIError (organization_membership_not_found for
// an organization the user is not in; invalid_pending_authentication_token
// for a token used up or expired).
func CompleteOrganizationSelection(ctx context.Context, cfg Config, pendingToken, organizationID string) (*StoredSession, error) {
	if organizationID == "" {
		return nil, errors.New("workos: CompleteOrganizationSelection needs an organization id")
	}
	return finishStep(ctx, cfg, "organization selection", pendingGrant{
		GrantType: grantOrganizationSelection, PendingToken: pendingToken, OrganizationID: organizationID,
	})
}

// CompleteMFA finishes a sign-in that stopped at *MFAChallengeRequired or
// *MFAEnrollmentRequired with a code from the user's authenticator app
// (the mfa-totp grant, workos-node authenticateWithTotp): challengeID is
// the Challenge of ChallengeFactor or the TOTPEnrollment's ChallengeID.
// It needs cfg.APIKey. A wrong code is an *APIError with Code
// "invalid_one_time_code" and leaves the step to try again; the result and
// other errors are CompleteOrganizationSelection's.
func CompleteMFA(ctx context.Context, cfg Config, pendingToken, challengeID, code string) (*StoredSession, error) {
	if challengeID == "" || code == "" {
		return nil, errors.New("workos: CompleteMFA needs a challenge id and a code")
	}
	return finishStep(ctx, cfg, "MFA", pendingGrant{
		GrantType: grantMFATOTP, PendingToken: pendingToken, AuthenticationChallengeID: challengeID, Code: code,
	})
}

// CompleteEmailVerification finishes a sign-in that stopped at
// *EmailVerificationRequired with the code emailed to the user (the
// email-verification grant, workos-node
// authenticateWithEmailVerification); the email is verified from then on.
// It needs cfg.APIKey. A wrong code is an *APIError with Code
// "invalid_one_time_code"; the result and other errors are
// CompleteOrganizationSelection's.
func CompleteEmailVerification(ctx context.Context, cfg Config, pendingToken, code string) (*StoredSession, error) {
	if code == "" {
		return nil, errors.New("workos: CompleteEmailVerification needs the code")
	}
	return finishStep(ctx, cfg, "email verification", pendingGrant{
		GrantType: grantEmailVerification, PendingToken: pendingToken, Code: code,
	})
}

// TOTPEnrollment is a TOTP factor just enrolled, and the challenge that
// finishes the sign-in with it. Show the user Secret (or URI, or QRCode) to
// add to an authenticator app, then pass its code to CompleteMFA with
// ChallengeID. WorkOS shows the secret only now.
type TOTPEnrollment struct {
	// FactorID is the new factor's id (auth_factor_…).
	FactorID string
	// ChallengeID is the challenge CompleteMFA takes.
	ChallengeID string
	// Secret is the base32 key to type into an authenticator app. Never
	// log it.
	Secret string
	// URI is the otpauth:// URI that carries Secret (what a QR code
	// encodes).
	URI string
	// QRCode is a data: URL of a QR code image of URI; may be empty.
	QRCode string
	// Issuer and Account are the names the authenticator app shows.
	Issuer, Account string
}

// EnrollTOTP enrolls a TOTP factor for userID (the User of
// *MFAEnrollmentRequired): POST /user_management/users/{id}/auth_factors
// with type totp and the API key (workos-node
// multiFactorAuth.createUserAuthFactor). It needs cfg.APIKey. Errors are
// *APIError (404 for an unknown user, 422 for a refused enrollment) or the
// transport's.
func EnrollTOTP(ctx context.Context, cfg Config, userID string) (*TOTPEnrollment, error) {
	if userID == "" {
		return nil, errors.New("workos: EnrollTOTP needs a user id")
	}
	var resp struct {
		Factor struct {
			ID   string `json:"id"`
			TOTP struct {
				Issuer string `json:"issuer"`
				User   string `json:"user"`
				Secret string `json:"secret"`
				QRCode string `json:"qr_code"`
				URI    string `json:"uri"`
			} `json:"totp"`
		} `json:"authentication_factor"`
		Challenge challengeJSON `json:"authentication_challenge"`
	}
	if err := postWithAPIKey(ctx, cfg, "enrolling a TOTP factor", "/user_management/users/"+url.PathEscape(userID)+"/auth_factors", map[string]string{"type": "totp"}, &resp); err != nil {
		return nil, err
	}
	if resp.Factor.ID == "" || resp.Challenge.ID == "" || resp.Factor.TOTP.Secret == "" {
		return nil, errMalformedResponse{"enrollment without a factor id, a secret or a challenge"}
	}
	t := resp.Factor.TOTP
	return &TOTPEnrollment{
		FactorID: resp.Factor.ID, ChallengeID: resp.Challenge.ID,
		Secret: t.Secret, URI: t.URI, QRCode: t.QRCode, Issuer: t.Issuer, Account: t.User,
	}, nil
}

// Challenge is an MFA challenge of a factor: CompleteMFA takes its ID and
// the code.
type Challenge struct {
	// ID is the challenge's id (auth_challenge_…).
	ID string
	// FactorID is the factor challenged.
	FactorID string
	// ExpiresAt is when it expires; zero for TOTP factors, whose
	// challenges do not.
	ExpiresAt time.Time
}

type challengeJSON struct {
	ID        string    `json:"id"`
	FactorID  string    `json:"authentication_factor_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ChallengeFactor starts a challenge of one of the Factors of
// *MFAChallengeRequired (POST /auth/factors/{id}/challenge with the API
// key, workos-node multiFactorAuth.challengeFactor). It needs cfg.APIKey.
// Errors are *APIError (404 for an unknown factor) or the transport's.
func ChallengeFactor(ctx context.Context, cfg Config, factorID string) (*Challenge, error) {
	if factorID == "" {
		return nil, errors.New("workos: ChallengeFactor needs a factor id")
	}
	var c challengeJSON
	if err := postWithAPIKey(ctx, cfg, "challenging an MFA factor", "/auth/factors/"+url.PathEscape(factorID)+"/challenge", map[string]string{}, &c); err != nil {
		return nil, err
	}
	if c.ID == "" {
		return nil, errMalformedResponse{"challenge without an id"}
	}
	return &Challenge{ID: c.ID, FactorID: c.FactorID, ExpiresAt: c.ExpiresAt}, nil
}

// postWithAPIKey posts body to an API path with the API key and decodes a
// 200 or 201 answer into out.
func postWithAPIKey(ctx context.Context, cfg Config, what, path string, body, out any) error {
	if err := cfg.checkAPI(); err != nil {
		return err
	}
	if cfg.APIKey == "" {
		return fmt.Errorf("workos: %s needs the API key (Config.APIKey)", what)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.apiBase()+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	a, err := sendAPI(cfg.httpClient(), req)
	if err != nil {
		return fmt.Errorf("workos: %s: %w", what, err)
	}
	if a.status == http.StatusCreated {
		a.status = http.StatusOK
	}
	data, err := a.okBody(time.Now)
	if err != nil {
		return fmt.Errorf("workos: %s: %w", what, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("workos: %s: %w", what, errMalformedResponse{"body is not JSON"})
	}
	return nil
}
