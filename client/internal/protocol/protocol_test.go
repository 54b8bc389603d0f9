package protocol

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Frames the official convex 1.48.0 client sent, recorded from a session
// (setAuth, onUpdate and a mutation before the socket opened) and from a
// reconnect. Re-encoding the decoded message must give the same bytes: same
// fields, same key order.
var jsClientFrames = []string{
	`{"connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":1795711212140,"type":"Connect","sessionId":"ad4fce15-7c42-4dec-b4b1-a2378c6880d2"}`,
	`{"connectionCount":1,"lastCloseReason":"InternalServerError","clientTs":1795711253643,"type":"Connect","sessionId":"8f30798b-0000-4000-8000-000000000000","maxObservedTimestamp":"6PNC8qOl6xg="}`,
	`{"connectionCount":1,"lastCloseReason":null,"clientTs":1795711253643,"type":"Connect","sessionId":"8f30798b-0000-4000-8000-000000000000"}`,
	`{"type":"Authenticate","baseVersion":0,"tokenType":"User","value":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}`,
	`{"type":"Authenticate","tokenType":"None","baseVersion":1}`,
	`{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"prod:happy-animal-123|01ab","impersonating":{"tokenIdentifier":"https://issuer|user1","subject":"user1","issuer":"https://issuer"}}`,
	`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{"channel":"a","n":{"$integer":"BQAAAAAAAAA="}}]}]}`,
	`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{"channel":"a","n":{"$integer":"BQAAAAAAAAA="}}],"journal":null}]}`,
	`{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[]}`,
	`{"type":"ModifyQuerySet","baseVersion":3,"newVersion":4,"modifications":[{"type":"Remove","queryId":0}]}`,
	`{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{"body":"hi","channel":"a","n":{"$integer":"BwAAAAAAAAA="}}]}`,
	`{"type":"Action","requestId":1,"udfPath":"ai:run","args":[{"q":1}]}`,
	`{"type":"Mutation","requestId":2,"udfPath":"messages:send","componentPath":"chat","args":[{}]}`,
	`{"type":"Event","eventType":"NetworkRecoveryReconnect","event":{"timeSavedMs":12}}`,
}

func TestClientFramesRoundTripByteIdentical(t *testing.T) {
	for _, frame := range jsClientFrames {
		msg, err := DecodeClientMessage([]byte(frame))
		require.NoError(t, err, frame)
		require.Equal(t, frame, string(msg.AppendJSON(nil)))
	}
}

// Frames a server sends (docs/protocol.md#transition to #ping), in the
// field order the real server uses.
var serverFrames = []string{
	`{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":1,"identity":0,"ts":"6AMAAAAAAAA="},"modifications":[{"type":"QueryUpdated","queryId":0,"value":[{"_creationTime":1700000000000.5,"_id":"k57","body":"hi"}],"logLines":["[LOG] 'loaded 1 message'"],"journal":null}],"clientClockSkew":-12,"serverTs":1700000000123456789}`,
	`{"type":"Transition","startVersion":{"querySet":1,"identity":0,"ts":"6AMAAAAAAAA="},"endVersion":{"querySet":2,"identity":1,"ts":"6AMAAAAAAAA="},"modifications":[{"type":"QueryFailed","queryId":0,"errorMessage":"Uncaught Error: boom","logLines":[],"journal":null,"errorData":{"code":"E1"}},{"type":"QueryRemoved","queryId":1}],"clientClockSkew":null,"serverTs":null}`,
	`{"type":"MutationResponse","requestId":0,"success":true,"result":{"id":"m2","n":{"$integer":"KgAAAAAAAAA="}},"ts":"6PNC8qOl6xg=","logLines":["[LOG] 'mutation log line'"]}`,
	`{"type":"MutationResponse","requestId":1,"success":false,"result":"[Request ID: 3f2a] Server Error\nUncaught ConvexError: bad","ts":null,"logLines":[],"errorData":{"code":42}}`,
	`{"type":"ActionResponse","requestId":1,"success":true,"result":"action-ok","logLines":[]}`,
	`{"type":"AuthError","error":"Could not verify OIDC token claim.","baseVersion":0,"authUpdateAttempted":true}`,
	`{"type":"AuthError","error":"x","baseVersion":null,"authUpdateAttempted":false}`,
	`{"type":"FatalError","error":"Base version 2 passed up doesn't match the current version 1"}`,
	`{"type":"Ping"}`,
	`{"type":"TransitionChunk","chunk":"{\"type\"","partNumber":0,"totalParts":3,"transitionId":"123"}`,
}

func TestServerFramesRoundTripByteIdentical(t *testing.T) {
	for _, frame := range serverFrames {
		msg, err := DecodeServerMessage([]byte(frame))
		require.NoError(t, err, frame)
		require.Equal(t, frame, string(msg.AppendWire(nil)))
	}
}

func TestDecodeServerMessageLeniency(t *testing.T) {
	// The fake in toolchain.md omits clientClockSkew/serverTs and value.
	msg, err := DecodeServerMessage([]byte(`{"type":"Transition","extra":1,"startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":0,"identity":1,"ts":"AAAAAAAAAAA="},"modifications":[{"type":"QueryUpdated","queryId":3,"logLines":[]}]}`))
	require.NoError(t, err)
	tr := msg.(*Transition)
	require.Nil(t, tr.ClientClockSkew)
	require.Nil(t, tr.ServerTS)
	require.Equal(t, "null", string(tr.Modifications[0].Value))
	require.Equal(t, uint32(1), tr.EndVersion.Identity)
}

func TestDecodeServerMessageErrors(t *testing.T) {
	for name, frame := range map[string]string{
		"not json":           `{"type":`,
		"no versions":        `{"type":"Transition","modifications":[]}`,
		"bad ts":             `{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AQ=="},"endVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"modifications":[]}`,
		"unpadded ts":        `{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"6PNC8qOl6xg"},"endVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"modifications":[]}`,
		"mod without id":     `{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"modifications":[{"type":"QueryRemoved"}]}`,
		"negative querySet":  `{"type":"Transition","startVersion":{"querySet":-1,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"modifications":[]}`,
		"response no id":     `{"type":"MutationResponse","success":true,"result":1,"ts":"AAAAAAAAAAA="}`,
		"mutation ok no ts":  `{"type":"MutationResponse","requestId":1,"success":true,"result":1}`,
		"array":              `[]`,
		"string type number": `{"type":5}`,
	} {
		_, err := DecodeServerMessage([]byte(frame))
		require.Error(t, err, name)
	}
}

func TestTS(t *testing.T) {
	for _, tc := range []struct {
		ts   TS
		wire string
	}{
		{0, "AAAAAAAAAAA="},
		{100, "ZAAAAAAAAAA="},
		{1000, "6AMAAAAAAAA="},
		{1700000000123456789, "Fc2FPf6clxc="},
		{1795711000000001000, "6PNC8qOl6xg="},
		{^TS(0), "//////////8="},
	} {
		require.Equal(t, tc.wire, tc.ts.String())
		got, err := ParseTS(tc.wire)
		require.NoError(t, err)
		require.Equal(t, tc.ts, got)
	}
	got, err := ParseTS("__________8=") // URL-safe alphabet is accepted
	require.NoError(t, err)
	require.Equal(t, ^TS(0), got)
	got, err = ParseTS("-_-_-_-_-_8=")
	require.NoError(t, err)
	require.Equal(t, TS(0xfffbbffffbbffffb), got)
	for wire, msg := range map[string]string{
		"":                 "got 0 bytes, expected 8",
		"AAAAAAAAAAA":      "base64 length must be a multiple of 4",
		"AAAA":             "got 3 bytes, expected 8",
		"AAAAAAAAAAAAAAA=": "got 11 bytes, expected 8",
		"AAAAAAAAAA*=":     "illegal base64 data at input byte 10",
		"AAAAAAAAAAA.":     "illegal base64 data at input byte 11",
	} {
		_, err := ParseTS(wire)
		require.ErrorContains(t, err, msg, "%q", wire)
		require.ErrorContains(t, err, fmt.Sprintf("invalid timestamp %q", wire))
	}
}

func TestAppendStringMatchesJSONStringify(t *testing.T) {
	for in, want := range map[string]string{
		"plain":             `"plain"`,
		"q\"b\\":            `"q\"b\\"`,
		"\b\f\n\r\t":        `"\b\f\n\r\t"`,
		"\x00\x1f":          `"\u0000\u001f"`,
		"<>&\u2028\u2029":   "\"<>&\u2028\u2029\"",
		"héllo✓😀":           `"héllo✓😀"`,
		"bad\xffutf8":       "\"bad\ufffdutf8\"",
		"\x7f del is plain": "\"\x7f del is plain\"",
	} {
		require.Equal(t, want, string(appendString(nil, in)), "%q", in)
	}
}

func TestChunks(t *testing.T) {
	tr := &Transition{
		EndVersion: StateVersion{QuerySet: 1, TS: 77},
		Modifications: []StateModification{{
			Type: QueryUpdated, QueryID: 0,
			Value: []byte(`"` + strings.Repeat("é✓x", 200) + `"`), Journal: []byte("null"),
		}},
	}
	encoded := tr.AppendWire(nil)
	require.Nil(t, SplitTransition(encoded, len(encoded)))

	chunks := SplitTransition(encoded, 100)
	require.Greater(t, len(chunks), 5)
	var a ChunkAssembler
	for i, c := range chunks {
		require.LessOrEqual(t, len(c.Chunk), 100)
		// Each chunk goes through the wire encoding and back.
		wire, err := DecodeServerMessage(c.AppendWire(nil))
		require.NoError(t, err)
		got, err := a.Add(wire.(*TransitionChunk))
		require.NoError(t, err)
		if i < len(chunks)-1 {
			require.Nil(t, got)
			require.True(t, a.InProgress())
		} else {
			require.Equal(t, string(encoded), string(got.AppendWire(nil)))
			require.False(t, a.InProgress())
		}
	}

	// Out of order parts clear the buffer with the JS client's message.
	_, err := a.Add(chunks[0])
	require.NoError(t, err)
	_, err = a.Add(chunks[2])
	require.EqualError(t, err, "TransitionChunk received out of order: expected part 1, got 2")
	require.False(t, a.InProgress())

	// A reassembled message that is not a Transition is an error.
	_, err = a.Add(&TransitionChunk{Chunk: `{"type":"Ping"}`, PartNumber: 0, TotalParts: 1, TransitionID: "15"})
	require.ErrorContains(t, err, "not a Transition")
	_, err = a.Add(&TransitionChunk{Chunk: `x`, PartNumber: 1, TotalParts: 1})
	require.Error(t, err)
}

func FuzzDecodeServerMessage(f *testing.F) {
	for _, s := range serverFrames {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := DecodeServerMessage(data)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to something that decodes again.
		again, err := DecodeServerMessage(msg.AppendWire(nil))
		if err != nil {
			t.Fatalf("re-encoding of %q does not decode: %v", data, err)
		}
		_ = again
	})
}
