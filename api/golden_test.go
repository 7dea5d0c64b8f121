package api

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/store"
)

var pageTokenRE = regexp.MustCompile(`page_token=[^&]+`)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// masker replaces ids, timestamps and page tokens in golden JSON with
// stable placeholders. An id keeps its placeholder across the calls of a
// flow, so the goldens show which resource refers to which.
type masker struct {
	ids map[string]string
	n   map[string]int
}

func newMasker() *masker { return &masker{ids: map[string]string{}, n: map[string]int{}} }

func (m *masker) id(key, v string) string {
	if p, ok := m.ids[v]; ok {
		return p
	}
	kind := strings.TrimSuffix(key, "_id")
	m.n[kind]++
	p := fmt.Sprintf("<%s-%d>", kind, m.n[kind])
	m.ids[v] = p
	return p
}

func isIDKey(k string) bool {
	return strings.HasSuffix(k, "_id") && k != "task_id" && k != "parent_task_id"
}

func isTimeKey(k string) bool {
	return strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_time")
}

// walk masks v in place; map keys are visited in sorted order so that
// placeholders are numbered deterministically.
func (m *masker) walk(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			k := snake(key) // request bodies may use camelCase keys
			s, isStr := x[key].(string)
			switch {
			case k == "pipeline_spec" || k == "platform_spec" || k == "parameters":
				// Spec and parameter contents are data, not ids.
			case isStr && s != "" && isIDKey(k):
				x[key] = m.id(k, s)
			case isStr && s != "" && isTimeKey(k):
				x[key] = "<time>"
			case isStr && s != "" && k == "next_page_token":
				x[key] = "<token>"
			default:
				x[key] = m.walk(x[key])
			}
		}
	case []any:
		for i := range x {
			x[i] = m.walk(x[i])
		}
	}
	return v
}

// path masks the ids in a request path and query.
func (m *masker) path(p string) string {
	u, err := url.PathUnescape(p)
	if err == nil {
		p = u
	}
	ids := make([]string, 0, len(m.ids))
	for id := range m.ids {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return len(ids[i]) > len(ids[j]) })
	for _, id := range ids {
		p = strings.ReplaceAll(p, id, m.ids[id])
	}
	return pageTokenRE.ReplaceAllString(p, "page_token=<token>")
}

// golden compares (or, with -update, writes) one call of a flow.
type golden struct {
	t   *testing.T
	dir string
	m   *masker
	n   int
}

func (g *golden) check(name string, req request, resp response) {
	t := g.t
	t.Helper()
	g.n++
	var body any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("%s: response is not JSON: %v\n%s", name, err, resp.Body)
	}
	// Mask the response first: ids are first seen in responses.
	body = g.m.walk(body)
	rec := map[string]any{
		"request":  map[string]any{"method": req.Method, "path": g.m.path(req.Path)},
		"status":   resp.Status,
		"response": body,
	}
	r := rec["request"].(map[string]any)
	if req.Body != nil {
		b, _ := json.Marshal(req.Body)
		var v any
		json.Unmarshal(b, &v)
		r["body"] = g.m.walk(v)
	}
	if req.Upload != "" {
		r["multipart"] = map[string]any{"uploadfile": req.Upload}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rec); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(g.dir, fmt.Sprintf("%02d_%s.json", g.n, name))
	if *update {
		if err := os.MkdirAll(g.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./api -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", file, buf.Bytes(), want)
	}
}

// call runs a request, records it in the goldens, and returns the
// unmasked response.
func (g *golden) call(ts *testServer, name string, req request) map[string]any {
	g.t.Helper()
	resp := ts.do(g.t, req)
	if resp.Status != 200 {
		g.t.Errorf("%s: %s %s: status %d: %s", name, req.Method, req.Path, resp.Status, resp.Body)
	}
	raw := resp.json(g.t)
	g.check(name, req, resp)
	return raw
}

// wantJSON asserts that a raw response contains a literal JSON fragment,
// e.g. `"state":"PENDING"`.
func wantJSON(t *testing.T, resp map[string]any, fragments ...string) {
	t.Helper()
	b, _ := json.Marshal(resp)
	for _, f := range fragments {
		if !strings.Contains(string(b), f) {
			t.Errorf("response lacks %s:\n%s", f, b)
		}
	}
}

func filterQuery(f string) string { return url.QueryEscape(f) }

// TestKFPClientFlow replays the calls the kfp 2.x Python client makes
// (API.md §2.2) and compares each request and response with
// testdata/kfp_client/.
func TestKFPClientFlow(t *testing.T) {
	addNumbers := filepath.Join(conformanceDir, "kfp-compiled/critical/add_numbers.yaml")
	pkg, err := os.ReadFile(addNumbers)
	if err != nil {
		t.Skipf("skipping: the KFP-compiled corpus is not here (%v)", err)
	}
	ts := newTestServer(t, nil)
	g := &golden{t: t, dir: "testdata/kfp_client", m: newMasker()}
	ctx := context.Background()

	// Client()
	hz := g.call(ts, "healthz", request{Method: "GET", Path: "/apis/v2beta1/healthz"})
	wantJSON(t, hz, `"multi_user":false`, `"pipeline_store":"database"`)

	// create_experiment("Default"): list by name, then create.
	defaultFilter := filterQuery(`{"predicates": [{"operation": 1, "key": "display_name", "stringValue": "Default"}]}`)
	list := g.call(ts, "create_experiment_list", request{Method: "GET", Path: "/apis/v2beta1/experiments?filter=" + defaultFilter})
	if len(list) != 0 {
		t.Errorf("empty experiment list = %v, want {}", list)
	}
	exp := g.call(ts, "create_experiment_create", request{Method: "POST", Path: "/apis/v2beta1/experiments",
		Body: map[string]any{"display_name": "Default", "description": "the default experiment"}})
	wantJSON(t, exp, `"storage_state":"AVAILABLE"`)
	expID := exp["experiment_id"].(string)
	list = g.call(ts, "get_experiment_by_name", request{Method: "GET", Path: "/apis/v2beta1/experiments?filter=" + defaultFilter})
	if n := len(list["experiments"].([]any)); n != 1 {
		t.Errorf("experiments named Default: %d, want 1", n)
	}

	// upload_pipeline
	p := g.call(ts, "upload_pipeline", request{Method: "POST",
		Path: "/apis/v2beta1/pipelines/upload?name=add-numbers&description=" + url.QueryEscape("Adds two numbers."),
		File: pkg, FileName: "add_numbers.yaml", Upload: "add_numbers.yaml"})
	pid := p["pipeline_id"].(string)

	// upload_pipeline_version(pipeline_name=...): resolve the name, upload.
	nameFilter := filterQuery(`{"predicates": [{"operation": 1, "key": "display_name", "stringValue": "add-numbers"}]}`)
	g.call(ts, "upload_pipeline_version_lookup", request{Method: "GET", Path: "/apis/v2beta1/pipelines?filter=" + nameFilter})
	v := g.call(ts, "upload_pipeline_version", request{Method: "POST",
		Path: "/apis/v2beta1/pipelines/upload_version?name=v2&pipelineid=" + pid,
		File: pkg, FileName: "add_numbers.yaml", Upload: "add_numbers.yaml"})
	vid := v["pipeline_version_id"].(string)
	if spec, _ := v["pipeline_spec"].(map[string]any); spec["pipelineInfo"] == nil || spec["schemaVersion"] != "2.1.0" {
		t.Errorf("pipeline_spec of the version lacks camelCase pipelineInfo/schemaVersion: %v", v["pipeline_spec"])
	}

	g.call(ts, "list_pipelines", request{Method: "GET", Path: "/apis/v2beta1/pipelines?page_size=10&sort_by=" + url.QueryEscape("created_at desc")})
	g.call(ts, "get_pipeline", request{Method: "GET", Path: "/apis/v2beta1/pipelines/" + pid})
	g.call(ts, "list_pipeline_versions", request{Method: "GET", Path: "/apis/v2beta1/pipelines/" + pid + "/versions?page_size=10"})
	g.call(ts, "get_pipeline_version", request{Method: "GET", Path: "/apis/v2beta1/pipelines/" + pid + "/versions/" + vid})

	// create_run_from_pipeline_package: the compiled YAML as a JSON dict.
	run := g.call(ts, "create_run_from_pipeline_package", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
		"experiment_id": expID,
		"display_name":  "add-numbers 2026-08-01",
		"pipeline_spec": yamlToJSON(t, pkg),
		"runtime_config": map[string]any{
			"parameters":    map[string]any{"a": 1, "b": 2},
			"pipeline_root": "/tmp/sluice-root",
		},
	}})
	wantJSON(t, run, `"state":"PENDING"`, `"storage_state":"AVAILABLE"`, `"parameters":{"a":1,"b":2}`)
	runID := run["run_id"].(string)

	// The executor reports tasks; get_run shows them as task_details.
	t0 := time.Date(2026, 8, 1, 10, 1, 0, 0, time.UTC)
	exit := 0
	for _, task := range []*store.Task{
		{RunID: runID, ID: "add-numbers", Key: "add-numbers", Name: "add-numbers", Kind: "container", State: "SUCCEEDED",
			Image: "python:3.11", ExitCode: &exit, Created: t0, Started: t0.Add(time.Second), Finished: t0.Add(5 * time.Second)},
	} {
		if err := ts.st.PutTask(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	got := g.call(ts, "get_run", request{Method: "GET", Path: "/apis/v2beta1/runs/" + runID})
	wantJSON(t, got, `"task_id":"add-numbers"`, `"state":"SUCCEEDED"`)

	// run_pipeline(pipeline_id, version_id): by reference, camelCase keys
	// and no experiment (the Default one exists).
	run2 := g.call(ts, "run_pipeline_by_version", request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
		"displayName":              "by reference",
		"pipelineVersionReference": map[string]any{"pipelineId": pid, "pipelineVersionId": vid},
		"runtimeConfig":            map[string]any{"parameters": map[string]any{"a": "3", "b": 4}},
	}})
	if run2["experiment_id"] != expID {
		t.Errorf("run without experiment went to %v, want the Default experiment %s", run2["experiment_id"], expID)
	}

	g.call(ts, "list_runs", request{Method: "GET", Path: "/apis/v2beta1/runs?page_size=10&sort_by=" + url.QueryEscape("created_at desc") + "&experiment_id=" + expID})
	page := g.call(ts, "list_runs_paged", request{Method: "GET", Path: "/apis/v2beta1/runs?page_size=1"})
	tok, _ := page["next_page_token"].(string)
	if tok == "" {
		t.Fatalf("first page of 1 has no next_page_token: %v", page)
	}
	g.call(ts, "list_runs_page_2", request{Method: "GET", Path: "/apis/v2beta1/runs?page_size=1&page_token=" + url.QueryEscape(tok)})

	// create_recurring_run: the SDK sends max_concurrency and
	// interval_second as numbers.
	rr := g.call(ts, "create_recurring_run", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: map[string]any{
		"experiment_id":              expID,
		"mode":                       "ENABLE",
		"display_name":               "hourly",
		"description":                "every hour",
		"pipeline_version_reference": map[string]any{"pipeline_id": pid, "pipeline_version_id": vid},
		"runtime_config":             map[string]any{"parameters": map[string]any{"a": 1, "b": 2}},
		"trigger": map[string]any{"periodic_schedule": map[string]any{
			"interval_second": 3600, "start_time": "2026-08-01T00:00:00Z"}},
		"max_concurrency": 1,
		"no_catchup":      true,
	}})
	wantJSON(t, rr, `"max_concurrency":"1"`, `"interval_second":"3600"`, `"status":"ENABLED"`)
	rrID := rr["recurring_run_id"].(string)
	cron := g.call(ts, "create_recurring_run_cron", request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: map[string]any{
		"experiment_id":   expID,
		"mode":            "DISABLE",
		"display_name":    "weekdays",
		"pipeline_spec":   yamlToJSON(t, pkg),
		"runtime_config":  map[string]any{"parameters": map[string]any{"a": 5, "b": 6}},
		"trigger":         map[string]any{"cron_schedule": map[string]any{"cron": "0 0 9 ? * 2-6"}},
		"max_concurrency": "2",
	}})
	wantJSON(t, cron, `"status":"DISABLED"`, `"max_concurrency":"2"`)

	g.call(ts, "get_recurring_run", request{Method: "GET", Path: "/apis/v2beta1/recurringruns/" + rrID})
	lrr := g.call(ts, "list_recurring_runs", request{Method: "GET", Path: "/apis/v2beta1/recurringruns?experiment_id=" + expID + "&sort_by=display_name"})
	if _, ok := lrr["recurringRuns"]; !ok {
		t.Errorf("list recurring runs lacks the camelCase key recurringRuns: %v", lrr)
	}
	g.call(ts, "disable_recurring_run", request{Method: "POST", Path: "/apis/v2beta1/recurringruns/" + rrID + ":disable"})
	dis := g.call(ts, "get_recurring_run_disabled", request{Method: "GET", Path: "/apis/v2beta1/recurringruns/" + rrID})
	wantJSON(t, dis, `"status":"DISABLED"`)
	g.call(ts, "enable_recurring_run", request{Method: "POST", Path: "/apis/v2beta1/recurringruns/" + rrID + ":enable"})
	en := g.call(ts, "get_recurring_run_enabled", request{Method: "GET", Path: "/apis/v2beta1/recurringruns/" + rrID})
	wantJSON(t, en, `"status":"ENABLED"`)
	g.call(ts, "delete_recurring_run", request{Method: "DELETE", Path: "/apis/v2beta1/recurringruns/" + rrID})

	// terminate, retry, archive, delete
	g.call(ts, "terminate_run", request{Method: "POST", Path: "/apis/v2beta1/runs/" + run2["run_id"].(string) + ":terminate"})
	g.call(ts, "retry_run", request{Method: "POST", Path: "/apis/v2beta1/runs/" + run2["run_id"].(string) + ":retry"})
	g.call(ts, "archive_run", request{Method: "POST", Path: "/apis/v2beta1/runs/" + runID + ":archive"})
	arch := g.call(ts, "get_run_archived", request{Method: "GET", Path: "/apis/v2beta1/runs/" + runID})
	wantJSON(t, arch, `"storage_state":"ARCHIVED"`)
	g.call(ts, "unarchive_run", request{Method: "POST", Path: "/apis/v2beta1/runs/" + runID + ":unarchive"})
	g.call(ts, "delete_run", request{Method: "DELETE", Path: "/apis/v2beta1/runs/" + runID})
	g.call(ts, "archive_experiment", request{Method: "POST", Path: "/apis/v2beta1/experiments/" + expID + ":archive"})
	ae := g.call(ts, "get_experiment_archived", request{Method: "GET", Path: "/apis/v2beta1/experiments/" + expID})
	wantJSON(t, ae, `"storage_state":"ARCHIVED"`)
	g.call(ts, "unarchive_experiment", request{Method: "POST", Path: "/apis/v2beta1/experiments/" + expID + ":unarchive"})
	g.call(ts, "delete_experiment", request{Method: "DELETE", Path: "/apis/v2beta1/experiments/" + expID})
	g.call(ts, "delete_pipeline_version", request{Method: "DELETE", Path: "/apis/v2beta1/pipelines/" + pid + "/versions/" + vid})
	g.call(ts, "delete_pipeline", request{Method: "DELETE", Path: "/apis/v2beta1/pipelines/" + pid + "?cascade=true"})
}
