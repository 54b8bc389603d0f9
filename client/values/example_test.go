package values_test

import (
	"fmt"
	"math"

	"github.com/goconvex/convex/client/values"
)

func ExampleMarshal() {
	type message struct {
		Author string       `json:"author"`
		Body   string       `json:"body"`
		Likes  int          `json:"likes"`           // a Convex float64
		Seq    values.Int64 `json:"seq"`             // a Convex int64
		Image  []byte       `json:"image,omitempty"` // Convex bytes
	}
	b, err := values.Marshal(map[string]any{
		"message": message{Author: "ann", Body: "hi", Likes: 3, Seq: 42},
		"score":   math.Inf(1),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))

	_, err = values.Marshal(map[string]any{"big": 1 << 60})
	fmt.Println(err)
	// Output:
	// {"message":{"author":"ann","body":"hi","likes":3,"seq":{"$integer":"KgAAAAAAAAA="}},"score":{"$float":"AAAAAAAA8H8="}}
	// values: at .big: Go integer 1152921504606846976 is outside ±2^53, so a Convex float64 cannot hold it exactly; use values.Int64 for an int64
}

func ExampleUnmarshal() {
	data := []byte(`{"_id":"k1","count":5,"seq":{"$integer":"KgAAAAAAAAA="},"blob":{"$bytes":"aGk="}}`)

	var v any
	if err := values.Unmarshal(data, &v); err != nil {
		panic(err)
	}
	doc := v.(map[string]any)
	fmt.Printf("%T %T %T %T\n", doc["_id"], doc["count"], doc["seq"], doc["blob"])

	var typed struct {
		ID    string       `json:"_id"`
		Count int          `json:"count"`
		Seq   values.Int64 `json:"seq"`
		Blob  []byte       `json:"blob"`
	}
	if err := values.Unmarshal(data, &typed); err != nil {
		panic(err)
	}
	fmt.Println(typed.ID, typed.Count, typed.Seq, string(typed.Blob))

	err := values.Unmarshal([]byte(`{"messages":[{"n":{"$integer":"AQ=="}}]}`), &v)
	fmt.Println(err)
	// Output:
	// string float64 values.Int64 []uint8
	// k1 5 42 hi
	// values: at .messages[0].n: received 1 bytes, expected 8 for $integer
}

func ExampleRaw() {
	// A Raw is checked and passed through as it is.
	args := map[string]any{"filter": values.Raw(`{"status":"open"}`), "limit": 10}
	b, err := values.Marshal(args)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"filter":{"status":"open"},"limit":10}
}

func ExampleValidate() {
	fmt.Println(values.Validate([]byte(`{"a":{"$integer":"AQAAAAAAAAA="}}`)))
	fmt.Println(values.Validate([]byte(`{"a":{"$foo":1}}`)))
	// Output:
	// <nil>
	// values: at .a: field name "$foo" starts with a '$', which is reserved
}
