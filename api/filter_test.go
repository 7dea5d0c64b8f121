package api

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

func TestParseFilter(t *testing.T) {
	day := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		raw  string
		keys aliases
		want []store.Predicate
	}{
		{"SDK: numeric operation, camelCase stringValue",
			`{"predicates": [{"operation": 1, "key": "display_name", "stringValue": "Default"}]}`, experimentKeys,
			[]store.Predicate{{Key: "display_name", Op: store.OpEquals, Value: "Default"}}},
		{"UI: named operation, name alias, URL-encoded twice",
			url.QueryEscape(`{"predicates":[{"key":"name","operation":"IS_SUBSTRING","string_value":"a b%"}]}`), runKeys,
			[]store.Predicate{{Key: "display_name", Op: store.OpSubstring, Value: "a b%"}}},
		{"pipelines keep name as a field",
			`{"predicates":[{"key":"name","op":"EQUALS","string_value":"p"}]}`, pipelineKeys,
			[]store.Predicate{{Key: "name", Op: store.OpEquals, Value: "p"}}},
		{"id alias, NOT_EQUALS by number as a string",
			`{"predicates":[{"key":"id","operation":"2","string_value":"x"}]}`, runKeys,
			[]store.Predicate{{Key: "run_id", Op: store.OpNotEquals, Value: "x"}}},
		{"int_value and long_value as a string",
			`{"predicates":[{"key":"a","operation":3,"int_value":5},{"key":"b","operation":"LESS_THAN","longValue":"9000000000"}]}`, nil,
			[]store.Predicate{{Key: "a", Op: store.OpGreater, Value: int64(5)}, {Key: "b", Op: store.OpLess, Value: int64(9000000000)}}},
		{"timestamp_value as RFC 3339 and as Unix seconds",
			`{"predicates":[{"key":"created_at","operation":5,"timestamp_value":"2026-08-01T00:00:00Z"},{"key":"created_at","operation":7,"timestampValue":"1785542400"}]}`, runKeys,
			[]store.Predicate{{Key: "created_at", Op: store.OpGreaterEquals, Value: day}, {Key: "created_at", Op: store.OpLessEquals, Value: day}}},
		{"IN with string_values and intValues",
			`{"predicates":[{"key":"state","operation":8,"string_values":{"values":["FAILED","CANCELED"]}},{"key":"n","operation":"IN","intValues":{"values":[1,"2"]}}]}`, runKeys,
			[]store.Predicate{{Key: "state", Op: store.OpIn, Value: []string{"FAILED", "CANCELED"}}, {Key: "n", Op: store.OpIn, Value: []int64{1, 2}}}},
		{"tags.<k>",
			`{"predicates":[{"key":"tags.team","operation":"EQUALS","string_value":"ml"}]}`, pipelineKeys,
			[]store.Predicate{{Key: "tags.team", Op: store.OpEquals, Value: "ml"}}},
		{"no predicates", `{}`, runKeys, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseFilter(c.raw, c.keys)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if tm, ok := got[i].Value.(time.Time); ok {
					got[i].Value = tm.UTC()
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	for raw, want := range map[string]string{
		`{"predicates":[{"key":"a","operation":"SOMETIMES","string_value":"x"}]}`:     `operation: unknown value "SOMETIMES"`,
		`{"predicates":[{"key":"a","string_value":"x"}]}`:                             "operation is missing",
		`{"predicates":[{"operation":1,"string_value":"x"}]}`:                         "key is missing",
		`{"predicates":[{"key":"a","operation":1,"string_value":"x","int_value":1}]}`: "more than one value",
		`{"predicates":[{"key":"a","operation":1,"string_values":{"values":["x"]}}]}`: "EQUALS takes a single value",
		`{"predicates":[{"key":"a","operation":1,"int_value":"x"}]}`:                  `int_value: expected an integer, got "x"`,
		`{"predicates":[{"key":"a","operation":1,"string_value":3}]}`:                 "string_value: expected a string, got 3",
		`{"predicates":{}}`: "filter: ",
		`not json`:          "filter: malformed JSON",
	} {
		_, err := parseFilter(raw, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseFilter(%s) = %v, want an error containing %q", raw, err, want)
		}
		if code, _, _ := classify(err); code != codeInvalidArgument {
			t.Errorf("parseFilter(%s): code %d, want InvalidArgument", raw, code)
		}
	}
}

func TestListOptions(t *testing.T) {
	for query, want := range map[string]store.ListOptions{
		"":                            {PageSize: 20},
		"page_size=0":                 {PageSize: 20},
		"page_size=1000":              {PageSize: 200},
		"page_size=7&page_token=abc":  {PageSize: 7, PageToken: "abc"},
		"sort_by=name":                {PageSize: 20, SortBy: "display_name"},
		"sort_by=created_at%20desc":   {PageSize: 20, SortBy: "created_at", Desc: true},
		"sort_by=created_at+ASC":      {PageSize: 20, SortBy: "created_at"},
		"sort_by=id+desc&page_size=3": {PageSize: 3, SortBy: "run_id", Desc: true},
	} {
		q, _ := url.ParseQuery(query)
		got, err := listOptions(q, runKeys)
		if err != nil {
			t.Errorf("%q: %v", query, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %+v, want %+v", query, got, want)
		}
	}
}

func TestWireValues(t *testing.T) {
	for in, want := range map[string]string{
		"pipelineVersionId": "pipeline_version_id",
		"display_name":      "display_name",
		"recurringRuns":     "recurring_runs",
		"stringValue":       "string_value",
		"Parameters":        "parameters",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]int64{`"42"`: 42, `42`: 42, `1e3`: 1000, `"-7"`: -7} {
		var n wire.Int64
		if err := n.UnmarshalJSON([]byte(in)); err != nil || int64(n) != want {
			t.Errorf("wire.Int64(%s) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{`"x"`, `1.5`, `true`} {
		var n wire.Int64
		if err := n.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("wire.Int64(%s) accepted", in)
		}
	}
}

// FuzzParseFilter: any filter text either parses or is refused as
// InvalidArgument; it never panics.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`{"predicates": [{"operation": 1, "key": "display_name", "stringValue": "Default"}]}`,
		url.QueryEscape(`{"predicates":[{"key":"name","operation":"IS_SUBSTRING","string_value":"a"}]}`),
		`{"predicates":[{"key":"n","operation":"IN","intValues":{"values":[1,"2"]}}]}`,
		`{"predicates":[{"key":"created_at","operation":5,"timestamp_value":"2026-08-01T00:00:00Z"}]}`,
		`{"predicates":[{"key":"a","operation":99,"long_value":"x"}]}`,
		`%7B`, `{}`, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		preds, err := parseFilter(raw, runKeys)
		if err != nil {
			if code, _, _ := classify(err); code != codeInvalidArgument {
				t.Fatalf("parseFilter(%q): code %d for %v", raw, code, err)
			}
			return
		}
		for _, p := range preds {
			if p.Key == "" || p.Op == "" || p.Value == nil {
				t.Fatalf("parseFilter(%q): incomplete predicate %+v", raw, p)
			}
		}
	})
}

// FuzzDecodeBody: any request body decodes or is refused as
// InvalidArgument.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"displayName":"x","mode":1,"maxConcurrency":"3","trigger":{"cronSchedule":{"cron":"@hourly","startTime":"2026-08-01T00:00:00"}}}`,
		`{"pipeline_version_reference":{"pipeline_id":"p"},"runtime_config":{"parameters":{"a":1}}}`,
		`[1]`, `{"max_concurrency": 1e400}`, `{"mode": "x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var rr wire.RecurringRun
		if err := decodeJSON(b, "RecurringRun", &rr); err != nil {
			if code, _, _ := classify(err); code != codeInvalidArgument {
				t.Fatalf("decodeJSON(%q): code %d for %v", b, code, err)
			}
			return
		}
		_, _ = enumName(rr.Mode, "mode", wire.ModeNames)
	})
}
