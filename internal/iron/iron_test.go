package iron

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const pw = "a-cookie-password-of-at-least-32-characters!"

// Vectors sealed by iron-session 8.0.4's sealData in node.
const (
	// {accessToken:"at",refreshToken:"rt",user:{id:"user_01",email:"a@b.c"}}, ttl 0
	nodeSession = "Fe26.2*1*2f406b7998b3b6bb71b65dfc26b313797513bf898c8d98235529a5e9dd71bb4d*cFddUe-NEZWRYjb2E6_jkw*5aWvgWzY8GxhsIrKEura7NjWkdPLYhkobeRqwLHs1QCtdfOQRLxGWLx98lLpT1_XDdLN8qL8WgpRCcOoLBZxjlVBChBmBZCYP6XLrC_9SNIwMbiT9j5pTlHMfVXR3x3z**4b27a513e8144522798c69d1f0c5701b6b3d774c6925171a652a627529682856*8R_9aIe3YSOoLNsjEJo11I00nBOjPPBO3-LUh25uRD8~2"
	// {n:1}, ttl 600 s, sealed at 1795727053660 ms
	nodeTTL      = "Fe26.2*1*a5e6d54187322218c857b1cf5157c1f04ef3ef88cda8ac233a5d33ad65352b1a*WcIM3FbNb1jqsnYFr9cT5w*e08veSQkDYUq0CfFsbol0Q*1795727653659*fb7cf15a7f3676768476b178b27700b412955fc1b65e02aaac33ae826f9732b4*g27joTEtiIJSpa60btuYnj3ylToJqiGEmiRtF5SJDkw~2"
	nodeTTLExpMs = 1795727653659
)

func at(ms int64) func() time.Time { return func() time.Time { return time.UnixMilli(ms) } }

func TestUnsealNodeVectors(t *testing.T) {
	var sess struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
		User         struct{ ID, Email string }
	}
	if err := Unseal(nodeSession, pw, &sess); err != nil {
		t.Fatal(err)
	}
	if sess.AccessToken != "at" || sess.RefreshToken != "rt" || sess.User.ID != "user_01" || sess.User.Email != "a@b.c" {
		t.Fatalf("got %+v", sess)
	}

	s := NewSealer(pw)
	var v struct{ N int }
	s.Now = at(nodeTTLExpMs + 59_999)
	if err := s.Unseal(nodeTTL, &v); err != nil || v.N != 1 {
		t.Fatalf("within the skew: %v %+v", err, v)
	}
	s.Now = at(nodeTTLExpMs + 60_000)
	if err := s.Unseal(nodeTTL, &v); !errors.Is(err, ErrExpired) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("past the skew: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	in := map[string]any{"a": "<é>&", "n": 1.5, "l": []any{true, nil}}
	sealed, err := Seal(pw, in, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(strings.TrimSuffix(sealed, "~2"), "*")
	if !strings.HasSuffix(sealed, "~2") || len(f) != 8 || f[0] != "Fe26.2" || f[1] != "1" || len(f[2]) != 64 || len(f[6]) != 64 || f[5] != "" {
		t.Fatalf("shape: %s", sealed)
	}
	var out map[string]any
	if err := Unseal(sealed, pw, &out); err != nil {
		t.Fatal(err)
	}
	if out["a"] != "<é>&" || out["n"] != 1.5 {
		t.Fatalf("got %v", out)
	}
	// Pre-encoded JSON goes through as is.
	sealed, _ = Seal(pw, json.RawMessage(`{"x":1}`), time.Minute)
	var raw json.RawMessage
	if err := Unseal(sealed, pw, &raw); err != nil || string(raw) != `{"x":1}` {
		t.Fatalf("raw: %v %s", err, raw)
	}
}

func TestExpiry(t *testing.T) {
	s := NewSealer(pw)
	s.Now = at(1_000_000)
	sealed, err := s.Seal(map[string]int{"a": 1}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(sealed, "*")[5]; got != "1010000" {
		t.Fatalf("exp field %q", got)
	}
	var v map[string]int
	s.Now = at(1_069_999)
	if err := s.Unseal(sealed, &v); err != nil {
		t.Fatal(err)
	}
	s.Now = at(1_070_000)
	if err := s.Unseal(sealed, &v); !errors.Is(err, ErrExpired) {
		t.Fatalf("got %v", err)
	}
}

func TestRefusals(t *testing.T) {
	sealed, _ := Seal(pw, map[string]int{"a": 1}, 0)
	var v map[string]int
	if err := Unseal(sealed, "another-password-that-is-32-chars-long!!", &v); !errors.Is(err, ErrBadMAC) {
		t.Errorf("wrong password: %v", err)
	}
	f := strings.Split(sealed, "*")
	mut := func(i int, s string) string {
		g := append([]string(nil), f...)
		g[i] = s
		return strings.Join(g, "*")
	}
	flip := func(s string) string {
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	for name, c := range map[string]struct {
		seal string
		want error
	}{
		"cipher":     {mut(4, flip(f[4])), ErrBadMAC},
		"iv":         {mut(3, flip(f[3])), ErrBadMAC},
		"salt":       {mut(2, strings.Repeat("0", 64)), ErrBadMAC},
		"mac":        {mut(7, flip(f[7])), ErrBadMAC},
		"expiry":     {mut(5, "99999999999999"), ErrBadMAC},
		"bad expiry": {mut(5, "12a"), ErrMalformed},
		"prefix":     {mut(0, "Fe26.1"), ErrMalformed},
		"fields":     {strings.Join(f[:7], "*"), ErrMalformed},
		"empty":      {"", ErrMalformed},
		"garbage":    {"not a seal at all", ErrMalformed},
		"password":   {mut(1, "9"), ErrUnknownPassword},
	} {
		if err := Unseal(c.seal, pw, &v); !errors.Is(err, c.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func TestPasswords(t *testing.T) {
	if _, err := Seal("short", 1, 0); !errors.Is(err, ErrPasswordTooShort) {
		t.Fatalf("short password: %v", err)
	}
	if err := CheckPassword(strings.Repeat("é", 32)); err != nil {
		t.Fatal(err)
	}
	rot := Sealer{Passwords: map[string]string{"1": "old-password-old-password-old-password", "10": pw, "2": "two-password-two-password-two-password"}}
	sealed, err := rot.Seal(map[string]int{"a": 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if id := strings.Split(sealed, "*")[1]; id != "10" {
		t.Fatalf("sealed with id %s, want the highest, 10", id)
	}
	var v map[string]int
	if err := rot.Unseal(sealed, &v); err != nil {
		t.Fatal(err)
	}
	if err := Unseal(sealed, pw, &v); !errors.Is(err, ErrUnknownPassword) {
		t.Fatalf("a string password is id 1 only: %v", err)
	}
	old, _ := Seal("old-password-old-password-old-password", map[string]int{"a": 2}, 0)
	if err := rot.Unseal(old, &v); err != nil || v["a"] != 2 {
		t.Fatalf("older password: %v %v", err, v)
	}
}

func FuzzUnseal(f *testing.F) {
	f.Add(nodeSession)
	f.Add(nodeTTL)
	f.Add("Fe26.2*1*a*b*c**d*e~2")
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if err := Unseal(s, pw, &v); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error not matching ErrInvalid: %v", err)
		}
	})
}
