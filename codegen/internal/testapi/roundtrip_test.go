//go:build !js

package testapi_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
	api "github.com/goconvex/convex/codegen/internal/testapi"
	"github.com/goconvex/convex/internal/fixturedeploy"
)

// deployment registers the fixture spec's functions
// (funcspec/testdata/spec.json) with their validators
// (codegen/internal/fixturedeploy), so that every value the generated
// types send and receive also passes the validators a deployment checks;
// u1 and u2 are ids of two users documents.
func deployment(t *testing.T) (srv *convextest.Server, u1, u2 api.UsersID) {
	srv = fixturedeploy.New()
	t.Cleanup(srv.Close)
	return srv, api.UsersID(fixturedeploy.NewUser(srv, "one")), api.UsersID(fixturedeploy.NewUser(srv, "two"))
}

func ptr[T any](v T) *T { return &v }

// everything sets every field of kitchen:echo's arguments, each union
// with another member than the zero value would pick.
func everything(u1 api.UsersID) api.KitchenEchoArgs {
	return api.KitchenEchoArgs{
		Ambiguous:    map[string]any{"a": "x"},
		Answer:       api.KitchenEchoArgsAnswer42,
		Anything:     []any{1.5, "two", values.Int64(3)},
		Big:          -1 << 60,
		Blob:         []byte{0, 1, 254},
		ByUser:       map[api.UsersID]values.Int64{u1: 7},
		Count:        2.5,
		Flag:         true,
		MaybeNested:  &api.KitchenEchoArgsMaybeNested{A: 1},
		MaybeText:    nil,
		Mixed:        api.KitchenEchoArgsMixed{Array: &[]string{"a", "b"}},
		MixedOrNull:  &api.KitchenEchoArgsMixedOrNull{Int64: ptr(values.Int64(9))},
		Mode:         api.KitchenEchoArgsModeFast,
		Nested:       api.KitchenEchoArgsNested{Label: "l", Note: ptr(""), Inner: api.KitchenEchoArgsNestedInner{OK: true}},
		Nothing:      nil,
		OptionalFlag: ptr(false),
		OptionalList: []string{},
		Owner:        u1,
		Priority:     api.KitchenEchoArgsPriority3,
		Scores:       map[string]float64{"math": 1, "": 2},
		Seven:        api.KitchenEchoArgsSeven7,
		// The discriminator is left unset: MarshalConvex sets it.
		Shape:     api.KitchenEchoArgsShape{RoundedRect: &api.KitchenEchoArgsShapeRoundedRect{W: 2, H: 1}},
		Status:    api.KitchenEchoArgsStatusPublished,
		Tags:      []string{"t"},
		Text:      "héllo",
		WeirdName: "w",
		Yes:       api.KitchenEchoArgsYesTrue,
	}
}

// Every validator kind round-trips through the generated types, over the
// sync client and the HTTP client: the result kitchen:echo returns
// encodes exactly as the arguments did, and its unions decode to the
// members that were sent.
func TestEchoRoundTrip(t *testing.T) {
	srv, u1, u2 := deployment(t)
	ctx := context.Background()
	c, err := client.New(srv.URL())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	hc, err := client.NewHTTPClient(srv.URL())
	require.NoError(t, err)

	in := everything(u1)
	sent, err := values.Marshal(in)
	require.NoError(t, err)
	require.Contains(t, string(sent), `"shape":{"h":1,"kind":"rounded-rect","w":2}`)
	require.Contains(t, string(sent), `"optionalList":[]`)

	for _, caller := range []client.Caller{c, hc} {
		out, err := client.RunQuery(ctx, caller, api.Kitchen.Echo, in)
		require.NoError(t, err)
		got, err := values.Marshal(out)
		require.NoError(t, err)
		require.Equal(t, string(sent), string(got))

		require.NotNil(t, out.Shape.RoundedRect)
		require.Equal(t, api.KitchenEchoResultShapeRoundedRectKindRoundedRect, out.Shape.RoundedRect.Kind)
		require.Nil(t, out.Shape.Circle)
		require.Equal(t, []string{"a", "b"}, *out.Mixed.Array)
		require.Equal(t, values.Int64(9), *out.MixedOrNull.Int64)
		require.Equal(t, u1, out.Owner)
		require.Equal(t, values.Int64(7), out.ByUser[u1])
		require.Nil(t, out.MaybeText)
		require.Equal(t, "", *out.Nested.Note)
		require.JSONEq(t, `{"a":"x"}`, string(out.Ambiguous))
	}

	// Other members of the same unions.
	in.Shape = api.KitchenEchoArgsShape{Circle: &api.KitchenEchoArgsShapeCircle{Radius: 3}}
	in.Mixed = api.KitchenEchoArgsMixed{String: ptr("s")}
	in.MixedOrNull = &api.KitchenEchoArgsMixedOrNull{UsersID: ptr(u2)}
	in.MaybeText = ptr("text")
	in.MaybeNested, in.OptionalFlag, in.OptionalList, in.Nested.Note = nil, nil, nil, nil
	out, err := client.RunQuery(ctx, c, api.Kitchen.Echo, in)
	require.NoError(t, err)
	require.Equal(t, 3.0, out.Shape.Circle.Radius)
	require.Equal(t, "s", *out.Mixed.String)
	require.Equal(t, u2, *out.MixedOrNull.UsersID)
	require.Equal(t, "text", *out.MaybeText)
	require.Nil(t, out.MaybeNested)
	require.Nil(t, out.OptionalFlag)
	require.Nil(t, out.OptionalList)
	require.Nil(t, out.Nested.Note)
}

// A union value with no member set, or several, is refused before
// anything is sent; a value that matches no member fails to decode.
func TestUnionErrors(t *testing.T) {
	srv, u1, _ := deployment(t)
	ctx := context.Background()
	hc, err := client.NewHTTPClient(srv.URL())
	require.NoError(t, err)

	in := everything(u1)
	in.Shape = api.KitchenEchoArgsShape{}
	_, err = client.RunQuery(ctx, hc, api.Kitchen.Echo, in)
	require.ErrorContains(t, err, "values: at .shape: testapi.KitchenEchoArgsShape.MarshalConvex: 0 members set, not one")
	in.Shape = api.KitchenEchoArgsShape{Circle: &api.KitchenEchoArgsShapeCircle{}, Square: &api.KitchenEchoArgsShapeSquare{}}
	_, err = client.RunQuery(ctx, hc, api.Kitchen.Echo, in)
	require.ErrorContains(t, err, "MarshalConvex: 2 members set, not one")
	require.Equal(t, 0, srv.ExecutionCount("kitchen:echo"))

	var shape api.KitchenEchoResultShape
	err = values.Unmarshal([]byte(`{"kind":"hexagon","side":1}`), &shape)
	require.ErrorContains(t, err, `testapi.KitchenEchoResultShape.UnmarshalConvex: {"kind":"hexagon","side":1} matches no member of the union`)
	var mixed api.KitchenEchoResultMixed
	err = values.Unmarshal([]byte(`true`), &mixed)
	require.ErrorContains(t, err, "true matches no member")
	err = values.Unmarshal([]byte(`[1]`), &mixed) // an array, but not of strings
	require.ErrorContains(t, err, "cannot decode Convex float64")
}

// The other functions, each through its reference: documents with ID
// types, a nullable object result, a values.Raw result, int64, nested
// modules and a default export, an internal function (generated with
// Options.Internal), and a typed subscription.
func TestFunctions(t *testing.T) {
	srv, _, _ := deployment(t)
	ctx := context.Background()
	c, err := client.New(srv.URL())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })

	sub, err := client.SubscribeTo(ctx, c, api.Messages.List, api.MessagesListArgs{})
	require.NoError(t, err)
	defer sub.Close()
	msgs, err := sub.Next(ctx)
	require.NoError(t, err)
	require.Empty(t, msgs)

	id, err := client.RunMutation(ctx, c, api.Messages.Send, api.MessagesSendArgs{Body: "hi"})
	require.NoError(t, err)
	msgs, err = sub.Next(ctx)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, id, msgs[0].ID)
	require.Equal(t, "hi", msgs[0].Body)
	require.Equal(t, "a|1", msgs[0].AuthorID)
	require.Positive(t, msgs[0].CreationTime)

	viewer, err := client.RunQuery(ctx, c, api.Users.Viewer, api.UsersViewerArgs{})
	require.NoError(t, err)
	require.Nil(t, viewer)

	raw, err := client.RunMutation(ctx, c, api.Kitchen.Legacy, client.Args{"x": values.Int64(1)})
	require.NoError(t, err)
	var legacy struct {
		Got struct {
			X values.Int64 `json:"x"`
		} `json:"got"`
	}
	require.NoError(t, values.Unmarshal(raw, &legacy))
	require.Equal(t, values.Int64(1), legacy.Got.X)

	// v.commitTs() takes an int64 or values.CommitTsPlaceholder{} (which
	// convextest does not take in arguments).
	ts, err := client.RunMutation(ctx, c, api.Kitchen.Stamp, api.KitchenStampArgs{At: values.Int64(5)})
	require.NoError(t, err)
	require.Equal(t, values.Int64(1<<62), ts)

	deep, err := client.RunAction(ctx, c, api.Folder.Nested.Deep.Default, api.FolderNestedDeepDefaultArgs{})
	require.NoError(t, err)
	require.Equal(t, "deep", deep)
	top, err := client.RunQuery(ctx, c, api.Folder.Nested.Top, api.FolderNestedTopArgs{})
	require.NoError(t, err)
	require.Nil(t, top)

	// An internal function: for admin keys only.
	_, err = client.RunMutation(ctx, c, api.Admin.Tasks.Purge, api.AdminTasksPurgeArgs{OlderThan: 30})
	require.ErrorContains(t, err, "Could not find public function for 'admin/tasks:purge'.")
	admin, err := client.NewHTTPClient(srv.URL())
	require.NoError(t, err)
	require.NoError(t, admin.SetAdminAuth(fixturedeploy.AdminKey, nil))
	n, err := client.RunMutation(ctx, admin, api.Admin.Tasks.Purge, api.AdminTasksPurgeArgs{OlderThan: 30})
	require.NoError(t, err)
	require.Equal(t, 30.0, n)

	for _, ref := range []interface{ Err() error }{api.Messages.List, api.Messages.Send, api.Kitchen.Echo, api.Folder.Nested.Deep.Default, api.Admin.Tasks.Purge} {
		require.NoError(t, ref.Err())
	}
}
