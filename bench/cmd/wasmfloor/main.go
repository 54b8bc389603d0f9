//go:build js

// Command wasmfloor is a reference for row B5: the smallest Go program for
// the browser. It only tells the page that it is running, so the time the
// page measures until then is what any Go wasm pays to be fetched,
// compiled and started, before client code does anything.
package main

import "syscall/js"

func main() {
	js.Global().Call("__goStarted")
	select {} // stay alive, as the client's wasm does
}
