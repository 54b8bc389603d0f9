package values

import "unicode/utf8"

// checkFieldName reports why name is not a valid Convex field name, or nil.
// The rules are the backend's (check_valid_field_name in
// crates/convex/sync_types/src/identifier.rs, used by FieldName in
// crates/value/src/field_name.rs), which convex/values (validateObjectField)
// applies too: at most MaxFieldNameLen bytes, no leading '$', and only
// non-control ASCII (32 to 126). The empty name is valid. The checks run in
// convex/values' order, so that an error names the same problem.
func checkFieldName[T string | []byte](name T) *Error {
	if len(name) > MaxFieldNameLen {
		return newError("field name %q exceeds maximum field name length %d", shorten(string(name)), MaxFieldNameLen)
	}
	if len(name) > 0 && name[0] == '$' {
		return newError("field name %q starts with a '$', which is reserved", string(name))
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 32 || c > 126 {
			return newError("field name %q has invalid character %q: field names can only contain non-control ASCII characters",
				string(name), invalidChar(string(name[i:])))
		}
	}
	return nil
}

// invalidChar returns the character at the start of s for an error message:
// the whole rune when s starts with valid UTF-8, else the single byte.
func invalidChar(s string) string {
	_, size := utf8.DecodeRuneInString(s)
	return s[:size]
}

// shorten cuts a long string for an error message.
func shorten(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
