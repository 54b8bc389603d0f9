// Command coldstart is row B6's Go side: a small program that makes a
// client, runs one query and prints CLOCK_MONOTONIC at its result. The
// driver took the same clock just before it spawned the process.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/goconvex/convex/bench/internal/mono"
	"github.com/goconvex/convex/client"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: coldstart <deployment URL>")
		os.Exit(2)
	}
	c, err := client.New(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var v struct {
		I int `json:"i"`
	}
	if err := c.Query(ctx, "bench:item", client.Args{"i": 1}, &v); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	t := mono.Now()
	if v.I != 1 {
		fmt.Fprintln(os.Stderr, "coldstart: wrong result")
		os.Exit(1)
	}
	fmt.Printf("{\"bench\":\"coldstart\",\"t_result\":%d}\n", t)
	os.Exit(0)
}
