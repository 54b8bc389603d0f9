package jwk

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSet(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	ecPub, err := ek.PublicKey.Bytes()
	require.NoError(t, err)
	rsaJWK := fmt.Sprintf(`{"kty":"RSA","kid":"r1","alg":"RS256","use":"sig","n":%q,"e":%q}`, enc(rk.N.Bytes()), enc(big.NewInt(int64(rk.E)).Bytes()))
	ecJWK := fmt.Sprintf(`{"kty":"EC","kid":"e1","crv":"P-256","x":%q,"y":%q}`, enc(ecPub[1:33]), enc(ecPub[33:]))

	keys, err := ParseSet([]byte(`{"keys":[` + rsaJWK + `,` + ecJWK +
		`,{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"AA"},{"kty":"EC","kid":"p384","crv":"P-384"}]}`))
	require.NoError(t, err)
	require.Len(t, keys, 2, "the encryption key and the unknown types are skipped")
	require.True(t, rk.PublicKey.Equal(keys["r1"].Public))
	require.Equal(t, "RS256", keys["r1"].Alg)
	require.True(t, ek.PublicKey.Equal(keys["e1"].Public))

	for name, body := range map[string]string{
		"not json":      `{`,
		"no keys":       `{}`,
		"bad modulus":   `{"keys":[{"kty":"RSA","kid":"x","n":"!!","e":"AQAB"}]}`,
		"tiny exponent": `{"keys":[{"kty":"RSA","kid":"x","n":"AQAB","e":"AQ"}]}`,
		"off curve":     `{"keys":[{"kty":"EC","kid":"x","crv":"P-256","x":"AQ","y":"AQ"}]}`,
		"key not json":  `{"keys":[1]}`,
	} {
		_, err := ParseSet([]byte(body))
		require.Error(t, err, name)
	}
}

func TestDecodeDataURL(t *testing.T) {
	want := `{"keys":[]}`
	b64 := base64.StdEncoding.EncodeToString([]byte(want))
	for _, u := range []string{
		"data:application/json;base64," + b64,
		"data:application/json;base64," + base64.RawURLEncoding.EncodeToString([]byte(want)),
		"data:application/json;BASE64," + b64[:8] + "\n" + b64[8:],
		"data:application/json," + `%7B%22keys%22%3A%5B%5D%7D`,
		"data:," + want,
	} {
		got, err := DecodeDataURL(u)
		require.NoError(t, err, u)
		require.Equal(t, want, string(got), u)
	}
	for _, u := range []string{"data:no-comma", "data:;base64,!!!!", "data:,%zz"} {
		_, err := DecodeDataURL(u)
		require.Error(t, err, u)
	}
}
