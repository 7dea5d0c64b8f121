package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

// aliases maps the key names a list accepts besides the canonical ones
// (v1 names and KFP's `name` alias) for one resource.
type aliases map[string]string

var (
	pipelineKeys   = aliases{"id": "pipeline_id"}
	versionKeys    = aliases{"id": "pipeline_version_id"}
	experimentKeys = aliases{"id": "experiment_id", "name": "display_name"}
	runKeys        = aliases{"id": "run_id", "name": "display_name"}
	recurringKeys  = aliases{"id": "recurring_run_id", "name": "display_name"}
)

func (a aliases) key(k string) string {
	k = strings.TrimSpace(k)
	if c, ok := a[k]; ok {
		return c
	}
	return k
}

// listOptions reads page_token, page_size, sort_by and filter. Keys are
// checked by the store, which answers ErrInvalid for unknown ones.
func listOptions(q url.Values, keys aliases) (store.ListOptions, error) {
	opts := store.ListOptions{PageSize: store.DefaultPageSize, PageToken: q.Get("page_token")}
	if s := strings.TrimSpace(q.Get("page_size")); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return opts, invalidf("page_size: expected an integer, got %q", s)
		case n < 0:
			return opts, invalidf("page_size must not be negative, got %d", n)
		case n == 0:
			n = store.DefaultPageSize
		case n > store.MaxPageSize:
			n = store.MaxPageSize
		}
		opts.PageSize = n
	}
	if s := strings.TrimSpace(q.Get("sort_by")); s != "" {
		f := strings.Fields(s)
		if len(f) > 2 {
			return opts, invalidf("sort_by %q: expected \"field\", \"field asc\" or \"field desc\"", s)
		}
		opts.SortBy = keys.key(f[0])
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				opts.Desc = true
			default:
				return opts, invalidf("sort_by %q: the direction must be asc or desc, not %q", s, f[1])
			}
		}
	}
	if s := q.Get("filter"); strings.TrimSpace(s) != "" {
		preds, err := parseFilter(s, keys)
		if err != nil {
			return opts, err
		}
		opts.Filter = preds
	}
	return opts, nil
}

// pageItems converts the items of a page with conv and keeps them while
// their bytes stay within store.MaxPageBytes (the first one always):
// each item's JSON encoding, and the bytes conv says it read to make it
// (a run's tasks and spec for its metrics). The store already ended the
// page by the bytes it read; an item can encode to more (a spec shown as
// a string is escaped), or need more read. conv is told the room left
// (math.MaxInt for the first item), and may answer errNoRoom as soon as
// it knows the item will not fit, instead of making it. pageItems
// returns the items and the next page token, which points at the first
// item left out.
func pageItems[T, W any](page *store.Page[T], conv func(x T, room int) (W, int, error)) ([]W, string, error) {
	out := make([]W, 0, len(page.Items))
	used := 0
	for i, x := range page.Items {
		room := math.MaxInt
		if i > 0 {
			room = store.MaxPageBytes - used
		}
		w, read, err := conv(x, room)
		if i > 0 && errors.Is(err, errNoRoom) {
			return out, page.TokenAfter(i - 1), nil
		}
		if err != nil {
			return nil, "", err
		}
		n := read + jsonSize(w)
		if n > room {
			return out, page.TokenAfter(i - 1), nil
		}
		used += n
		out = append(out, w)
	}
	return out, page.NextPageToken, nil
}

// errNoRoom is a pageItems conversion's answer for an item that will not
// fit in the page.
var errNoRoom = errors.New("no room left in the page")

// plain is a conversion for pageItems that reads nothing more.
func plain[T, W any](f func(T) W) func(T, int) (W, int, error) {
	return func(x T, _ int) (W, int, error) { return f(x), 0, nil }
}

// jsonSize is the length of v's JSON encoding as writeJSON writes it
// (the encoder's buffer is reused, nothing is kept).
func jsonSize(v any) int {
	var c byteCounter
	enc := json.NewEncoder(&c)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return 0 // writeJSON fails on it the same way
	}
	return int(c)
}

type byteCounter int

func (c *byteCounter) Write(b []byte) (int, error) {
	*c += byteCounter(len(b))
	return len(b), nil
}

// Filter operations by number (there is no 4).
var opNames = []string{"UNKNOWN", store.OpEquals, store.OpNotEquals, store.OpGreater, "",
	store.OpGreaterEquals, store.OpLess, store.OpLessEquals, store.OpIn, store.OpSubstring}

type filterJSON struct {
	Predicates []predicateJSON `json:"predicates"`
}

type listValues struct {
	Values []json.RawMessage `json:"values"`
}

type predicateJSON struct {
	Operation      wire.Enum       `json:"operation"`
	Op             wire.Enum       `json:"op"` // v1 spelling
	Key            string          `json:"key"`
	IntValue       json.RawMessage `json:"int_value"`
	LongValue      json.RawMessage `json:"long_value"`
	StringValue    json.RawMessage `json:"string_value"`
	TimestampValue json.RawMessage `json:"timestamp_value"`
	IntValues      *listValues     `json:"int_values"`
	LongValues     *listValues     `json:"long_values"`
	StringValues   *listValues     `json:"string_values"`
}

// parseFilter reads a Filter as the SDK and the UI send it: numeric or
// named operations, camelCase or snake_case value keys, and JSON that was
// URL-encoded once more than needed.
func parseFilter(raw string, keys aliases) ([]store.Predicate, error) {
	s := strings.TrimSpace(raw)
	if !strings.HasPrefix(s, "{") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = strings.TrimSpace(u)
		}
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, invalidf("filter: malformed JSON: %v", jsonErrText(err))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf("filter: expected a JSON object {\"predicates\": [...]}, got %s", jsonKind(v))
	}
	b, _ := json.Marshal(normalizeKeys(m))
	var f filterJSON
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, invalidf("filter: %v", jsonErrText(err))
	}
	var out []store.Predicate
	for i, p := range f.Predicates {
		pred, err := p.predicate(keys)
		if err != nil {
			return nil, invalidf("filter: predicate %d: %v", i, err)
		}
		out = append(out, pred)
	}
	return out, nil
}

func (p predicateJSON) predicate(keys aliases) (store.Predicate, error) {
	opv := p.Operation
	if opv == "" {
		opv = p.Op
	}
	op, err := enumName(opv, "operation", opNames)
	if err != nil {
		return store.Predicate{}, err
	}
	if op == "" {
		return store.Predicate{}, fmt.Errorf("operation is missing")
	}
	key := keys.key(p.Key)
	if key == "" {
		return store.Predicate{}, fmt.Errorf("key is missing")
	}
	pred := store.Predicate{Key: key, Op: op}
	set := 0
	scalar := func(raw json.RawMessage, conv func(json.RawMessage) (any, error), name string) error {
		if raw == nil || string(raw) == "null" {
			return nil
		}
		set++
		v, err := conv(raw)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		pred.Value = v
		return nil
	}
	list := func(lv *listValues, conv func(json.RawMessage) (any, error), name string) error {
		if lv == nil {
			return nil
		}
		set++
		switch name {
		case "string_values":
			vals := make([]string, 0, len(lv.Values))
			for _, r := range lv.Values {
				v, err := conv(r)
				if err != nil {
					return fmt.Errorf("%s: %v", name, err)
				}
				vals = append(vals, v.(string))
			}
			pred.Value = vals
		default:
			vals := make([]int64, 0, len(lv.Values))
			for _, r := range lv.Values {
				v, err := conv(r)
				if err != nil {
					return fmt.Errorf("%s: %v", name, err)
				}
				vals = append(vals, v.(int64))
			}
			pred.Value = vals
		}
		return nil
	}
	for _, e := range []error{
		scalar(p.IntValue, intValue, "int_value"),
		scalar(p.LongValue, intValue, "long_value"),
		scalar(p.StringValue, stringValue, "string_value"),
		scalar(p.TimestampValue, timeValue, "timestamp_value"),
		list(p.IntValues, intValue, "int_values"),
		list(p.LongValues, intValue, "long_values"),
		list(p.StringValues, stringValue, "string_values"),
	} {
		if e != nil {
			return store.Predicate{}, e
		}
	}
	switch {
	case set == 0:
		return pred, fmt.Errorf("key %q has no value (set one of string_value, int_value, long_value, timestamp_value, or string_values/int_values/long_values for IN)", key)
	case set > 1:
		return pred, fmt.Errorf("key %q has more than one value", key)
	}
	_, isList := pred.Value.([]string)
	if _, ok := pred.Value.([]int64); ok {
		isList = true
	}
	if op == store.OpIn && !isList {
		return pred, fmt.Errorf("key %q: IN needs string_values, int_values or long_values", key)
	}
	if op != store.OpIn && isList {
		return pred, fmt.Errorf("key %q: %s takes a single value, not a list", key, op)
	}
	return pred, nil
}

func stringValue(raw json.RawMessage) (any, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("expected a string, got %s", raw)
	}
	return s, nil
}

func intValue(raw json.RawMessage) (any, error) {
	var n wire.Int64
	if err := n.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("expected an integer, got %s", abbrev(raw))
	}
	return int64(n), nil
}

func timeValue(raw json.RawMessage) (any, error) {
	var t wire.Timestamp
	if err := t.UnmarshalJSON(raw); err != nil {
		// KFP also takes Unix seconds.
		n, nerr := intValue(raw)
		if nerr != nil {
			return nil, fmt.Errorf("expected an RFC 3339 timestamp, got %s", abbrev(raw))
		}
		return time.Unix(n.(int64), 0).UTC(), nil
	}
	return t.Time, nil
}
