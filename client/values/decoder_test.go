package values_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
)

type message struct {
	Name  string
	Count float64
	Done  bool
	Tags  []string
	Body  values.Raw
	Note  *string
}

// decodeMessage is the shape of code written with a Decoder.
func decodeMessage(data string) (message, error) {
	var m message
	dec := values.NewDecoder([]byte(data))
	dec.Object(func(key []byte) {
		switch string(key) {
		case "name":
			m.Name = dec.String()
		case "count":
			m.Count = dec.Number()
		case "done":
			m.Done = dec.Bool()
		case "tags":
			dec.Array(func() { m.Tags = append(m.Tags, dec.String()) })
		case "body":
			m.Body = dec.Raw()
		case "note":
			if !dec.Null() {
				s := dec.String()
				m.Note = &s
			}
		default:
			dec.Skip()
		}
	})
	return m, dec.End()
}

func TestDecoder(t *testing.T) {
	note := "n"
	tests := []struct {
		name, in string
		want     message
		wantErr  string
	}{
		{"all fields", `{"name":"a\"b","count":-1.5e2,"done":true,"tags":["x","y"],"body":{"$integer":"AQAAAAAAAAA="},"note":"n","other":[1,{"z":null}]}`,
			message{Name: `a"b`, Count: -150, Done: true, Tags: []string{"x", "y"}, Body: values.Raw(`{"$integer":"AQAAAAAAAAA="}`), Note: &note}, ""},
		{"nulls read as zero", `{"name":null,"count":null,"done":null,"tags":null,"body":null,"note":null}`,
			message{Body: values.Raw("null")}, ""},
		{"whitespace", " {\n\"name\" : \"a\" , \"tags\" : [ ] }\t", message{Name: "a"}, ""},
		{"null document", `null`, message{}, ""},
		{"not an object", `[1]`, message{}, "expected an object"},
		{"string mismatch", `{"name":5}`, message{}, "at .name: expected a string"},
		{"number mismatch", `{"count":"5"}`, message{}, "at .count: expected a number"},
		{"bool mismatch", `{"done":1}`, message{}, "at .done: expected a boolean"},
		{"array element path", `{"tags":["a",2]}`, message{}, "at .tags[1]: expected a string"},
		{"raw is checked as Convex", `{"body":{"$integer":"AQ=="}}`, message{}, "at .body"},
		{"skipped values are checked", `{"other":{"$bad":1}}`, message{}, "at .other"},
		{"reserved field name", `{"$name":"a"}`, message{}, "$"},
		{"syntax", `{"name":"a",}`, message{}, "values:"},
		{"trailing data", `{"name":"a"} x`, message{}, "values:"},
		{"truncated", `{"name":"a"`, message{}, "values:"},
		{"too nested", strings.Repeat(`{"other":`, 70) + "1" + strings.Repeat("}", 70), message{}, "too nested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeMessage(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				var verr *values.Error
				assert.ErrorAs(t, err, &verr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestDecoderStopsAfterError: after the first error no callback runs and
// reads return zero values.
func TestDecoderStopsAfterError(t *testing.T) {
	dec := values.NewDecoder([]byte(`{"a":1,"b":2}`))
	calls := 0
	dec.Object(func([]byte) {
		calls++
		_ = dec.String() // a number: records the error
	})
	assert.Equal(t, 1, calls)
	assert.Equal(t, "", dec.String())
	assert.Nil(t, dec.Raw())
	require.ErrorContains(t, dec.End(), "at .a: expected a string")
	require.ErrorContains(t, dec.End(), "expected a string", "End twice returns the same error")
}

// TestDecoderRawDepth: a Raw value's nesting counts from itself, so a value
// at the limit decodes inside an envelope.
func TestDecoderRawDepth(t *testing.T) {
	deep := strings.Repeat("[", values.MaxDepth) + strings.Repeat("]", values.MaxDepth)
	var raw values.Raw
	dec := values.NewDecoder([]byte(`{"wrap":{"body":` + deep + `}}`))
	dec.Object(func([]byte) { dec.Object(func([]byte) { raw = dec.Raw() }) })
	require.NoError(t, dec.End())
	assert.Equal(t, deep, string(raw))
}

func ExampleDecoder() {
	dec := values.NewDecoder([]byte(`{"type":"Ping","tags":["a","b"],"extra":{"x":1}}`))
	var typ string
	var tags []string
	dec.Object(func(key []byte) {
		switch string(key) {
		case "type":
			typ = dec.String()
		case "tags":
			dec.Array(func() { tags = append(tags, dec.String()) })
		default:
			dec.Skip()
		}
	})
	if err := dec.End(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(typ, tags)
	// Output: Ping [a b]
}

// TestDecoderJSONMethods: JSONObject, JSONArray and SkipJSON read the
// envelope of a protocol message as plain JSON: keys that are not Convex
// field names, arrays longer than MaxArrayLen and values that are not
// Convex JSON are fine there, while Object, Array and Skip keep the value
// rules.
func TestDecoderJSONMethods(t *testing.T) {
	long := "[" + strings.Repeat("0,", values.MaxArrayLen) + "0]"
	in := `{"$odd key":1,"list":` + long + `,"other":{"$set":[{"$weird":true}]}}`

	var n int
	dec := values.NewDecoder([]byte(in))
	dec.JSONObject(func(key []byte) {
		switch string(key) {
		case "list":
			dec.JSONArray(func() { dec.Number(); n++ })
		default:
			dec.SkipJSON()
		}
	})
	require.NoError(t, dec.End())
	require.Equal(t, values.MaxArrayLen+1, n)

	for _, c := range []struct{ name, in string }{
		{"key", `{"$odd key":1}`},
		{"array", `{"list":` + long + `}`},
		{"value", `{"other":{"$set":[]}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dec := values.NewDecoder([]byte(c.in))
			dec.Object(func(key []byte) {
				if string(key) == "list" {
					dec.Array(func() { dec.Number() })
					return
				}
				dec.Skip()
			})
			require.Error(t, dec.End(), "the Convex readers keep the value rules")
		})
	}

	dec = values.NewDecoder([]byte(`{"a":[1,}`))
	dec.JSONObject(func([]byte) { dec.SkipJSON() })
	require.Error(t, dec.End(), "SkipJSON still checks the syntax")
}
