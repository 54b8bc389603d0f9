package workos_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
	"github.com/goconvex/convex/authkit/workos"
)

// stepClock is a fake clock shared by authkittest and a flow: Sleep
// advances it at once (by what onSleep returns, the requested duration by
// default) and records the waits.
type stepClock struct {
	mu      sync.Mutex
	t       time.Time
	slept   []time.Duration
	onSleep func(n int, d time.Duration) time.Duration
}

func newStepClock() *stepClock {
	return &stepClock{t: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	n, hook := len(c.slept), c.onSleep
	c.mu.Unlock()
	adv := d
	if hook != nil {
		adv = hook(n, d)
	}
	c.mu.Lock()
	c.t = c.t.Add(adv)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *stepClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func cfgFor(srv *authkittest.Server) workos.Config {
	return workos.Config{ClientID: srv.ClientID(), APIBase: srv.URL()}
}

// browserGet plays the browser: it allowlists the loopback redirect URI
// (as an admin would once) and follows the sign-in page's redirects.
func browserGet(t *testing.T, srv *authkittest.Server) func(ctx context.Context, u string) error {
	return func(ctx context.Context, u string) error {
		pu, err := url.Parse(u)
		require.NoError(t, err)
		srv.AllowRedirectURI(pu.Query().Get("redirect_uri"))
		go func() {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
}

func TestSignInWithBrowser(t *testing.T) {
	srv := authkittest.NewServer(authkittest.WithAutoApprove(authkittest.DemoUser.ID))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var seen string
	open := browserGet(t, srv)
	st, err := workos.SignInWithBrowser(ctx, cfgFor(srv), workos.SignInOptions{Output: io.Discard, OpenBrowser: func(ctx context.Context, u string) error { seen = u; return open(ctx, u) }})
	require.NoError(t, err)
	assert.NotEmpty(t, st.RefreshToken)
	assert.Equal(t, authkittest.DemoUser.Email, st.User.Email)
	tok, err := authkit.ParseToken(st.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, authkittest.DemoUser.ID, tok.Subject)

	q := mustQuery(t, seen)
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Len(t, q.Get("code_challenge"), 43)
	assert.GreaterOrEqual(t, len(q.Get("state")), 43)
	assert.Equal(t, "authkit", q.Get("provider"))
	ru, err := url.Parse(q.Get("redirect_uri"))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", ru.Hostname())
	assert.Equal(t, workos.CallbackPath, ru.Path)

	// The tokens work with a Session.
	sess, err := workos.NewSession(workos.SessionConfig{Config: workos.Config{ClientID: srv.ClientID(), APIBase: srv.URL()}, Store: workos.NewMemoryStore()})
	require.NoError(t, err)
	require.NoError(t, sess.Save(ctx, st))
	nt, err := sess.Token(ctx, true)
	require.NoError(t, err)
	assert.NotEqual(t, st.AccessToken, nt.AccessToken)
}

func mustQuery(t *testing.T, u string) url.Values {
	pu, err := url.Parse(u)
	require.NoError(t, err)
	return pu.Query()
}

// A callback with another state (any web page can request the loopback
// URL) is refused without an exchange and does not end the sign-in: the
// flow keeps waiting, and the real callback then signs the user in.
func TestSignInWithBrowserStateMismatch(t *testing.T) {
	srv := authkittest.NewServer(authkittest.WithAutoApprove(authkittest.DemoUser.ID))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	open := browserGet(t, srv)
	forged := make(chan int, 3)
	st, err := workos.SignInWithBrowser(ctx, cfgFor(srv), workos.SignInOptions{Output: io.Discard, OpenBrowser: func(ctx context.Context, u string) error {
		q := mustQuery(t, u)
		go func() {
			// The forged hits first, each answered before the next.
			for _, v := range []url.Values{
				{"code": {"stolen"}, "state": {"not-" + q.Get("state")}},
				{"error": {"access_denied"}, "state": {"x"}},
				{"code": {"stolen"}},
			} {
				resp, err := http.Get(q.Get("redirect_uri") + "?" + v.Encode())
				if err != nil {
					forged <- 0
					continue
				}
				resp.Body.Close()
				forged <- resp.StatusCode
			}
			open(ctx, u)
		}()
		return nil
	}})
	require.NoError(t, err, "a forged callback must not end the sign-in")
	assert.NotEmpty(t, st.RefreshToken)
	for range 3 {
		assert.Equal(t, http.StatusBadRequest, <-forged)
	}
	assert.Equal(t, 1, srv.Requests(authkittest.RouteAuthenticate), "only the real code was exchanged")
}

func TestSignInWithBrowserDenied(t *testing.T) {
	srv := authkittest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := workos.SignInWithBrowser(ctx, cfgFor(srv), workos.SignInOptions{Output: io.Discard, OpenBrowser: func(ctx context.Context, u string) error {
		q := mustQuery(t, u)
		srv.AllowRedirectURI(q.Get("redirect_uri"))
		// The login form's Deny button.
		form := url.Values{}
		for k, v := range q {
			form[k] = v
		}
		form.Set("action", "deny")
		go func() {
			if resp, err := http.PostForm(srv.URL()+authkittest.RouteAuthorize, form); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}})
	require.ErrorIs(t, err, workos.ErrAccessDenied)
	assert.Zero(t, srv.Requests(authkittest.RouteAuthenticate))
}

func TestSignInWithBrowserTimeoutAndFallback(t *testing.T) {
	srv := authkittest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	_, err := workos.SignInWithBrowser(ctx, cfgFor(srv), workos.SignInOptions{Output: &out, OpenBrowser: func(context.Context, string) error { return errors.New("no display") }})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, out.String(), "Open this URL in a browser")
	assert.Contains(t, out.String(), srv.URL()+"/user_management/authorize?")
}

func TestSignInWithBrowserFixedPort(t *testing.T) {
	srv := authkittest.NewServer(authkittest.WithAutoApprove(authkittest.DemoUser.ID))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	port := freePort(t)
	st, err := workos.SignInWithBrowser(ctx, cfgFor(srv), workos.SignInOptions{Output: io.Discard, CallbackPort: port, OpenBrowser: func(ctx context.Context, u string) error {
		assert.Equal(t, "http://127.0.0.1:"+itoa(port)+"/callback", mustQuery(t, u).Get("redirect_uri"))
		return browserGet(t, srv)(ctx, u)
	}})
	require.NoError(t, err)
	assert.NotEmpty(t, st.RefreshToken)
}

func TestSignInWithDeviceCode(t *testing.T) {
	clk := newStepClock()
	srv := authkittest.NewServer(authkittest.WithClock(clk.Now))
	defer srv.Close()
	var dc workos.DeviceCode
	clk.onSleep = func(n int, d time.Duration) time.Duration {
		if n == 3 {
			require.NoError(t, srv.ApproveDevice(dc.UserCode, authkittest.DemoUser.ID))
		}
		return d
	}
	st, err := workos.SignInWithDeviceCodeOnClock(context.Background(), cfgFor(srv), func(c workos.DeviceCode) { dc = c }, workos.SignInOptions{}, clk.Now, clk.Sleep)
	require.NoError(t, err)
	assert.NotEmpty(t, st.RefreshToken)
	assert.Equal(t, authkittest.DemoUser.ID, st.User.ID)
	assert.NotEmpty(t, dc.UserCode)
	assert.True(t, strings.HasPrefix(dc.VerificationURI, srv.URL()))
	assert.Contains(t, dc.VerificationURIComplete, "user_code=")
	assert.Equal(t, 5*time.Second, dc.Interval)
	assert.Equal(t, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}, clk.Slept())
}

func TestSignInWithDeviceCodeSlowDown(t *testing.T) {
	clk := newStepClock()
	srv := authkittest.NewServer(authkittest.WithClock(clk.Now))
	defer srv.Close()
	var dc workos.DeviceCode
	clk.onSleep = func(n int, d time.Duration) time.Duration {
		switch n {
		case 2:
			return time.Second // polled too soon: slow_down
		case 4:
			require.NoError(t, srv.ApproveDevice(dc.UserCode, authkittest.DemoUser.ID))
		}
		return d
	}
	st, err := workos.SignInWithDeviceCodeOnClock(context.Background(), cfgFor(srv), func(c workos.DeviceCode) { dc = c }, workos.SignInOptions{}, clk.Now, clk.Sleep)
	require.NoError(t, err)
	assert.NotEmpty(t, st.AccessToken)
	// The interval grows by 5 s for good after slow_down.
	assert.Equal(t, []time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second}, clk.Slept())
}

func TestSignInWithDeviceCodeExpired(t *testing.T) {
	clk := newStepClock()
	srv := authkittest.NewServer(authkittest.WithClock(clk.Now))
	defer srv.Close()
	_, err := workos.SignInWithDeviceCodeOnClock(context.Background(), cfgFor(srv), func(workos.DeviceCode) {}, workos.SignInOptions{}, clk.Now, clk.Sleep)
	require.ErrorIs(t, err, workos.ErrDeviceCodeExpired)
	assert.LessOrEqual(t, len(clk.Slept()), int(authkittest.DeviceCodeLifetime/(5*time.Second))+1)

	// The server saying expired_token (its clock ahead of ours) stops too.
	clk2 := newStepClock()
	srv2 := authkittest.NewServer(authkittest.WithClock(clk2.Now))
	defer srv2.Close()
	clk2.onSleep = func(n int, d time.Duration) time.Duration { return authkittest.DeviceCodeLifetime + time.Second }
	_, err = workos.SignInWithDeviceCodeOnClock(context.Background(), cfgFor(srv2), func(workos.DeviceCode) {}, workos.SignInOptions{}, func() time.Time { return clk2.Now().Add(-time.Hour) }, clk2.Sleep)
	require.ErrorIs(t, err, workos.ErrDeviceCodeExpired)
	assert.Len(t, clk2.Slept(), 1)
}

func TestSignInWithDeviceCodeDenied(t *testing.T) {
	clk := newStepClock()
	srv := authkittest.NewServer(authkittest.WithClock(clk.Now))
	defer srv.Close()
	_, err := workos.SignInWithDeviceCodeOnClock(context.Background(), cfgFor(srv), func(c workos.DeviceCode) {
		require.NoError(t, srv.DenyDevice(c.UserCode))
	}, workos.SignInOptions{}, clk.Now, clk.Sleep)
	require.ErrorIs(t, err, workos.ErrAccessDenied)
	assert.Len(t, clk.Slept(), 1)
}

func TestSignInWithDeviceCodeToleratesFaults(t *testing.T) {
	clk := newStepClock()
	srv := authkittest.NewServer(authkittest.WithClock(clk.Now))
	defer srv.Close()
	var dc workos.DeviceCode
	srv.Fault(authkittest.RouteAuthenticate, authkittest.Fault{Status: 503, Times: 2})
	clk.onSleep = func(n int, d time.Duration) time.Duration {
		if n == 3 {
			require.NoError(t, srv.ApproveDevice(dc.UserCode, authkittest.DemoUser.ID))
		}
		return d
	}
	st, err := workos.SignInWithDeviceCodeOnClock(context.Background(), cfgFor(srv), func(c workos.DeviceCode) { dc = c }, workos.SignInOptions{}, clk.Now, clk.Sleep)
	require.NoError(t, err)
	assert.NotEmpty(t, st.RefreshToken)
}

func TestSignInWithDeviceCodeCancelled(t *testing.T) {
	srv := authkittest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := workos.SignInWithDeviceCode(ctx, cfgFor(srv), func(workos.DeviceCode) { cancel() }, workos.SignInOptions{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestSignInWithPassword(t *testing.T) {
	srv := authkittest.NewServer(authkittest.WithAPIKey("sk_test_1"))
	defer srv.Close()
	ctx := context.Background()
	cfg := cfgFor(srv)

	_, err := workos.SignInWithPassword(ctx, cfg, authkittest.DemoUser.Email, authkittest.DemoUser.Password)
	require.Error(t, err, "needs the API key")

	cfg.APIKey = "sk_test_1"
	st, err := workos.SignInWithPassword(ctx, cfg, authkittest.DemoUser.Email, authkittest.DemoUser.Password)
	require.NoError(t, err)
	assert.Equal(t, authkittest.DemoUser.ID, st.User.ID)

	_, err = workos.SignInWithPassword(ctx, cfg, authkittest.DemoUser.Email, "wrong")
	var ae *workos.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "invalid_credentials", ae.Code)
}

// A revoked session (API key) and a session ended through the logout URL
// both make the next refresh fail with ErrSignedOut.
func TestRevokedSession(t *testing.T) {
	srv := authkittest.NewServer(authkittest.WithAPIKey("sk_test_1"))
	defer srv.Close()
	ctx := context.Background()
	cfg := cfgFor(srv)
	cfg.APIKey = "sk_test_1"

	for _, how := range []string{"revoke", "logout"} {
		t.Run(how, func(t *testing.T) {
			st, err := workos.SignInWithPassword(ctx, cfg, authkittest.DemoUser.Email, authkittest.DemoUser.Password)
			require.NoError(t, err)
			var ended error
			sess, err := workos.NewSessionWithSleep(workos.SessionConfig{Config: workos.Config{ClientID: cfg.ClientID, APIKey: cfg.APIKey, APIBase: cfg.APIBase}, Store: workos.NewMemoryStore(), OnSignedOut: func(err error) { ended = err }}, instant)
			require.NoError(t, err)
			require.NoError(t, sess.Save(ctx, st))
			tok, err := sess.Token(ctx, false)
			require.NoError(t, err)
			require.NotEmpty(t, tok.SessionID)

			if how == "revoke" {
				require.NoError(t, workos.RevokeSession(ctx, cfg, tok.SessionID))
			} else {
				require.NoError(t, workos.EndSession(ctx, workos.Config{ClientID: cfg.ClientID, APIBase: cfg.APIBase}, tok.SessionID))
			}
			assert.False(t, srv.SessionActive(tok.SessionID))
			_, err = sess.Token(ctx, true)
			require.ErrorIs(t, err, authkit.ErrSignedOut)
			assert.NotNil(t, ended)
		})
	}
	require.Error(t, workos.RevokeSession(ctx, workos.Config{ClientID: cfg.ClientID, APIBase: cfg.APIBase}, "session_x"), "needs the API key")
	err := workos.RevokeSession(ctx, cfg, "session_01UNKNOWN")
	var ae *workos.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusNotFound, ae.Status)
}
