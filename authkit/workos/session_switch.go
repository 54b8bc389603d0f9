package workos

import (
	"context"
	"errors"

	"github.com/goconvex/convex/authkit"
)

// SwitchOrganization moves the signed-in user's session into another of
// their organizations: a forced refresh with organization_id, as authkit-js
// switchToOrganization does (authkit-js src/create-client.ts), persisted
// like any rotation before it returns the new access token (its org_id is
// organizationID). Later refreshes stay in that organization. It waits for
// a refresh under way to finish first; Token calls made meanwhile share
// the switch.
//
// A refusal for the organization's sake (the user is not a member, the
// organization does not exist or asks for SSO or MFA: any terminal answer
// but invalid_grant and 401) is returned, wrapping the *APIError, and
// leaves the session as it was, in its organization; authkit-js instead
// drops the session and sends the user to sign in to the organization (do
// that with SignInOptions.Organization). A rejected refresh token ends the
// session as in Token; transient failures are retried as in Token and then
// match authkit.ErrTransient.
func (s *Session) SwitchOrganization(ctx context.Context, organizationID string) (*authkit.Token, error) {
	if organizationID == "" {
		return nil, errors.New("workos: SwitchOrganization needs an organization id")
	}
	s.mu.Lock()
	for s.flight != nil {
		f := s.flight
		s.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, transient(ctx.Err())
		}
		s.mu.Lock()
	}
	var rejected string
	if s.cur != nil {
		rejected = s.cur.AccessToken
	}
	f := s.startFlight(ctx, true, rejected, organizationID)
	if err := s.join(ctx, f); err != nil {
		return nil, transient(err)
	}
	if f.err != nil {
		return nil, f.err
	}
	t := *f.tok
	return &t, nil
}

// refreshTokenRejected reports whether a terminal answer is about the
// refresh token or the client (invalid_grant, 401) rather than the
// organization asked for.
func refreshTokenRejected(ae *APIError) bool {
	return ae.Code == "invalid_grant" || ae.Status == 401
}
