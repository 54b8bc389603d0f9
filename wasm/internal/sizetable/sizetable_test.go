//go:build !js

package main

import "testing"

func TestOwnPkg(t *testing.T) {
	for name, want := range map[string]string{
		"github.com/goconvex/convex/client.(*Client).Subscribe":         "github.com/goconvex/convex/client",
		"slices.SortFunc[[]github.com/x/y.T,func(a, b T) int]":          "slices",
		"type:*github.com/goconvex/convex/client/values.Raw":            "github.com/goconvex/convex/client/values",
		"type:.eq.internal/abi.Type":                                    "internal/abi",
		"go:itab.*errors.errorString,error":                             "errors",
		"type:[]string":                                                 "",
		"type:.namedata.Stop.":                                          "",
		"go:string.\"x\"":                                               "",
		"gclocals·abc==":                                                "",
		"runtime.throw.arginfo1":                                        "",
		"github.com/goconvex/convex/client..stmp_3":                     "",
		"_rt0_wasm_js":                                                  "runtime",
		"internal/godebug.(*Setting).IncNonDefault":                     "internal/godebug",
		"github.com/hack-pad/safejs/internal/catch.recoverValueToError": "github.com/hack-pad/safejs/internal/catch",
	} {
		if got := ownPkg(name); got != want {
			t.Errorf("ownPkg(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestFuncNamer(t *testing.T) {
	n := newFuncNamer([]string{"runtime", "internal/strconv", "strconv", "github.com/goconvex/convex/client", "github.com/goconvex/convex/client/values"})
	for name, want := range map[string]string{
		"runtime.mallocgc":                                      "runtime",
		"internal_strconv.parseFloatPrefix":                     "internal/strconv",
		"strconv.Quote":                                         "strconv",
		"github.com_goconvex_convex_client.__socket_.dial":      "github.com/goconvex/convex/client",
		"github.com_goconvex_convex_client_values.decodeAny":    "github.com/goconvex/convex/client/values",
		"type_.eq.github.com_goconvex_convex_client.subscriber": "github.com/goconvex/convex/client",
		"main.main": "main",
		"memeqbody": "runtime",
	} {
		if got := n.pkg(name); got != want {
			t.Errorf("pkg(%q) = %q, want %q", name, got, want)
		}
	}
}
