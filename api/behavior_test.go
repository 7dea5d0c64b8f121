package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/version"
)

func TestPipelineLifecycle(t *testing.T) {
	ts := newTestServer(t, nil)
	f := setupFixture(t, ts)
	base := "/apis/v2beta1/pipelines/"

	got := ts.mustDo(t, request{Method: "GET", Path: base + "names/params"})
	if got["pipeline_id"] != f.pipelineID || got["description"] != "Echoes its parameters." {
		t.Errorf("get by name: %v", got)
	}

	// PATCH changes display_name and tags only; "tags": {} clears them.
	p := ts.mustDo(t, request{Method: "PATCH", Path: base + f.pipelineID,
		Body: map[string]any{"display_name": "Params!", "name": "ignored", "tags": map[string]any{"team": "ml"}}})
	wantJSON(t, p, `"display_name":"Params!"`, `"name":"params"`, `"tags":{"team":"ml"}`)
	tagFilter := q(`{"predicates":[{"key":"tags.team","operation":"EQUALS","string_value":"ml"}]}`)
	if l := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/pipelines?filter=" + tagFilter}); l["total_size"] != 1.0 {
		t.Errorf("filter by tags.team: %v", l)
	}
	p = ts.mustDo(t, request{Method: "PATCH", Path: base + f.pipelineID, Body: map[string]any{"tags": map[string]any{}}})
	if _, ok := p["tags"]; ok || p["display_name"] != "Params!" {
		t.Errorf("tags {} did not clear the tags: %v", p)
	}

	// A version with an inline spec in the {pipeline_spec, platform_spec}
	// wrapper keeps the wrapper.
	wrapped := map[string]any{"pipeline_spec": f.spec, "platform_spec": map[string]any{
		"platforms": map[string]any{"kubernetes": map[string]any{"deploymentSpec": map[string]any{}}}}}
	v := ts.mustDo(t, request{Method: "POST", Path: base + f.pipelineID + "/versions",
		Body: map[string]any{"display_name": "v2", "pipeline_spec": wrapped}})
	spec := v["pipeline_spec"].(map[string]any)
	if spec["pipeline_spec"] == nil || spec["platform_spec"] == nil {
		t.Errorf("wrapped spec not kept: %v", spec)
	}
	vid := v["pipeline_version_id"].(string)
	v = ts.mustDo(t, request{Method: "PATCH", Path: base + f.pipelineID + "/versions/" + vid, Body: map[string]any{"displayName": "second"}})
	wantJSON(t, v, `"display_name":"second"`, `"name":"v2"`)

	// A run by pipeline id alone runs the latest version.
	run := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
		"display_name": "latest", "pipeline_version_reference": map[string]any{"pipeline_id": f.pipelineID},
		"runtime_config": map[string]any{"parameters": map[string]any{"count": 2}}}})
	if ref := run["pipeline_version_reference"].(map[string]any); ref["pipeline_version_id"] != vid {
		t.Errorf("run of the latest version used %v, want %s", ref, vid)
	}
	stored, err := ts.st.GetRun(context.Background(), run["run_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stored.Spec), `"platform_spec"`) || stored.PipelineID != f.pipelineID {
		t.Errorf("the run did not copy the version's spec: pipeline %q, spec %.80s", stored.PipelineID, stored.Spec)
	}

	l := ts.mustDo(t, request{Method: "GET", Path: base + f.pipelineID + "/versions?sort_by=" + q("created_at desc")})
	if vs := l["pipeline_versions"].([]any); len(vs) != 2 || vs[0].(map[string]any)["pipeline_version_id"] != vid {
		t.Errorf("versions newest first: %v", l)
	}

	// /pipelines/create with an inline spec creates both.
	c := ts.mustDo(t, request{Method: "POST", Path: base + "create", Body: map[string]any{
		"pipeline":         map[string]any{"display_name": "Created"},
		"pipeline_version": map[string]any{"pipeline_spec": f.spec}}})
	if c["name"] != "Created" {
		t.Errorf("pipelines/create: %v", c)
	}
	l = ts.mustDo(t, request{Method: "GET", Path: base + c["pipeline_id"].(string) + "/versions"})
	if l["total_size"] != 1.0 {
		t.Errorf("pipelines/create made %v versions, want 1", l["total_size"])
	}

	ts.mustDo(t, request{Method: "DELETE", Path: base + f.pipelineID + "?cascade=true"})
	if r := ts.do(t, request{Method: "GET", Path: base + f.pipelineID + "/versions/" + vid}); r.Status != 404 {
		t.Errorf("version after cascade delete: %d %s", r.Status, r.Body)
	}
}

func TestListFilters(t *testing.T) {
	ts := newTestServer(t, nil)
	f := setupFixture(t, ts)
	for _, name := range []string{"alpha", "beta", "alphabet"} {
		ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": name}})
		ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
			"display_name": name, "experiment_id": f.expID, "pipeline_spec": f.spec,
			"runtime_config": map[string]any{"parameters": map[string]any{"count": 1}}}})
	}
	count := func(path string) any {
		t.Helper()
		return ts.mustDo(t, request{Method: "GET", Path: path})["total_size"]
	}
	// The UI's filter: IS_SUBSTRING on "name", URL-encoded twice.
	ui := url.QueryEscape(url.QueryEscape(`{"predicates":[{"key":"name","operation":"IS_SUBSTRING","string_value":"alpha"}]}`))
	if n := count("/apis/v2beta1/experiments?filter=" + ui); n != 2.0 {
		t.Errorf("experiments with alpha in the name: %v, want 2", n)
	}
	if n := count("/apis/v2beta1/runs?filter=" + ui); n != 2.0 {
		t.Errorf("runs with alpha in the name: %v, want 2", n)
	}
	in := q(`{"predicates":[{"key":"state","operation":8,"stringValues":{"values":["PENDING","RUNNING"]}}]}`)
	if n := count("/apis/v2beta1/runs?filter=" + in); n != 3.0 {
		t.Errorf("PENDING or RUNNING runs: %v, want 3", n)
	}
	after := q(`{"predicates":[{"key":"created_at","operation":"GREATER_THAN","timestamp_value":"2000-01-01T00:00:00Z"}]}`)
	if n := count("/apis/v2beta1/runs?filter=" + after + "&experiment_id=" + f.expID); n != 3.0 {
		t.Errorf("runs created after 2000 in the experiment: %v, want 3", n)
	}
	if n := count("/apis/v2beta1/runs?experiment_id=nope"); n != nil {
		t.Errorf("runs of an unknown experiment: %v, want none", n)
	}
	page := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/runs?page_size=2&sort_by=name"})
	runs := page["runs"].([]any)
	if len(runs) != 2 || runs[0].(map[string]any)["display_name"] != "alpha" || page["next_page_token"] == nil {
		t.Errorf("first page sorted by name: %v", page)
	}
	// Run lists leave out the spec (the store does not read it).
	if _, ok := runs[0].(map[string]any)["pipeline_spec"]; ok {
		t.Errorf("list runs includes pipeline_spec")
	}
}

func TestRunActions(t *testing.T) {
	ts := newTestServer(t, nil)
	f := setupFixture(t, ts)
	run := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
		"pipeline_spec": f.spec, "runtime_config": map[string]any{"parameters": map[string]any{"count": 1}}}})
	id := run["run_id"].(string)
	if run["display_name"] != "params" {
		t.Errorf("a run without display_name is named after the pipeline, got %v", run["display_name"])
	}
	// Retry of a pending run is refused by the executor: a conflict.
	r := ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs/" + id + ":retry"})
	if r.Status != 409 || !strings.Contains(string(r.Body), "is PENDING") {
		t.Errorf("retry of a pending run: %d %s", r.Status, r.Body)
	}
	ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs/" + id + ":terminate"})
	got := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/runs/" + id})
	wantJSON(t, got, `"state":"CANCELED"`)

	// Executor failures are internal errors; panics are recovered.
	ts.runs.SubmitFunc = func(ctx context.Context, r *store.Run) error { return errors.New("queue is full") }
	body := map[string]any{"pipeline_spec": f.spec, "runtime_config": map[string]any{"parameters": map[string]any{"count": 1}}}
	r = ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: body})
	if r.Status != 500 || !strings.Contains(string(r.Body), `"code":13`) || !strings.Contains(string(r.Body), "queue is full") {
		t.Errorf("submit failure: %d %s", r.Status, r.Body)
	}
	ts.runs.SubmitFunc = func(ctx context.Context, r *store.Run) error { panic("boom") }
	r = ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: body})
	if r.Status != 500 || !strings.Contains(string(r.Body), "internal error: boom") {
		t.Errorf("submit panic: %d %s", r.Status, r.Body)
	}

	// Deleting an unfinished run terminates it first.
	ts.runs.SubmitFunc = nil
	run = ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: body})
	var terminated []string
	ts.runs.TerminateFunc = func(ctx context.Context, id string) error {
		terminated = append(terminated, id)
		return nil
	}
	ts.mustDo(t, request{Method: "DELETE", Path: "/apis/v2beta1/runs/" + run["run_id"].(string)})
	if fmt.Sprint(terminated) != fmt.Sprint([]string{run["run_id"].(string)}) {
		t.Errorf("delete terminated %v", terminated)
	}

	// Runs cannot go into an archived experiment.
	ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/experiments/" + f.expID + ":archive"})
	body["experiment_id"] = f.expID
	r = ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: body})
	if r.Status != 400 || !strings.Contains(string(r.Body), "is archived") {
		t.Errorf("run in an archived experiment: %d %s", r.Status, r.Body)
	}
}

func TestRunSpecShapes(t *testing.T) {
	ts := newTestServer(t, nil)
	f := setupFixture(t, ts)
	yamlText := string(readFile(t, "testdata/params.yaml"))
	for name, ps := range map[string]any{
		"bare":      f.spec,
		"wrapped":   map[string]any{"pipeline_spec": f.spec, "platform_spec": map[string]any{"platforms": map[string]any{}}},
		"yaml text": yamlText,
	} {
		t.Run(name, func(t *testing.T) {
			run := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
				"pipeline_spec": ps, "runtime_config": map[string]any{"parameters": map[string]any{"count": "3", "flag": "true"}}}})
			wantJSON(t, run, `"parameters":{"count":3,"flag":true}`)
			ps, _ := run["pipeline_spec"].(map[string]any)
			if ps["pipelineInfo"] == nil && ps["pipeline_spec"] == nil {
				t.Errorf("the run's pipeline_spec is not a spec object: %v", run["pipeline_spec"])
			}
		})
	}
}

func TestEnumsAndNumbersOnInput(t *testing.T) {
	ts := newTestServer(t, nil)
	f := setupFixture(t, ts)
	rr := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/recurringruns", RawBody: fmt.Sprintf(`{
		"displayName": "n", "mode": 1, "maxConcurrency": 3, "noCatchup": true, "unknownField": {"x": 1},
		"pipelineVersionReference": {"pipelineId": %q},
		"runtimeConfig": {"parameters": {"count": 1}},
		"trigger": {"periodicSchedule": {"intervalSecond": "60", "startTime": "2026-08-01T00:00:00+02:00"}}}`, f.pipelineID)})
	wantJSON(t, rr, `"status":"ENABLED"`, `"max_concurrency":"3"`, `"no_catchup":true`, `"interval_second":"60"`,
		`"start_time":"2026-07-31T22:00:00Z"`)
	// Parameter names are data: a camelCase one is not rewritten (and is
	// refused by its own name, as the pipeline does not declare it).
	r := ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/recurringruns", RawBody: fmt.Sprintf(`{
		"displayName": "n", "mode": "enable",
		"pipelineVersionReference": {"pipelineId": %q},
		"runtimeConfig": {"parameters": {"count": 1, "myParam": 2}},
		"trigger": {"periodicSchedule": {"intervalSecond": 60}}}`, f.pipelineID)})
	if r.Status != 400 || !strings.Contains(string(r.Body), `parameter \"myParam\": unknown parameter`) {
		t.Errorf("camelCase parameter name: %d %s", r.Status, r.Body)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without a store succeeded")
	}
	c := Config{Store: nilStore{}, Runs: &fakeRuns{}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// A test binary has no version control information: healthz says so.
	if c.MaxUploadBytes != DefaultMaxUploadBytes || c.Commit != "unknown" || c.Version != version.Devel {
		t.Errorf("defaults not filled: %+v", c)
	}
	b, _ := json.Marshal(healthz{})
	if string(b) != `{"commit_sha":"","tag_name":"","multi_user":false,"pipeline_store":""}` {
		t.Errorf("healthz shape: %s", b)
	}
}

// nilStore is a store.Store that is never called.
type nilStore struct{ store.Store }
