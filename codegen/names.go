package codegen

import (
	"strconv"
	"strings"
	"unicode"
)

// initialisms are the words Go spells in capitals (as golint and gopls
// name them), met in Convex field names: _id → ID, authorId → AuthorID.
var initialisms = map[string]bool{
	"id": true, "ids": true, "url": true, "uri": true, "http": true, "https": true,
	"api": true, "json": true, "html": true, "ip": true, "uuid": true, "ui": true,
	"db": true, "ok": true, "sql": true, "jwt": true, "ttl": true, "utc": true, "cpu": true,
}

// exported turns a JavaScript name (an identifier, a module path component,
// an object field name, a literal's text) into an exported Go name: words
// split at non-alphanumeric characters and at lower-to-upper case changes,
// each capitalised, initialisms in capitals ("authorId" → "AuthorID",
// "rounded-rect" → "RoundedRect"). It returns "" for a name without
// letters or digits.
func exported(name string) string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)):
			flush()
		case unicode.IsUpper(r) && len(cur) > 0 && (unicode.IsLower(cur[len(cur)-1]) || unicode.IsDigit(cur[len(cur)-1])):
			flush()
			cur = append(cur, r)
		case unicode.IsUpper(r) && len(cur) > 1 && unicode.IsUpper(cur[len(cur)-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			// "HTTPServer": the last capital starts the next word.
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	var b strings.Builder
	for _, w := range words {
		if initialisms[strings.ToLower(w)] {
			b.WriteString(strings.ToUpper(w))
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]))
		b.WriteString(w[1:])
	}
	return b.String()
}

// goName is exported(name), made a valid identifier: "X" + it when it
// starts with a digit, fallback when it is empty.
func goName(name, fallback string) string {
	n := exported(name)
	if n == "" {
		return fallback
	}
	if n[0] >= '0' && n[0] <= '9' {
		return "X" + n
	}
	return n
}

// nameSet hands out unique names: a name already taken gets the smallest
// free numeric suffix, from 2.
type nameSet map[string]bool

func (s nameSet) unique(name string) string {
	n := name
	for i := 2; s[n]; i++ {
		n = name + strconv.Itoa(i)
	}
	s[n] = true
	return n
}
