package convextest

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/goconvex/convex/client/internal/protocol"
	"github.com/goconvex/convex/client/values"
)

// maxDocumentSize is the real server's limit on a stored document.
const maxDocumentSize = 1 << 20

// store is the in-memory database. Mutations hold mu for writing for their
// whole run (so they are serializable and their writes appear atomically);
// queries hold it for reading while they run, so every query sees one
// committed state, the one at store.ts.
type store struct {
	mu      sync.RWMutex
	tables  map[string]*table
	nextNum uint32
	// ts is the commit timestamp of the latest committed mutation (or the
	// server's start time): the timestamp queries read at.
	ts protocol.TS
	// lastCreation is the latest _creationTime handed out.
	lastCreation float64
}

type table struct {
	name    string
	num     uint32
	byID    map[string]*docEntry
	order   []*docEntry // ascending _creationTime; holds tombstones
	deleted int         // tombstones in order
}

type docEntry struct {
	id      string
	doc     map[string]any // with _id and _creationTime
	deleted bool
}

func newStore(now time.Time) *store {
	return &store{tables: map[string]*table{}, nextNum: 10001, ts: protocol.TS(now.UnixNano())}
}

// nextTS returns a commit timestamp after s.ts, near the wall clock.
func (s *store) nextTS() protocol.TS {
	ts := protocol.TS(time.Now().UnixNano())
	if ts <= s.ts {
		ts = s.ts + 1
	}
	return ts
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

const idRandomBytes = 14

// newID returns a fresh document id for table num: random bytes and the
// table number, base32-encoded with the alphabet Convex ids use.
func (s *store) newID(t *table) string {
	for {
		b := make([]byte, idRandomBytes, idRandomBytes+binary.MaxVarintLen32)
		_, _ = rand.Read(b)
		b = binary.AppendUvarint(b, uint64(t.num))
		id := idEncoding.EncodeToString(b)
		if _, taken := t.byID[id]; !taken {
			return id
		}
	}
}

// tableOfID decodes the table number an id carries.
func tableOfID(id string) (uint32, bool) {
	b, err := idEncoding.DecodeString(id)
	if err != nil || len(b) <= idRandomBytes {
		return 0, false
	}
	n, size := binary.Uvarint(b[idRandomBytes:])
	if size <= 0 || idRandomBytes+size != len(b) || n > math.MaxUint32 {
		return 0, false
	}
	return uint32(n), true
}

func (s *store) tableByNum(num uint32) *table {
	for _, t := range s.tables {
		if t.num == num {
			return t
		}
	}
	return nil
}

// txn is one function's view of the store. A read-only txn belongs to a
// query (the caller holds s.mu for reading); a writable one to a mutation
// (the caller holds s.mu for writing) and can be rolled back.
type txn struct {
	s      *store
	write  bool
	done   bool
	reads  map[string]struct{}
	writes map[string]struct{}
	undo   []func()
}

func (s *store) begin(write bool) *txn {
	return &txn{s: s, write: write, reads: map[string]struct{}{}, writes: map[string]struct{}{}}
}

var errReadOnly = errors.New("convextest: the database is read-only here")

var errTxnDone = errors.New("convextest: the function that owned this database handle has returned")

func (tx *txn) check(write bool) error {
	if tx.done {
		return errTxnDone
	}
	if write && !tx.write {
		return errReadOnly
	}
	return nil
}

// rollback undoes every write.
func (tx *txn) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		tx.undo[i]()
	}
	tx.undo = nil
	tx.done = true
}

// commit makes the writes permanent and returns the commit timestamp.
func (tx *txn) commit() protocol.TS {
	tx.done = true
	tx.undo = nil
	for name := range tx.writes {
		if t := tx.s.tables[name]; t != nil && t.deleted > 64 && t.deleted > len(t.order)/2 {
			kept := t.order[:0]
			for _, e := range t.order {
				if !e.deleted {
					kept = append(kept, e)
				}
			}
			clear(t.order[len(kept):])
			t.order, t.deleted = kept, 0
		}
	}
	tx.s.ts = tx.s.nextTS()
	return tx.s.ts
}

func (tx *txn) writtenTables() []string {
	out := make([]string, 0, len(tx.writes))
	for name := range tx.writes {
		out = append(out, name)
	}
	return out
}

func (tx *txn) get(id string) (map[string]any, error) {
	if err := tx.check(false); err != nil {
		return nil, err
	}
	num, ok := tableOfID(id)
	if !ok {
		return nil, fmt.Errorf("Invalid ID %q: not a document id", id)
	}
	t := tx.s.tableByNum(num)
	if t == nil {
		return nil, nil
	}
	tx.reads[t.name] = struct{}{}
	e := t.byID[id]
	if e == nil {
		return nil, nil
	}
	return copyDoc(e.doc), nil
}

func (tx *txn) scan(name string, filters []func(map[string]any) bool, desc bool, limit int) []map[string]any {
	if tx.check(false) != nil {
		return nil
	}
	tx.reads[name] = struct{}{}
	t := tx.s.tables[name]
	// Never nil: an empty result is an empty array, as collect() and
	// take(n) give in JS, not null.
	out := []map[string]any{}
	if t == nil || limit == 0 {
		return out
	}
	visit := func(e *docEntry) bool {
		if e.deleted {
			return true
		}
		doc := copyDoc(e.doc)
		for _, f := range filters {
			if !f(doc) {
				return true
			}
		}
		out = append(out, doc)
		return limit < 0 || len(out) < limit
	}
	if desc {
		for i := len(t.order) - 1; i >= 0; i-- {
			if !visit(t.order[i]) {
				break
			}
		}
	} else {
		for _, e := range t.order {
			if !visit(e) {
				break
			}
		}
	}
	return out
}

var tableNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)

func (tx *txn) insert(name string, doc map[string]any) (string, error) {
	if err := tx.check(true); err != nil {
		return "", err
	}
	if !tableNameRE.MatchString(name) {
		return "", fmt.Errorf("Invalid table name %q: table names must start with a letter, contain only letters, digits and underscores, and be at most 64 characters long", name)
	}
	fields, err := normalizeDoc(doc, nil)
	if err != nil {
		return "", fmt.Errorf("Failed to insert into %q: %w", name, err)
	}
	s := tx.s
	t := s.tables[name]
	if t == nil {
		t = &table{name: name, num: s.nextNum, byID: map[string]*docEntry{}}
		s.nextNum++
		s.tables[name] = t
		tx.undo = append(tx.undo, func() { delete(s.tables, name) })
	}
	id := s.newID(t)
	ct := float64(time.Now().UnixMicro()) / 1000
	if ct <= s.lastCreation {
		ct = math.Nextafter(s.lastCreation, math.Inf(1))
	}
	s.lastCreation = ct
	fields["_id"] = id
	fields["_creationTime"] = ct
	e := &docEntry{id: id, doc: fields}
	t.byID[id] = e
	t.order = append(t.order, e)
	tx.writes[name] = struct{}{}
	tx.undo = append(tx.undo, func() {
		delete(t.byID, id)
		e.deleted = true
		t.deleted++
	})
	return id, nil
}

// entry finds the live document id for a write.
func (tx *txn) entry(id string) (*table, *docEntry, error) {
	if err := tx.check(true); err != nil {
		return nil, nil, err
	}
	num, ok := tableOfID(id)
	if !ok {
		return nil, nil, fmt.Errorf("Invalid ID %q: not a document id", id)
	}
	t := tx.s.tableByNum(num)
	if t == nil || t.byID[id] == nil {
		return nil, nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return t, t.byID[id], nil
}

func (tx *txn) patch(id string, fields map[string]any) error {
	t, e, err := tx.entry(id)
	if err != nil {
		return err
	}
	set := make(map[string]any, len(fields))
	var remove []string
	for k, v := range fields {
		if v == nil {
			remove = append(remove, k)
		} else {
			set[k] = v
		}
	}
	norm, err := normalizeDoc(set, e.doc)
	if err != nil {
		return fmt.Errorf("Failed to patch %q: %w", id, err)
	}
	next := copyDoc(e.doc)
	for _, k := range remove {
		if strings.HasPrefix(k, "_") {
			return fmt.Errorf("Failed to patch %q: system field %q cannot be removed", id, k)
		}
		delete(next, k)
	}
	for k, v := range norm {
		next[k] = v
	}
	if err := checkSize(next); err != nil {
		return fmt.Errorf("Failed to patch %q: %w", id, err)
	}
	tx.setDoc(t, e, next)
	return nil
}

func (tx *txn) replace(id string, doc map[string]any) error {
	t, e, err := tx.entry(id)
	if err != nil {
		return err
	}
	norm, err := normalizeDoc(doc, e.doc)
	if err != nil {
		return fmt.Errorf("Failed to replace %q: %w", id, err)
	}
	norm["_id"], norm["_creationTime"] = e.doc["_id"], e.doc["_creationTime"]
	tx.setDoc(t, e, norm)
	return nil
}

func (tx *txn) setDoc(t *table, e *docEntry, doc map[string]any) {
	old := e.doc
	e.doc = doc
	tx.writes[t.name] = struct{}{}
	tx.undo = append(tx.undo, func() { e.doc = old })
}

func (tx *txn) delete(id string) error {
	t, e, err := tx.entry(id)
	if err != nil {
		return err
	}
	delete(t.byID, id)
	e.deleted = true
	t.deleted++
	tx.writes[t.name] = struct{}{}
	tx.undo = append(tx.undo, func() {
		e.deleted = false
		t.byID[id] = e
		t.deleted--
	})
	return nil
}

// normalizeDoc validates user fields and converts them to the canonical
// forms values.Unmarshal produces, copying them. System fields (_id,
// _creationTime) are accepted only when existing is given and they equal its
// values; they are dropped from the result.
func normalizeDoc(doc map[string]any, existing map[string]any) (map[string]any, error) {
	if doc == nil {
		doc = map[string]any{}
	}
	user := make(map[string]any, len(doc))
	for k, v := range doc {
		if strings.HasPrefix(k, "_") {
			if existing != nil && (k == "_id" || k == "_creationTime") {
				if cv := canonical(v); cv != existing[k] {
					return nil, fmt.Errorf("system field %q cannot be changed", k)
				}
				continue
			}
			return nil, fmt.Errorf("field name %q starts with a '_', which is reserved for system fields", k)
		}
		user[k] = v
	}
	data, err := values.Marshal(user)
	if err != nil {
		return nil, err
	}
	if len(data) > maxDocumentSize {
		return nil, fmt.Errorf("document is too large (%d bytes > maximum size %d)", len(data), maxDocumentSize)
	}
	var out any
	if err := values.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, errors.New("a document must be an object")
	}
	return m, nil
}

func checkSize(doc map[string]any) error {
	data, err := values.Marshal(doc)
	if err != nil {
		return err
	}
	if len(data) > maxDocumentSize {
		return fmt.Errorf("document is too large (%d bytes > maximum size %d)", len(data), maxDocumentSize)
	}
	return nil
}

// copyDoc deep-copies a document of canonical values.
func copyDoc(doc map[string]any) map[string]any {
	if doc == nil {
		return nil
	}
	return deepCopy(doc).(map[string]any)
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	case []byte:
		return append([]byte{}, v...)
	default:
		return v
	}
}

// DatabaseReader reads the in-memory database: ctx.DB in a query. Documents
// come back as fresh copies (map[string]any of the forms values.Unmarshal
// produces into an any, with "_id" a string and "_creationTime" a float64
// of milliseconds); changing them does not change the store. A reader is only
// valid while its function runs and is not safe for concurrent use.
type DatabaseReader struct {
	tx      *txn
	journal *pageJournal // a query run's journal, for Paginate
}

// Get returns the document with the given id, or nil when there is none.
// An id that is not a document id is an error.
func (db *DatabaseReader) Get(id string) (map[string]any, error) {
	return db.tx.get(id)
}

// Query starts a scan of table in _creationTime order. A table that does
// not exist reads as empty.
func (db *DatabaseReader) Query(table string) *Query {
	return &Query{tx: db.tx, table: table, journal: db.journal}
}

// Query is a scan of one table, built with Filter and Order and run with
// Collect, Take, First or Paginate. There are no indexes: every scan reads
// the table in _creationTime order and applies the filters in Go.
type Query struct {
	tx      *txn
	table   string
	filters []func(map[string]any) bool
	desc    bool
	journal *pageJournal
}

// Filter keeps only documents for which keep returns true. Filters combine
// with AND. keep gets a copy of each document.
func (q *Query) Filter(keep func(doc map[string]any) bool) *Query {
	q.filters = append(q.filters, keep)
	return q
}

// Order sets the scan order by _creationTime: ascending (the default) when
// desc is false, descending when it is true.
func (q *Query) Order(desc bool) *Query {
	q.desc = desc
	return q
}

// Collect returns every matching document: an empty slice, not nil, when
// none match (a function returning it returns [], as collect() does).
func (q *Query) Collect() []map[string]any {
	return q.tx.scan(q.table, q.filters, q.desc, -1)
}

// Take returns the first n matching documents.
func (q *Query) Take(n int) []map[string]any {
	if n < 0 {
		n = 0
	}
	return q.tx.scan(q.table, q.filters, q.desc, n)
}

// First returns the first matching document, or nil.
func (q *Query) First() map[string]any {
	docs := q.Take(1)
	if len(docs) == 0 {
		return nil
	}
	return docs[0]
}

// DatabaseWriter reads and writes the in-memory database: ctx.DB in a
// mutation. Writes become visible to other functions only when the mutation
// returns successfully; a mutation that fails (or panics) leaves no trace.
// Tables are created by their first insert.
type DatabaseWriter struct {
	DatabaseReader
}

// Insert adds a document to table and returns its new id. Field values are
// Go values the values package can marshal; they are validated and copied.
// Field names starting with '_' are reserved for system fields.
func (db *DatabaseWriter) Insert(table string, doc map[string]any) (string, error) {
	return db.tx.insert(table, doc)
}

// Patch merges fields into the document id. A field whose value is nil is
// removed from the document (to store a null, use Replace or Insert).
// System fields may appear only with their current values.
func (db *DatabaseWriter) Patch(id string, fields map[string]any) error {
	return db.tx.patch(id, fields)
}

// Replace replaces the user fields of document id with doc, keeping _id and
// _creationTime.
func (db *DatabaseWriter) Replace(id string, doc map[string]any) error {
	return db.tx.replace(id, doc)
}

// Delete removes document id.
func (db *DatabaseWriter) Delete(id string) error {
	return db.tx.delete(id)
}
