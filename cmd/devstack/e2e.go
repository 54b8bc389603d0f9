package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goconvex/convex/client/convextest"
)

// e2eControl is the test-only control surface of the dev stack (flag
// -e2e-control): HTTP endpoints under /_e2e/ on the app server that inject
// the deployment's faults and report what its connections saw. Browser tests
// use it to cut connections at a chosen moment and to check that no call
// failed. It is off by default: anyone who can reach the app could use it.
//
//	POST /_e2e/drop                      drop every sync connection now (1011 InternalServerError)
//	POST /_e2e/drop-after-frames?n=N     drop them all once N more frames have been sent
//	POST /_e2e/drop-on-next-mutation     when the next Mutation frame arrives, let its
//	                                     MutationResponse out, then drop every connection
//	                                     before the Transition that would confirm it
//	POST /_e2e/delay-frames?d=300ms      delay every outgoing frame (d=0 turns it off)
//	GET  /_e2e/stats                     counters, see e2eStats
type e2eControl struct {
	convex *convextest.Server

	armedOnMutation atomic.Bool

	mu     sync.Mutex
	stats  e2eStats
	chunks map[uint64]*strings.Builder // a Transition being received in chunks, by connection
}

// e2eStats counts frames by type since the stack started (and the
// modifications of Transitions, where failed queries are reported).
type e2eStats struct {
	Connections int `json:"connections"` // open sync connections now
	// From clients.
	Connects       int `json:"connects"` // Connect frames: one per (re)connection
	Authenticates  int `json:"authenticates"`
	MutationFrames int `json:"mutationFrames"` // including resends after a reconnect
	// From the deployment.
	FramesSent       int64  `json:"framesSent"`
	MutationsOK      int    `json:"mutationsOk"`
	MutationsFailed  int    `json:"mutationsFailed"`
	ActionsFailed    int    `json:"actionsFailed"`
	QueriesFailed    int    `json:"queriesFailed"` // QueryFailed modifications in Transitions
	AuthErrors       int    `json:"authErrors"`
	FatalErrors      int    `json:"fatalErrors"`
	SendExecutions   int    `json:"sendExecutions"` // times messages:send ran (a resent mutation does not run again)
	DropsTriggered   int    `json:"dropsTriggered"` // drops armed by drop-on-next-mutation that went off
	LastAuthErrorMsg string `json:"lastAuthError,omitempty"`
}

// frameFields are the fields of a frame the counters look at.
type frameFields struct {
	Type          string `json:"type"`
	Success       *bool  `json:"success"`
	Error         string `json:"error"`
	Modifications []struct {
		Type string `json:"type"`
	} `json:"modifications"` // of a Transition
	// Of a TransitionChunk.
	Chunk      string `json:"chunk"`
	PartNumber int    `json:"partNumber"`
	TotalParts int    `json:"totalParts"`
}

// observe is the deployment's frame observer (WithFrameObserver): it must
// not block, so it only decodes the frame and counts.
func (e *e2eControl) observe(dir convextest.Direction, connID uint64, frame []byte) {
	var f frameFields
	if json.Unmarshal(frame, &f) != nil {
		return
	}
	if dir == convextest.ToClient && f.Type == "TransitionChunk" {
		whole := e.addChunk(connID, f)
		if whole == nil || json.Unmarshal(whole, &f) != nil {
			return
		}
	}
	if dir == convextest.ToServer && f.Type == "Mutation" && e.armedOnMutation.CompareAndSwap(true, false) {
		// Observed as the frame is read, before the deployment runs the
		// mutation: the next frame out is its MutationResponse, and the drop
		// comes before the Transition that would confirm it.
		e.convex.DropAfterFrames(1)
		e.mu.Lock()
		e.stats.DropsTriggered++
		e.mu.Unlock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &e.stats
	switch dir {
	case convextest.ToServer:
		switch f.Type {
		case "Connect":
			s.Connects++
		case "Authenticate":
			s.Authenticates++
		case "Mutation":
			s.MutationFrames++
		}
	case convextest.ToClient:
		switch f.Type {
		case "MutationResponse":
			if f.Success != nil && *f.Success {
				s.MutationsOK++
			} else {
				s.MutationsFailed++
			}
		case "ActionResponse":
			if f.Success == nil || !*f.Success {
				s.ActionsFailed++
			}
		case "Transition":
			for _, m := range f.Modifications {
				if m.Type == "QueryFailed" {
					s.QueriesFailed++
				}
			}
		case "AuthError":
			s.AuthErrors++
			s.LastAuthErrorMsg = f.Error
		case "FatalError":
			s.FatalErrors++
		}
	}
}

// addChunk collects the chunks of a connection's Transition and returns the
// Transition once its last part arrived. Parts come in order on a
// connection; a part 0 starts over.
func (e *e2eControl) addChunk(connID uint64, f frameFields) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.chunks == nil {
		e.chunks = map[uint64]*strings.Builder{}
	}
	b := e.chunks[connID]
	if f.PartNumber == 0 || b == nil {
		b = &strings.Builder{}
		e.chunks[connID] = b
	}
	b.WriteString(f.Chunk)
	if f.PartNumber+1 < f.TotalParts {
		return nil
	}
	delete(e.chunks, connID)
	return []byte(b.String())
}

func (e *e2eControl) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /_e2e/drop", func(w http.ResponseWriter, r *http.Request) {
		e.convex.DropConnections()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_e2e/drop-after-frames", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil {
			http.Error(w, "n must be an integer", http.StatusBadRequest)
			return
		}
		e.convex.DropAfterFrames(n)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_e2e/drop-on-next-mutation", func(w http.ResponseWriter, r *http.Request) {
		e.armedOnMutation.Store(true)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_e2e/delay-frames", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, "d must be a duration such as 300ms", http.StatusBadRequest)
			return
		}
		e.convex.DelayFrames(d)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_e2e/stats", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		s := e.stats
		e.mu.Unlock()
		s.Connections = e.convex.Connections()
		s.FramesSent = e.convex.FramesSent()
		s.SendExecutions = e.convex.ExecutionCount("messages:send")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(s)
	})
}
