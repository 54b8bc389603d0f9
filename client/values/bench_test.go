package values

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchDocs makes n documents shaped like a query result: about 500 bytes
// each once encoded.
func benchDocs(n int) []any {
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, 3+r.IntN(8))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	docs := make([]any, n)
	for i := range docs {
		var attachment any
		if r.IntN(5) == 0 {
			b := make([]byte, 32)
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			attachment = b
		}
		docs[i] = map[string]any{
			"_id":           "jd7" + word() + word() + word(),
			"_creationTime": 1.7e12 + r.Float64()*1e9,
			"author":        "user_" + word(),
			"body":          fmt.Sprintf("%s %s %s %s %s é ✓ \"quoted\"", word(), word(), word(), word(), word()),
			"channel":       "ch" + word(),
			"likes":         float64(r.IntN(1000)),
			"score":         r.Float64() * 100,
			"pinned":        r.IntN(10) == 0,
			"version":       Int64(r.Int64N(1e12)),
			"tags":          []any{word(), word(), word()},
			"meta": map[string]any{
				"edited":    r.IntN(2) == 0,
				"editedAt":  nil,
				"reactions": map[string]any{"up": float64(r.IntN(10)), "down": float64(r.IntN(3))},
			},
			"attachment": attachment,
		}
	}
	return docs
}

type benchDoc struct {
	ID           string   `json:"_id"`
	CreationTime float64  `json:"_creationTime"`
	Author       string   `json:"author"`
	Body         string   `json:"body"`
	Channel      string   `json:"channel"`
	Likes        int      `json:"likes"`
	Score        float64  `json:"score"`
	Pinned       bool     `json:"pinned"`
	Version      Int64    `json:"version"`
	Tags         []string `json:"tags"`
	Meta         struct {
		Edited    bool           `json:"edited"`
		EditedAt  *float64       `json:"editedAt"`
		Reactions map[string]int `json:"reactions"`
	} `json:"meta"`
	Attachment []byte `json:"attachment"`
}

func benchData(b *testing.B) ([]any, []byte) {
	docs := benchDocs(2000)
	data, err := Marshal(docs)
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
		if err := Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalTyped(b *testing.B) {
	_, data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v []benchDoc
		if err := Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	_, data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalAny(b *testing.B) {
	docs, data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(docs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalTyped(b *testing.B) {
	_, data := benchData(b)
	var docs []benchDoc
	if err := Unmarshal(data, &docs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(docs); err != nil {
			b.Fatal(err)
		}
	}
}
