package values

// Limits the Convex server enforces on every value. Marshal, Unmarshal and
// Validate enforce them too.
const (
	// MaxDepth is the deepest nesting of arrays and objects allowed.
	MaxDepth = 64
	// MaxArrayLen is the most elements an array may hold.
	MaxArrayLen = 8192
	// MaxObjectFields is the most fields an object may hold.
	MaxObjectFields = 1024
	// MaxFieldNameLen is the longest field name allowed, in bytes (field
	// names are ASCII).
	MaxFieldNameLen = 1024
)

// Int64 is a Convex int64 (a JS bigint). It encodes as
// {"$integer":"<base64 of 8 bytes, little-endian>"}; plain Go integers encode
// as Convex float64 instead.
type Int64 int64

// Raw is an already-encoded Convex JSON value. Marshal validates it and emits
// it verbatim (without surrounding whitespace); a nil or empty Raw encodes as
// null. Unmarshal into a *Raw validates the value and stores a copy of its
// JSON text; null is stored as the text null.
type Raw []byte

// CommitTsPlaceholder is the Convex placeholder for a mutation's commit
// timestamp, encoded {"$commitTs":null}. A mutation writes it into a document
// (db.vars.commitTs in JS) and it resolves to an int64 when the mutation
// commits; a function that reads the document back before that sees the
// placeholder. Clients should not normally meet it: Unmarshal into any
// decodes {"$commitTs":null} as CommitTsPlaceholder{}, and Marshal encodes a
// CommitTsPlaceholder as {"$commitTs":null}.
type CommitTsPlaceholder struct{}
