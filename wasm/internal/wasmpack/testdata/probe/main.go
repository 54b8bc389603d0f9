// Command probe prints what a Go program on js/wasm reads from its data
// section and runtime tables (strings, a map, a sorted slice, function names
// and lines from the PC tables, a recovered panic's stack), so that a test
// can run it before and after packing and compare the output.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

var table = map[string]int{"alpha": 1, "beta": 2, "gamma": 3}

func where() string {
	pc, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s %s:%d", runtime.FuncForPC(pc).Name(), file, line)
}

func deep(n int) int {
	if n == 0 {
		return len(where())
	}
	var pad [64]byte // grows the stack, which walks the PC tables
	pad[n%64] = byte(n)
	return deep(n-1) + int(pad[n%64]&0)
}

func main() {
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Println(k, table[k])
	}
	fmt.Println(where())
	fmt.Println(deep(20000) > 0)
	func() {
		defer func() {
			r := recover()
			stack := string(debug.Stack())
			fmt.Println("recovered:", r, strings.Contains(stack, "main.main"))
		}()
		var m map[string]int
		m["x"] = 1
	}()
	fmt.Printf("%v %q %x\n", []float64{1.5, -2}, "\u00e9\n", 255)
}
