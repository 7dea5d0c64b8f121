package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Page sizes (KFP's): the rows of one page of a list, when a request
// asks for none or for more.
const (
	DefaultPageSize = 20
	MaxPageSize     = 200
)

// MaxPageBytes bounds one page of a list in bytes, as MaxPageSize does in
// rows: a page ends before the row that would take it past this many bytes (it
// always holds one row), and its next page token points at that row, so a
// client that follows tokens sees every row. The store counts the bytes
// it reads of each row (a pipeline version's spec, a run's parameters and
// outputs), the API the bytes of each row it answers with (and what it
// read to make it): a page of 200 pipeline versions of 32 MiB specs would
// otherwise be 6 GiB held by the server and sent in one answer.
const MaxPageBytes = 16 << 20

// Filter limits. A filter past them is refused with ErrInvalid instead of
// reaching the database, whose own limits (SQLite's 32,766 query
// variables and expression depth of 1,000) would fail it as an internal
// error.
const (
	// MaxFilterPredicates bounds the predicates of one filter.
	MaxFilterPredicates = 100
	// MaxFilterValues bounds the values of one filter, every IN list's
	// values counted.
	MaxFilterValues = 1000
)

// checkFilterSize applies the filter limits.
func checkFilterSize(fvs []filterValue) error {
	if len(fvs) > MaxFilterPredicates {
		return fmt.Errorf("filter: %d predicates, more than the limit of %d: %w", len(fvs), MaxFilterPredicates, ErrInvalid)
	}
	n := 0
	for _, fv := range fvs {
		n += len(fv.S) + len(fv.I)
	}
	if n > MaxFilterValues {
		return fmt.Errorf("filter: %d values (IN lists counted value by value), more than the limit of %d: %w", n, MaxFilterValues, ErrInvalid)
	}
	return nil
}

type fieldKind int

const (
	kindString fieldKind = iota
	kindTime
)

// field is one sort and filter key of a list: the API name, the SQL
// expression it reads and how to get its value from an item (for the page
// token's cursor).
type field[T any] struct {
	name string
	col  string
	kind fieldKind
	get  func(T) any // string or time.Time
}

func strField[T any](name, col string, get func(T) string) *field[T] {
	return &field[T]{name: name, col: col, kind: kindString, get: func(x T) any { return get(x) }}
}

func timeField[T any](name, col string, get func(T) time.Time) *field[T] {
	return &field[T]{name: name, col: col, kind: kindTime, get: func(x T) any { return get(x) }}
}

// lister describes how to list one table.
type lister[T any] struct {
	kind  string // "runs", …: named in errors and page tokens
	table string
	cols  string // the SELECT list scan reads
	scan  func(rowScanner) (T, error)
	id    func(T) string
	// size is the bytes of a row as read (its variable-length columns),
	// counted against MaxPageBytes.
	size   func(T) int
	fields map[string]*field[T] // by API name and alias
	tags   string               // the JSON tags column filterable as tags.<k>, or ""
	labels string               // the JSON labels column filterable as labels.<k>, or ""
	// counts is a table of row counts (column n) by the columns in
	// countCols, kept by triggers: a list filtered only on those columns
	// sums it for TotalSize instead of counting rows. "" for none.
	counts    string
	countCols map[string]bool
}

// countable says whether a list with these filters can take its total
// from l.counts.
func (l *lister[T]) countable(base where, fvs []filterValue) bool {
	if l.counts == "" || len(base.conds) > 0 {
		return false
	}
	for _, fv := range fvs {
		f, ok := l.fields[fv.Key]
		if !ok || !l.countCols[f.col] {
			return false
		}
	}
	return true
}

// fieldsOf indexes fields by name, plus aliases (alias → name).
func fieldsOf[T any](fs []*field[T], aliases map[string]string) map[string]*field[T] {
	m := make(map[string]*field[T], len(fs)+len(aliases))
	for _, f := range fs {
		m[f.name] = f
	}
	for alias, name := range aliases {
		m[alias] = m[name]
	}
	return m
}

// filterValue is a predicate's value, normalized and JSON-encodable for
// page tokens. Type is "s" (strings in S), "i" (Unix seconds in I) or "t"
// (times as Unix microseconds in I); List says whether IN's list form.
type filterValue struct {
	Key  string   `json:"k"`
	Op   string   `json:"o"`
	Type string   `json:"t"`
	List bool     `json:"l,omitempty"`
	S    []string `json:"s,omitempty"`
	I    []int64  `json:"i,omitempty"`
}

// pageToken is the opaque next_page_token: the list's sort and filter and
// the cursor, the sort value and id of the previous page's last item.
type pageToken struct {
	Kind   string        `json:"kind"`
	Sort   string        `json:"sort"`
	Desc   bool          `json:"desc,omitempty"`
	Filter []filterValue `json:"filter,omitempty"`
	// Value is the sort value: a string, or a time as Unix microseconds.
	Value json.RawMessage `json:"value,omitempty"`
	ID    string          `json:"id"`
}

func encodeToken(t *pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(kind, s string) (*pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("bad page token: %w", ErrInvalid)
	}
	var t pageToken
	if err := json.Unmarshal(b, &t); err != nil || t.ID == "" {
		return nil, fmt.Errorf("bad page token: %w", ErrInvalid)
	}
	if t.Kind != kind {
		return nil, fmt.Errorf("bad page token: a token of %s, not %s: %w", t.Kind, kind, ErrInvalid)
	}
	return &t, nil
}

// normalizeFilter validates the shape of each predicate's value and
// converts it to a filterValue.
func normalizeFilter(ps []Predicate) ([]filterValue, error) {
	out := make([]filterValue, 0, len(ps))
	for _, p := range ps {
		fv := filterValue{Key: p.Key, Op: p.Op}
		switch p.Op {
		case OpEquals, OpNotEquals, OpGreater, OpGreaterEquals, OpLess, OpLessEquals, OpSubstring, OpIn:
		default:
			return nil, fmt.Errorf("filter key %q: unknown operation %q: %w", p.Key, p.Op, ErrInvalid)
		}
		var vals []any
		switch v := p.Value.(type) {
		case []string:
			fv.List, vals = true, anys(v)
		case []int64:
			fv.List, vals = true, anys(v)
		case []int:
			fv.List, vals = true, anys(v)
		case []time.Time:
			fv.List, vals = true, anys(v)
		case []any:
			fv.List, vals = true, v
		default:
			vals = []any{v}
		}
		if fv.List != (p.Op == OpIn) {
			if fv.List {
				return nil, fmt.Errorf("filter key %q: %s takes one value, not a list: %w", p.Key, p.Op, ErrInvalid)
			}
			return nil, fmt.Errorf("filter key %q: IN takes a list of values: %w", p.Key, ErrInvalid)
		}
		for _, v := range vals {
			var typ string
			switch x := v.(type) {
			case string:
				typ = "s"
				fv.S = append(fv.S, x)
			case int64:
				typ = "i"
				fv.I = append(fv.I, x)
			case int:
				typ = "i"
				fv.I = append(fv.I, int64(x))
			case int32:
				typ = "i"
				fv.I = append(fv.I, int64(x))
			case time.Time:
				typ = "t"
				fv.I = append(fv.I, normTime(x).UnixMicro())
			default:
				return nil, fmt.Errorf("filter key %q: unsupported value type %T: %w", p.Key, v, ErrInvalid)
			}
			if fv.Type != "" && fv.Type != typ {
				return nil, fmt.Errorf("filter key %q: mixed value types: %w", p.Key, ErrInvalid)
			}
			fv.Type = typ
		}
		if fv.Type == "" { // an empty IN list: matches nothing, whatever the field
			fv.Type = "s"
		}
		out = append(out, fv)
	}
	return out, nil
}

func anys[E any](xs []E) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// where accumulates AND-ed conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// filterField resolves a filter key: a field, tags.<k> or labels.<k>.
func (l *lister[T]) filterField(d dialect, key string) (expr string, args []any, kind fieldKind, err error) {
	if f, ok := l.fields[key]; ok {
		return f.col, nil, f.kind, nil
	}
	for _, m := range []struct{ prefix, col string }{{"tags.", l.tags}, {"labels.", l.labels}} {
		if k, ok := strings.CutPrefix(key, m.prefix); ok && m.col != "" {
			if k == "" || strings.ContainsAny(k, `"\`) {
				return "", nil, 0, fmt.Errorf("bad %s key %q: %w", strings.TrimSuffix(m.prefix, "s."), key, ErrInvalid)
			}
			e, arg := d.tagExpr(m.col, k)
			return e, []any{arg}, kindString, nil
		}
	}
	return "", nil, 0, fmt.Errorf("unknown filter key %q: %w", key, ErrInvalid)
}

// addFilter adds one predicate's condition to w.
func (l *lister[T]) addFilter(d dialect, w *where, fv filterValue) error {
	expr, exprArgs, kind, err := l.filterField(d, fv.Key)
	if err != nil {
		return err
	}
	bad := func(why string) error {
		return fmt.Errorf("filter key %q: %s: %w", fv.Key, why, ErrInvalid)
	}
	// Filters of page tokens arrive here unchecked: check the shape too.
	n := len(fv.I)
	if fv.Type == "s" {
		n = len(fv.S)
	}
	switch {
	case fv.Type != "s" && fv.Type != "i" && fv.Type != "t",
		fv.Type == "s" && len(fv.I) > 0, fv.Type != "s" && len(fv.S) > 0,
		fv.List != (fv.Op == OpIn), !fv.List && n != 1:
		return bad("malformed filter")
	case fv.Op == OpIn && n == 0:
		w.add("1 = 0")
		return nil
	case kind == kindString && fv.Type != "s":
		return bad("want a string value")
	case kind == kindTime && fv.Type == "s":
		return bad("want a timestamp or Unix seconds")
	case fv.Op == OpSubstring && kind != kindString:
		return bad("IS_SUBSTRING needs a string field")
	}
	// with repeats expr's own arguments before each use of expr.
	with := func(args ...any) []any { return append(append([]any{}, exprArgs...), args...) }
	var cmp string
	switch fv.Op {
	case OpEquals:
		cmp = "="
	case OpNotEquals:
		cmp = "<>"
	case OpGreater:
		cmp = ">"
	case OpGreaterEquals:
		cmp = ">="
	case OpLess:
		cmp = "<"
	case OpLessEquals:
		cmp = "<="
	case OpSubstring:
		w.add(d.substring(expr), with(fv.S[0])...)
		return nil
	case OpIn:
	default:
		return bad("unknown operation " + fv.Op)
	}
	if fv.Type == "i" {
		// Unix seconds compare as KFP's second-precision columns do: the
		// stored time truncated to its second, that is against the
		// half-open second [lo, hi).
		var ors []string
		var args []any
		for _, sec := range fv.I {
			lo, hi := d.timeArg(time.Unix(sec, 0)), d.timeArg(time.Unix(sec+1, 0))
			switch fv.Op {
			case OpEquals, OpIn:
				ors = append(ors, "("+expr+" >= ? AND "+expr+" < ?)")
				args = append(append(args, with(lo)...), with(hi)...)
			case OpNotEquals:
				ors = append(ors, "("+expr+" < ? OR "+expr+" >= ?)")
				args = append(append(args, with(lo)...), with(hi)...)
			case OpGreater:
				ors, args = append(ors, expr+" >= ?"), with(hi)
			case OpGreaterEquals:
				ors, args = append(ors, expr+" >= ?"), with(lo)
			case OpLess:
				ors, args = append(ors, expr+" < ?"), with(lo)
			case OpLessEquals:
				ors, args = append(ors, expr+" < ?"), with(hi)
			}
		}
		w.add(orTree(ors), args...)
		return nil
	}
	vals := anys(fv.S)
	if fv.Type == "t" {
		vals = vals[:0]
		for _, us := range fv.I {
			vals = append(vals, d.timeArg(time.UnixMicro(us)))
		}
	}
	if fv.Op == OpIn {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")
		w.add(expr+" IN ("+ph+")", with(vals...)...)
		return nil
	}
	w.add(expr+" "+cmp+" ?", with(vals[0])...)
	return nil
}

// orTree joins conditions with OR as a balanced tree of parentheses
// (the arguments keep their order), so that an expression of n terms is
// log2(n) deep rather than n: SQLite refuses expressions deeper than 1,000.
func orTree(terms []string) string {
	if len(terms) == 1 {
		return "(" + terms[0] + ")"
	}
	mid := len(terms) / 2
	return "(" + orTree(terms[:mid]) + " OR " + orTree(terms[mid:]) + ")"
}

// parseSort reads ListOptions' sort: "field", "field asc" or "field desc"
// (the suffix wins over desc).
func parseSort(sortBy string, desc bool) (string, bool, error) {
	f := strings.Fields(sortBy)
	switch len(f) {
	case 0:
		return "created_at", desc, nil
	case 1:
		return f[0], desc, nil
	case 2:
		switch strings.ToLower(f[1]) {
		case "asc":
			return f[0], false, nil
		case "desc":
			return f[0], true, nil
		}
	}
	return "", false, fmt.Errorf("bad sort %q: %w", sortBy, ErrInvalid)
}

// listQuery is a list request turned into SQL.
type listQuery[T any] struct {
	tok       *pageToken
	sort      *field[T]
	size      int
	count     string // SELECT COUNT(*) of the filtered rows
	countArgs []any
	page      string // SELECT of one page and one row more
	pageArgs  []any
}

// build turns opts into the SQL of a page; base holds conditions that
// apply before the filter (ListPipelineVersions' pipeline).
func (l *lister[T]) build(d dialect, opts ListOptions, base where) (*listQuery[T], error) {
	q := &listQuery[T]{tok: &pageToken{Kind: l.kind}}
	if opts.PageToken != "" {
		t, err := decodeToken(l.kind, opts.PageToken)
		if err != nil {
			return nil, err
		}
		q.tok = t
	} else {
		sortKey, desc, err := parseSort(opts.SortBy, opts.Desc)
		if err != nil {
			return nil, err
		}
		fvs, err := normalizeFilter(opts.Filter)
		if err != nil {
			return nil, err
		}
		q.tok.Sort, q.tok.Desc, q.tok.Filter = sortKey, desc, fvs
	}
	tok := q.tok
	if err := checkFilterSize(tok.Filter); err != nil {
		return nil, err
	}
	sf, ok := l.fields[tok.Sort]
	if !ok {
		return nil, fmt.Errorf("unknown sort key %q: %w", tok.Sort, ErrInvalid)
	}
	q.sort = sf
	w := where{conds: append([]string(nil), base.conds...), args: append([]any(nil), base.args...)}
	for _, fv := range tok.Filter {
		if err := l.addFilter(d, &w, fv); err != nil {
			return nil, err
		}
	}
	q.count, q.countArgs = "SELECT COUNT(*) FROM "+l.table+w.String(), append([]any(nil), w.args...)
	if l.countable(base, tok.Filter) {
		q.count = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM " + l.counts + w.String()
	}

	// Keyset: the rows after the cursor in (sort column, id) order.
	dir, cmp := "ASC", ">"
	if tok.Desc {
		dir, cmp = "DESC", "<"
	}
	byID := sf.col == "id"
	if opts.PageToken != "" {
		if byID {
			w.add("id "+cmp+" ?", tok.ID)
		} else {
			v, err := cursorArg(d, sf.kind, tok.Value)
			if err != nil {
				return nil, err
			}
			w.add("("+sf.col+", id) "+cmp+" (?, ?)", v, tok.ID)
		}
	}
	order := " ORDER BY id " + dir
	if !byID {
		order = " ORDER BY " + sf.col + " " + dir + ", id " + dir
	}
	q.size = opts.PageSize
	if q.size <= 0 {
		q.size = DefaultPageSize
	}
	q.size = min(q.size, MaxPageSize)
	q.page = "SELECT " + l.cols + " FROM " + l.table + w.String() + order + fmt.Sprintf(" LIMIT %d", q.size+1)
	q.pageArgs = w.args
	return q, nil
}

// list returns one page of l's table: up to the page size of rows, and
// fewer when their bytes (l.size) would pass MaxPageBytes. Rows are read
// one at a time, so a page cut by its bytes reads one row more than it
// holds, never the rest.
func list[T any](ctx context.Context, s *sqlStore, l *lister[T], opts ListOptions, base where) (*Page[T], error) {
	q, err := l.build(s.d, opts, base)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", l.kind, err)
	}
	page := &Page[T]{Items: make([]T, 0, min(q.size, 64))}
	if err := s.queryRow(ctx, s.db, q.count, q.countArgs...).Scan(&page.TotalSize); err != nil {
		return nil, fmt.Errorf("list %s: count: %w", l.kind, err)
	}
	rows, err := s.query(ctx, s.db, q.page, q.pageArgs...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", l.kind, err)
	}
	defer rows.Close()
	more, used := false, 0
	for rows.Next() {
		x, err := l.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", l.kind, err)
		}
		n := l.size(x)
		if len(page.Items) == q.size || (len(page.Items) > 0 && used+n > MaxPageBytes) {
			more = true
			break
		}
		used += n
		page.Items = append(page.Items, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", l.kind, err)
	}
	// after is the token of the rows after x, in the page's order.
	after := func(x T) string {
		next := *q.tok
		next.ID, next.Value = l.id(x), nil
		if q.sort.col != "id" {
			next.Value = cursorValue(q.sort.get(x))
		}
		return encodeToken(&next)
	}
	if more {
		page.NextPageToken = after(page.Items[len(page.Items)-1])
	}
	page.after = func(i int) string {
		if i == len(page.Items)-1 {
			return page.NextPageToken
		}
		return after(page.Items[i])
	}
	return page, nil
}

// textBytes is the length of strings, for the size of a row.
func textBytes(ss ...string) int {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	return n
}

// mapBytes is the length of a map's keys and values.
func mapBytes(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// cursorValue encodes a sort value for a page token.
func cursorValue(v any) json.RawMessage {
	if t, ok := v.(time.Time); ok {
		v = normTime(t).UnixMicro()
	}
	b, _ := json.Marshal(v)
	return b
}

// cursorArg decodes a page token's sort value into a query argument.
func cursorArg(d dialect, kind fieldKind, raw json.RawMessage) (any, error) {
	if kind == kindTime {
		var us int64
		if err := json.Unmarshal(raw, &us); err != nil {
			return nil, fmt.Errorf("bad page token: %w", ErrInvalid)
		}
		return d.timeArg(time.UnixMicro(us)), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("bad page token: %w", ErrInvalid)
	}
	return s, nil
}
