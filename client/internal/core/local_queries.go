package core

import (
	"encoding/json"
	"slices"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/internal/udfpath"
)

// QueryToken identifies a query by its canonical path and encoded
// arguments; subscriptions with equal tokens share one server query.
type QueryToken string

func makeQueryToken(canonicalPath string, args []byte) QueryToken {
	return QueryToken(canonicalPath + "\x00" + string(args))
}

// canonicalPath returns the form of path that identifies a query, as the
// JS client's canonicalizeUdfPath gives it: "messages" is
// "messages:default", and "messages.js:list" is "messages:list"
// (udfpath.Path.Canonical). The client refuses a path the backend would
// refuse before it reaches Core; one that does not parse is kept as it is.
func canonicalPath(path string) string {
	if p, err := udfpath.Parse(path); err == nil {
		return p.Canonical()
	}
	return path
}

// localQuery is one query the client wants results for.
type localQuery struct {
	id            uint32
	token         QueryToken
	path          string // canonical
	args          json.RawMessage
	subscribers   int
	journal       json.RawMessage // nil until the server sends one
	componentPath string
}

// localQueries is the client's side of the query set
// (docs/protocol.md#local-query-set): queries deduplicated by token with
// subscriber counts, the query set version, and the journals the server
// handed out.
type localQueries struct {
	nextID  uint32
	version uint32
	byToken map[QueryToken]*localQuery
	byID    map[uint32]*localQuery
	// outstanding holds the ids re-added at the last restart that have not
	// received a result since (they hold back the backoff reset).
	outstanding map[uint32]struct{}
	// While paused (the client waits for an auth token), changes are held
	// in pending, in order, and the version does not move.
	paused  bool
	pending []protocol.QuerySetModification
}

func newLocalQueries() *localQueries {
	return &localQueries{
		byToken:     map[QueryToken]*localQuery{},
		byID:        map[uint32]*localQuery{},
		outstanding: map[uint32]struct{}{},
	}
}

// subscribe adds a subscriber to the query and returns its token, and the
// ModifyQuerySet to send when the query is new (nil otherwise).
func (l *localQueries) subscribe(path string, args json.RawMessage, componentPath string) (QueryToken, *protocol.ModifyQuerySet) {
	path = canonicalPath(path)
	token := componentToken(componentPath, makeQueryToken(path, args))
	if q, ok := l.byToken[token]; ok {
		q.subscribers++
		return token, nil
	}
	q := &localQuery{id: l.nextID, token: token, path: path, args: args, subscribers: 1, componentPath: componentPath}
	l.nextID++
	l.byToken[token] = q
	l.byID[q.id] = q
	return token, l.bump(protocol.QuerySetModification{
		Type: protocol.ModAdd, QueryID: q.id, UDFPath: path, Args: args, ComponentPath: componentPath,
	})
}

// unsubscribe removes one subscriber, and the query when it was the last;
// then it returns the ModifyQuerySet to send.
func (l *localQueries) unsubscribe(token QueryToken) *protocol.ModifyQuerySet {
	q, ok := l.byToken[token]
	if !ok {
		return nil
	}
	if q.subscribers > 1 {
		q.subscribers--
		return nil
	}
	delete(l.byToken, token)
	delete(l.byID, q.id)
	delete(l.outstanding, q.id)
	return l.bump(protocol.QuerySetModification{Type: protocol.ModRemove, QueryID: q.id})
}

// bump turns one change into a ModifyQuerySet, or holds it while paused (a
// Remove cancels a held Add of the same query).
func (l *localQueries) bump(mod protocol.QuerySetModification) *protocol.ModifyQuerySet {
	if l.paused {
		if mod.Type == protocol.ModRemove {
			for i, p := range l.pending {
				if p.QueryID == mod.QueryID && p.Type == protocol.ModAdd {
					l.pending = append(l.pending[:i], l.pending[i+1:]...)
					return nil
				}
			}
		}
		l.pending = append(l.pending, mod)
		return nil
	}
	m := &protocol.ModifyQuerySet{BaseVersion: l.version, NewVersion: l.version + 1, Modifications: []protocol.QuerySetModification{mod}}
	l.version++
	return m
}

// resume ends a pause on the same socket and returns the held changes as
// one ModifyQuerySet, or nil when there are none.
func (l *localQueries) resume() *protocol.ModifyQuerySet {
	l.paused = false
	if len(l.pending) == 0 {
		return nil
	}
	m := &protocol.ModifyQuerySet{BaseVersion: l.version, NewVersion: l.version + 1, Modifications: l.pending}
	l.version++
	l.pending = nil
	return m
}

// restart rebuilds the whole query set for a new socket: version 0 to 1,
// every query re-added with its journal, in query id order.
func (l *localQueries) restart() *protocol.ModifyQuerySet {
	l.paused = false
	l.pending = nil
	clear(l.outstanding)
	mods := make([]protocol.QuerySetModification, 0, len(l.byID))
	ids := make([]int, 0, len(l.byID))
	for id := range l.byID {
		ids = append(ids, int(id))
	}
	slices.Sort(ids) // as ints: see requests.removeCompleted
	for _, id := range ids {
		q := l.byID[uint32(id)]
		mods = append(mods, protocol.QuerySetModification{
			Type: protocol.ModAdd, QueryID: q.id, UDFPath: q.path, Args: q.args,
			Journal: q.journal, ComponentPath: q.componentPath,
		})
		l.outstanding[q.id] = struct{}{}
	}
	l.version = 1
	return &protocol.ModifyQuerySet{BaseVersion: 0, NewVersion: 1, Modifications: mods}
}

// saveJournal records the journal of a query result and marks the query as
// having received a result since the restart.
func (l *localQueries) saveJournal(id uint32, journal json.RawMessage) {
	delete(l.outstanding, id)
	if q, ok := l.byID[id]; ok && journal != nil {
		q.journal = journal
	}
}
