package jwtclaims

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func token(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + ".sig"
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		want    Claims
		wantErr string
	}{
		{"workos claims", token(`{"iss":"https://api.workos.com/","sub":"user_1","sid":"session_1","org_id":"org_1","exp":1700000300,"iat":1700000000,"role":"member","permissions":["a","b"]}`),
			Claims{Exp: 1700000300, Iat: 1700000000, HasExp: true, HasIat: true, Sub: "user_1", Iss: "https://api.workos.com/", Sid: "session_1", OrgID: "org_1"}, ""},
		{"fractional and exponent", token(`{"exp":1.7e9,"iat":1699999999.5}`), Claims{Exp: 1.7e9, Iat: 1699999999.5, HasExp: true, HasIat: true}, ""},
		{"wrong types are absent", token(`{"exp":"1700000000","iat":null,"sub":42,"sid":{"x":1}}`), Claims{}, ""},
		{"last duplicate wins", token(`{"sub":"a","sub":"b","exp":1,"exp":2}`), Claims{Sub: "b", Exp: 2, HasExp: true}, ""},
		{"escapes", token(`{"sub":"a\"b\\c\/d\u00e9\ud83d\ude00\ud800x"}`), Claims{Sub: "a\"b\\c/dé😀\uFFFDx"}, ""},
		{"dollar keys and nesting are skipped", token(`{"$integer":"AQ==","x":[[{"y":[true,false,null,-0.5e-3]}]],"exp":5}`), Claims{Exp: 5, HasExp: true}, ""},
		{"padded base64", func() string {
			p := base64.URLEncoding.EncodeToString([]byte(`{"exp":7}`))
			return "h." + p + ".s"
		}(), Claims{Exp: 7, HasExp: true}, ""},
		{"two segments", "a.b", Claims{}, "not three dot-separated segments"},
		{"four segments", "a.b.c.d", Claims{}, "not three dot-separated segments"},
		{"empty payload", "a..c", Claims{}, "empty segment"},
		{"not base64", "a.!!!.c", Claims{}, "payload is not base64url"},
		{"array payload", token(`[1]`), Claims{}, "expected an object"},
		{"trailing data", token(`{"exp":1} x`), Claims{}, "data after the object"},
		{"bad number", token(`{"exp":01}`), Claims{}, "expected ',' or '}'"},
		{"unterminated", token(`{"exp":1`), Claims{}, "expected ',' or '}'"},
		{"control char", token("{\"sub\":\"a\nb\"}"), Claims{}, "control character in string"},
		{"deep nesting", token(`{"x":` + string(bytes.Repeat([]byte("["), 100)) + string(bytes.Repeat([]byte("]"), 100)) + `}`), Claims{}, "nesting too deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.token)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				var e *Error
				assert.ErrorAs(t, err, &e)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// FuzzParsePayload checks the reader against encoding/json: the same
// payloads are accepted as one object, and the claims read are the same.
func FuzzParsePayload(f *testing.F) {
	for _, s := range []string{`{"exp":1,"iat":2.5,"sub":"x"}`, `{"a":[1,{"b":"\u00e9"}],"sid":"s"}`, `{}`, `[]`, `{"exp":1e400}`, `{"org_id":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, err := ParsePayload(payload)
		if !utf8.Valid(payload) {
			return // encoding/json and this reader both replace, but the fuzz oracle stays simple
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		jerr := dec.Decode(&m)
		if !json.Valid(payload) {
			jerr = assert.AnError // json.Decoder stops after the first value
		}
		objectOK := jerr == nil && m != nil
		if err != nil {
			// encoding/json has no depth limit this low; JSON.parse and this reader do.
			if objectOK && !strings.Contains(err.Error(), "nesting too deep") {
				t.Fatalf("rejected %q, which encoding/json reads: %v", payload, err)
			}
			return
		}
		require.True(t, objectOK, "accepted %q, which encoding/json does not read as one object (%v)", payload, jerr)
		want := Claims{}
		str := func(k string) string { s, _ := m[k].(string); return s }
		num := func(k string) (float64, bool) {
			n, ok := m[k].(json.Number)
			if !ok {
				return 0, false
			}
			v, err := n.Float64()
			if err != nil {
				return 0, false
			}
			return v, true
		}
		want.Sub, want.Iss, want.Sid, want.OrgID = str("sub"), str("iss"), str("sid"), str("org_id")
		want.Exp, want.HasExp = num("exp")
		want.Iat, want.HasIat = num("iat")
		assert.Equal(t, want, got, "payload %q", payload)
	})
}
