package values_test

import (
	"testing"

	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/internal/fixture"
)

// The benchmarks use the documents of bench row B1: 2,000 documents shaped
// like a query result, about 1 MB of Convex JSON.

func benchData(b *testing.B) ([]any, []byte) {
	docs := fixture.Docs(fixture.N)
	data, err := values.Marshal(docs)
	if err != nil {
		b.Fatal(err)
	}
	return docs, data
}

func BenchmarkUnmarshalAny(b *testing.B) {
	_, data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := values.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalTyped(b *testing.B) {
	_, data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v []fixture.Doc
		if err := values.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	_, data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := values.Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalAny(b *testing.B) {
	docs, data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := values.Marshal(docs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalTyped(b *testing.B) {
	_, data := benchData(b)
	var docs []fixture.Doc
	if err := values.Unmarshal(data, &docs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := values.Marshal(docs); err != nil {
			b.Fatal(err)
		}
	}
}
