package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
)

// listFixture is a set of runs with repeated values in every sortable
// field, so sorts have ties to break.
type listFixture struct {
	runs   []*Run
	e1, e2 string
}

func newListFixture(t *testing.T, s Store) *listFixture {
	t.Helper()
	ctx := context.Background()
	e1, e2 := &Experiment{DisplayName: "e1"}, &Experiment{DisplayName: "e2"}
	check(t, s.CreateExperiment(ctx, e1))
	check(t, s.CreateExperiment(ctx, e2))
	f := &listFixture{e1: e1.ID, e2: e2.ID}
	states := []runstate.State{"RUNNING", "SUCCEEDED", "FAILED"}
	names := []string{"alpha", "Beta", "gamma", "alpha-2", "delta"}
	for i := range 23 {
		r := &Run{
			DisplayName:       names[i%len(names)],
			Description:       fmt.Sprintf("d%d", i%4),
			ExperimentID:      e1.ID,
			State:             states[i%len(states)],
			PipelineID:        fmt.Sprintf("p%d", i%2),
			PipelineVersionID: fmt.Sprintf("pv%d", i%3),
			RecurringRunID:    map[bool]string{true: "rr"}[i%6 == 0],
			// Three runs share each creation time, 1.5 s apart.
			CreatedAt:   at(time.Duration(i/3) * 1500 * time.Millisecond),
			ScheduledAt: at(time.Duration(i%4) * time.Second),
		}
		if i%2 == 1 {
			r.ExperimentID = e2.ID
		}
		if i%4 != 0 {
			r.FinishedAt = at(time.Duration(i%5) * time.Minute)
		}
		check(t, s.CreateRun(ctx, r))
		f.runs = append(f.runs, r)
	}
	// Archive some (storage state is not set at creation by the API).
	for i, r := range f.runs {
		if i%5 == 0 {
			_, err := s.UpdateRun(ctx, r.ID, func(x *Run) error { x.StorageState = Archived; return nil })
			check(t, err)
			r.StorageState = Archived
		}
	}
	return f
}

func (f *listFixture) ids(keep func(r *Run) bool) []string {
	var ids []string
	for _, r := range f.runs {
		if keep(r) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// allPages lists every page of runs and returns the ids in order, checking
// each page's size and total.
func allPages(t *testing.T, s Store, opts ListOptions, wantTotal int) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		page, err := s.ListRuns(context.Background(), opts)
		check(t, err)
		if page.TotalSize != wantTotal {
			t.Fatalf("page %d: TotalSize %d, want %d", pages, page.TotalSize, wantTotal)
		}
		size := opts.PageSize
		if size == 0 {
			size = DefaultPageSize
		}
		if len(page.Items) > size || (page.NextPageToken != "" && len(page.Items) != size) {
			t.Fatalf("page %d: %d items of %d, token %q", pages, len(page.Items), size, page.NextPageToken)
		}
		for _, r := range page.Items {
			if seen[r.ID] {
				t.Fatalf("run %s listed twice", r.ID)
			}
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
		if page.NextPageToken == "" {
			return ids
		}
		// The token carries sort and filter: what else comes is ignored.
		opts = ListOptions{PageSize: opts.PageSize, PageToken: page.NextPageToken, SortBy: "description", Filter: []Predicate{{Key: "state", Op: OpEquals, Value: "nope"}}}
		if pages > 100 {
			t.Fatal("too many pages")
		}
	}
}

func TestListRunFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		f := newListFixture(t, s)
		sec := t0.Unix()
		floor := func(tm time.Time) int64 { return tm.Unix() }
		for _, tc := range []struct {
			name string
			f    []Predicate
			keep func(r *Run) bool
		}{
			{"equals", []Predicate{{Key: "display_name", Op: OpEquals, Value: "alpha"}}, func(r *Run) bool { return r.DisplayName == "alpha" }},
			{"name alias", []Predicate{{Key: "name", Op: OpEquals, Value: "alpha"}}, func(r *Run) bool { return r.DisplayName == "alpha" }},
			{"not equals", []Predicate{{Key: "display_name", Op: OpNotEquals, Value: "alpha"}}, func(r *Run) bool { return r.DisplayName != "alpha" }},
			{"greater", []Predicate{{Key: "display_name", Op: OpGreater, Value: "alpha"}}, func(r *Run) bool { return r.DisplayName > "alpha" }},
			{"greater equals", []Predicate{{Key: "display_name", Op: OpGreaterEquals, Value: "alpha"}}, func(r *Run) bool { return r.DisplayName >= "alpha" }},
			{"less", []Predicate{{Key: "display_name", Op: OpLess, Value: "beta"}}, func(r *Run) bool { return r.DisplayName < "beta" }},
			{"less equals", []Predicate{{Key: "description", Op: OpLessEquals, Value: "d1"}}, func(r *Run) bool { return r.Description <= "d1" }},
			{"in", []Predicate{{Key: "state", Op: OpIn, Value: []string{"FAILED", "RUNNING"}}}, func(r *Run) bool { return r.State != "SUCCEEDED" }},
			{"in any", []Predicate{{Key: "state", Op: OpIn, Value: []any{"FAILED"}}}, func(r *Run) bool { return r.State == "FAILED" }},
			{"in empty", []Predicate{{Key: "state", Op: OpIn, Value: []string{}}}, func(r *Run) bool { return false }},
			{"substring ignores case", []Predicate{{Key: "name", Op: OpSubstring, Value: "ALPHA"}}, func(r *Run) bool { return strings.HasPrefix(r.DisplayName, "alpha") }},
			{"substring beta", []Predicate{{Key: "display_name", Op: OpSubstring, Value: "et"}}, func(r *Run) bool { return r.DisplayName == "Beta" }},
			{"and", []Predicate{
				{Key: "experiment_id", Op: OpEquals, Value: f.e1},
				{Key: "storage_state", Op: OpEquals, Value: Available},
			}, func(r *Run) bool { return r.ExperimentID == f.e1 && r.StorageState == Available }},
			{"id alias in", []Predicate{{Key: "id", Op: OpIn, Value: []string{f.runs[3].ID, f.runs[7].ID, "nope"}}}, func(r *Run) bool { return r == f.runs[3] || r == f.runs[7] }},
			{"run_id", []Predicate{{Key: "run_id", Op: OpEquals, Value: f.runs[4].ID}}, func(r *Run) bool { return r == f.runs[4] }},
			{"namespace empty", []Predicate{{Key: "namespace", Op: OpEquals, Value: ""}}, func(r *Run) bool { return true }},
			{"namespace other", []Predicate{{Key: "namespace", Op: OpEquals, Value: "kubeflow"}}, func(r *Run) bool { return false }},
			{"pipeline ids", []Predicate{
				{Key: "pipeline_id", Op: OpEquals, Value: "p1"},
				{Key: "pipeline_version_id", Op: OpNotEquals, Value: "pv0"},
			}, func(r *Run) bool { return r.PipelineID == "p1" && r.PipelineVersionID != "pv0" }},
			{"recurring run", []Predicate{{Key: "recurring_run_id", Op: OpEquals, Value: "rr"}}, func(r *Run) bool { return r.RecurringRunID == "rr" }},
			// Times: a time.Time compares exactly.
			{"time greater", []Predicate{{Key: "created_at", Op: OpGreater, Value: at(3 * time.Second)}}, func(r *Run) bool { return r.CreatedAt.After(normTime(at(3 * time.Second))) }},
			{"time greater equals", []Predicate{{Key: "created_at", Op: OpGreaterEquals, Value: at(3 * time.Second)}}, func(r *Run) bool { return !r.CreatedAt.Before(normTime(at(3 * time.Second))) }},
			{"time equals", []Predicate{{Key: "created_at", Op: OpEquals, Value: at(1500 * time.Millisecond)}}, func(r *Run) bool { return r.CreatedAt.Equal(normTime(at(1500 * time.Millisecond))) }},
			{"time in", []Predicate{{Key: "created_at", Op: OpIn, Value: []time.Time{at(0), at(3 * time.Second)}}}, func(r *Run) bool {
				return r.CreatedAt.Equal(normTime(at(0))) || r.CreatedAt.Equal(normTime(at(3*time.Second)))
			}},
			{"finished before", []Predicate{{Key: "finished_at", Op: OpLessEquals, Value: at(2 * time.Minute)}}, func(r *Run) bool { return !r.FinishedAt.After(normTime(at(2 * time.Minute))) }},
			{"scheduled", []Predicate{{Key: "scheduled_at", Op: OpLess, Value: at(2 * time.Second)}}, func(r *Run) bool { return r.ScheduledAt.Before(normTime(at(2 * time.Second))) }},
			// Unix seconds compare against the stored time's second.
			{"seconds equals", []Predicate{{Key: "created_at", Op: OpEquals, Value: sec + 1}}, func(r *Run) bool { return floor(r.CreatedAt) == sec+1 }},
			{"seconds not equals", []Predicate{{Key: "created_at", Op: OpNotEquals, Value: sec + 1}}, func(r *Run) bool { return floor(r.CreatedAt) != sec+1 }},
			{"seconds greater", []Predicate{{Key: "created_at", Op: OpGreater, Value: sec + 3}}, func(r *Run) bool { return floor(r.CreatedAt) > sec+3 }},
			{"seconds greater equals", []Predicate{{Key: "created_at", Op: OpGreaterEquals, Value: sec + 3}}, func(r *Run) bool { return floor(r.CreatedAt) >= sec+3 }},
			{"seconds less", []Predicate{{Key: "created_at", Op: OpLess, Value: int(sec + 3)}}, func(r *Run) bool { return floor(r.CreatedAt) < sec+3 }},
			{"seconds less equals", []Predicate{{Key: "created_at", Op: OpLessEquals, Value: int32(sec + 3)}}, func(r *Run) bool { return floor(r.CreatedAt) <= sec+3 }},
			{"seconds in", []Predicate{{Key: "created_at", Op: OpIn, Value: []int64{sec, sec + 6}}}, func(r *Run) bool { return floor(r.CreatedAt) == sec || floor(r.CreatedAt) == sec+6 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := f.ids(tc.keep)
				got := allPages(t, s, ListOptions{Filter: tc.f, PageSize: 4}, len(want))
				if !reflect.DeepEqual(sortedIDs(got), sortedIDs(want)) {
					t.Fatalf("got %d runs, want %d", len(got), len(want))
				}
			})
		}
	})
}

func TestListErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		check(t, s.CreateRun(ctx, &Run{}))
		for _, tc := range []struct {
			opts ListOptions
			word string
		}{
			{ListOptions{Filter: []Predicate{{Key: "nope", Op: OpEquals, Value: "x"}}}, `"nope"`},
			{ListOptions{Filter: []Predicate{{Key: "display_name", Op: OpEquals, Value: int64(3)}}}, `"display_name"`},
			{ListOptions{Filter: []Predicate{{Key: "created_at", Op: OpEquals, Value: "yesterday"}}}, `"created_at"`},
			{ListOptions{Filter: []Predicate{{Key: "created_at", Op: OpSubstring, Value: int64(3)}}}, `"created_at"`},
			{ListOptions{Filter: []Predicate{{Key: "state", Op: OpIn, Value: "RUNNING"}}}, `"state"`},
			{ListOptions{Filter: []Predicate{{Key: "state", Op: OpEquals, Value: []string{"RUNNING"}}}}, `"state"`},
			{ListOptions{Filter: []Predicate{{Key: "state", Op: "LIKE", Value: "R"}}}, `"state"`},
			{ListOptions{Filter: []Predicate{{Key: "state", Op: OpEquals, Value: 1.5}}}, `"state"`},
			{ListOptions{Filter: []Predicate{{Key: "state", Op: OpIn, Value: []any{"a", int64(1)}}}}, `"state"`},
			{ListOptions{Filter: []Predicate{{Key: "tags.team", Op: OpEquals, Value: "x"}}}, `"tags.team"`},
			{ListOptions{SortBy: "nope"}, `"nope"`},
			{ListOptions{SortBy: "created_at sideways"}, "created_at sideways"},
			{ListOptions{PageToken: "!!!"}, "token"},
			{ListOptions{PageToken: base64.RawURLEncoding.EncodeToString([]byte("not json"))}, "token"},
			{ListOptions{PageToken: base64.RawURLEncoding.EncodeToString([]byte(`{"kind":"runs","sort":"created_at"}`))}, "token"},
			{ListOptions{PageToken: base64.RawURLEncoding.EncodeToString([]byte(`{"kind":"runs","sort":"created_at","id":"x","value":"s"}`))}, "token"},
			{ListOptions{PageToken: base64.RawURLEncoding.EncodeToString([]byte(`{"kind":"runs","sort":"bad","id":"x"}`))}, `"bad"`},
			{ListOptions{PageToken: base64.RawURLEncoding.EncodeToString([]byte(`{"kind":"runs","sort":"state","id":"x","value":"a","filter":[{"k":"state","o":"EQUALS","t":"s"}]}`))}, "malformed"},
		} {
			_, err := s.ListRuns(ctx, tc.opts)
			wantErr(t, err, ErrInvalid, tc.word)
		}
		// A token of another list is refused.
		for range 2 {
			check(t, s.CreateExperiment(ctx, &Experiment{DisplayName: newID()}))
		}
		page, err := s.ListExperiments(ctx, ListOptions{PageSize: 1})
		check(t, err)
		_, err = s.ListRuns(ctx, ListOptions{PageToken: page.NextPageToken})
		wantErr(t, err, ErrInvalid, "token")
	})
}

// Filters past the databases' own limits (SQLite: 32,766 variables,
// expression depth 1,000) are refused with ErrInvalid naming the limit,
// on both engines, instead of failing inside the database; filters at the
// limits work.
func TestListFilterLimits(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		check(t, s.CreateRun(ctx, &Run{DisplayName: "r"}))
		strs := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprint("v", i)
			}
			return out
		}
		secs := func(n int) []int64 {
			out := make([]int64, n)
			for i := range out {
				out[i] = int64(1_700_000_000 + i)
			}
			return out
		}
		preds := func(n int) []Predicate {
			out := make([]Predicate, n)
			for i := range out {
				out[i] = Predicate{Key: "display_name", Op: OpNotEquals, Value: fmt.Sprint("x", i)}
			}
			return out
		}
		for _, tc := range []struct {
			name   string
			filter []Predicate
			word   string
		}{
			{"IN of 32,767 values", []Predicate{{Key: "run_id", Op: OpIn, Value: strs(32_767)}}, "limit of 1000"},
			{"1,000 predicates", preds(1000), "1000 predicates, more than the limit of 100"},
			{"values over several INs", []Predicate{{Key: "run_id", Op: OpIn, Value: strs(600)}, {Key: "state", Op: OpIn, Value: strs(600)}}, "1200 values"},
			{"IN of 1,001 seconds", []Predicate{{Key: "created_at", Op: OpIn, Value: secs(1001)}}, "limit of 1000"},
		} {
			_, err := s.ListRuns(ctx, ListOptions{Filter: tc.filter})
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.word) {
				t.Errorf("%s: %v, want ErrInvalid naming %q", tc.name, err, tc.word)
			}
		}
		// A forged page token carries the same limits.
		vals, _ := json.Marshal(strs(2000))
		tok := base64.RawURLEncoding.EncodeToString([]byte(`{"kind":"runs","sort":"created_at","id":"x","value":0,"filter":[{"k":"run_id","o":"IN","t":"s","l":true,"s":` + string(vals) + `}]}`))
		_, err := s.ListRuns(ctx, ListOptions{PageToken: tok})
		wantErr(t, err, ErrInvalid, "limit of 1000")
		// At the limits.
		for _, f := range [][]Predicate{
			{{Key: "run_id", Op: OpIn, Value: strs(MaxFilterValues)}},
			preds(MaxFilterPredicates),
			{{Key: "created_at", Op: OpIn, Value: secs(MaxFilterValues)}},
			{{Key: "created_at", Op: OpNotEquals, Value: int64(1)}, {Key: "display_name", Op: OpIn, Value: strs(MaxFilterValues - 1)}},
		} {
			if _, err := s.ListRuns(ctx, ListOptions{Filter: f}); err != nil {
				t.Errorf("filter at the limits (%d predicates): %v", len(f), err)
			}
		}
		page, err := s.ListRuns(ctx, ListOptions{Filter: preds(MaxFilterPredicates)})
		if err != nil || page.TotalSize != 1 {
			t.Errorf("100 predicates: %v, %v", page, err)
		}
	})
}

// sortKeys maps run sort keys to a value that orders as the store does.
var runSortKeys = map[string]func(r *Run) string{
	"created_at":       func(r *Run) string { return timeKey(r.CreatedAt) },
	"finished_at":      func(r *Run) string { return timeKey(r.FinishedAt) },
	"scheduled_at":     func(r *Run) string { return timeKey(r.ScheduledAt) },
	"display_name":     func(r *Run) string { return r.DisplayName },
	"name":             func(r *Run) string { return r.DisplayName },
	"run_id":           func(r *Run) string { return r.ID },
	"id":               func(r *Run) string { return r.ID },
	"state":            func(r *Run) string { return string(r.State) },
	"description":      func(r *Run) string { return r.Description },
	"namespace":        func(r *Run) string { return "" },
	"experiment_id":    func(r *Run) string { return r.ExperimentID },
	"storage_state":    func(r *Run) string { return r.StorageState },
	"pipeline_id":      func(r *Run) string { return r.PipelineID },
	"recurring_run_id": func(r *Run) string { return r.RecurringRunID },
}

func timeKey(t time.Time) string { return fmt.Sprintf("%020d", t.UnixMicro()+100_000_000_000_000_000) }

func TestListRunSortAndPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		f := newListFixture(t, s)
		filter := []Predicate{{Key: "storage_state", Op: OpEquals, Value: Available}}
		var keys []string
		for k := range runSortKeys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			for _, desc := range []bool{false, true} {
				for _, size := range []int{1, 4, 50} {
					get := runSortKeys[key]
					var want []*Run
					for _, r := range f.runs {
						if r.StorageState == Available {
							want = append(want, r)
						}
					}
					sort.Slice(want, func(i, j int) bool {
						a, b := get(want[i])+"\x00"+want[i].ID, get(want[j])+"\x00"+want[j].ID
						if desc {
							return a > b
						}
						return a < b
					})
					var wantIDs []string
					for _, r := range want {
						wantIDs = append(wantIDs, r.ID)
					}
					opts := ListOptions{SortBy: key, Desc: desc, PageSize: size, Filter: filter}
					if desc && size == 4 {
						opts = ListOptions{SortBy: key + " desc", PageSize: size, Filter: filter}
					}
					got := allPages(t, s, opts, len(wantIDs))
					if !reflect.DeepEqual(got, wantIDs) {
						t.Fatalf("sort %s desc=%v size %d:\n got %v\nwant %v", key, desc, size, got, wantIDs)
					}
				}
			}
		}
	})
}

func TestListPageSize(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		st := s.(*sqlStore)
		check(t, st.inTx(ctx, func(tx *sql.Tx) error {
			for i := range MaxPageSize + 5 {
				r := &Run{DisplayName: fmt.Sprint(i), CreatedAt: at(time.Duration(i) * time.Millisecond)}
				normRun(r)
				if err := st.insertRun(ctx, tx, r); err != nil {
					return err
				}
			}
			return nil
		}))
		for _, tc := range []struct{ ask, want int }{{0, DefaultPageSize}, {-3, DefaultPageSize}, {7, 7}, {1000, MaxPageSize}} {
			page, err := s.ListRuns(ctx, ListOptions{PageSize: tc.ask})
			check(t, err)
			if len(page.Items) != tc.want || page.NextPageToken == "" || page.TotalSize != MaxPageSize+5 {
				t.Fatalf("page size %d: %d items, total %d", tc.ask, len(page.Items), page.TotalSize)
			}
		}
	})
}

func TestListOtherKinds(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		// Experiments: namespace, storage state, last run time.
		var exps []*Experiment
		for i := range 6 {
			e := &Experiment{DisplayName: fmt.Sprintf("e%d", i), Namespace: []string{"a", "b"}[i%2], CreatedAt: at(time.Duration(i) * time.Second)}
			check(t, s.CreateExperiment(ctx, e))
			exps = append(exps, e)
		}
		check(t, s.CreateRun(ctx, &Run{ExperimentID: exps[1].ID, CreatedAt: at(time.Hour)}))
		check(t, s.CreateRun(ctx, &Run{ExperimentID: exps[4].ID, CreatedAt: at(2 * time.Hour)}))
		check(t, s.SetExperimentStorageState(ctx, exps[2].ID, Archived))
		page, err := s.ListExperiments(ctx, ListOptions{SortBy: "last_run_created_at desc", PageSize: 2})
		check(t, err)
		if page.TotalSize != 6 || page.Items[0].ID != exps[4].ID || page.Items[1].ID != exps[1].ID {
			t.Fatalf("by last run: %+v", page.Items)
		}
		page, err = s.ListExperiments(ctx, ListOptions{Filter: []Predicate{
			{Key: "namespace", Op: OpEquals, Value: "a"},
			{Key: "storage_state", Op: OpEquals, Value: Available},
		}, SortBy: "name", Desc: true})
		check(t, err)
		if got := experimentNames(page.Items); got != "e4 e0" {
			t.Fatalf("namespace a, available: %s", got)
		}
		page, err = s.ListExperiments(ctx, ListOptions{Filter: []Predicate{{Key: "experiment_id", Op: OpEquals, Value: exps[3].ID}}})
		check(t, err)
		if got := experimentNames(page.Items); got != "e3" {
			t.Fatalf("by id: %s", got)
		}

		// Pipeline versions page within their pipeline.
		p1, p2 := &Pipeline{Name: "p1"}, &Pipeline{Name: "p2"}
		check(t, s.CreatePipeline(ctx, p1, nil))
		check(t, s.CreatePipeline(ctx, p2, &PipelineVersion{Name: "x"}))
		for i := range 5 {
			check(t, s.CreatePipelineVersion(ctx, &PipelineVersion{PipelineID: p1.ID, Name: fmt.Sprintf("v%d", i),
				DisplayName: fmt.Sprintf("V%d", 4-i), CreatedAt: at(time.Duration(i) * time.Second)}))
		}
		var names []string
		opts := ListOptions{PageSize: 2, SortBy: "name"}
		for {
			vp, err := s.ListPipelineVersions(ctx, p1.ID, opts)
			check(t, err)
			if vp.TotalSize != 5 {
				t.Fatalf("versions total %d", vp.TotalSize)
			}
			for _, v := range vp.Items {
				names = append(names, v.Name)
			}
			if vp.NextPageToken == "" {
				break
			}
			opts = ListOptions{PageSize: 2, PageToken: vp.NextPageToken}
		}
		if got := strings.Join(names, " "); got != "v4 v3 v2 v1 v0" {
			t.Fatalf("versions by display name: %s", got)
		}
		vp, err := s.ListPipelineVersions(ctx, p1.ID, ListOptions{Filter: []Predicate{{Key: "created_at", Op: OpGreaterEquals, Value: at(3 * time.Second)}}, SortBy: "created_at desc"})
		check(t, err)
		if len(vp.Items) != 2 || vp.Items[0].Name != "v4" {
			t.Fatalf("versions by time: %+v", vp.Items)
		}

		// Pipelines: name and display_name are different keys.
		check(t, s.CreatePipeline(ctx, &Pipeline{Name: "zz", DisplayName: "aa"}, nil))
		pp, err := s.ListPipelines(ctx, ListOptions{SortBy: "name desc"})
		check(t, err)
		if pp.Items[0].Name != "zz" {
			t.Fatalf("pipelines by name desc: %s", pp.Items[0].Name)
		}
		pp, err = s.ListPipelines(ctx, ListOptions{SortBy: "display_name"})
		check(t, err)
		if pp.Items[len(pp.Items)-1].Name != "zz" { // "" < "aa"
			t.Fatalf("pipelines by display name: %s", pp.Items[len(pp.Items)-1].Name)
		}
		pp, err = s.ListPipelines(ctx, ListOptions{Filter: []Predicate{{Key: "display_name", Op: OpEquals, Value: "aa"}, {Key: "id", Op: OpNotEquals, Value: p1.ID}}})
		check(t, err)
		if pp.TotalSize != 1 || pp.Items[0].Name != "zz" {
			t.Fatalf("pipelines by display name: %+v", pp.Items)
		}
	})
}

func experimentNames(es []*Experiment) string {
	var names []string
	for _, e := range es {
		names = append(names, e.DisplayName)
	}
	return strings.Join(names, " ")
}

// FuzzPageToken feeds arbitrary tokens to every list: they may be refused
// with ErrInvalid, never panic.
func FuzzPageToken(f *testing.F) {
	tok := encodeToken(&pageToken{Kind: "runs", Sort: "created_at", ID: "x", Value: []byte("12"),
		Filter: []filterValue{{Key: "state", Op: OpIn, Type: "s", List: true, S: []string{"A"}}}})
	f.Add(tok)
	f.Add(encodeToken(&pageToken{Kind: "pipelines", Sort: "name", ID: "x", Value: []byte(`"n"`),
		Filter: []filterValue{{Key: "tags.a", Op: OpSubstring, Type: "s", S: []string{"A"}}}}))
	f.Add(encodeToken(&pageToken{Kind: "runs", Sort: "created_at", ID: "x", Value: []byte("1"),
		Filter: []filterValue{{Key: "created_at", Op: OpLess, Type: "i", I: []int64{1}}}}))
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []dialect{sqliteDialect, postgresDialect} {
			_, err1 := runLister.build(d, ListOptions{PageToken: s}, where{})
			_, err2 := pipelineLister.build(d, ListOptions{PageToken: s}, where{})
			for _, err := range []error{err1, err2} {
				if err != nil && !strings.Contains(err.Error(), ErrInvalid.Error()) {
					t.Fatalf("token %q: %v", s, err)
				}
			}
		}
	})
}
