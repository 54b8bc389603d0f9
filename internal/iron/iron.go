// Package iron seals and unseals values in the iron "Fe26.2" format, as
// iron-webcrypto 1.2 and iron-session 8 produce them: the format of
// authkit-nextjs's wos-session cookie and of its sealed PKCE state. A cookie
// sealed here unseals in Node with iron-session's unsealData, and the
// other way round (docs/auth.md, "Middleware"; node_modules/iron-webcrypto):
//
//		Fe26.2*<pwId>*<encSalt>*<iv>*<cipher>*<expMs>*<macSalt>*<mac>~2
//
//	  - pwId is the id of the password in a password map ("1" for a single
//	    string password, as iron-session uses); unsealing picks the password
//	    by it, which is how passwords are rotated.
//	  - encSalt and macSalt are 32 random bytes written as 64 lowercase hex
//	    characters; the UTF-8 bytes of that hex string are the PBKDF2 salt.
//	  - Keys are PBKDF2-HMAC-SHA1 with 1 iteration and 32 bytes of output, one
//	    for encryption and one for the MAC.
//	  - The JSON of the value is encrypted with AES-256-CBC (PKCS#7 padding)
//	    under a random 16-byte IV.
//	  - iv, cipher and mac are base64url without padding.
//	  - expMs is the expiry in milliseconds since the epoch, or empty for a
//	    seal that does not expire (ttl 0). A seal is refused once it expired
//	    more than 60 s ago (iron's timestamp skew).
//	  - mac is HMAC-SHA256 over the first six fields joined by "*".
//	  - "~2" is iron-session's format version. A seal without it is an
//	    iron-session v6 seal: Unseal then decodes its "persistent" field.
//
// Unsealing failures are errors matching ErrInvalid (and a more precise
// sentinel); callers holding cookies should treat them as "no session".
package iron

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Prefix is the MAC prefix of the format, the seal's first field.
const Prefix = "Fe26.2"

// versionSuffix is what iron-session appends to the iron seal.
const versionSuffix = "~2"

// MinPasswordLength is the shortest password iron accepts, in UTF-16 code
// units (JavaScript's string length).
const MinPasswordLength = 32

// TimestampSkew is how long after its expiry a seal is still accepted.
const TimestampSkew = 60 * time.Second

// DefaultPasswordID is the id iron-session gives a single string password.
const DefaultPasswordID = "1"

const (
	saltBytes = 32
	keyBytes  = 32
	ivBytes   = aes.BlockSize
)

var (
	// ErrInvalid matches every unseal failure.
	ErrInvalid = errors.New("iron: invalid seal")
	// ErrMalformed is a string that is not a seal (wrong prefix, number of
	// fields, encoding or padding).
	ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalid)
	// ErrExpired is a seal past its expiry (plus TimestampSkew).
	ErrExpired = fmt.Errorf("%w: expired", ErrInvalid)
	// ErrBadMAC is a seal whose MAC does not match: tampered with, or
	// sealed under another password.
	ErrBadMAC = fmt.Errorf("%w: bad hmac value", ErrInvalid)
	// ErrUnknownPassword is a seal naming a password id the Sealer lacks.
	ErrUnknownPassword = fmt.Errorf("%w: cannot find password", ErrInvalid)
	// ErrPasswordTooShort is a password under MinPasswordLength.
	ErrPasswordTooShort = fmt.Errorf("iron: password must be at least %d characters", MinPasswordLength)
)

// Sealer seals with its newest password and unseals with any of them.
// The zero value has no password and refuses to seal.
type Sealer struct {
	// Passwords maps password ids to passwords. Ids are word characters
	// ([0-9A-Za-z_]); seals use the highest numeric id (iron-session's
	// rule), or the greatest id in string order when some are not numbers.
	Passwords map[string]string
	// Now reads the clock (time.Now when nil).
	Now func() time.Time
}

// NewSealer returns a Sealer with one password under DefaultPasswordID.
func NewSealer(password string) Sealer {
	return Sealer{Passwords: map[string]string{DefaultPasswordID: password}}
}

// Seal seals v with password (under id "1", as iron-session's sealData does
// with a string password). v is encoded with encoding/json; pass a
// json.RawMessage (or []byte holding JSON) to seal pre-encoded JSON. ttl 0
// makes a seal without expiry.
func Seal(password string, v any, ttl time.Duration) (string, error) {
	return NewSealer(password).Seal(v, ttl)
}

// Unseal opens a seal made with password and decodes its JSON into v.
// Like iron-session's unsealData with a string password, the password is
// the one of id "1": seals naming another id fail with ErrUnknownPassword
// (use a Sealer with a password map for rotation).
func Unseal(sealed, password string, v any) error {
	return NewSealer(password).Unseal(sealed, v)
}

// CheckPassword reports whether password is long enough for iron.
func CheckPassword(password string) error {
	if len(utf16.Encode([]rune(password))) < MinPasswordLength {
		return ErrPasswordTooShort
	}
	return nil
}

var wordRE = regexp.MustCompile(`^\w+$`)

// current returns the id and password seals use.
func (s Sealer) current() (string, string, error) {
	if len(s.Passwords) == 0 {
		return "", "", errors.New("iron: no password")
	}
	ids := make([]string, 0, len(s.Passwords))
	allNumeric := true
	for id := range s.Passwords {
		ids = append(ids, id)
		if _, err := strconv.ParseUint(id, 10, 63); err != nil {
			allNumeric = false
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if allNumeric {
			a, _ := strconv.ParseUint(ids[i], 10, 63)
			b, _ := strconv.ParseUint(ids[j], 10, 63)
			return a < b
		}
		return ids[i] < ids[j]
	})
	id := ids[len(ids)-1]
	if id != "" && !wordRE.MatchString(id) {
		return "", "", fmt.Errorf("iron: invalid password id %q", id)
	}
	if allNumeric {
		n, _ := strconv.ParseUint(id, 10, 63)
		id = strconv.FormatUint(n, 10)
	}
	return id, s.Passwords[ids[len(ids)-1]], nil
}

func (s Sealer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Seal seals v (see the package function Seal) with the newest password
// and appends iron-session's "~2".
func (s Sealer) Seal(v any, ttl time.Duration) (string, error) {
	id, pw, err := s.current()
	if err != nil {
		return "", err
	}
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	if ttl < 0 {
		return "", errors.New("iron: negative ttl")
	}
	var plain []byte
	switch b := v.(type) {
	case json.RawMessage:
		plain = b
	case []byte:
		plain = b
	default:
		if plain, err = json.Marshal(v); err != nil {
			return "", fmt.Errorf("iron: encoding the value: %w", err)
		}
	}
	if !json.Valid(plain) {
		return "", errors.New("iron: the value is not valid JSON")
	}
	encSalt, err := randomHex()
	if err != nil {
		return "", err
	}
	iv := make([]byte, ivBytes)
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	encKey, err := deriveKey(pw, encSalt)
	if err != nil {
		return "", err
	}
	ct := encryptCBC(encKey, iv, plain)
	exp := ""
	if ttl > 0 {
		exp = strconv.FormatInt(s.now().UnixMilli()+ttl.Milliseconds(), 10)
	}
	macBase := strings.Join([]string{Prefix, id, encSalt, b64(iv), b64(ct), exp}, "*")
	macSalt, err := randomHex()
	if err != nil {
		return "", err
	}
	mac, err := hmacB64(pw, macSalt, macBase)
	if err != nil {
		return "", err
	}
	return macBase + "*" + macSalt + "*" + mac + versionSuffix, nil
}

// Unseal opens sealed, choosing the password by the seal's id, and decodes
// its JSON into v. Errors match ErrInvalid.
func (s Sealer) Unseal(sealed string, v any) error {
	return s.unseal(sealed, v)
}

func (s Sealer) unseal(sealed string, v any) error {
	// iron-session: split on "~"; the first part is the iron seal, the
	// second the version (absent: v6, which wraps data in "persistent").
	parts := strings.Split(sealed, "~")
	ironSeal := parts[0]
	v2 := len(parts) > 1 && jsParseIntIs2(parts[1])
	f := strings.Split(ironSeal, "*")
	if len(f) != 8 {
		return fmt.Errorf("%w (%d components)", ErrMalformed, len(f))
	}
	if f[0] != Prefix {
		return fmt.Errorf("%w (prefix)", ErrMalformed)
	}
	if exp := f[5]; exp != "" {
		ms, ok := parseExpMs(exp)
		if !ok {
			return fmt.Errorf("%w (expiration)", ErrMalformed)
		}
		if ms <= s.now().UnixMilli()-TimestampSkew.Milliseconds() {
			return ErrExpired
		}
	}
	id := f[1]
	if id == "" {
		id = "default"
	}
	pw, ok := s.Passwords[id]
	if !ok || pw == "" {
		return ErrUnknownPassword
	}
	if err := CheckPassword(pw); err != nil {
		return err
	}
	macBase := strings.Join(f[:6], "*")
	mac, err := hmacB64(pw, f[6], macBase)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(mac), []byte(f[7])) != 1 {
		return ErrBadMAC
	}
	ct, err := unb64(f[4])
	if err != nil {
		return fmt.Errorf("%w (ciphertext encoding)", ErrMalformed)
	}
	iv, err := unb64(f[3])
	if err != nil || len(iv) != ivBytes {
		return fmt.Errorf("%w (iv)", ErrMalformed)
	}
	encKey, err := deriveKey(pw, f[2])
	if err != nil {
		return err
	}
	plain, err := decryptCBC(encKey, iv, ct)
	if err != nil {
		return err
	}
	if !v2 {
		var outer struct {
			Persistent json.RawMessage `json:"persistent"`
		}
		if err := json.Unmarshal(plain, &outer); err != nil {
			return fmt.Errorf("%w (payload is not JSON)", ErrMalformed)
		}
		plain = outer.Persistent
		if len(plain) == 0 || string(plain) == "null" {
			plain = []byte("{}")
		}
	}
	if raw, ok := v.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], plain...)
		return nil
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("%w (payload: %v)", ErrMalformed, err)
	}
	return nil
}

// Expiry returns the expiry written in sealed, and false for a seal
// without one (sealed with ttl 0) or a string that is not a seal. It does
// not check the seal: call it after Unseal succeeded, which proves the
// expiry is the sealer's (the MAC covers it).
func Expiry(sealed string) (time.Time, bool) {
	f := strings.Split(strings.Split(sealed, "~")[0], "*")
	if len(f) != 8 || f[5] == "" {
		return time.Time{}, false
	}
	ms, ok := parseExpMs(f[5])
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// parseExpMs reads a seal's expiry field: decimal digits only, in int64.
func parseExpMs(exp string) (int64, bool) {
	for _, c := range exp {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	ms, err := strconv.ParseInt(exp, 10, 64)
	return ms, err == nil
}

// jsParseIntIs2 reports whether JavaScript's parseInt(s, 10) is 2.
func jsParseIntIs2(s string) bool {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	s = strings.TrimPrefix(s, "+")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	return err == nil && n == 2
}

func randomHex() (string, error) {
	b := make([]byte, saltBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func deriveKey(password, salt string) ([]byte, error) {
	return pbkdf2.Key(sha1.New, password, []byte(salt), 1, keyBytes)
}

func hmacB64(password, salt, data string) (string, error) {
	key, err := deriveKey(password, salt)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return b64(m.Sum(nil)), nil
}

func encryptCBC(key, iv, plain []byte) []byte {
	block, _ := aes.NewCipher(key)
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := make([]byte, len(plain)+pad)
	copy(buf, plain)
	for i := len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return buf
}

func decryptCBC(key, iv, ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w (ciphertext length)", ErrMalformed)
	}
	block, _ := aes.NewCipher(key)
	buf := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, ct)
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w (padding)", ErrMalformed)
	}
	for _, b := range buf[len(buf)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w (padding)", ErrMalformed)
		}
	}
	return buf[:len(buf)-pad], nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// unb64 decodes base64url without padding, tolerating padding and the
// standard alphabet as iron-webcrypto's decoder does.
func unb64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return base64.RawURLEncoding.DecodeString(s)
}
