package convextest

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"

	"github.com/goconvex/convex/client/internal/protocol"
)

// transition computes and queues the next Transition, as the backend's
// sync worker does (crates/sync/src/worker.rs): an update is scheduled by
// every mutation or action response, query set change, identity change and
// invalidating commit, and each scheduled update sends a Transition, empty
// or not. It takes the commits the connection has not seen, re-runs the
// queries they invalidated (and every query after an identity change, and
// new ones), all at the latest commit timestamp and under one read lock, so
// the results are one consistent snapshot; it emits only results whose hash
// changed. Mutation responses found among the commits are queued first, so
// a client always gets a MutationResponse before the Transition that
// reflects it. It returns false when the connection must close (its
// identity expired, or it may not run a system query it subscribed to).
func (c *conn) transition() bool {
	if c.componentQueriesRefused() {
		return false
	}
	st := c.s.store
	st.mu.RLock()
	notes := c.takeCommits()
	send := c.dirty
	for _, n := range notes {
		if n.resp != nil {
			c.w.send(n.resp)
			send = true
		}
		for _, sub := range c.queries {
			if !sub.stale && readsAny(sub.reads, n.tables) {
				sub.stale = true
				send = true
			}
		}
	}
	if c.identity.expired(c.s.now()) {
		st.mu.RUnlock()
		c.expired()
		return false
	}
	if c.idDirty {
		for _, sub := range c.queries {
			sub.stale = true
		}
		c.idDirty = false
	}
	if !send {
		st.mu.RUnlock()
		return true
	}
	ts := st.ts
	mods := make([]protocol.StateModification, 0, len(c.removed))
	for _, id := range c.removed {
		mods = append(mods, protocol.StateModification{Type: protocol.QueryRemoved, QueryID: id})
	}
	ctx := withCaller(c.ctx, c.caller)
	for _, sub := range c.queries {
		if !sub.stale {
			continue
		}
		if systemForbidden(sub.path, kindQuery, c.caller) != "" {
			st.mu.RUnlock()
			c.systemForbidden(sub.path, kindQuery)
			return false
		}
		out := c.s.runQueryLocked(withComponent(ctx, sub.component), sub.path, sub.args, c.identity, sub.journal)
		sub.reads, sub.stale, sub.journal = out.reads, false, out.journal
		h := resultHash(out)
		if sub.ran && h == sub.hash {
			continue
		}
		sub.ran, sub.hash = true, h
		mods = append(mods, modification(sub.id, out))
	}
	st.mu.RUnlock()
	slices.SortStableFunc(mods, func(a, b protocol.StateModification) int {
		return int(int64(a.QueryID) - int64(b.QueryID))
	})
	c.removed, c.dirty = nil, false
	end := protocol.StateVersion{QuerySet: c.recvQS, Identity: c.recvID, TS: ts}
	c.w.send(&protocol.Transition{StartVersion: c.version, EndVersion: end, Modifications: mods, ClientClockSkew: c.skew})
	c.version = end
	return true
}

func readsAny(reads map[string]struct{}, tables []string) bool {
	for _, t := range tables {
		if _, ok := reads[t]; ok {
			return true
		}
	}
	return false
}

var nullJournal = []byte("null")

func modification(id uint32, out *outcome) protocol.StateModification {
	logs := out.logLines
	if logs == nil {
		logs = []string{}
	}
	journal := (&pageJournal{next: out.journal}).journalJSON()
	if out.failed {
		return protocol.StateModification{Type: protocol.QueryFailed, QueryID: id, ErrorMessage: out.message, ErrorData: out.errData, LogLines: logs, Journal: journal}
	}
	return protocol.StateModification{Type: protocol.QueryUpdated, QueryID: id, Value: out.value, LogLines: logs, Journal: journal}
}

// resultHash hashes what decides whether a re-run's result is new, as the
// backend's sync state does (crates/sync/src/state.rs): the value JSON and
// the log lines, or the error message (without its request id) and the log
// lines. The journal is not part of it: a re-run whose value and log lines
// are unchanged sends nothing, and the client keeps its journal.
func resultHash(out *outcome) string {
	h := sha256.New()
	part := func(b []byte) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	if out.failed {
		part([]byte("failed"))
		part([]byte(out.text))
	} else {
		part([]byte("ok"))
		part(out.value)
	}
	for _, l := range out.logLines {
		part([]byte(l))
	}
	return string(h.Sum(nil))
}
