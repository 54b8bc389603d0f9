package authkittest

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Tokens is a freshly minted session: what IssueTokens returns and what the
// authenticate endpoint answers with.
type Tokens struct {
	AccessToken    string
	RefreshToken   string
	User           User
	SessionID      string // the "sid" claim
	OrganizationID string // "" without an organization
	ExpiresAt      time.Time
}

// session is a WorkOS session: the "sid" of its access tokens.
type session struct {
	id         string
	userID     string
	authMethod string // authentication_method reported on every exchange
	ended      bool
}

// refreshToken is one single-use refresh token. Once exchanged it keeps
// the pair it was exchanged for, handed out again within the replay
// window.
type refreshToken struct {
	sessionID   string
	orgID       string
	exchangedAt time.Time
	next        *pair // set once exchanged
}

// pair is the result of one exchange.
type pair struct {
	access    string
	refresh   string
	orgID     string
	expiresAt time.Time
}

// reservedClaims may not be set through IssueClaims (the emulator's rule
// for JWT templates, plus sid).
var reservedClaims = map[string]bool{"iss": true, "sub": true, "exp": true, "iat": true, "nbf": true, "jti": true, "sid": true}

// IssueOption adjusts one IssueTokens call.
type IssueOption func(*issueConfig)

type issueConfig struct {
	orgID    string
	orgSet   bool
	lifetime time.Duration
	claims   map[string]any
	method   string
}

// IssueOrganization places the session in the organization orgID (the
// user must be a member); "" makes it organization-less. Without this
// option the user's only membership, if there is exactly one, is used.
func IssueOrganization(orgID string) IssueOption {
	return func(c *issueConfig) { c.orgID, c.orgSet = orgID, true }
}

// IssueLifetime sets the access token's lifetime for this call only.
func IssueLifetime(d time.Duration) IssueOption {
	return func(c *issueConfig) { c.lifetime = d }
}

// IssueClaims adds claims to the access token (for example
// "feature_flags", "entitlements", "act", or an "aud" as a JWT template
// would). iss, sub, sid, jti, iat, exp and nbf cannot be set this way.
func IssueClaims(claims map[string]any) IssueOption {
	return func(c *issueConfig) {
		if c.claims == nil {
			c.claims = map[string]any{}
		}
		for k, v := range claims {
			c.claims[k] = v
		}
	}
}

// IssueAuthenticationMethod sets the session's authentication_method
// (default "Password").
func IssueAuthenticationMethod(method string) IssueOption {
	return func(c *issueConfig) { c.method = method }
}

// IssueTokens signs a user in directly, without any HTTP flow: it starts a
// session and returns an access token and a refresh token that the
// authenticate endpoint then rotates like any other.
func (s *Server) IssueTokens(userID string, opts ...IssueOption) (*Tokens, error) {
	var ic issueConfig
	for _, o := range opts {
		o(&ic)
	}
	for k := range ic.claims {
		if reservedClaims[k] {
			return nil, fmt.Errorf("authkittest: claim %q cannot be set", k)
		}
	}
	if ic.method == "" {
		ic.method = "Password"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return nil, fmt.Errorf("authkittest: no user %q", userID)
	}
	org := u.defaultOrg()
	if ic.orgSet {
		org = ic.orgID
	}
	if org != "" {
		if _, ok := u.membership(org); !ok {
			return nil, fmt.Errorf("authkittest: user %q is not a member of %q", userID, org)
		}
	}
	sess := s.startSessionLocked(u, ic.method)
	lifetime := ic.lifetime
	if lifetime <= 0 {
		lifetime = s.cfg.lifetime
	}
	p, err := s.mintPairLocked(sess, org, lifetime, ic.claims)
	if err != nil {
		return nil, err
	}
	return &Tokens{
		AccessToken:    p.access,
		RefreshToken:   p.refresh,
		User:           u.User,
		SessionID:      sess.id,
		OrganizationID: p.orgID,
		ExpiresAt:      p.expiresAt,
	}, nil
}

// startSessionLocked starts a session for u (a fresh sign-in); s.mu is
// held.
func (s *Server) startSessionLocked(u *userRecord, method string) *session {
	now := s.cfg.clock()
	u.lastSignInAt = now
	sess := &session{id: "session_" + newULID(now), userID: u.ID, authMethod: method}
	s.sessions[sess.id] = sess
	return sess
}

// mintPairLocked signs an access token for sess in org and stores a new
// refresh token; s.mu is held.
func (s *Server) mintPairLocked(sess *session, org string, lifetime time.Duration, extra map[string]any) (*pair, error) {
	u := s.users[sess.userID]
	if u == nil {
		return nil, errors.New("authkittest: the session's user is gone")
	}
	now := s.cfg.clock()
	exp := now.Add(lifetime)
	claims := jwt.MapClaims{}
	if s.cfg.template != nil {
		for k, v := range s.cfg.template(u.User) {
			claims[k] = v
		}
	}
	for k, v := range extra {
		claims[k] = v
	}
	claims["iss"] = s.Issuer()
	claims["sub"] = u.ID
	claims["sid"] = sess.id
	claims["jti"] = newULID(now)
	claims["iat"] = now.Unix()
	claims["exp"] = exp.Unix()
	if aud := s.audience(); aud != "" {
		if _, set := claims["aud"]; !set {
			claims["aud"] = aud
		}
	}
	if org != "" {
		m, _ := u.membership(org)
		perms := m.Permissions
		if perms == nil {
			perms = []string{}
		}
		claims["org_id"] = org
		claims["role"] = m.Role
		claims["roles"] = []string{m.Role}
		claims["permissions"] = perms
	}
	access, err := s.sign(claims)
	if err != nil {
		return nil, err
	}
	rt := newOpaque(24)
	s.refresh[rt] = &refreshToken{sessionID: sess.id, orgID: org}
	return &pair{access: access, refresh: rt, orgID: org, expiresAt: exp}, nil
}

// sign signs claims with RS256 under the server's key id.
func (s *Server) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.key.kid
	return tok.SignedString(s.key.priv)
}

// SignClaims signs arbitrary claims with the server's key (header alg
// RS256, typ JWT, kid KeyID()), for tests that need tokens the server would
// never mint: expired, wrong issuer, missing claims. Nothing is added to
// claims.
func (s *Server) SignClaims(claims map[string]any) (string, error) {
	return s.sign(jwt.MapClaims(claims))
}

// EndSession ends a session, as logout or revocation does: its refresh
// tokens then fail with invalid_grant. It reports whether the session
// existed and was active.
func (s *Server) EndSession(sessionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[sessionID]
	if sess == nil || sess.ended {
		return false
	}
	sess.ended = true
	return true
}

// SessionActive reports whether a session exists and has not ended.
func (s *Server) SessionActive(sessionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[sessionID]
	return sess != nil && !sess.ended
}
