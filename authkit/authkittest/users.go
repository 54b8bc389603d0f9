package authkittest

import (
	"net/http"
	"strings"
	"time"
)

// User is a person who can sign in.
type User struct {
	ID        string // "user_01…"; required
	Email     string // required, unique (compared case-insensitively)
	FirstName string
	LastName  string
	// Password is what the login form, the device verification page and
	// the password grant check. An empty Password accepts any password.
	Password string
	// Memberships are the organizations the user belongs to. A sign-in
	// selects the organization named by authorize's organization_id, else
	// the only membership when there is exactly one; tokens of a session
	// with an organization carry org_id, role, roles and permissions.
	Memberships []Membership

	// The steps a sign-in of this user stops at, as WorkOS answers them
	// (authenticate answers 403 with a pending_authentication_token; the
	// grants of pending.go finish them). They apply to the password,
	// authorization code and device code grants, in this order: email
	// verification, MFA, organization selection.

	// RequireOrganizationSelection: a sign-in that names no organization,
	// of a user with more than one membership, answers
	// organization_selection_required with the user's organizations.
	// Without it such a sign-in lands outside any organization.
	RequireOrganizationSelection bool
	// TOTPSecret enrolls the user in MFA with a TOTP factor of this base32
	// secret (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps; TOTPCode computes
	// the codes): every sign-in answers mfa_challenge.
	TOTPSecret string
	// RequireMFA: a sign-in of a user without a factor answers
	// mfa_enrollment (an environment that requires MFA). A factor
	// enrolled then (POST /user_management/users/{id}/auth_factors) is the
	// user's from then on.
	RequireMFA bool
	// UnverifiedEmail: the email is not verified yet. A sign-in answers
	// email_verification_required and "sends" a code (read it with
	// EmailVerificationCode) until the user enters one.
	UnverifiedEmail bool
}

// Membership places a user in an organization.
type Membership struct {
	OrganizationID string // "org_01…"
	// OrganizationName is the organization's name in
	// organization_selection_required answers (the id when empty).
	OrganizationName string
	Role             string // role slug; "member" when empty
	Permissions      []string
}

// DemoUser is the user a Server has when WithUsers is not given.
var DemoUser = User{
	ID:        "user_01DEM0USER0000000000000000",
	Email:     "demo@example.com",
	FirstName: "Demo",
	LastName:  "User",
	Password:  "password",
}

// userRecord is a User with the timestamps the API reports and what
// sign-ins changed: a verified email, enrolled factors.
type userRecord struct {
	User
	createdAt     time.Time
	lastSignInAt  time.Time // zero until the first sign-in
	emailVerified bool
	factors       []*authFactor
}

func (u *userRecord) membership(orgID string) (Membership, bool) {
	for _, m := range u.Memberships {
		if m.OrganizationID == orgID {
			if m.Role == "" {
				m.Role = "member"
			}
			return m, true
		}
	}
	return Membership{}, false
}

// defaultOrg is the organization a fresh sign-in lands in when none was
// asked for: the only membership, if there is exactly one.
func (u *userRecord) defaultOrg() string {
	if len(u.Memberships) == 1 {
		return u.Memberships[0].OrganizationID
	}
	return ""
}

func (u *userRecord) checkPassword(pw string) bool {
	return u.Password == "" || u.Password == pw
}

// apiTime formats t as the API does: RFC 3339, milliseconds, UTC.
func apiTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// json returns the snake_case user object of the API.
func (u *userRecord) json() map[string]any {
	updated := u.createdAt
	var lastSignIn any
	if !u.lastSignInAt.IsZero() {
		lastSignIn = apiTime(u.lastSignInAt)
		updated = u.lastSignInAt
	}
	return map[string]any{
		"object":              "user",
		"id":                  u.ID,
		"email":               u.Email,
		"email_verified":      u.emailVerified,
		"first_name":          nullable(u.FirstName),
		"last_name":           nullable(u.LastName),
		"name":                nullable(strings.TrimSpace(u.FirstName + " " + u.LastName)),
		"profile_picture_url": nil,
		"external_id":         nil,
		"metadata":            map[string]any{},
		"locale":              nil,
		"last_sign_in_at":     lastSignIn,
		"created_at":          apiTime(u.createdAt),
		"updated_at":          apiTime(updated),
	}
}

// userByEmail finds a user by email, case-insensitively; s.mu is held.
func (s *Server) userByEmailLocked(email string) *userRecord {
	return s.usersByEmail[strings.ToLower(strings.TrimSpace(email))]
}

// handleGetUser serves GET /user_management/users/{id} (API key).
func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(w, r) {
		return
	}
	s.mu.Lock()
	u := s.users[r.PathValue("id")]
	var body map[string]any
	if u != nil {
		body = u.json()
	}
	s.mu.Unlock()
	if u == nil {
		writeMessage(w, http.StatusNotFound, "entity_not_found", "Could not find a user with id '"+r.PathValue("id")+"'.")
		return
	}
	writeJSON(w, http.StatusOK, body)
}
