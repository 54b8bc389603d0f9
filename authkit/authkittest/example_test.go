package authkittest_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/goconvex/convex/authkit/authkittest"
)

// A sign-in as a desktop app does it: PKCE authorize (auto-approved here),
// code exchange, then a refresh.
func Example() {
	srv := authkittest.NewServer(
		authkittest.WithClientID("client_01EXAMPLE000000000000000000"),
		authkittest.WithRedirectURIs("http://127.0.0.1:8765/callback"),
		authkittest.WithUsers(authkittest.User{ID: "user_01EXAMPLE00000000000000000", Email: "ada@example.com"}),
		authkittest.WithAutoApprove("user_01EXAMPLE00000000000000000"),
	)
	defer srv.Close()

	// PKCE.
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])

	// The browser goes to authorize and comes back with a code.
	q := url.Values{
		"client_id": {srv.ClientID()}, "redirect_uri": {"http://127.0.0.1:8765/callback"},
		"response_type": {"code"}, "provider": {"authkit"}, "state": {"xyz"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(srv.URL() + "/user_management/authorize?" + q.Encode())
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	callback, _ := url.Parse(res.Header.Get("Location"))
	fmt.Println("state:", callback.Query().Get("state"))

	// The app exchanges the code.
	body := fmt.Sprintf(`{"grant_type":"authorization_code","client_id":%q,"code":%q,"code_verifier":%q}`,
		srv.ClientID(), callback.Query().Get("code"), verifier)
	res, err = http.Post(srv.URL()+"/user_management/authenticate", "application/json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	var session struct {
		User struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&session)
	res.Body.Close()
	fmt.Println("user:", session.User.Email)
	fmt.Println("issuer:", srv.Issuer())

	// Tests can also mint a session directly.
	tok, err := srv.IssueTokens("user_01EXAMPLE00000000000000000")
	if err != nil {
		panic(err)
	}
	fmt.Println("direct session:", strings.HasPrefix(tok.SessionID, "session_01"))

	// Output:
	// state: xyz
	// user: ada@example.com
	// issuer: https://api.workos.com/user_management/client_01EXAMPLE000000000000000000
	// direct session: true
}
