//go:build !js

package convextest

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goconvex/convex/client/values"
)

func TestStoreCRUD(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	var ids []string
	require.NoError(t, srv.Write(func(db *DatabaseWriter) error {
		for i := range 5 {
			id, err := db.Insert("items", map[string]any{"i": i, "tags": []string{"a"}, "big": values.Int64(1 << 60), "raw": []byte{1, 2}})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	}))
	assert.Len(t, map[string]bool{ids[0]: true, ids[1]: true, ids[2]: true, ids[3]: true, ids[4]: true}, 5, "ids are unique")

	require.NoError(t, srv.Read(func(db *DatabaseReader) error {
		docs := db.Query("items").Collect()
		require.Len(t, docs, 5)
		for i, d := range docs {
			assert.Equal(t, ids[i], d["_id"])
			assert.Equal(t, float64(i), d["i"], "Go ints are stored as Convex float64")
			assert.Equal(t, []any{"a"}, d["tags"])
			assert.Equal(t, values.Int64(1<<60), d["big"])
			assert.Equal(t, []byte{1, 2}, d["raw"])
			if i > 0 {
				assert.Greater(t, d["_creationTime"].(float64), docs[i-1]["_creationTime"].(float64), "_creationTime strictly increases")
			}
		}
		desc := db.Query("items").Order(true).Take(2)
		assert.Equal(t, []any{ids[4], ids[3]}, []any{desc[0]["_id"], desc[1]["_id"]})
		odd := db.Query("items").Filter(func(d map[string]any) bool { return int(d["i"].(float64))%2 == 1 }).Collect()
		assert.Len(t, odd, 2)
		assert.Equal(t, ids[0], db.Query("items").First()["_id"])
		assert.Nil(t, db.Query("nothing").First())
		assert.Empty(t, db.Query("nothing").Collect())

		// Returned documents are copies.
		docs[0]["i"] = "changed"
		docs[0]["tags"].([]any)[0] = "changed"
		d, err := db.Get(ids[0])
		require.NoError(t, err)
		assert.Equal(t, float64(0), d["i"])
		assert.Equal(t, []any{"a"}, d["tags"])
		return nil
	}))

	// Patch, Replace, Delete.
	require.NoError(t, srv.Write(func(db *DatabaseWriter) error {
		require.NoError(t, db.Patch(ids[0], map[string]any{"i": 100, "tags": nil, "new": "x"}))
		require.NoError(t, db.Replace(ids[1], map[string]any{"only": true}))
		require.NoError(t, db.Delete(ids[2]))
		return nil
	}))
	require.NoError(t, srv.Read(func(db *DatabaseReader) error {
		d, err := db.Get(ids[0])
		require.NoError(t, err)
		assert.Equal(t, float64(100), d["i"])
		assert.NotContains(t, d, "tags", "a nil patch value removes the field")
		assert.Equal(t, "x", d["new"])
		d, err = db.Get(ids[1])
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"only": true, "_id": ids[1], "_creationTime": d["_creationTime"]}, d)
		d, err = db.Get(ids[2])
		require.NoError(t, err)
		assert.Nil(t, d)
		assert.Len(t, db.Query("items").Collect(), 4)
		_, err = db.Get("not an id")
		assert.Error(t, err)
		return nil
	}))

	// Aliasing on the way in: changing the inserted map later does nothing.
	in := map[string]any{"list": []any{"a"}}
	var id string
	require.NoError(t, srv.Write(func(db *DatabaseWriter) (err error) {
		id, err = db.Insert("alias", in)
		return err
	}))
	in["list"].([]any)[0] = "b"
	require.NoError(t, srv.Read(func(db *DatabaseReader) error {
		d, _ := db.Get(id)
		assert.Equal(t, []any{"a"}, d["list"])
		return nil
	}))
}

func TestStoreValidation(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	var id string
	require.NoError(t, srv.Write(func(db *DatabaseWriter) (err error) {
		id, err = db.Insert("t", map[string]any{"a": 1})
		return err
	}))
	tests := []struct {
		name string
		fn   func(db *DatabaseWriter) error
	}{
		{"system field on insert", func(db *DatabaseWriter) error { _, err := db.Insert("t", map[string]any{"_id": "x"}); return err }},
		{"underscore field", func(db *DatabaseWriter) error { _, err := db.Insert("t", map[string]any{"_secret": 1}); return err }},
		{"dollar field", func(db *DatabaseWriter) error { _, err := db.Insert("t", map[string]any{"$a": 1}); return err }},
		{"non-ASCII field", func(db *DatabaseWriter) error { _, err := db.Insert("t", map[string]any{"é": 1}); return err }},
		{"bad table name", func(db *DatabaseWriter) error { _, err := db.Insert("_system", map[string]any{}); return err }},
		{"unsupported value", func(db *DatabaseWriter) error {
			_, err := db.Insert("t", map[string]any{"c": make(chan int)})
			return err
		}},
		{"too large", func(db *DatabaseWriter) error {
			_, err := db.Insert("t", map[string]any{"s": strings.Repeat("x", 1<<20)})
			return err
		}},
		{"change _id", func(db *DatabaseWriter) error { return db.Patch(id, map[string]any{"_id": "other"}) }},
		{"remove a system field", func(db *DatabaseWriter) error { return db.Patch(id, map[string]any{"_creationTime": nil}) }},
		{"patch a deleted document", func(db *DatabaseWriter) error {
			gone, err := db.Insert("t", map[string]any{})
			if err != nil {
				return nil
			}
			if err := db.Delete(gone); err != nil {
				return nil
			}
			err = db.Patch(gone, map[string]any{"a": 2})
			if !errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}},
		{"an id that is not one", func(db *DatabaseWriter) error { return db.Delete(strings.Repeat("0", len(id))) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Error(t, srv.Write(tt.fn))
		})
	}
	// Replace accepts the document's own system fields back.
	require.NoError(t, srv.Write(func(db *DatabaseWriter) error {
		d, err := db.Get(id)
		require.NoError(t, err)
		d["a"] = 2
		return db.Replace(id, d)
	}))
}

func TestStoreRollbackAndReadOnly(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	srv.Mutation("m:insertThenFail", func(ctx *MutationCtx, args map[string]any) (any, error) {
		if _, err := ctx.DB.Insert("fresh", map[string]any{"a": 1}); err != nil {
			return nil, err
		}
		return nil, errors.New("fail after insert")
	})
	srv.Query("q:count", func(ctx *QueryCtx, args map[string]any) (any, error) {
		return float64(len(ctx.DB.Query("fresh").Collect())), nil
	})
	_, err := srv.Run(t.Context(), "m:insertThenFail", nil)
	var fe *FunctionError
	require.ErrorAs(t, err, &fe)
	assert.True(t, strings.HasSuffix(fe.Message, "Uncaught Error: fail after insert"))
	got, err := srv.Run(t.Context(), "q:count", nil)
	require.NoError(t, err)
	assert.Equal(t, 0.0, got)
	srv.store.mu.RLock()
	assert.NotContains(t, srv.store.tables, "fresh", "the table created by the failed mutation is gone")
	srv.store.mu.RUnlock()

	// A reader cannot be turned into a writer, and a handle used after its
	// function returned fails.
	var kept *DatabaseReader
	require.NoError(t, srv.Read(func(db *DatabaseReader) error { kept = db; return nil }))
	_, err = kept.Get("x")
	assert.Error(t, err)
	assert.Nil(t, kept.Query("t").Collect())
}

func TestCommitTimestamps(t *testing.T) {
	srv := NewServer()
	t.Cleanup(srv.Close)
	srv.Mutation("m:noop", func(ctx *MutationCtx, args map[string]any) (any, error) { return nil, nil })
	last := srv.store.ts
	for range 100 {
		out := srv.runMutation(t.Context(), "m:noop", []byte("{}"), nil, nil, nil)
		require.False(t, out.failed)
		require.Greater(t, out.ts, last)
		last = out.ts
	}
	require.NoError(t, srv.Restart())
	out := srv.runMutation(t.Context(), "m:noop", []byte("{}"), nil, nil, nil)
	assert.Greater(t, out.ts, last, "monotonic across Restart")
}

func TestLogLineFormat(t *testing.T) {
	type point struct {
		X int `json:"x"`
	}
	for _, tt := range []struct {
		level LogLevel
		args  []any
		want  string
	}{
		{LevelLog, []any{"hello"}, "[LOG] 'hello'"},
		{LevelInfo, []any{"it's", `back\slash`, "new\nline"}, `[INFO] 'it\'s' 'back\\slash' 'new\nline'`},
		{LevelWarn, []any{1, 2.5, -0.0, math.NaN(), math.Inf(-1), 1e21, 1e-7, true, nil}, "[WARN] 1 2.5 0 NaN -Infinity 1e+21 1e-7 true null"},
		{LevelError, []any{values.Int64(42), []byte{1}}, "[ERROR] 42n ArrayBuffer [ArrayBuffer] {}"},
		{LevelDebug, []any{map[string]any{"a": 1, "b c": "x", "n": []any{}, "o": map[string]any{}}}, "[DEBUG] { a: 1, 'b c': 'x', n: [], o: {} }"},
		{LevelLog, []any{[]any{1, "two", []any{3}}}, "[LOG] [ 1, 'two', [ 3 ] ]"},
		{LevelLog, []any{point{X: 3}}, "[LOG] { x: 3 }"},
		{LevelLog, []any{errors.New("bad")}, "[LOG] [Error: bad]"},
		{LevelLog, nil, "[LOG]"},
	} {
		assert.Equal(t, tt.want, formatLogLine(tt.level, tt.args))
	}
	long := formatLogLine(LevelLog, []any{strings.Repeat("x", 40000)})
	assert.True(t, strings.HasSuffix(long, " (truncated due to length)"))
	assert.LessOrEqual(t, len(long), maxLogLine+len(" (truncated due to length)"))
	assert.Equal(t, "[LOG] -0", formatLogLine(LevelLog, []any{math.Copysign(0, -1)}))
}

func TestConvexErrorMessage(t *testing.T) {
	assert.Equal(t, "plain", ConvexError{Data: "plain"}.Error())
	assert.Equal(t, `{"a":[1,"2n",null,{}],"b":true}`, ConvexError{Data: map[string]any{"b": true, "a": []any{1, values.Int64(2), math.NaN(), []byte{}}}}.Error())
	assert.Equal(t, `null`, ConvexError{}.Error())
	_, ok := asConvexError(errors.Join(errors.New("x"), &ConvexError{Data: 1}))
	assert.True(t, ok)
}
