//go:build js

package core

// componentToken: the browser build makes no calls into components
// (components.go).
func componentToken(_ string, t QueryToken) QueryToken { return t }
