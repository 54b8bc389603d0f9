package authkittest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// This file is what a sign-in goes through once its credentials are
// accepted: the steps WorkOS answers with a pending_authentication_token
// instead of tokens (email verification, MFA, organization selection), the
// grants that finish them, and the MFA endpoints those need. The shapes
// are WorkOS's:
//
//   - @workos/openapi-spec 0.1.0 (open-api-spec.yaml): POST
//     /user_management/authenticate answers 403 {"code","message"} with
//     email_verification_required, mfa_enrollment, mfa_challenge,
//     organization_selection_required; the grants
//     urn:workos:oauth:grant-type:organization-selection
//     (pending_authentication_token, organization_id),
//     urn:workos:oauth:grant-type:mfa-totp (code,
//     pending_authentication_token, authentication_challenge_id) and
//     urn:workos:oauth:grant-type:email-verification:code (code,
//     pending_authentication_token), each with client_id and a required
//     client_secret; 400 invalid_one_time_code,
//     invalid_pending_authentication_token, user_mismatch; POST
//     /user_management/users/{id}/auth_factors (type totp, totp_issuer,
//     totp_user, totp_secret) answering 201 {authentication_factor,
//     authentication_challenge}; POST /auth/factors/{id}/challenge
//     answering 201 an authentication_challenge.
//   - workos-node 11.0.0 (node_modules/@workos-inc/node/lib/factory-*.mjs):
//     AuthenticationException reads code, pending_authentication_token,
//     user and organizations [{id, name}] from such an answer.
//   - WorkOS's docs "reference/authkit/authentication-errors": the other
//     members (email and email_verification_id; authentication_factors
//     [{id, type}]) and the messages.

// pendingLifetime is how long a pending_authentication_token stays usable.
const pendingLifetime = 10 * time.Minute

// The steps, by the code WorkOS names them with.
const (
	stepEmailVerification     = "email_verification_required"
	stepMFAChallenge          = "mfa_challenge"
	stepMFAEnrollment         = "mfa_enrollment"
	stepOrganizationSelection = "organization_selection_required"
)

// stepsDone are the steps a sign-in has passed.
type stepsDone struct{ email, mfa bool }

// pendingAuth is a sign-in stopped at a step, by its pending token.
type pendingAuth struct {
	kind      string // the step's code
	userID    string
	method    string    // authentication_method of the session it ends in
	orgID     string    // the organization asked for, "" for none
	done      stepsDone // the steps already passed
	expires   time.Time
	emailCode string // email verification: the code "sent"
}

// authFactor is an enrolled TOTP factor.
type authFactor struct {
	id, userID      string
	secret          string // base32
	issuer, account string
	createdAt       time.Time
}

// authChallenge is a challenge of a factor.
type authChallenge struct {
	id, factorID string
	createdAt    time.Time
}

// signInLocked finishes a sign-in of u whose credentials were accepted:
// the next step still to do, as a 403 with a pending token, or a new
// session and its tokens in org. s.mu is held.
func (s *Server) signInLocked(u *userRecord, method, org string, done stepsDone) (map[string]any, *grantError) {
	now := s.cfg.clock()
	for tok, pa := range s.pending {
		if now.After(pa.expires) {
			delete(s.pending, tok)
		}
	}
	pend := func(kind string) (*pendingAuth, string) {
		pa := &pendingAuth{kind: kind, userID: u.ID, method: method, orgID: org, done: done, expires: now.Add(pendingLifetime)}
		tok := newOpaque(24)
		s.pending[tok] = pa
		return pa, tok
	}
	switch {
	case !u.emailVerified && !done.email:
		pa, tok := pend(stepEmailVerification)
		pa.emailCode = newDigits(6)
		s.emailCodes[u.ID] = pa.emailCode
		return nil, pendingError(stepEmailVerification, "Email ownership must be verified before authentication.", map[string]any{
			"pending_authentication_token": tok,
			"email":                        u.Email,
			"email_verification_id":        "email_verification_" + newULID(now),
		})
	case len(u.factors) > 0 && !done.mfa:
		_, tok := pend(stepMFAChallenge)
		factors := make([]map[string]any, 0, len(u.factors))
		for _, f := range u.factors {
			factors = append(factors, map[string]any{"id": f.id, "type": "totp"})
		}
		return nil, pendingError(stepMFAChallenge, "The user must complete an MFA challenge to finish authenticating.", map[string]any{
			"pending_authentication_token": tok,
			"authentication_factors":       factors,
			"user":                         u.json(),
		})
	case u.RequireMFA && !done.mfa:
		_, tok := pend(stepMFAEnrollment)
		return nil, pendingError(stepMFAEnrollment, "The user must enroll in MFA to finish authenticating.", map[string]any{
			"pending_authentication_token": tok,
			"user":                         u.json(),
		})
	case org == "" && u.RequireOrganizationSelection && len(u.Memberships) > 1:
		_, tok := pend(stepOrganizationSelection)
		orgs := make([]map[string]any, 0, len(u.Memberships))
		for _, m := range u.Memberships {
			name := m.OrganizationName
			if name == "" {
				name = m.OrganizationID
			}
			orgs = append(orgs, map[string]any{"id": m.OrganizationID, "name": name})
		}
		return nil, pendingError(stepOrganizationSelection, "The user must choose an organization to finish their authentication.", map[string]any{
			"pending_authentication_token": tok,
			"organizations":                orgs,
			"user":                         u.json(),
		})
	}
	sess := s.startSessionLocked(u, method)
	pr, err := s.mintPairLocked(sess, org, s.cfg.lifetime, nil)
	if err != nil {
		return nil, &grantError{status: http.StatusInternalServerError, code: "server_error", description: err.Error()}
	}
	return s.authResponseLocked(sess, pr), nil
}

// pendingError is the 403 of a step still to do.
func pendingError(code, message string, extra map[string]any) *grantError {
	return &grantError{status: http.StatusForbidden, plain: true, code: code, description: message, extra: extra}
}

// needSecret refuses a grant without the API key as client_secret (a
// wrong one was refused before).
func needSecret(p map[string]string, grant string) *grantError {
	if p["client_secret"] == "" {
		return oauthErr("invalid_client", "client_secret is required for the "+grant+" grant.")
	}
	return nil
}

// pendingLocked returns the live pending sign-in p names, of one of kinds.
// s.mu is held.
func (s *Server) pendingLocked(p map[string]string, kinds ...string) (*pendingAuth, string, *grantError) {
	tok := p["pending_authentication_token"]
	if tok == "" {
		return nil, "", oauthErr("invalid_request", "pending_authentication_token is required.")
	}
	pa := s.pending[tok]
	if pa != nil && s.cfg.clock().After(pa.expires) {
		delete(s.pending, tok)
		pa = nil
	}
	ok := false
	for _, k := range kinds {
		ok = ok || (pa != nil && pa.kind == k)
	}
	if !ok || s.users[pa.userID] == nil {
		return nil, "", &grantError{status: http.StatusBadRequest, plain: true, code: "invalid_pending_authentication_token", description: "The pending authentication token is invalid, expired, or not for this step."}
	}
	return pa, tok, nil
}

// invalidCode is the answer to a wrong one-time code; the pending token
// stays usable.
var invalidCode = &grantError{status: http.StatusBadRequest, plain: true, code: "invalid_one_time_code", description: "The one-time code is invalid or has expired."}

func (s *Server) grantOrganizationSelection(p map[string]string) (map[string]any, *grantError) {
	if gerr := needSecret(p, "organization-selection"); gerr != nil {
		return nil, gerr
	}
	org := p["organization_id"]
	if org == "" {
		return nil, oauthErr("invalid_request", "organization_id is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pa, tok, gerr := s.pendingLocked(p, stepOrganizationSelection)
	if gerr != nil {
		return nil, gerr
	}
	u := s.users[pa.userID]
	if _, ok := u.membership(org); !ok {
		return nil, &grantError{status: http.StatusBadRequest, plain: true, code: "organization_membership_not_found", description: "The user is not a member of organization '" + org + "'."}
	}
	delete(s.pending, tok)
	return s.signInLocked(u, pa.method, org, pa.done)
}

func (s *Server) grantMFATOTP(p map[string]string) (map[string]any, *grantError) {
	if gerr := needSecret(p, "mfa-totp"); gerr != nil {
		return nil, gerr
	}
	code, chID := p["code"], p["authentication_challenge_id"]
	if code == "" || chID == "" {
		return nil, oauthErr("invalid_request", "code and authentication_challenge_id are required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pa, tok, gerr := s.pendingLocked(p, stepMFAChallenge, stepMFAEnrollment)
	if gerr != nil {
		return nil, gerr
	}
	ch := s.challenges[chID]
	if ch == nil || s.factors[ch.factorID] == nil {
		return nil, oauthErr("invalid_request", "The authentication challenge '"+chID+"' does not exist.")
	}
	f := s.factors[ch.factorID]
	if f.userID != pa.userID {
		return nil, &grantError{status: http.StatusBadRequest, plain: true, code: "user_mismatch", description: "The authentication challenge belongs to another user."}
	}
	if !totpValid(f.secret, code, s.cfg.clock()) {
		return nil, invalidCode
	}
	delete(s.pending, tok)
	delete(s.challenges, chID)
	done := pa.done
	done.mfa = true
	return s.signInLocked(s.users[pa.userID], pa.method, pa.orgID, done)
}

func (s *Server) grantEmailVerification(p map[string]string) (map[string]any, *grantError) {
	if gerr := needSecret(p, "email-verification"); gerr != nil {
		return nil, gerr
	}
	code := p["code"]
	if code == "" {
		return nil, oauthErr("invalid_request", "code is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pa, tok, gerr := s.pendingLocked(p, stepEmailVerification)
	if gerr != nil {
		return nil, gerr
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(code)), []byte(pa.emailCode)) != 1 {
		return nil, invalidCode
	}
	delete(s.pending, tok)
	u := s.users[pa.userID]
	u.emailVerified = true
	done := pa.done
	done.email = true
	return s.signInLocked(u, pa.method, pa.orgID, done)
}

// EmailVerificationCode returns the last email verification code the
// server "sent" to a user (a sign-in answering
// email_verification_required sends one), or "" when none was.
func (s *Server) EmailVerificationCode(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emailCodes[userID]
}

// handleEnrollFactor serves POST /user_management/users/{id}/auth_factors
// (API key): it enrolls a TOTP factor (totp_secret, or a fresh one) and
// answers 201 {authentication_factor (with its secret and otpauth URI),
// authentication_challenge}. The factor is the user's at once, so later
// sign-ins answer mfa_challenge.
func (s *Server) handleEnrollFactor(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(w, r) {
		return
	}
	p, err := readParams(w, r)
	if err != nil {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", err.Error())
		return
	}
	if p["type"] != "totp" {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "type must be 'totp'.")
		return
	}
	secret := p["totp_secret"]
	if secret == "" {
		b := make([]byte, 20)
		_, _ = rand.Read(b)
		secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	} else if _, err := decodeBase32(secret); err != nil {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", "totp_secret must be base32.")
		return
	}
	now := s.cfg.clock()
	s.mu.Lock()
	u := s.users[r.PathValue("id")]
	if u == nil {
		s.mu.Unlock()
		writeMessage(w, http.StatusNotFound, "entity_not_found", "Could not find a user with id '"+r.PathValue("id")+"'.")
		return
	}
	f := &authFactor{id: "auth_factor_" + newULID(now), userID: u.ID, secret: secret, issuer: p["totp_issuer"], account: p["totp_user"], createdAt: now}
	if f.issuer == "" {
		f.issuer = "authkittest"
	}
	if f.account == "" {
		f.account = u.Email
	}
	u.factors = append(u.factors, f)
	s.factors[f.id] = f
	ch := s.newChallengeLocked(f, now)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"authentication_factor":    f.json(true),
		"authentication_challenge": ch.json(),
	})
}

// handleChallengeFactor serves POST /auth/factors/{id}/challenge (API
// key): a challenge of a TOTP factor (no code is sent; it has no expiry).
func (s *Server) handleChallengeFactor(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(w, r) {
		return
	}
	if _, err := readParams(w, r); err != nil {
		writeMessage(w, http.StatusUnprocessableEntity, "invalid_request_parameters", err.Error())
		return
	}
	now := s.cfg.clock()
	s.mu.Lock()
	f := s.factors[r.PathValue("id")]
	var ch *authChallenge
	if f != nil {
		ch = s.newChallengeLocked(f, now)
	}
	s.mu.Unlock()
	if f == nil {
		writeMessage(w, http.StatusNotFound, "entity_not_found", "Could not find an authentication factor with id '"+r.PathValue("id")+"'.")
		return
	}
	writeJSON(w, http.StatusCreated, ch.json())
}

// newChallengeLocked starts a challenge of f; s.mu is held.
func (s *Server) newChallengeLocked(f *authFactor, now time.Time) *authChallenge {
	ch := &authChallenge{id: "auth_challenge_" + newULID(now), factorID: f.id, createdAt: now}
	s.challenges[ch.id] = ch
	return ch
}

// json is the factor as the API shows it; withSecrets adds the secret,
// the otpauth URI and qr_code (empty: no QR code is drawn here), which
// WorkOS shows only when enrolling.
func (f *authFactor) json(withSecrets bool) map[string]any {
	totp := map[string]any{"issuer": f.issuer, "user": f.account}
	if withSecrets {
		totp["secret"] = f.secret
		totp["uri"] = totpURI(f.issuer, f.account, f.secret)
		totp["qr_code"] = ""
	}
	return map[string]any{
		"object":     "authentication_factor",
		"id":         f.id,
		"type":       "totp",
		"user_id":    f.userID,
		"totp":       totp,
		"created_at": apiTime(f.createdAt),
		"updated_at": apiTime(f.createdAt),
	}
}

// json is the challenge as the API shows it (no expires_at: it "does not
// apply to TOTP factors").
func (c *authChallenge) json() map[string]any {
	return map[string]any{
		"object":                   "authentication_challenge",
		"id":                       c.id,
		"authentication_factor_id": c.factorID,
		"created_at":               apiTime(c.createdAt),
		"updated_at":               apiTime(c.createdAt),
	}
}

// totpURI is the otpauth URI authenticator apps read (the Key Uri Format:
// otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…).
func totpURI(issuer, account, secret string) string {
	q := url.Values{"secret": {secret}, "issuer": {issuer}}
	return "otpauth://totp/" + url.PathEscape(issuer) + ":" + url.PathEscape(account) + "?" + q.Encode()
}

// TOTPCode returns the code an authenticator app shows at t for a base32
// secret: RFC 6238 with HMAC-SHA1, 30-second steps and 6 digits, what
// WorkOS's TOTP factors use. The server accepts the code of the current
// step and of the steps just before and after it.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeBase32(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(t.Unix()/30)), nil
}

// hotp is RFC 4226's HOTP, 6 digits.
func hotp(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// totpValid checks code against the steps around now.
func totpValid(secret, code string, now time.Time) bool {
	key, err := decodeBase32(secret)
	if err != nil {
		return false
	}
	code = strings.TrimSpace(code)
	step := uint64(now.Unix() / 30)
	ok := false
	for _, c := range []uint64{step - 1, step, step + 1} {
		ok = subtle.ConstantTimeCompare([]byte(hotp(key, c)), []byte(code)) == 1 || ok
	}
	return ok
}

// decodeBase32 reads a base32 secret: any case, spaces and padding
// ignored.
func decodeBase32(s string) ([]byte, error) {
	s = strings.TrimRight(strings.ToUpper(strings.Join(strings.Fields(s), "")), "=")
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("not a base32 secret")
	}
	return b, nil
}

// newDigits returns n random decimal digits.
func newDigits(n int) string {
	var sb strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		sb.WriteByte(byte('0' + d.Int64()))
	}
	return sb.String()
}
