//go:build js && wasm

// Command wasm is the Convex client compiled to WebAssembly for browsers:
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o goconvex.wasm ./wasm
//
// `make wasm` builds it that way with -tags convex_omitreflect and then runs
// wasmpack (wasm/internal/wasmpack), which joins its data segments so that
// it compresses better.
//
// It installs one global object, globalThis.__goconvex (see package
// binding for its API), calls globalThis.__goconvexReady() when that
// function exists, and then waits for calls. The npm package in js/ loads it
// and wraps it in ConvexWasmClient and React bindings.
package main

import (
	"github.com/hack-pad/safejs"

	"github.com/goconvex/convex/wasm/internal/binding"
	"github.com/goconvex/convex/wasm/internal/jsbridge"
)

func main() {
	api, err := binding.Export()
	if err != nil {
		jsbridge.Log("error", "goconvex: cannot export the client: "+err.Error())
		return
	}
	g := safejs.Global()
	if err := g.Set("__goconvex", api); err != nil {
		jsbridge.Log("error", "goconvex: cannot install globalThis.__goconvex: "+err.Error())
		return
	}
	if ready, err := g.Get("__goconvexReady"); err == nil && ready.Type() == safejs.TypeFunction {
		if _, err := ready.Invoke(api); err != nil {
			jsbridge.Log("error", "goconvex: __goconvexReady threw: "+err.Error())
		}
	}
	select {}
}
