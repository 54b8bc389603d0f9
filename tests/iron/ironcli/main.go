// Command ironcli drives internal/iron for the node cross-tests in
// tests/iron: it reads one JSON request per line on stdin and writes one
// JSON answer per line on stdout.
//
//	{"op":"seal","password":"…","passwords":{"1":"…"},"data":{…},"ttlMs":0,"nowMs":0}
//	  -> {"sealed":"Fe26.2*…~2"}
//	{"op":"unseal","password":"…","passwords":{…},"sealed":"…","nowMs":0}
//	  -> {"data":{…}} or {"error":"…"}
//
// passwords (a map of ids) takes precedence over password; nowMs, when
// non-zero, replaces the clock.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"time"

	"github.com/goconvex/convex/internal/iron"
)

type request struct {
	Op        string            `json:"op"`
	Password  string            `json:"password"`
	Passwords map[string]string `json:"passwords"`
	Data      json.RawMessage   `json:"data"`
	TTLMs     int64             `json:"ttlMs"`
	NowMs     int64             `json:"nowMs"`
	Sealed    string            `json:"sealed"`
}

type answer struct {
	Sealed string          `json:"sealed,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			out.Encode(answer{Error: err.Error()})
			continue
		}
		s := iron.NewSealer(req.Password)
		if req.Passwords != nil {
			s.Passwords = req.Passwords
		}
		if req.NowMs != 0 {
			now := time.UnixMilli(req.NowMs)
			s.Now = func() time.Time { return now }
		}
		var a answer
		switch req.Op {
		case "seal":
			sealed, err := s.Seal(req.Data, time.Duration(req.TTLMs)*time.Millisecond)
			if err != nil {
				a.Error = err.Error()
			}
			a.Sealed = sealed
		case "unseal":
			var raw json.RawMessage
			if err := s.Unseal(req.Sealed, &raw); err != nil {
				a.Error = err.Error()
			} else {
				a.Data = raw
			}
		default:
			a.Error = "unknown op " + req.Op
		}
		out.Encode(a)
	}
}
