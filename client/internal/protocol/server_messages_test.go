package protocol

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
)

const (
	zeroVersion = `{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="}`
	nextVersion = `{"querySet":1,"identity":0,"ts":"6AMAAAAAAAA="}`
)

func transitionOf(mods ...string) string {
	return `{"type":"Transition","startVersion":` + zeroVersion + `,"endVersion":` + nextVersion +
		`,"modifications":[` + strings.Join(mods, ",") + `],"clientClockSkew":null,"serverTs":null}`
}

// TestTransitionWithManyModifications: the backend puts no limit on a
// Transition's modifications (Vec<JsonValue> in ServerMessageJson,
// crates/convex/sync_types/src/types/json.rs); the 8,192-element limit is
// one of values (crates/value/src/array.rs), not of the protocol. Log lines
// are a protocol array too.
func TestTransitionWithManyModifications(t *testing.T) {
	n := values.MaxArrayLen + 100
	mods := make([]string, n)
	for i := range mods {
		mods[i] = `{"type":"QueryUpdated","queryId":` + strconv.Itoa(i) + `,"value":null,"logLines":[],"journal":null}`
	}
	lines := strings.TrimSuffix(strings.Repeat(`"l",`, n), ",")
	mods[0] = `{"type":"QueryUpdated","queryId":0,"value":null,"logLines":[` + lines + `],"journal":null}`
	msg, err := DecodeServerMessage([]byte(transitionOf(mods...)))
	require.NoError(t, err)
	tr := msg.(*Transition)
	require.Len(t, tr.Modifications, n)
	require.Equal(t, uint32(n-1), tr.Modifications[n-1].QueryID)
	require.Len(t, tr.Modifications[0].LogLines, n)

	// Values inside keep their limits.
	tooLong := "[" + strings.TrimSuffix(strings.Repeat("0,", values.MaxArrayLen+1), ",") + "]"
	_, err = DecodeServerMessage([]byte(transitionOf(`{"type":"QueryUpdated","queryId":0,"value":` + tooLong + `,"logLines":[],"journal":null}`)))
	require.ErrorContains(t, err, "array length is too long")
}

// TestNewerServerMessagesIgnored: what a newer server may add is ignored,
// as the JS client ignores it (node_modules/convex/dist/esm/browser/sync/
// protocol.js returns nothing for an unknown type, and unknown fields are
// kept by JSON.parse): an unknown message type, an unknown modification
// type, and unknown fields whose values are not Convex JSON.
func TestNewerServerMessagesIgnored(t *testing.T) {
	msg, err := DecodeServerMessage([]byte(`{"type":"QueryTelemetry","sample":{"$unknown":[1,{"$x":null}]}}`))
	require.NoError(t, err)
	require.Equal(t, &Unknown{Type: "QueryTelemetry"}, msg)
	require.Equal(t, `{"type":"QueryTelemetry"}`, string(msg.AppendWire(nil)))

	msg, err = DecodeServerMessage([]byte(`{"notType":1}`))
	require.NoError(t, err)
	require.Equal(t, &Unknown{}, msg)

	msg, err = DecodeServerMessage([]byte(transitionOf(
		`{"type":"QueryMoved","queryId":1,"to":{"$where":"elsewhere"}}`,
		`{"type":"QueryUpdated","queryId":2,"value":"v","logLines":[],"journal":null,"cost":{"$units":3}}`,
		`{"type":"QueryRebased"}`,
	)))
	require.NoError(t, err)
	tr := msg.(*Transition)
	require.Equal(t, []string{"QueryMoved", "QueryRebased"}, tr.Skipped)
	require.Len(t, tr.Modifications, 1)
	require.Equal(t, `"v"`, string(tr.Modifications[0].Value))

	for _, frame := range []string{
		`{"type":"Ping","$meta":{"$set":[]}}`,
		`{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA=","$epoch":{"$e":1}},"endVersion":` + nextVersion + `,"modifications":[]}`,
		`{"type":"MutationResponse","requestId":1,"success":true,"result":1,"ts":"6AMAAAAAAAA=","logLines":[],"trace":{"$span":"x"}}`,
	} {
		_, err := DecodeServerMessage([]byte(frame))
		require.NoError(t, err, frame)
	}

	// A value the client reads is still checked as Convex JSON.
	_, err = DecodeServerMessage([]byte(`{"type":"MutationResponse","requestId":1,"success":true,"result":{"$set":[]},"ts":"6AMAAAAAAAA=","logLines":[]}`))
	require.Error(t, err)
}

// TestErrorDataNull: a ConvexError(null) reaches the client as
// "errorData":null, which the backend keeps apart from no errorData
// (deserialize_some in crates/convex/sync_types/src/types/json.rs: null is
// Some(Null)); so does the decoder.
func TestErrorDataNull(t *testing.T) {
	failed := func(data string) string {
		return transitionOf(`{"type":"QueryFailed","queryId":0,"errorMessage":"e","logLines":[],"journal":null` + data + `}`)
	}
	msg, err := DecodeServerMessage([]byte(failed(`,"errorData":null`)))
	require.NoError(t, err)
	require.Equal(t, "null", string(msg.(*Transition).Modifications[0].ErrorData))
	require.Equal(t, failed(`,"errorData":null`), string(msg.AppendWire(nil)))
	msg, err = DecodeServerMessage([]byte(failed(``)))
	require.NoError(t, err)
	require.Nil(t, msg.(*Transition).Modifications[0].ErrorData)

	for _, c := range []struct {
		frame, want string
	}{
		{`{"type":"MutationResponse","requestId":1,"success":false,"result":"e","ts":null,"logLines":[],"errorData":null}`, "null"},
		{`{"type":"MutationResponse","requestId":1,"success":false,"result":"e","ts":null,"logLines":[]}`, ""},
		{`{"type":"ActionResponse","requestId":1,"success":false,"result":"e","logLines":[],"errorData":null}`, "null"},
		{`{"type":"ActionResponse","requestId":1,"success":false,"result":"e","logLines":[]}`, ""},
	} {
		msg, err := DecodeServerMessage([]byte(c.frame))
		require.NoError(t, err)
		var got []byte
		switch m := msg.(type) {
		case *MutationResponse:
			got = m.ErrorData
		case *ActionResponse:
			got = m.ErrorData
		}
		require.Equal(t, c.want, string(got), c.frame)
		require.Equal(t, c.frame, string(msg.AppendWire(nil)))
	}
}
