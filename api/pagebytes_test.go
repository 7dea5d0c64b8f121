package api

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
)

// pageRoom is what a page holds besides its rows: the list's field, the
// total and the token.
const pageRoom = 4 << 10

// followPages GETs path and every page its tokens lead to, and returns
// the ids (field id of each item of field list) in order and the number
// of rows of each page. A page of more than one row must stay within
// store.MaxPageBytes.
func followPages(t *testing.T, ts *testServer, path, list, id string) (ids []string, pages []int) {
	t.Helper()
	token := ""
	for range 100 {
		p := path
		if token != "" {
			p += "&page_token=" + url.QueryEscape(token)
		}
		resp := ts.do(t, request{Method: "GET", Path: p})
		if resp.Status != 200 {
			t.Fatalf("GET %s: status %d: %.500s", p, resp.Status, resp.Body)
		}
		body := resp.json(t)
		items, _ := body[list].([]any)
		if len(items) == 0 {
			t.Fatalf("GET %s: a page without rows: %.500s", p, resp.Body)
		}
		if len(items) > 1 && len(resp.Body) > store.MaxPageBytes+pageRoom {
			t.Fatalf("GET %s: a page of %d rows is %d bytes, more than the %d of store.MaxPageBytes", p, len(items), len(resp.Body), store.MaxPageBytes)
		}
		for _, it := range items {
			ids = append(ids, it.(map[string]any)[id].(string))
		}
		pages = append(pages, len(items))
		token, _ = body["next_page_token"].(string)
		if token == "" {
			return ids, pages
		}
	}
	t.Fatalf("GET %s: more than 100 pages", path)
	return nil, nil
}

// sameIDs fails unless got lists want, each once, in order.
func sameIDs(t *testing.T, what string, got, want []string, pages []int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: listed %v, want %v", what, got, want)
	}
	if len(pages) < 2 {
		t.Fatalf("%s: %d rows in one page: the page was not cut by its bytes", what, len(got))
	}
	t.Logf("%s: pages of %v rows", what, pages)
}

// TestListPagesAreBoundedInBytes: every list whose rows can be large —
// pipeline versions with their specs, runs with their parameters,
// recurring runs and v1 jobs with their specs (v1 shows them as escaped
// strings, twice their size), v1 pipelines with their latest version —
// answers pages within store.MaxPageBytes, and following next_page_token
// lists every row once.
func TestListPagesAreBoundedInBytes(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	st := ts.st
	const n = 6
	base := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)

	p := &store.Pipeline{Name: "big"}
	if err := st.CreatePipeline(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	var versions, runs, recurring, pipelines []string
	for i := range n {
		v := &store.PipelineVersion{PipelineID: p.ID, Name: fmt.Sprint(i), Spec: padSpec(4<<20, "x"), CreatedAt: base.Add(time.Duration(i) * time.Second)}
		if err := st.CreatePipelineVersion(ctx, v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v.ID)

		r := &store.Run{DisplayName: fmt.Sprint(i), State: runstate.Pending, Params: padSpec(4<<20, "y"), CreatedAt: base.Add(time.Duration(i) * time.Second)}
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r.ID)

		// Quotes inside a string: `\"` stored, `\\\"` in a v1 manifest.
		rr := &store.RecurringRun{DisplayName: fmt.Sprint(i), Spec: padSpec(3<<20, `\"`), IntervalSecond: 3600, CreatedAt: base.Add(time.Duration(i) * time.Second)}
		if err := st.CreateRecurringRun(ctx, rr); err != nil {
			t.Fatal(err)
		}
		recurring = append(recurring, rr.ID)

		pl := &store.Pipeline{Name: fmt.Sprint("p", i), CreatedAt: base.Add(time.Duration(i) * time.Second)}
		if err := st.CreatePipeline(ctx, pl, &store.PipelineVersion{Name: "v", Spec: padSpec(4<<20, "z")}); err != nil {
			t.Fatal(err)
		}
		pipelines = append(pipelines, pl.ID)
	}
	asc := "&sort_by=" + url.QueryEscape("created_at asc")
	got, pages := followPages(t, ts, "/apis/v2beta1/pipelines/"+p.ID+"/versions?page_size=200"+asc, "pipeline_versions", "pipeline_version_id")
	sameIDs(t, "v2 versions", got, versions, pages)
	got, pages = followPages(t, ts, "/apis/v1beta1/pipeline_versions?resource_key.type=PIPELINE&resource_key.id="+p.ID+"&page_size=200"+asc, "versions", "id")
	sameIDs(t, "v1 versions", got, versions, pages)
	got, pages = followPages(t, ts, "/apis/v2beta1/runs?page_size=200"+asc, "runs", "run_id")
	sameIDs(t, "v2 runs", got, runs, pages)
	got, pages = followPages(t, ts, "/apis/v1beta1/runs?page_size=200"+asc, "runs", "id")
	sameIDs(t, "v1 runs", got, runs, pages)
	got, pages = followPages(t, ts, "/apis/v2beta1/recurringruns?page_size=200"+asc, "recurringRuns", "recurring_run_id")
	sameIDs(t, "v2 recurring runs", got, recurring, pages)
	got, pages = followPages(t, ts, "/apis/v1beta1/jobs?page_size=200"+asc, "jobs", "id")
	sameIDs(t, "v1 jobs", got, recurring, pages)
	if pages[0] > 2 {
		t.Errorf("v1 jobs: a page of %d rows of 6 MiB each", pages[0])
	}
	got, pages = followPages(t, ts, "/apis/v1beta1/pipelines?page_size=200&filter="+url.QueryEscape(`{"predicates":[{"key":"name","op":"IS_SUBSTRING","string_value":"p"}]}`)+asc, "pipelines", "id")
	sameIDs(t, "v1 pipelines", got, pipelines, pages)
}

// getRunCounter counts GetRun calls (which read a run's whole spec).
type getRunCounter struct {
	store.Store
	getRuns atomic.Int64
}

func (c *getRunCounter) GetRun(ctx context.Context, id string) (*store.Run, error) {
	c.getRuns.Add(1)
	return c.Store.GetRun(ctx, id)
}

// TestV1ListRunsReadsNoSpecs: a v1 list of runs reads a run's spec (to
// name the nodes of its metrics) only when its tasks have metrics, so a
// page of runs with large specs costs the server little.
func TestV1ListRunsReadsNoSpecs(t *testing.T) {
	ctx := context.Background()
	raw, err := store.Open(ctx, filepath.Join(t.TempDir(), "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	cs := &getRunCounter{Store: raw}
	ts := newTestServerOn(t, cs, nil)
	const n, size = 30, 1 << 20
	var rs []*store.Run
	for i := range n {
		rs = append(rs, &store.Run{DisplayName: fmt.Sprint(i), State: runstate.Succeeded, Spec: padSpec(size, "x"),
			CreatedAt: time.Date(2026, 8, 1, 9, 0, i, 0, time.UTC)})
	}
	rs[n-1].Spec = []byte(`{}`) // the run with metrics: its spec is read
	if err := raw.CreateRuns(ctx, rs); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs[:n-1] {
		if err := raw.PutTask(ctx, &store.Task{RunID: r.ID, ID: "train", Key: "train", Kind: "container", State: runstate.Succeeded,
			Outputs: []byte(`{"parameters":{"out":"1"}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	withMetrics := rs[n-1]
	if err := raw.PutTask(ctx, &store.Task{RunID: withMetrics.ID, ID: "eval", Key: "eval", Kind: "container", State: runstate.Succeeded,
		Outputs: []byte(`{"artifacts":{"mlpipeline-metrics":[{"uri":"/tmp/m","metadata":{"accuracy":0.9}}]}}`)}); err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	body := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs?page_size=200"})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("one v1 list of %d runs with %d MiB specs allocated %.1f MiB", n, size>>20, float64(alloc)/(1<<20))

	if got := cs.getRuns.Load(); got != 1 {
		t.Errorf("the list read %d runs' specs, want 1 (the run with metrics)", got)
	}
	if alloc > n*size/4 {
		t.Errorf("one list allocated %d bytes, more than a quarter of its runs' specs (%d)", alloc, n*size)
	}
	items := body["runs"].([]any)
	if len(items) != n {
		t.Fatalf("%d runs listed, want %d", len(items), n)
	}
	for _, it := range items {
		m := it.(map[string]any)
		metrics, _ := m["metrics"].([]any)
		if m["id"] == withMetrics.ID {
			var mm map[string]any
			if len(metrics) == 1 {
				mm, _ = metrics[0].(map[string]any)
			}
			if nid, _ := mm["node_id"].(string); mm["name"] != "accuracy" || nid == "" {
				t.Errorf("run with metrics: %v", m["metrics"])
			}
		} else if len(metrics) != 0 {
			t.Errorf("run %v without metrics shows %v", m["id"], metrics)
		}
	}
}

// TestV1ListRunsWithMetricsArePaged: when every run has metrics and a
// large spec, the specs read count against the page, every run is listed
// once with its metrics, and a run that does not fit is not built.
func TestV1ListRunsWithMetricsArePaged(t *testing.T) {
	ctx := context.Background()
	raw, err := store.Open(ctx, filepath.Join(t.TempDir(), "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	cs := &getRunCounter{Store: raw}
	ts := newTestServerOn(t, cs, nil)
	const n = 6
	sp := largeSpec(t, 4<<20)
	var want []string
	for i := range n {
		r := &store.Run{DisplayName: fmt.Sprint(i), State: runstate.Succeeded, Spec: sp, CreatedAt: time.Date(2026, 8, 1, 9, 0, i, 0, time.UTC)}
		if err := raw.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := raw.PutTask(ctx, &store.Task{RunID: r.ID, ID: "echo", Key: "echo", Kind: "container", State: runstate.Succeeded,
			Outputs: []byte(`{"artifacts":{"mlpipeline-metrics":[{"uri":"/tmp/m","metadata":{"accuracy":0.5}}]}}`)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, r.ID)
	}
	got, pages := followPages(t, ts, "/apis/v1beta1/runs?page_size=200&sort_by="+url.QueryEscape("created_at asc"), "runs", "id")
	sameIDs(t, "v1 runs with metrics", got, want, pages)
	if calls := int(cs.getRuns.Load()); calls > n+len(pages)-1 {
		t.Errorf("%d specs read for %d runs in %d pages", calls, n, len(pages))
	}
	// Each page's runs have their metrics.
	body := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs?page_size=200"})
	for _, it := range body["runs"].([]any) {
		if ms, _ := it.(map[string]any)["metrics"].([]any); len(ms) != 1 {
			t.Errorf("run %v: metrics %v", it.(map[string]any)["id"], ms)
		}
	}
}
