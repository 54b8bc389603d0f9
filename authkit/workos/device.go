package workos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// DeviceCode is what the user needs to approve a device sign-in: show
// UserCode and VerificationURI (or open VerificationURIComplete). The
// device code itself stays inside SignInWithDeviceCode.
type DeviceCode struct {
	// UserCode is the code the user enters (ABCD-EFGH).
	UserCode string
	// VerificationURI is the page where the user enters it.
	VerificationURI string
	// VerificationURIComplete is that page with the code filled in.
	VerificationURIComplete string
	// ExpiresAt is when the code stops working.
	ExpiresAt time.Time
	// Interval is the polling interval the server asked for.
	Interval time.Duration
}

// defaultDeviceInterval is RFC 8628's default polling interval.
const defaultDeviceInterval = 5 * time.Second

// slowDownStep is what slow_down adds to the interval (RFC 8628 §3.5).
const slowDownStep = 5 * time.Second

// SignInWithDeviceCode signs a user in without a browser on this machine:
// the device authorization grant (RFC 8628) as WorkOS CLI Auth implements
// it (docs/auth.md, "Device code"). It asks
// POST /user_management/authorize/device for a code, hands it to prompt
// (which shows it: it must not block), then polls the
// device_code grant every interval (5 s when the server names none, at
// once when it names 0),
// adding 5 s for good at each slow_down, tolerating network errors and
// transient answers, until the user approves (the result is ready for
// Session.Save), denies (ErrAccessDenied), the code expires
// (ErrDeviceCodeExpired) or ctx ends. CLI Auth must be enabled for the
// environment (403 otherwise).
func SignInWithDeviceCode(ctx context.Context, cfg Config, prompt func(DeviceCode), o SignInOptions) (*StoredSession, error) {
	return signInWithDeviceCode(ctx, cfg, prompt, o, realClock)
}

func signInWithDeviceCode(ctx context.Context, cfg Config, prompt func(DeviceCode), o SignInOptions, clk clock) (*StoredSession, error) {
	if err := cfg.checkAPI(); err != nil {
		return nil, err
	}
	da, err := startDeviceAuthorization(ctx, cfg, clk)
	if err != nil {
		return nil, fmt.Errorf("workos: starting the device sign-in: %w", err)
	}
	interval := defaultDeviceInterval
	if da.Interval != nil && *da.Interval >= 0 {
		interval = time.Duration(*da.Interval) * time.Second
	}
	expiresIn := time.Duration(da.ExpiresIn) * time.Second
	if expiresIn <= 0 {
		expiresIn = 5 * time.Minute
	}
	dc := DeviceCode{
		UserCode:                da.UserCode,
		VerificationURI:         da.VerificationURI,
		VerificationURIComplete: da.VerificationURIComplete,
		ExpiresAt:               clk.now().Add(expiresIn),
		Interval:                interval,
	}
	if prompt != nil {
		prompt(dc)
	} else {
		fmt.Fprintf(o.output(), "To sign in, visit %s and enter the code %s\n", dc.VerificationURI, dc.UserCode)
	}
	body := map[string]string{
		"grant_type":  "urn:ietf:params:oauth:grant-type:device_code",
		"device_code": da.DeviceCode,
		"client_id":   cfg.ClientID,
	}
	for {
		if !clk.now().Before(dc.ExpiresAt) {
			return nil, ErrDeviceCodeExpired
		}
		if err := clk.sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("workos: waiting for the device sign-in: %w", err)
		}
		ar, err := postAuthenticate(ctx, cfg.httpClient(), cfg.apiBase(), body, clk.now)
		if err == nil {
			return ar.stored(clk.now(), cfg.apiBase()), nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("workos: waiting for the device sign-in: %w", ctx.Err())
		}
		ae, ok := errors.AsType[*APIError](err)
		if !ok {
			continue // network trouble: keep polling until expiry
		}
		switch ae.Code {
		case "authorization_pending":
		case "slow_down":
			interval += slowDownStep
		case "access_denied":
			return nil, fmt.Errorf("%w: %s", ErrAccessDenied, ae.Description)
		case "expired_token":
			return nil, ErrDeviceCodeExpired
		default:
			if ae.Transient() {
				if ae.RetryAfter > interval {
					interval = min(ae.RetryAfter, time.Minute)
				}
				continue
			}
			return nil, fmt.Errorf("workos: device sign-in: %w", err)
		}
	}
}

type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                *int   `json:"interval"` // nil: the server names none
}

func startDeviceAuthorization(ctx context.Context, cfg Config, clk clock) (*deviceAuthorization, error) {
	b, _ := json.Marshal(map[string]string{"client_id": cfg.ClientID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.apiBase()+"/user_management/authorize/device", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	a, err := sendAPI(cfg.httpClient(), req)
	if err != nil {
		return nil, err
	}
	data, err := a.okBody(clk.now)
	if err != nil {
		return nil, err
	}
	var da deviceAuthorization
	if err := json.Unmarshal(data, &da); err != nil || da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, errMalformedResponse{"device authorization without device_code, user_code or verification_uri"}
	}
	return &da, nil
}
