//go:build !convex_omitreflect

package values_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
)

// numOrText is a union of a Convex float64 and a string, the way the
// union types of goconvex gen are written: one field set at a time.
type numOrText struct {
	Num  *float64
	Text *string
}

func (u numOrText) MarshalConvex() (values.Raw, error) {
	switch {
	case u.Num != nil:
		return values.Marshal(*u.Num)
	case u.Text != nil:
		return values.Marshal(*u.Text)
	}
	return nil, errors.New("no member set")
}

func (u *numOrText) UnmarshalConvex(data values.Raw) error {
	*u = numOrText{}
	var x any
	if err := values.Unmarshal(data, &x); err != nil {
		return err
	}
	switch x := x.(type) {
	case float64:
		u.Num = &x
	case string:
		u.Text = &x
	default:
		return fmt.Errorf("%s is neither a number nor a string", data)
	}
	return nil
}

type holder struct {
	One  numOrText            `json:"one"`
	Opt  *numOrText           `json:"opt,omitempty"`
	Many []numOrText          `json:"many"`
	ByID map[string]numOrText `json:"byId"`
}

// A Marshaler and Unmarshaler type round-trips wherever it sits: at the
// top, in a field, behind a pointer (nil is null and never reaches the
// method), in slices and map values.
func TestMarshalerRoundTrip(t *testing.T) {
	n, s := 2.5, "x"
	in := holder{
		One:  numOrText{Text: &s},
		Many: []numOrText{{Num: &n}, {Text: &s}},
		ByID: map[string]numOrText{"k": {Num: &n}},
	}
	b, err := values.Marshal(in)
	require.NoError(t, err)
	require.Equal(t, `{"byId":{"k":2.5},"many":[2.5,"x"],"one":"x"}`, string(b))

	var out holder
	require.NoError(t, values.Unmarshal(b, &out))
	require.Equal(t, in, out)

	require.NoError(t, values.Unmarshal([]byte(`{"one":1,"opt":null,"many":[],"byId":{}}`), &out))
	require.Nil(t, out.Opt)
	require.Equal(t, 1.0, *out.One.Num)

	top, err := values.Marshal(numOrText{Num: &n})
	require.NoError(t, err)
	require.Equal(t, "2.5", string(top))
}

// The methods' errors carry the path to the value; an *Error from the
// method keeps its own path below it; bad JSON from MarshalConvex is
// refused.
func TestMarshalerErrors(t *testing.T) {
	_, err := values.Marshal(holder{Many: []numOrText{{}}})
	require.ErrorContains(t, err, "at .many[0]: values_test.numOrText.MarshalConvex: no member set")

	var out holder
	err = values.Unmarshal([]byte(`{"one":true}`), &out)
	require.ErrorContains(t, err, "at .one: values_test.numOrText.UnmarshalConvex: true is neither")

	// The value is checked before the method sees it.
	err = values.Unmarshal([]byte(`{"one":{"$bad":1}}`), &out)
	var ve *values.Error
	require.ErrorAs(t, err, &ve)
	require.True(t, strings.HasPrefix(ve.Path, ".one"), ve.Path)

	_, err = values.Marshal(badRaw{})
	require.ErrorContains(t, err, "values:")
}

type badRaw struct{}

func (badRaw) MarshalConvex() (values.Raw, error) { return values.Raw(`{"a":`), nil }
