package convextest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Identity is the signed-in user a function runs as, what
// ctx.auth.getUserIdentity() returns in a JS function. Functions of a
// signed-out client see a nil *Identity.
type Identity struct {
	// TokenIdentifier is "<iss>|<sub>", with iss exactly as the token has it.
	TokenIdentifier string
	Subject         string
	Issuer          string

	// Standard OpenID Connect claims, filled from the token's claims (name,
	// given_name, email, email_verified, ...) or from the camelCase
	// attributes of an admin's acting-as identity.
	Name                string
	GivenName           string
	FamilyName          string
	Nickname            string
	PreferredUsername   string
	ProfileURL          string
	PictureURL          string
	WebsiteURL          string
	Email               string
	EmailVerified       bool
	Gender              string
	Birthday            string
	Timezone            string
	Language            string
	PhoneNumber         string
	PhoneNumberVerified bool
	Address             string
	UpdatedAt           string

	// Claims holds the token's other claims, as the real server exposes
	// them for custom JWT providers: every claim except the registered ones
	// (iss, sub, aud, exp, iat, nbf, jti) and fva, nested objects flattened
	// to dotted keys ("org.id"), values as JSON decodes them (numbers are
	// float64). For an acting-as identity it holds the unknown attributes.
	Claims map[string]any

	// Expiration is the token's exp; zero for identities that do not expire.
	Expiration time.Time
}

// Map returns the identity as a JS function sees it: an object with
// tokenIdentifier, subject, issuer, the standard fields that are set (in
// camelCase) and the custom claims. Returning it from a function gives the
// client that object.
func (id *Identity) Map() map[string]any {
	if id == nil {
		return nil
	}
	m := make(map[string]any, len(id.Claims)+4)
	for k, v := range id.Claims {
		m[k] = v
	}
	m["tokenIdentifier"] = id.TokenIdentifier
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("subject", id.Subject)
	put("issuer", id.Issuer)
	put("name", id.Name)
	put("givenName", id.GivenName)
	put("familyName", id.FamilyName)
	put("nickname", id.Nickname)
	put("preferredUsername", id.PreferredUsername)
	put("profileUrl", id.ProfileURL)
	put("pictureUrl", id.PictureURL)
	put("websiteUrl", id.WebsiteURL)
	put("email", id.Email)
	put("gender", id.Gender)
	put("birthday", id.Birthday)
	put("timezone", id.Timezone)
	put("language", id.Language)
	put("phoneNumber", id.PhoneNumber)
	put("address", id.Address)
	put("updatedAt", id.UpdatedAt)
	if id.EmailVerified {
		m["emailVerified"] = true
	}
	if id.PhoneNumberVerified {
		m["phoneNumberVerified"] = true
	}
	return m
}

// clone returns a deep copy, so functions cannot change a connection's
// identity.
func (id *Identity) clone() *Identity {
	if id == nil {
		return nil
	}
	c := *id
	if id.Claims != nil {
		c.Claims = deepCopy(id.Claims).(map[string]any)
	}
	return &c
}

// expired reports whether the identity's token has expired at now (the
// real server's check: now >= exp, no leeway).
func (id *Identity) expired(now time.Time) bool {
	return id != nil && !id.Expiration.IsZero() && !now.Before(id.Expiration)
}

// registeredClaims are the JWT claims that never become custom claims.
var registeredClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "jti": true}

// identityFromClaims builds the identity of a verified custom JWT.
func identityFromClaims(claims map[string]any) *Identity {
	id := &Identity{Claims: map[string]any{}}
	id.Issuer, _ = claims["iss"].(string)
	id.Subject, _ = claims["sub"].(string)
	id.TokenIdentifier = id.Issuer + "|" + id.Subject
	if exp, ok := claims["exp"].(float64); ok {
		id.Expiration = time.Unix(0, int64(exp*1e9))
	}
	str := func(k string) string { s, _ := claims[k].(string); return s }
	boolean := func(k string) bool { b, _ := claims[k].(bool); return b }
	id.Name = str("name")
	id.GivenName = str("given_name")
	id.FamilyName = str("family_name")
	id.Nickname = str("nickname")
	id.PreferredUsername = str("preferred_username")
	id.ProfileURL = str("profile")
	id.PictureURL = str("picture")
	id.WebsiteURL = str("website")
	id.Email = str("email")
	id.EmailVerified = boolean("email_verified")
	id.Gender = str("gender")
	id.Birthday = str("birthdate")
	id.Timezone = str("zoneinfo")
	id.Language = str("locale")
	id.PhoneNumber = str("phone_number")
	id.PhoneNumberVerified = boolean("phone_number_verified")
	switch a := claims["address"].(type) {
	case string:
		id.Address = a
	case map[string]any:
		id.Address, _ = a["formatted"].(string)
	}
	switch u := claims["updated_at"].(type) {
	case string:
		id.UpdatedAt = u
	case float64:
		id.UpdatedAt = time.Unix(int64(u), 0).UTC().Format(time.RFC3339)
	}
	for k, v := range claims {
		if registeredClaims[k] || k == "fva" {
			continue
		}
		flattenClaim(id.Claims, k, v)
	}
	return id
}

func flattenClaim(dst map[string]any, key string, v any) {
	if obj, ok := v.(map[string]any); ok {
		for k, e := range obj {
			flattenClaim(dst, key+"."+k, e)
		}
		return
	}
	dst[key] = v
}

// attributeKeys maps UserIdentityAttributes' camelCase JSON keys to fields.
var attributeKeys = map[string]func(id *Identity, v any) error{
	"tokenIdentifier":     strField(func(id *Identity) *string { return &id.TokenIdentifier }),
	"subject":             strField(func(id *Identity) *string { return &id.Subject }),
	"issuer":              strField(func(id *Identity) *string { return &id.Issuer }),
	"name":                strField(func(id *Identity) *string { return &id.Name }),
	"givenName":           strField(func(id *Identity) *string { return &id.GivenName }),
	"familyName":          strField(func(id *Identity) *string { return &id.FamilyName }),
	"nickname":            strField(func(id *Identity) *string { return &id.Nickname }),
	"preferredUsername":   strField(func(id *Identity) *string { return &id.PreferredUsername }),
	"profileUrl":          strField(func(id *Identity) *string { return &id.ProfileURL }),
	"pictureUrl":          strField(func(id *Identity) *string { return &id.PictureURL }),
	"websiteUrl":          strField(func(id *Identity) *string { return &id.WebsiteURL }),
	"email":               strField(func(id *Identity) *string { return &id.Email }),
	"gender":              strField(func(id *Identity) *string { return &id.Gender }),
	"birthday":            strField(func(id *Identity) *string { return &id.Birthday }),
	"timezone":            strField(func(id *Identity) *string { return &id.Timezone }),
	"language":            strField(func(id *Identity) *string { return &id.Language }),
	"phoneNumber":         strField(func(id *Identity) *string { return &id.PhoneNumber }),
	"address":             strField(func(id *Identity) *string { return &id.Address }),
	"updatedAt":           strField(func(id *Identity) *string { return &id.UpdatedAt }),
	"emailVerified":       boolField(func(id *Identity) *bool { return &id.EmailVerified }),
	"phoneNumberVerified": boolField(func(id *Identity) *bool { return &id.PhoneNumberVerified }),
}

func strField(f func(*Identity) *string) func(*Identity, any) error {
	return func(id *Identity, v any) error {
		if v == nil {
			return nil
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("expected a string, got %T", v)
		}
		*f(id) = s
		return nil
	}
}

func boolField(f func(*Identity) *bool) func(*Identity, any) error {
	return func(id *Identity, v any) error {
		if v == nil {
			return nil
		}
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("expected a boolean, got %T", v)
		}
		*f(id) = b
		return nil
	}
}

// identityFromAttributes builds the identity an admin acts as, from
// UserIdentityAttributes JSON (camelCase keys; unknown keys are custom
// claims; tokenIdentifier or both issuer and subject are required).
func identityFromAttributes(raw []byte) (*Identity, error) {
	var attrs map[string]any
	if err := json.Unmarshal(raw, &attrs); err != nil {
		return nil, fmt.Errorf("invalid acting-as identity: %w", err)
	}
	id := &Identity{}
	for k, v := range attrs {
		if set := attributeKeys[k]; set != nil {
			if err := set(id, v); err != nil {
				return nil, fmt.Errorf("invalid acting-as identity: %s: %w", k, err)
			}
			continue
		}
		if id.Claims == nil {
			id.Claims = map[string]any{}
		}
		id.Claims[k] = v
	}
	if id.TokenIdentifier == "" {
		if id.Issuer == "" || id.Subject == "" {
			return nil, errors.New(`invalid acting-as identity: Either "tokenIdentifier" or "issuer" and "subject" must be set`)
		}
		id.TokenIdentifier = id.Issuer + "|" + id.Subject
	}
	return id, nil
}
