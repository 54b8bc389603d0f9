package workos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// authenticatePath is the endpoint of every grant.
const authenticatePath = "/user_management/authenticate"

// maxResponseBytes bounds what we read of an API answer.
const maxResponseBytes = 1 << 20

// authenticateResponse is the success body of POST
// /user_management/authenticate, the fields we keep (workos-node
// deserializeAuthenticationResponse).
type authenticateResponse struct {
	User                 *User         `json:"user"`
	OrganizationID       string        `json:"organization_id"`
	AccessToken          string        `json:"access_token"`
	RefreshToken         string        `json:"refresh_token"`
	AuthenticationMethod string        `json:"authentication_method"`
	Impersonator         *Impersonator `json:"impersonator"`
}

// refreshRequest is the JSON body of the refresh_token grant. Empty
// optional fields are left out.
type refreshRequest struct {
	ClientID       string `json:"client_id"`
	GrantType      string `json:"grant_type"`
	RefreshToken   string `json:"refresh_token"`
	OrganizationID string `json:"organization_id,omitempty"`
	ClientSecret   string `json:"client_secret,omitempty"`
}

// postRefresh sends one refresh_token grant for cfg, with cfg.APIKey as
// client_secret when set.
func postRefresh(ctx context.Context, cfg Config, refreshToken, org string, now func() time.Time) (*authenticateResponse, error) {
	return postAuthenticate(ctx, cfg.httpClient(), cfg.apiBase(), refreshRequest{
		ClientID:       cfg.ClientID,
		GrantType:      "refresh_token",
		RefreshToken:   refreshToken,
		OrganizationID: org,
		ClientSecret:   cfg.APIKey,
	}, now)
}

// codeRequest is the JSON body of the authorization_code grant.
type codeRequest struct {
	ClientID     string `json:"client_id"`
	GrantType    string `json:"grant_type"`
	Code         string `json:"code"`
	CodeVerifier string `json:"code_verifier,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// postCode sends one authorization_code grant with the PKCE verifier and,
// for a confidential client, the secret.
func postCode(ctx context.Context, cfg Config, code, verifier, secret string, now func() time.Time) (*authenticateResponse, error) {
	return postAuthenticate(ctx, cfg.httpClient(), cfg.apiBase(), codeRequest{
		ClientID: cfg.ClientID, GrantType: "authorization_code", Code: code,
		CodeVerifier: verifier, ClientSecret: secret,
	}, now)
}

// postAuthenticate sends one authenticate request. It returns the decoded
// success body, an *APIError for an error answer, or the transport error
// (network failure, timeout, ctx).
func postAuthenticate(ctx context.Context, hc *http.Client, apiBase string, body any, now func() time.Time) (*authenticateResponse, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(apiBase, "/")+authenticatePath, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	a, err := sendAPI(hc, req)
	if err != nil {
		return nil, err
	}
	data, err := a.okBody(now)
	if err != nil {
		if ae, ok := err.(*APIError); ok {
			if step := pendingStep(ae, a.body); step != nil {
				return nil, step
			}
		}
		return nil, err
	}
	var ar authenticateResponse
	if err := json.Unmarshal(data, &ar); err != nil {
		return nil, errMalformedResponse{"body is not JSON"}
	}
	if ar.AccessToken == "" || ar.RefreshToken == "" {
		return nil, errMalformedResponse{"access_token or refresh_token missing"}
	}
	return &ar, nil
}

// apiAnswer is a WorkOS API answer, its body read up to maxResponseBytes.
type apiAnswer struct {
	status  int
	header  http.Header
	body    []byte
	readErr error
}

// sendAPI sends req with the headers every WorkOS call carries and reads
// the answer; the error is the transport's (network failure, timeout, ctx).
func sendAPI(hc *http.Client, req *http.Request) (*apiAnswer, error) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "goconvex-authkit")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	return &apiAnswer{status: resp.StatusCode, header: resp.Header, body: data, readErr: err}, nil
}

// apiError is the answer as an *APIError.
func (a *apiAnswer) apiError(now func() time.Time) *APIError {
	return parseAPIError(a.status, a.header, a.body, now())
}

// okBody returns the body of a 200 answer; any other status is an
// *APIError.
func (a *apiAnswer) okBody(now func() time.Time) ([]byte, error) {
	if a.readErr != nil {
		return nil, fmt.Errorf("workos: reading response: %w", a.readErr)
	}
	if a.status != http.StatusOK {
		return nil, a.apiError(now)
	}
	return a.body, nil
}

// parseAPIError reads either error body shape; a body that is not JSON is
// tolerated (the status drives the classification).
func parseAPIError(status int, h http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{Status: status, RetryAfter: parseRetryAfter(h.Get("Retry-After"), now)}
	var b struct {
		Error            any    `json:"error"`
		ErrorDescription string `json:"error_description"`
		Code             string `json:"code"`
		Message          string `json:"message"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code, _ = b.Error.(string)
		if e.Code == "" {
			e.Code = b.Code
		}
		e.Description = b.ErrorDescription
		if e.Description == "" {
			e.Description = b.Message
		}
	}
	if len(e.Description) > 200 {
		e.Description = e.Description[:200] + "…"
	}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
