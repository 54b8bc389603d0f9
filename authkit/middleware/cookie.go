package middleware

import (
	"fmt"
	"github.com/goconvex/convex/authkit/workos"
	"hash/fnv"
	"net/http"
	"strings"
	"time"

	"github.com/goconvex/convex/internal/iron"
)

// Cookies of the server-side session, as authkit-nextjs names and shapes
// them (workos/authkit-nextjs src/cookie.ts), so a Go server and a Next.js app can share them.
const (
	// DefaultCookieName is the session cookie (WORKOS_COOKIE_NAME).
	DefaultCookieName = "wos-session"
	// DefaultCookieMaxAge is the session cookie's Max-Age: 400 days.
	DefaultCookieMaxAge = 400 * 24 * time.Hour
	// pkceCookiePrefix + fnv1a32 hex of the state names the PKCE cookie.
	pkceCookiePrefix = "wos-auth-verifier"
	// stateTTL is the life of the sealed state and its cookie.
	stateTTL = 10 * time.Minute
	// maxPKCECookies is how many PKCE cookies a browser keeps (older ones
	// are deleted to avoid HTTP 431).
	maxPKCECookies = 5
)

// sessionCookie is the sealed content of wos-session: authkit-nextjs's
// {accessToken, refreshToken, user, impersonator?, authenticationMethod?},
// with the user in the node SDK's camelCase.
type sessionCookie struct {
	AccessToken          string               `json:"accessToken"`
	RefreshToken         string               `json:"refreshToken"`
	User                 *cookieUser          `json:"user"`
	Impersonator         *workos.Impersonator `json:"impersonator,omitempty"`
	AuthenticationMethod string               `json:"authenticationMethod,omitempty"`
}

// cookieUser is the node SDK's User (camelCase).
type cookieUser struct {
	Object            string            `json:"object,omitempty"`
	ID                string            `json:"id"`
	Email             string            `json:"email"`
	EmailVerified     bool              `json:"emailVerified"`
	FirstName         *string           `json:"firstName"`
	LastName          *string           `json:"lastName"`
	ProfilePictureURL *string           `json:"profilePictureUrl"`
	ExternalID        *string           `json:"externalId"`
	Locale            *string           `json:"locale"`
	Metadata          map[string]string `json:"metadata"`
	LastSignInAt      *string           `json:"lastSignInAt"`
	CreatedAt         string            `json:"createdAt,omitempty"`
	UpdatedAt         string            `json:"updatedAt,omitempty"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func toCookieUser(u *workos.User) *cookieUser {
	if u == nil {
		return nil
	}
	md := u.Metadata
	if md == nil {
		md = map[string]string{}
	}
	obj := u.Object
	if obj == "" {
		obj = "user"
	}
	return &cookieUser{
		Object: obj, ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified,
		FirstName: strPtr(u.FirstName), LastName: strPtr(u.LastName),
		ProfilePictureURL: strPtr(u.ProfilePictureURL), ExternalID: strPtr(u.ExternalID),
		Locale: strPtr(u.Locale), Metadata: md, LastSignInAt: strPtr(u.LastSignInAt),
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

func (c *cookieUser) user() *workos.User {
	if c == nil {
		return nil
	}
	return &workos.User{
		Object: c.Object, ID: c.ID, Email: c.Email, EmailVerified: c.EmailVerified,
		FirstName: deref(c.FirstName), LastName: deref(c.LastName),
		ProfilePictureURL: deref(c.ProfilePictureURL), ExternalID: deref(c.ExternalID),
		Locale: deref(c.Locale), Metadata: c.Metadata, LastSignInAt: deref(c.LastSignInAt),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// pkceState is the sealed state of a sign-in (the state parameter and
// the PKCE cookie's value).
type pkceState struct {
	Nonce          string `json:"nonce"`
	CodeVerifier   string `json:"codeVerifier"`
	ReturnPathname string `json:"returnPathname,omitempty"`
	CustomState    string `json:"customState,omitempty"`
}

// pkceCookieName is wos-auth-verifier-<fnv1a32 hex of state>.
func pkceCookieName(state string) string {
	h := fnv.New32a()
	h.Write([]byte(state))
	return fmt.Sprintf("%s-%x", pkceCookiePrefix, h.Sum32())
}

// cookieJar writes the middleware's cookies with the configured attributes.
type cookieJar struct {
	name     string
	domain   string
	maxAge   time.Duration
	sameSite http.SameSite
	secure   bool
	sealer   iron.Sealer
}

func (j *cookieJar) base(name, value string, maxAge time.Duration, sameSite http.SameSite) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", Domain: j.domain,
		MaxAge: int(maxAge / time.Second), HttpOnly: true,
		Secure: j.secure || sameSite == http.SameSiteNoneMode, SameSite: sameSite,
	}
}

// setSession seals sc into the session cookie. The seal expires with the
// cookie (maxAge): a copy kept past the cookie's life does not open.
func (j *cookieJar) setSession(w http.ResponseWriter, sc *sessionCookie) error {
	v, err := j.sealer.Seal(sc, j.maxAge)
	if err != nil {
		return err
	}
	http.SetCookie(w, j.base(j.name, v, j.maxAge, j.sameSite))
	noStore(w)
	return nil
}

// deleteSession expires the session cookie.
func (j *cookieJar) deleteSession(w http.ResponseWriter) {
	c := j.base(j.name, "", 0, j.sameSite)
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	http.SetCookie(w, c)
	noStore(w)
}

// readSession unseals the request's session cookie: nil, nil without one;
// an error for one that does not open (tampered, expired, other password)
// or whose seal has no expiry (ttl 0, as authkit-nextjs seals: such a
// seal would open forever; Unseal refuses an expired one).
func (j *cookieJar) readSession(r *http.Request) (*sessionCookie, error) {
	c, err := r.Cookie(j.name)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	var sc sessionCookie
	if err := j.sealer.Unseal(c.Value, &sc); err != nil {
		return nil, err
	}
	if _, ok := iron.Expiry(c.Value); !ok {
		return nil, fmt.Errorf("%w: session seal without an expiry", iron.ErrInvalid)
	}
	if sc.AccessToken == "" || sc.RefreshToken == "" {
		return nil, fmt.Errorf("%w: session without tokens", iron.ErrInvalid)
	}
	return &sc, nil
}

// setPKCE sets the PKCE cookie for state, deleting the oldest ones the
// request carries beyond maxPKCECookies-1.
func (j *cookieJar) setPKCE(w http.ResponseWriter, r *http.Request, state string) {
	var old []string
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, pkceCookiePrefix) {
			old = append(old, c.Name)
		}
	}
	for i := 0; i+maxPKCECookies-1 < len(old); i++ {
		j.deleteCookie(w, old[i])
	}
	ss := j.sameSite
	if ss == http.SameSiteStrictMode {
		ss = http.SameSiteLaxMode // the redirect back from WorkOS is cross-site
	}
	http.SetCookie(w, j.base(pkceCookieName(state), state, stateTTL, ss))
	noStore(w)
}

// deletePKCE deletes every PKCE cookie the request carries.
func (j *cookieJar) deletePKCE(w http.ResponseWriter, r *http.Request) {
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, pkceCookiePrefix) {
			j.deleteCookie(w, c.Name)
		}
	}
}

func (j *cookieJar) deleteCookie(w http.ResponseWriter, name string) {
	ss := j.sameSite
	if ss == http.SameSiteStrictMode {
		ss = http.SameSiteLaxMode
	}
	c := j.base(name, "", 0, ss)
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	http.SetCookie(w, c)
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	if !strings.Contains(w.Header().Get("Vary"), "Cookie") {
		w.Header().Add("Vary", "Cookie")
	}
}
