package core

import "strings"

// CanonicalPath canonicalizes a function path as the JS client does for
// queries: "messages" becomes "messages:default", and a ".js" suffix on the
// module is dropped ("messages.js:list" becomes "messages:list").
func CanonicalPath(path string) string {
	module, export := path, "default"
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		module, export = path[:i], path[i+1:]
	}
	module = strings.TrimSuffix(module, ".js")
	return module + ":" + export
}

// QueryToken identifies a query by its canonical path and encoded
// arguments; subscriptions with equal tokens share one server query.
type QueryToken string

func makeQueryToken(canonicalPath string, args []byte) QueryToken {
	return QueryToken(canonicalPath + "\x00" + string(args))
}
