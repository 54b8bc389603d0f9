package workos

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"
)

// Store persists a session: the refresh token (single-use, rotated on every
// refresh) and the access token that came with it. A Session saves the new
// pair before it hands the access token out, so a crash never loses a
// rotation.
//
// The contract that makes any implementation safe, with or without a lock:
// a Session writes a rotated session with CompareAndSwap, naming the refresh
// token it presented; if the store no longer holds it, another Session (or
// process) has rotated or signed out first, and the Session re-reads the
// store and uses what it finds instead of overwriting it. Sessions of one
// process sharing a store also share each refresh of one refresh token, so
// that only one request presents it. Implementations must be safe for
// concurrent use; a store shared by several processes should also
// implement Locker, so that they do not present the same refresh token at
// once (MemoryStore and FileStore do).
type Store interface {
	// Load returns the stored session, or (nil, nil) when there is none.
	Load(ctx context.Context) (*StoredSession, error)
	// Save replaces the stored session atomically: a concurrent Load sees
	// the old session or the new one, never a mix or a partial write.
	Save(ctx context.Context, s *StoredSession) error
	// Clear removes the stored session. Clearing an empty store is not an
	// error.
	Clear(ctx context.Context) error
	// CompareAndSwap replaces the stored session with s (nil removes it)
	// only if the stored refresh token is still old ("" when the store is
	// empty); otherwise it changes nothing and returns an error matching
	// ErrStoreChanged. The comparison and the write are one atomic step
	// with respect to every other write of the store (in other processes
	// too, for a store they share).
	CompareAndSwap(ctx context.Context, old string, s *StoredSession) error
}

// ErrStoreChanged is returned by Store.CompareAndSwap when the stored
// refresh token is not the expected one: someone else wrote first.
var ErrStoreChanged = errors.New("workos: the stored session changed")

// Locker is implemented by stores that can serialize refreshes, across
// processes when the store is shared (FileStore), so that only one of them
// rotates the refresh token and the others adopt the result.
type Locker interface {
	// Lock blocks until the lock is held or ctx is done, and returns the
	// function that releases it.
	Lock(ctx context.Context) (unlock func(), err error)
}

// StoredSession is what a Store keeps. Its JSON form uses the API's
// snake_case names.
type StoredSession struct {
	// RefreshToken is the single-use WorkOS refresh token. Never log it.
	RefreshToken string `json:"refresh_token"`
	// AccessToken is the access token that came with RefreshToken, so
	// another process sharing the store can use it instead of refreshing.
	AccessToken string `json:"access_token,omitempty"`
	// OrganizationID is the organization the session is in, kept on
	// refresh.
	OrganizationID string `json:"organization_id,omitempty"`
	// User is the signed-in user as the API last described it.
	User *User `json:"user,omitempty"`
	// AuthenticationMethod is how the user signed in (Password,
	// GoogleOAuth, …).
	AuthenticationMethod string `json:"authentication_method,omitempty"`
	// Impersonator is set when an admin is impersonating the user.
	Impersonator *Impersonator `json:"impersonator,omitempty"`
	// SavedAt is when the session was last written.
	SavedAt time.Time `json:"saved_at,omitzero"`
	// APIBase is the WorkOS API that issued the session (its refresh
	// token works there only). A Session refuses to send the tokens of a
	// session bound to another API base than its own; one without it (a
	// file written before this field) is bound at its next refresh.
	APIBase string `json:"api_base,omitempty"`
	// ConvexURLs are the Convex deployments the user trusted with the
	// session's access tokens (goconvex records the one in effect at
	// sign-in and those added with goconvex trust). A Session keeps them
	// on refresh and does not enforce them; change them under the store's
	// lock (Locker), as a refresh may rewrite the file at any time.
	ConvexURLs []string `json:"convex_urls,omitempty"`
}

// User is a WorkOS user, as the authenticate endpoint returns it.
type User struct {
	Object            string            `json:"object,omitempty"`              // "user"
	ID                string            `json:"id"`                            // user_…, the access token's sub
	Email             string            `json:"email"`                         // the sign-in email
	EmailVerified     bool              `json:"email_verified"`                // whether the email was verified
	FirstName         string            `json:"first_name,omitempty"`          // given name, may be empty
	LastName          string            `json:"last_name,omitempty"`           // family name, may be empty
	ProfilePictureURL string            `json:"profile_picture_url,omitempty"` // avatar URL, may be empty
	ExternalID        string            `json:"external_id,omitempty"`         // the app's own id for the user, if set
	Locale            string            `json:"locale,omitempty"`              // e.g. "en-US", may be empty
	Metadata          map[string]string `json:"metadata,omitempty"`            // app-defined key/values
	LastSignInAt      string            `json:"last_sign_in_at,omitempty"`     // RFC 3339
	CreatedAt         string            `json:"created_at,omitempty"`          // RFC 3339
	UpdatedAt         string            `json:"updated_at,omitempty"`          // RFC 3339
}

// Impersonator describes an admin impersonating the user.
type Impersonator struct {
	Email  string `json:"email"`            // the admin's email
	Reason string `json:"reason,omitempty"` // why, when given
}

// clone returns a deep copy.
func (s *StoredSession) clone() *StoredSession {
	if s == nil {
		return nil
	}
	c := *s
	c.ConvexURLs = slices.Clone(s.ConvexURLs)
	if s.User != nil {
		u := *s.User
		u.Metadata = maps.Clone(s.User.Metadata)
		c.User = &u
	}
	if s.Impersonator != nil {
		i := *s.Impersonator
		c.Impersonator = &i
	}
	return &c
}

// MemoryStore is a Store that keeps the session in memory (lost when the
// process exits). It implements Locker, so Sessions sharing one
// MemoryStore in a process adopt each other's refreshes.
// The zero value is an empty store ready to use.
type MemoryStore struct {
	mu   sync.Mutex
	s    *StoredSession
	lock chan struct{}
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load returns a copy of the stored session, or nil.
func (m *MemoryStore) Load(ctx context.Context) (*StoredSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.s.clone(), nil
}

// Save stores a copy of s.
func (m *MemoryStore) Save(ctx context.Context, s *StoredSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s.clone()
	return nil
}

// Clear forgets the session.
func (m *MemoryStore) Clear(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = nil
	return nil
}

// CompareAndSwap stores a copy of s (nil: forgets the session) if the
// stored refresh token is old; see Store.
func (m *MemoryStore) CompareAndSwap(ctx context.Context, old string, s *StoredSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if refreshTokenOf(m.s) != old {
		return ErrStoreChanged
	}
	m.s = nil
	if s != nil && s.RefreshToken != "" {
		m.s = s.clone()
	}
	return nil
}

// refreshTokenOf returns s's refresh token, "" for no session.
func refreshTokenOf(s *StoredSession) string {
	if s == nil {
		return ""
	}
	return s.RefreshToken
}

// Lock takes the store's lock.
func (m *MemoryStore) Lock(ctx context.Context) (func(), error) {
	m.mu.Lock()
	if m.lock == nil {
		m.lock = make(chan struct{}, 1)
	}
	sem := m.lock
	m.mu.Unlock()
	return acquire(ctx, sem)
}

// acquire takes a one-slot semaphore, or gives up when ctx is done.
func acquire(ctx context.Context, sem chan struct{}) (func(), error) {
	select {
	case sem <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-sem }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
