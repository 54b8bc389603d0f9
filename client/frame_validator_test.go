package client

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/values"
)

// frameValidator checks every frame the Go client sends to a scripted
// server against the backend's rules: the strict decoder convextest uses
// (what the backend's parser accepts, crates/convex/sync_types/src/types/
// json.rs), and arguments that run (one object of Convex values). A
// refused frame fails the test when it ends.
type frameValidator struct {
	t       *testing.T
	mu      sync.Mutex
	refused []string
	done    bool
}

// newFrameValidator returns a validator that reports at cleanup; create it
// before the server whose frames it checks, so that it reports after the
// server has stopped.
func newFrameValidator(t *testing.T) *frameValidator {
	v := &frameValidator{t: t}
	t.Cleanup(v.report)
	return v
}

func (v *frameValidator) check(frame []byte) {
	if err := checkClientFrame(frame); err != nil {
		v.mu.Lock()
		defer v.mu.Unlock()
		if !v.done {
			v.refused = append(v.refused, fmt.Sprintf("%v\n\tframe: %s", err, frame))
		}
	}
}

func (v *frameValidator) report() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.done = true
	for _, r := range v.refused {
		v.t.Errorf("the client sent a frame a Convex deployment refuses: %s", r)
	}
}

// checkClientFrame reports why the backend would refuse frame, or nil.
func checkClientFrame(frame []byte) error {
	msg, err := protocol.DecodeClientMessage(frame)
	if err != nil {
		return err
	}
	var args [][]byte
	switch m := msg.(type) {
	case *protocol.Mutation:
		args = append(args, m.Args)
	case *protocol.Action:
		args = append(args, m.Args)
	case *protocol.ModifyQuerySet:
		for _, q := range m.Modifications {
			if q.Type == protocol.ModAdd {
				args = append(args, q.Args)
			}
		}
	}
	for _, a := range args {
		if !bytes.HasPrefix(a, []byte("{")) {
			return fmt.Errorf("args must be an array of one object, not %s", a)
		}
		if err := values.Validate(a); err != nil {
			return fmt.Errorf("args are not Convex values: %w", err)
		}
		if bytes.Contains(a, []byte(`"$commitTs"`)) {
			return fmt.Errorf("args hold the reserved $commitTs placeholder")
		}
	}
	return nil
}

func TestCheckClientFrame(t *testing.T) {
	for frame, ok := range map[string]bool{
		`{"connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":1,"type":"Connect","sessionId":"ad4fce15-7c42-4dec-b4b1-a2378c6880d2"}`: true,
		`{"connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":1,"type":"Connect","sessionId":"QJ5ZTXWPLFOEDQ2AMJ6VNQYK3Y"}`:           false,
		`{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{"body":"hi"}]}`:                                                        true,
		`{"type":"Mutation","requestId":0,"udfPath":"messages.ts:send","args":[{"body":"hi"}]}`:                                                     false,
		`{"type":"Mutation","requestId":0,"udfPath":"messages:send","args":[{"at":{"$commitTs":null}}]}`:                                            false,
		`{"type":"Action","requestId":0,"udfPath":"a:b","args":[1,2]}`:                                                                              false,
	} {
		if err := checkClientFrame([]byte(frame)); (err == nil) != ok {
			t.Errorf("checkClientFrame(%s) = %v, want ok=%v", frame, err, ok)
		}
	}
}
