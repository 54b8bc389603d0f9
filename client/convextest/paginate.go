package convextest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// PaginationOptions are the paginationOpts argument of a paginated query,
// as convex/react's usePaginatedQuery sends it.
type PaginationOptions struct {
	// NumItems is how many documents a first run of the page reads.
	NumItems int
	// Cursor is where the page starts: nil for the beginning.
	Cursor *string
	// EndCursor, when set, is where the page ends: the page holds every
	// document between Cursor and EndCursor, however many.
	EndCursor *string
}

// ParsePaginationOptions reads args["paginationOpts"] of a query function.
// The id, maximumRowsRead and maximumBytesRead fields are accepted and
// ignored.
func ParsePaginationOptions(args map[string]any) (PaginationOptions, error) {
	raw, ok := args["paginationOpts"].(map[string]any)
	if !ok {
		return PaginationOptions{}, errors.New("paginationOpts must be an object {numItems, cursor}")
	}
	n, ok := raw["numItems"].(float64)
	if !ok || n != math.Trunc(n) || n < 1 || n > 1<<20 {
		return PaginationOptions{}, fmt.Errorf("paginationOpts.numItems must be a positive integer, got %v", raw["numItems"])
	}
	opts := PaginationOptions{NumItems: int(n)}
	for name, dst := range map[string]**string{"cursor": &opts.Cursor, "endCursor": &opts.EndCursor} {
		switch v := raw[name].(type) {
		case nil:
		case string:
			*dst = &v
		default:
			return PaginationOptions{}, fmt.Errorf("paginationOpts.%s must be a string or null, got %T", name, v)
		}
	}
	if _, ok := raw["cursor"]; !ok {
		return PaginationOptions{}, errors.New("paginationOpts.cursor is required (null for the first page)")
	}
	return opts, nil
}

// PaginationResult is one page of a paginated query; Value gives the form
// a query function returns.
type PaginationResult struct {
	// Page holds the documents, in the query's order.
	Page []map[string]any
	// IsDone reports that the page reaches the end of the query.
	IsDone bool
	// ContinueCursor is where the next page starts.
	ContinueCursor string
	// SplitCursor, for pages of two documents or more, splits the page in
	// two halves (usePaginatedQuery splits pages that grew too long).
	SplitCursor *string
}

// Value is r as a query returns it: {page, isDone, continueCursor,
// splitCursor, pageStatus}, the shape of convex/server's PaginationResult.
func (r *PaginationResult) Value() map[string]any {
	page := make([]any, len(r.Page))
	for i, d := range r.Page {
		page[i] = d
	}
	var split any
	if r.SplitCursor != nil {
		split = *r.SplitCursor
	}
	return map[string]any{"page": page, "isDone": r.IsDone, "continueCursor": r.ContinueCursor, "splitCursor": split, "pageStatus": nil}
}

// pageJournal carries a query run's journal: the end cursor of the page it
// read, so that a re-run (after a write, or after the client reconnects and
// sends the journal back) ends the page at the same place, as Convex does.
type pageJournal struct {
	prev *string // the journal the run started with
	next *string // the journal the run produced
	used bool    // Paginate ran
}

// journalJSON is the journal as it goes on the wire: a JSON string or null.
func (j *pageJournal) journalJSON() []byte {
	if j == nil || j.next == nil {
		return nullJournal
	}
	b, _ := json.Marshal(*j.next)
	return b
}

// parseJournal reads the journal a client sent with a query: a JSON string,
// or null (or nothing).
func parseJournal(raw []byte) *string {
	var s *string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return s
}

// errInvalidCursor is the error of a cursor that does not belong to the
// query. Its text carries "InvalidCursor", on which usePaginatedQuery
// restarts from the first page.
func errInvalidCursor(why string) error {
	return fmt.Errorf("InvalidCursor: %s", why)
}

// A cursor is a position in a scan: after the document with a given
// _creationTime (unique in a table), or the end. It is tied to the table
// and the order it was made for.
type cursor struct {
	end  bool
	time float64
}

const cursorVersion = "c1"

func (q *Query) encodeCursor(c cursor) string {
	pos := "end"
	if !c.end {
		pos = strconv.FormatUint(math.Float64bits(c.time), 16)
	}
	order := "asc"
	if q.desc {
		order = "desc"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "|" + q.table + "|" + order + "|" + pos))
}

func (q *Query) decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(b), "|")
	if err != nil || len(parts) != 4 || parts[0] != cursorVersion {
		return cursor{}, errInvalidCursor("not a cursor of this deployment")
	}
	order := "asc"
	if q.desc {
		order = "desc"
	}
	if parts[1] != q.table || parts[2] != order {
		return cursor{}, errInvalidCursor(fmt.Sprintf("the cursor belongs to a query of table %q in %s order, not %q in %s order", parts[1], parts[2], q.table, order))
	}
	if parts[3] == "end" {
		return cursor{end: true}, nil
	}
	bits, err := strconv.ParseUint(parts[3], 16, 64)
	if err != nil {
		return cursor{}, errInvalidCursor("bad position")
	}
	return cursor{time: math.Float64frombits(bits)}, nil
}

// after reports whether a document at time t comes after position c in
// the query's order.
func (q *Query) after(t float64, c cursor) bool {
	if c.end {
		return false
	}
	if q.desc {
		return t < c.time
	}
	return t > c.time
}

// Paginate reads one page of the query, as Convex's .paginate does in a
// query function: from opts.Cursor, either to opts.EndCursor or, on the
// first run, NumItems documents on. The run's journal records where the
// page ended, so when the query re-runs (a write to the table, or the
// client reconnecting with the journal) the page keeps its end: documents
// inserted inside it appear in it, and a page that reached the end of the
// table keeps growing as documents are added. A function may paginate once.
func (q *Query) Paginate(opts PaginationOptions) (*PaginationResult, error) {
	j := q.journal
	if j == nil {
		j = &pageJournal{}
	}
	if j.used {
		return nil, errors.New("This query or mutation function ran multiple paginated queries. Convex only supports a single paginated query in each function.")
	}
	j.used = true
	if opts.NumItems < 1 {
		return nil, fmt.Errorf("paginationOpts.numItems must be positive, got %d", opts.NumItems)
	}
	start := cursor{time: math.Inf(-1)}
	if q.desc {
		start.time = math.Inf(1)
	}
	if opts.Cursor != nil {
		c, err := q.decodeCursor(*opts.Cursor)
		if err != nil {
			return nil, err
		}
		start = c
	}
	var end *cursor
	endRaw := opts.EndCursor
	if endRaw == nil {
		endRaw = j.prev
	}
	if endRaw != nil {
		c, err := q.decodeCursor(*endRaw)
		if err != nil {
			if opts.EndCursor != nil {
				return nil, err
			}
			// A journal from another version of the function: start afresh.
		} else {
			end = &c
		}
	}

	res := &PaginationResult{}
	for _, doc := range q.Collect() {
		t, _ := doc["_creationTime"].(float64)
		if !q.after(t, start) {
			continue
		}
		if end != nil && q.after(t, *end) {
			break
		}
		if end == nil && len(res.Page) == opts.NumItems {
			break
		}
		res.Page = append(res.Page, doc)
	}
	switch {
	case end != nil:
		res.ContinueCursor, res.IsDone = q.encodeCursor(*end), end.end
	case len(res.Page) < opts.NumItems:
		res.ContinueCursor, res.IsDone = q.encodeCursor(cursor{end: true}), true
	default:
		last, _ := res.Page[len(res.Page)-1]["_creationTime"].(float64)
		res.ContinueCursor = q.encodeCursor(cursor{time: last})
	}
	if n := len(res.Page); n >= 2 {
		mid, _ := res.Page[(n-1)/2]["_creationTime"].(float64)
		s := q.encodeCursor(cursor{time: mid})
		res.SplitCursor = &s
	}
	j.next = &res.ContinueCursor
	return res, nil
}
