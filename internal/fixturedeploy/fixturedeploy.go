// Package fixturedeploy registers, in a convextest deployment, the
// functions of the hand-made spec funcspec/testdata/spec.json, with the
// validators their TypeScript would declare (written with funcspec's v
// builder) and handlers shaped to them. The codegen tests use it: the spec
// such a deployment serves must generate the same package as the fixture
// (codegen's TestServedSpecGeneratesTheGoldenPackage), the generated
// package's values must pass its validators (testapi's round-trip tests);
// and goconvex gen's tests fetch its spec as from a real deployment.
package fixturedeploy

import (
	"github.com/goconvex/convex/client/convextest"
	"github.com/goconvex/convex/client/values"
	v "github.com/goconvex/convex/funcspec"
)

// AdminKey is the deployment's admin key (New sets it): admin/tasks:purge
// is internal.
const AdminKey = "fixture-admin-key"

// Echo is kitchen:echo's args and returns validator: a field of every
// validator kind.
func Echo() *v.Validator {
	return v.Object(v.Fields{
		"ambiguous":    v.Union(v.Object(v.Fields{"a": v.String()}), v.Object(v.Fields{"b": v.Number()})),
		"answer":       v.Literal(42),
		"anything":     v.Any(),
		"big":          v.Int64(),
		"blob":         v.Bytes(),
		"byUser":       v.Record(v.ID("users"), v.Int64()),
		"count":        v.Number(),
		"flag":         v.Boolean(),
		"maybeNested":  v.Optional(v.Union(v.Object(v.Fields{"a": v.Number()}), v.Null())),
		"maybeText":    v.Union(v.String(), v.Null()),
		"mixed":        v.Union(v.String(), v.Number(), v.Array(v.String())),
		"mixedOrNull":  v.Optional(v.Union(v.Boolean(), v.Int64(), v.Bytes(), v.ID("users"), v.Null())),
		"mode":         v.Literal("fast"),
		"nested":       v.Object(v.Fields{"depth": v.Optional(v.Number()), "inner": v.Object(v.Fields{"ok": v.Boolean()}), "label": v.String(), "note": v.Optional(v.String())}),
		"nothing":      v.Null(),
		"optionalFlag": v.Optional(v.Boolean()),
		"optionalList": v.Optional(v.Array(v.String())),
		"owner":        v.ID("users"),
		"priority":     v.Union(v.Literal(1), v.Literal(2), v.Literal(3)),
		"scores":       v.Record(v.String(), v.Number()),
		"seven":        v.Literal(values.Int64(7)),
		"shape": v.Union(
			v.Object(v.Fields{"kind": v.Literal("circle"), "radius": v.Number()}),
			v.Object(v.Fields{"kind": v.Literal("square"), "side": v.Number()}),
			v.Object(v.Fields{"kind": v.Literal("rounded-rect"), "w": v.Number(), "h": v.Number(), "r": v.Optional(v.Number())}),
		),
		"status": v.Union(v.Literal("draft"), v.Literal("published"), v.Literal("archived")),
		"tags":   v.Array(v.String()),
		"text":   v.String(),
		// The backend refuses a field name that is not an identifier; the
		// fixture has one to test Go naming, and convextest takes it.
		"weird-name": v.String(),
		"yes":        v.Literal(true),
	})
}

// New starts a deployment with AdminKey and the fixture's functions.
func New(opts ...convextest.Option) *convextest.Server {
	srv := convextest.NewServer(append([]convextest.Option{convextest.WithAdminKey(AdminKey)}, opts...)...)
	Register(srv)
	return srv
}

// Register adds the fixture's functions to srv. kitchen:echo returns its
// arguments; kitchen:legacy (no validators) {"got": args}; kitchen:stamp
// 2^62; messages:send inserts a message by "a" (authorId "a|1") and
// messages:list returns them; users:viewer null; folder/nested/deep
// "deep"; folder/nested:top null; the internal admin/tasks:purge its
// olderThan.
func Register(srv *convextest.Server) {
	srv.Query("kitchen:echo", func(_ *convextest.QueryCtx, args map[string]any) (any, error) {
		return args, nil
	}, convextest.Args(Echo()), convextest.Returns(Echo()))
	srv.Mutation("kitchen:legacy", func(_ *convextest.MutationCtx, args map[string]any) (any, error) {
		return map[string]any{"got": args}, nil
	})
	srv.Mutation("kitchen:stamp", func(_ *convextest.MutationCtx, _ map[string]any) (any, error) {
		return values.Int64(1 << 62), nil
	}, convextest.Args(v.Object(v.Fields{"at": v.CommitTs()})), convextest.Returns(v.CommitTs()))

	srv.Query("messages:list", func(ctx *convextest.QueryCtx, _ map[string]any) (any, error) {
		return ctx.DB.Query("messages").Collect(), nil
	}, convextest.Args(v.Object(nil)), convextest.Returns(v.Array(v.Object(v.Fields{
		"_id": v.ID("messages"), "_creationTime": v.Number(), "author": v.String(), "authorId": v.String(), "body": v.String(),
	}))))
	srv.Mutation("messages:send", func(ctx *convextest.MutationCtx, args map[string]any) (any, error) {
		return ctx.DB.Insert("messages", map[string]any{"body": args["body"], "author": "a", "authorId": "a|1"})
	}, convextest.Args(v.Object(v.Fields{"body": v.String()})), convextest.Returns(v.ID("messages")))
	srv.Query("users:viewer", func(_ *convextest.QueryCtx, _ map[string]any) (any, error) {
		return nil, nil
	}, convextest.Args(v.Object(nil)), convextest.Returns(v.Union(
		v.Object(v.Fields{"email": v.String(), "name": v.String(), "subject": v.String(), "tokenIdentifier": v.String()}),
		v.Null(),
	)))

	srv.Action("folder/nested/deep:default", func(_ *convextest.ActionCtx, _ map[string]any) (any, error) {
		return "deep", nil
	}, convextest.Args(v.Object(nil)), convextest.Returns(v.String()))
	srv.Query("folder/nested:top", func(_ *convextest.QueryCtx, _ map[string]any) (any, error) {
		return nil, nil
	}, convextest.Args(v.Object(nil)), convextest.Returns(v.Null()))
	srv.Mutation("admin/tasks:purge", func(_ *convextest.MutationCtx, args map[string]any) (any, error) {
		return args["olderThan"], nil
	}, convextest.Args(v.Object(v.Fields{"olderThan": v.Number()})), convextest.Returns(v.Number()), convextest.Internal())
}

// NewUser inserts a users document and returns its id, for the v.id("users")
// fields.
func NewUser(srv *convextest.Server, name string) string {
	var id string
	if err := srv.Write(func(db *convextest.DatabaseWriter) error {
		var err error
		id, err = db.Insert("users", map[string]any{"name": name})
		return err
	}); err != nil {
		panic(err)
	}
	return id
}
