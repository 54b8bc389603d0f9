package protocol

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

const testSession = `"ad4fce15-7c42-4dec-b4b1-a2378c6880d2"`

// Frames the backend's parser (sync_types/src/types/json.rs) refuses, and
// the FatalError text it sends for each (the reason after the prefix where
// the backend's wording is its own).
func TestDecodeClientMessageRefuses(t *testing.T) {
	for _, tc := range []struct{ name, frame, err string }{
		{"not json", `{"type":`, InvalidJSONPrefix},
		{"not an object", `[1]`, InvalidJSONPrefix + "invalid type: sequence"},
		{"no type", `{}`, InvalidJSONPrefix + "missing field `type`"},
		{"unknown type", `{"type":"Hello"}`, InvalidJSONPrefix + "unknown variant `Hello`"},
		{"modifications not an array on any message", `{"type":"Event","eventType":"x","event":1,"modifications":5}`, InvalidJSONPrefix + "invalid type: integer `5`, expected a sequence"},
		// Connect
		{"connect without sessionId", `{"type":"Connect","connectionCount":0}`, InvalidJSONPrefix + "missing field `sessionId`"},
		{"connect without connectionCount", `{"type":"Connect","sessionId":` + testSession + `}`, InvalidJSONPrefix + "missing field `connectionCount`"},
		{"session id not a UUID", `{"type":"Connect","sessionId":"abc","connectionCount":0}`, InvalidJSONPrefix + `invalid session id "abc"`},
		{"session id of 32 random base32 chars", `{"type":"Connect","sessionId":"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567","connectionCount":0}`, InvalidJSONPrefix + "invalid session id"},
		{"float clientTs", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"clientTs":1.5}`, InvalidJSONPrefix + "invalid type: floating point `1.5`, expected i64"},
		{"exponent clientTs", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"clientTs":1e3}`, InvalidJSONPrefix + "invalid type: floating point `1000.0`, expected i64"},
		{"negative connectionCount", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":-1}`, InvalidJSONPrefix + "invalid value: integer `-1`, expected u32"},
		{"connectionCount above u32", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":4294967296}`, InvalidJSONPrefix + "invalid value: integer `4294967296`, expected u32"},
		{"maxObservedTimestamp of 4 bytes", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"maxObservedTimestamp":"AAAAAA=="}`, InvalidJSONPrefix + "u64 must be 8 bytes"},
		{"maxObservedTimestamp above i64", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"maxObservedTimestamp":"//////////8="}`, InvalidJSONPrefix + "ts 18446744073709551615 too large"},
		{"lastCloseReason not a string", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"lastCloseReason":3}`, InvalidJSONPrefix + "invalid type: integer `3`, expected a string"},
		// ModifyQuerySet
		{"without modifications", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1}`, InvalidJSONPrefix + "ModifyQuerySet lacks modifications"},
		{"null modifications", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":null}`, InvalidJSONPrefix + "ModifyQuerySet lacks modifications"},
		{"without newVersion", `{"type":"ModifyQuerySet","baseVersion":0,"modifications":[]}`, InvalidJSONPrefix + "missing field `newVersion`"},
		{"float baseVersion", `{"type":"ModifyQuerySet","baseVersion":0.0,"newVersion":1,"modifications":[]}`, InvalidJSONPrefix + "invalid type: floating point `0.0`, expected u32"},
		{"unknown modification type", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Move","queryId":0}]}`, InvalidJSONPrefix + "unknown variant `Move`"},
		{"remove without queryId", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Remove"}]}`, InvalidJSONPrefix + "missing field `queryId`"},
		{"add with a bad path", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages.ts:list","args":[{}]}]}`, InvalidJSONPrefix + "Module path has an extension that isn't 'js'."},
		{"add without udfPath (defaults to empty)", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"args":[{}]}]}`, InvalidJSONPrefix},
		{"add without args", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"a:b"}]}`, "Invalid arguments provided"},
		{"bad path wins over earlier args", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"a:b"},{"type":"Add","queryId":1,"udfPath":"a:1"}]}`, InvalidJSONPrefix + "Function name"},
		{"journal not a string", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"a:b","args":[{}],"journal":5}]}`, InvalidJSONPrefix + "invalid type: integer `5`, expected a string"},
		// Mutation, Action
		{"mutation without args", `{"type":"Mutation","requestId":0,"udfPath":"a:b"}`, InvalidJSONPrefix + "Mutation lacks args"},
		{"mutation with null args", `{"type":"Mutation","requestId":0,"udfPath":"a:b","args":null}`, InvalidJSONPrefix + "Mutation lacks args"},
		{"action without args", `{"type":"Action","requestId":0,"udfPath":"a:b"}`, InvalidJSONPrefix + "Action lacks args"},
		{"mutation with a bare object", `{"type":"Mutation","requestId":0,"udfPath":"a:b","args":{"x":1}}`, "Invalid arguments provided"},
		{"mutation with a string", `{"type":"Mutation","requestId":0,"udfPath":"a:b","args":"x"}`, "Invalid arguments provided"},
		{"bad path before missing args", `{"type":"Mutation","requestId":0,"udfPath":"/a:b"}`, InvalidJSONPrefix + "Module paths must be relative."},
		{"mutation without requestId", `{"type":"Mutation","udfPath":"a:b","args":[{}]}`, InvalidJSONPrefix + "missing field `requestId`"},
		{"mutation without udfPath", `{"type":"Mutation","requestId":0,"args":[{}]}`, InvalidJSONPrefix + "missing field `udfPath`"},
		{"function name all underscores", `{"type":"Action","requestId":0,"udfPath":"a:__","args":[{}]}`, InvalidJSONPrefix + "Function name"},
		// Authenticate
		{"authenticate without tokenType", `{"type":"Authenticate","baseVersion":0}`, InvalidJSONPrefix + "missing field `tokenType`"},
		{"user without value", `{"type":"Authenticate","baseVersion":0,"tokenType":"User"}`, InvalidJSONPrefix + "missing field `value`"},
		{"unknown token type", `{"type":"Authenticate","baseVersion":0,"tokenType":"Key","value":"x"}`, InvalidJSONPrefix + "unknown variant `Key`"},
		{"acting as nobody", `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"k","impersonating":{"name":"Ivy"}}`, InvalidJSONPrefix + `Either "tokenIdentifier" or "issuer" and "subject" must be set`},
		{"acting as issuer only", `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"k","acting_as":{"issuer":"i"}}`, InvalidJSONPrefix + `Either "tokenIdentifier"`},
		{"acting as with a typed field of the wrong type", `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"k","impersonating":{"tokenIdentifier":"t","emailVerified":"yes"}}`, InvalidJSONPrefix + "invalid type: string \"yes\", expected a boolean"},
		{"acting as a string", `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"k","impersonating":"ivy"}`, InvalidJSONPrefix + "invalid type: string"},
		{"acting_as and impersonating", `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"k","impersonating":null,"acting_as":null}`, InvalidJSONPrefix + "duplicate field `acting_as`"},
		// Event
		{"event without event", `{"type":"Event","eventType":"x"}`, InvalidJSONPrefix + "missing field `event`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeClientMessage([]byte(tc.frame))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.err)
			require.Equal(t, 0, indexOf(err.Error(), tc.err[:min(len(tc.err), len(InvalidJSONPrefix))]), "the text starts as the backend's: %q", err)
		})
	}
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// Frames the backend accepts that a naive decoder would refuse.
func TestDecodeClientMessageAccepts(t *testing.T) {
	for _, tc := range []struct{ name, frame string }{
		{"unknown fields of any type", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"extra":{"x":[1.5]},"requestId":"not checked here"}`},
		{"connect with only the required fields", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0}`},
		{"uppercase simple UUID", `{"type":"Connect","sessionId":"AD4FCE157C424DECB4B1A2378C6880D2","connectionCount":0}`},
		{"braced UUID", `{"type":"Connect","sessionId":"{ad4fce15-7c42-4dec-b4b1-a2378c6880d2}","connectionCount":0}`},
		{"urn UUID", `{"type":"Connect","sessionId":"urn:uuid:ad4fce15-7c42-4dec-b4b1-a2378c6880d2","connectionCount":0}`},
		{"null optional fields", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"lastCloseReason":null,"clientTs":null,"maxObservedTimestamp":null}`},
		{"negative clientTs", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"clientTs":-5}`},
		{"add without queryId (defaults to 0)", `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","udfPath":"a:b","args":[{}]}]}`},
		{"args of several values (positional)", `{"type":"Mutation","requestId":0,"udfPath":"a:b","args":[1,2]}`},
		{"empty args array", `{"type":"Action","requestId":0,"udfPath":"a:b","args":[]}`},
		{"default export path", `{"type":"Action","requestId":0,"udfPath":"folder/a.js","args":[{}]}`},
		{"event of null", `{"type":"Event","eventType":"x","event":null}`},
		{"admin without acting as", `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"k"}`},
		{"acting as issuer and subject with claims", `{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"k","acting_as":{"issuer":"i","subject":"s","org":{"id":1},"emailVerified":null}}`},
		{"none with a stray value", `{"type":"Authenticate","baseVersion":0,"tokenType":"None","value":5}`},
		{"args on a connect are not read", `{"type":"Connect","sessionId":` + testSession + `,"connectionCount":0,"args":"x"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeClientMessage([]byte(tc.frame))
			require.NoError(t, err)
		})
	}
}

func TestDecodeClientMessageValues(t *testing.T) {
	m, err := DecodeClientMessage([]byte(`{"type":"Connect","sessionId":"AD4FCE157C424DECB4B1A2378C6880D2","connectionCount":3,"clientTs":-5,"maxObservedTimestamp":"6AMAAAAAAAA="}`))
	require.NoError(t, err)
	c := m.(*Connect)
	require.Equal(t, "ad4fce15-7c42-4dec-b4b1-a2378c6880d2", c.SessionID)
	require.Equal(t, uint32(3), c.ConnectionCount)
	require.Equal(t, int64(-5), c.ClientTS)
	require.Equal(t, TS(1000), *c.MaxObservedTimestamp)

	m, err = DecodeClientMessage([]byte(`{"type":"Mutation","requestId":7,"udfPath":"a:b","args":[ {"x":1} ]}`))
	require.NoError(t, err)
	require.Equal(t, json.RawMessage(`{"x":1}`), m.(*Mutation).Args)
	m, err = DecodeClientMessage([]byte(`{"type":"Mutation","requestId":7,"udfPath":"a:b","args":[1,2]}`))
	require.NoError(t, err)
	require.Equal(t, json.RawMessage(`[1,2]`), m.(*Mutation).Args, "other arrays are kept whole")

	m, err = DecodeClientMessage([]byte(`{"type":"Authenticate","baseVersion":2,"tokenType":"Admin","value":"k","acting_as":{"tokenIdentifier":"t"}}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"tokenIdentifier":"t"}`, string(m.(*Authenticate).Impersonating))
}

func TestCheckIdentityAttributes(t *testing.T) {
	require.NoError(t, CheckIdentityAttributes([]byte(`{"tokenIdentifier":"t"}`)))
	require.EqualError(t, CheckIdentityAttributes([]byte(`{"subject":"s"}`)), `Either "tokenIdentifier" or "issuer" and "subject" must be set`)
	require.ErrorContains(t, CheckIdentityAttributes([]byte(`{"tokenIdentifier":5}`)), "expected a string")
}
