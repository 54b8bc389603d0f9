package authkittest

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// deviceState is where a device authorization stands.
type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
	deviceUsed
)

// deviceAuth is one device authorization (RFC 8628).
type deviceAuth struct {
	deviceCode string
	userCode   string
	clientID   string
	expires    time.Time
	interval   time.Duration // grows by 5 s with each slow_down
	lastPoll   time.Time
	state      deviceState
	userID     string
}

// handleDeviceAuthorize serves POST /user_management/authorize/device
// ({"client_id"}, JSON or form): it starts a device authorization.
func (s *Server) handleDeviceAuthorize(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(w, r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if p["client_id"] == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id is required.")
		return
	}
	if p["client_id"] != s.cfg.clientID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "Invalid client ID '"+p["client_id"]+"'.")
		return
	}
	now := s.cfg.clock()
	s.mu.Lock()
	for dc, d := range s.devices {
		if now.After(d.expires.Add(time.Hour)) {
			delete(s.devices, dc)
			delete(s.userCodes, d.userCode)
		}
	}
	d := &deviceAuth{
		deviceCode: newOpaque(32),
		clientID:   p["client_id"],
		expires:    now.Add(DeviceCodeLifetime),
		interval:   s.cfg.deviceInterval,
	}
	for d.userCode == "" || s.userCodes[d.userCode] != nil {
		d.userCode = newUserCode()
	}
	s.devices[d.deviceCode] = d
	s.userCodes[d.userCode] = d
	s.mu.Unlock()
	verification := s.url + RouteDevicePage
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               d.deviceCode,
		"user_code":                 d.userCode,
		"verification_uri":          verification,
		"verification_uri_complete": verification + "?" + url.Values{"user_code": {d.userCode}}.Encode(),
		"expires_in":                int(DeviceCodeLifetime / time.Second),
		"interval":                  int(s.cfg.deviceInterval / time.Second),
	})
}

// grantDevice answers a device code poll: authorization_pending,
// slow_down (polled sooner than the interval after the previous poll; the
// interval then grows by 5 s), access_denied, expired_token, or the tokens
// once approved (the device code is then spent: invalid_grant).
func (s *Server) grantDevice(p map[string]string) (map[string]any, *grantError) {
	dc := p["device_code"]
	if dc == "" {
		return nil, oauthErr("invalid_request", "device_code is required.")
	}
	now := s.cfg.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[dc]
	if d == nil || d.clientID != p["client_id"] || d.state == deviceUsed {
		return nil, oauthErr("invalid_grant", "The device code is invalid or has already been used.")
	}
	if now.After(d.expires) {
		return nil, oauthErr("expired_token", "The device code has expired.")
	}
	switch d.state {
	case deviceDenied:
		return nil, oauthErr("access_denied", "The user denied the request.")
	case devicePending:
		last := d.lastPoll
		d.lastPoll = now
		if !last.IsZero() && d.interval > 0 && now.Sub(last) < d.interval {
			d.interval += slowDownStep
			return nil, oauthErr("slow_down", "Polling too fast; wait at least the interval between requests, now increased by 5 seconds.")
		}
		return nil, oauthErr("authorization_pending", "The user has not yet approved the request.")
	}
	u := s.users[d.userID]
	if u == nil {
		return nil, oauthErr("invalid_grant", "The approving user no longer exists.")
	}
	d.state = deviceUsed
	return s.signInLocked(u, "Password", u.defaultOrg(), stepsDone{})
}

// normalizeUserCode accepts a user code typed in any case, with or without
// its dash or spaces.
func normalizeUserCode(code string) string {
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(code) == 8 {
		return code[:4] + "-" + code[4:]
	}
	return code
}

// ErrUnknownUserCode is returned by ApproveDevice and DenyDevice for a user
// code that was never issued, has expired or was already decided.
var ErrUnknownUserCode = errors.New("authkittest: unknown, expired or already decided user code")

// decideDevice approves (userID != "") or denies a pending device
// authorization.
func (s *Server) decideDevice(userCode, userID string, approve bool) error {
	now := s.cfg.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.userCodes[normalizeUserCode(userCode)]
	if d == nil || d.state != devicePending || now.After(d.expires) {
		return ErrUnknownUserCode
	}
	if !approve {
		d.state = deviceDenied
		return nil
	}
	if s.users[userID] == nil {
		return errors.New("authkittest: no user " + userID)
	}
	d.state, d.userID = deviceApproved, userID
	return nil
}

// ApproveDevice approves the device authorization with this user code as
// the user userID, as a person on the verification page would: the next
// poll gets tokens.
func (s *Server) ApproveDevice(userCode, userID string) error {
	return s.decideDevice(userCode, userID, true)
}

// DenyDevice denies the device authorization with this user code: polls
// then get access_denied.
func (s *Server) DenyDevice(userCode string) error {
	return s.decideDevice(userCode, "", false)
}

// handleDevicePage serves GET /device: the verification page, a form for
// the user code (prefilled from ?user_code=) and credentials.
func (s *Server) handleDevicePage(w http.ResponseWriter, r *http.Request) {
	renderTemplate(w, http.StatusOK, deviceTmpl, formData{
		Title:    "Activate your device",
		UserCode: r.URL.Query().Get("user_code"),
		Users:    s.userHints(),
	})
}

// handleDeviceForm serves POST /device: action=deny denies the code, else
// the email and password approve it.
func (s *Server) handleDeviceForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		renderPage(w, http.StatusBadRequest, "Device activation", "The form could not be read.")
		return
	}
	f := r.PostForm
	again := func(status int, msg string) {
		renderTemplate(w, status, deviceTmpl, formData{
			Title: "Activate your device", Error: msg,
			UserCode: f.Get("user_code"), Email: f.Get("email"), Users: s.userHints(),
		})
	}
	if f.Get("action") == "deny" {
		if err := s.DenyDevice(f.Get("user_code")); err != nil {
			again(http.StatusBadRequest, "That code is not valid or has expired.")
			return
		}
		renderPage(w, http.StatusOK, "Device denied", "The device was not signed in. You can close this window.")
		return
	}
	s.mu.Lock()
	u := s.userByEmailLocked(f.Get("email"))
	s.mu.Unlock()
	if u == nil || !u.checkPassword(f.Get("password")) {
		again(http.StatusUnauthorized, "Invalid email or password.")
		return
	}
	if err := s.ApproveDevice(f.Get("user_code"), u.ID); err != nil {
		again(http.StatusBadRequest, "That code is not valid or has expired.")
		return
	}
	renderPage(w, http.StatusOK, "Device approved", "Your device is signed in. You can close this window.")
}
