// Package values encodes and decodes Convex values in their JSON form, the
// "convex_encoded_json" format that the Convex sync protocol, the HTTP API and
// the JS client's convexToJson/jsonToConvex (package convex/values) use.
//
// # Types
//
// Convex has eight value types. They map to Go like this:
//
//	Convex    JSON form                          Marshal accepts                        Unmarshal into any gives
//	null      null                               nil, nil pointer/interface/slice/map   nil
//	boolean   true, false                        bool                                   bool
//	float64   number, or {"$float":"<b64>"}      float32, float64, int*, uint* kinds    float64
//	int64     {"$integer":"<b64>"}               Int64                                  Int64
//	string    string                             string (valid UTF-8)                   string
//	bytes     {"$bytes":"<b64>"}                 []byte                                 []byte
//	array     array                              slices and arrays                      []any
//	object    object, keys sorted                maps with string keys, structs         map[string]any
//
// A JSON number is always a Convex float64, even when it is integral: JSON 5
// decodes as float64(5). NaN, +Inf, -Inf and -0 cannot be JSON numbers, so
// they travel as {"$float": base64 of the 8 IEEE 754 bytes, little-endian}.
// Marshal writes every NaN as the canonical quiet NaN 0x7ff8000000000000, as
// JS does. Finite numbers are written exactly as JavaScript's JSON.stringify
// writes them (shortest round-trip digits, ECMAScript layout: 1e+21,
// 123456789012345680000, 0.000001, 1e-7). A float32 is written with the
// shortest digits that round-trip to the same float32, as encoding/json does.
//
// A Go integer (int, int8 … int64, uint, uint8 … uint64, and types based on
// them) is a Convex float64 on the wire, so Marshal accepts it only within
// ±2^53, where float64 holds every integer exactly; outside that range it
// returns an error rather than round. Use [Int64] for a Convex int64. uintptr
// is not supported.
//
// Int64 travels as {"$integer": base64 of the 8 bytes, two's complement,
// little-endian} and []byte as {"$bytes": standard base64 with padding}. On
// input, base64 may use the standard or the URL-safe alphabet (or both, as
// convex/values allows), and its length must be a multiple of 4.
//
// # Objects and field names
//
// Marshal writes object keys in the order JSON.stringify(convexToJson(v))
// writes them: convexToJson sorts keys by UTF-16 code units (for the ASCII
// of valid field names, byte order), but a JS object lists array-index keys
// ("0" … "4294967294") first, in numeric order, so those come first:
// {"10":…,"9":…,"a":…} is written {"9":…,"10":…,"a":…}. Structs are encoded through their json tags the way
// encoding/json reads them: `json:"name"`, `json:"-"`, the omitempty and
// omitzero options, unexported fields skipped, embedded structs flattened
// with encoding/json's precedence rules. Other tag options (",string") are
// ignored. A nil slice or nil map encodes as null, like encoding/json.
//
// A field name must be at most 1024 characters long, must not start with
// '$', and every character must be printable ASCII (32 to 126): the
// backend's rule (check_valid_field_name in its
// crates/convex/sync_types/src/identifier.rs), which convex/values applies
// too. The empty name "" is a valid field name, and names starting with '_'
// are allowed.
//
// # Decoding
//
// Unmarshal rejects every input that jsonToConvex rejects, and some that it
// lets through (the Convex server rejects those too): objects whose only key
// is $integer, $float or $bytes must hold a string of valid base64 of the
// right length; a $float must hold NaN, ±Inf or -0 (any other float must be a
// JSON number); $set and $map are no longer supported; any other key starting
// with '$' is reserved. {"$commitTs":null}, the placeholder for a mutation's
// commit timestamp, decodes as [CommitTsPlaceholder]. Trailing data after the
// value is an error. Strings must be valid UTF-8 and may not contain lone
// UTF-16 surrogate escapes such as "\ud800".
//
// When an object repeats a key, the last value wins, as with JSON.parse
// (which is what both convex/values and the server see). Numbers too large
// for float64, such as 1e400, become ±Inf, and numbers too small become ±0,
// as with JSON.parse; such a value re-encodes as a $float.
//
// Decoding into typed Go values follows encoding/json's habits: struct fields
// are matched by json tag or name, exactly or else case-insensitively;
// pointers, maps and slices are allocated as needed; null sets a pointer,
// slice, map or interface to nil and leaves other kinds unchanged; unknown
// object keys are skipped (but still validated). Numeric conversions are
// accepted when they lose nothing: a Go integer kind (including Int64) takes
// an integral float64 or an int64 that fits it; a float kind takes any
// float64 (float32 rounds, as in encoding/json, but must not overflow) and an
// int64 within ±2^53. []byte takes Convex bytes. [Raw] takes the value's JSON
// text. Types implementing json.Marshaler, json.Unmarshaler or the encoding
// text interfaces (time.Time, json.RawMessage, json.Number, …), channels,
// functions, complex numbers and non-empty interfaces are not supported:
// encoding/json would treat them specially, and guessing their Convex form
// would be worse than an error.
//
// # Limits
//
// The Convex server's limits are enforced in both directions: nesting depth
// at most [MaxDepth] (64), at most [MaxArrayLen] (8192) elements in an array,
// at most [MaxObjectFields] (1024) fields in an object, field names at most
// [MaxFieldNameLen] (1024) characters. Depth is counted as the server counts
// it: a scalar (including an $integer, $float or $bytes object) has nesting
// 0, and each array or object adds 1 to the deepest value inside it, so 64
// nested arrays are accepted and 65 are not. The field limit counts keys as
// written, duplicates included. Pointers do not add depth, but Marshal gives
// up after [MaxDepth] levels of containers, which stops cycles through maps,
// slices and structs, and after 1000 pointer or interface indirections
// without a container between them.
//
// # Builds without the struct codec
//
// Built with -tags convex_omitreflect, the package leaves out its
// reflection-based codec: Marshal takes only nil, bool, the Go number
// types, string, []byte, [Int64], [Raw], [CommitTsPlaceholder], []any and
// map[string]any; Unmarshal only *any, *Raw, *map[string]any, *[]any,
// *string, *float64, *bool and *Int64; [Decoder] reads fixed shapes. Other
// types get an [*Error] naming the tag. The browser client
// is built this way (its values cross to JavaScript as Convex JSON text),
// which keeps about 85 KB out of its gzipped WebAssembly binary.
//
// # Errors
//
// Every error that describes a bad value is an [*Error] carrying the path to
// the offending value, written the way convex/values writes it
// (".messages[3].body"). Where convex/values has a message for the same
// problem, the message follows its wording.
package values
