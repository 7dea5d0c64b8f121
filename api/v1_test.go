package api

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/wire"
)

func tutorialV1(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir, "kfp-v1-compiled/func-components/my_pipeline.yaml"))
	if err != nil {
		t.Skipf("skipping: the KFP v1 corpus is not here (%v)", err)
	}
	return b
}

// TestV1BadInput: bad v1 requests are 400 in v1's error shape, naming the
// field.
func TestV1BadInput(t *testing.T) {
	pkg := tutorialV1(t)
	ts := newTestServer(t, nil)
	up := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/pipelines/upload?name=tutorial", File: pkg, FileName: "my_pipeline.yaml"})
	pid := up["id"].(string)
	wf := string(pkg)
	badWF := strings.Replace(wf, "template: compute-average", "template: compute-avg", 1)
	cyclic := strings.Replace(wf, "dependencies: [compute-average]", "dependencies: [compute-average, save-result]", 1)
	if cyclic == wf {
		t.Fatal("the tutorial has no dependency to make cyclic")
	}
	run := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "r", "pipeline_spec": map[string]any{"workflow_manifest": wf}}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		req    request
		status int
		want   string
	}{
		{"run without a name", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: map[string]any{"pipeline_spec": map[string]any{"workflow_manifest": wf}}}, 400, "name is required"},
		{"run without a pipeline", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: map[string]any{"name": "r"}}, 400, "set pipeline_spec.workflow_manifest, pipeline_spec.pipeline_id or a PIPELINE_VERSION reference"},
		{"run with two pipelines", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"pipeline_spec": map[string]any{"workflow_manifest": wf, "pipeline_id": pid}})}, 400, "set one"},
		{"unknown template", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"pipeline_spec": map[string]any{"workflow_manifest": badWF}})}, 400,
			`invalid pipeline_spec.workflow_manifest: spec.templates[my-first-pipeline].dag.tasks[compute-average].template: unknown template "compute-avg"`},
		{"cyclic dependencies", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"pipeline_spec": map[string]any{"workflow_manifest": cyclic}})}, 400, "cycle"},
		{"not a pipeline", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"pipeline_spec": map[string]any{"workflow_manifest": "kind: Deployment\napiVersion: apps/v1\n"}})}, 400, "invalid pipeline_spec.workflow_manifest"},
		{"unknown parameter", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"pipeline_spec": map[string]any{"workflow_manifest": wf, "parameters": []any{map[string]any{"name": "nmbers", "value": "1"}}}})}, 400, `pipeline_spec.parameters: parameter "nmbers": unknown parameter`},
		{"parameter without a name", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"pipeline_spec": map[string]any{"workflow_manifest": wf, "parameters": []any{map[string]any{"value": "1"}}}})}, 400, "pipeline_spec.parameters[0].name is required"},
		{"bad reference type", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"resource_references": []any{map[string]any{"key": map[string]any{"type": "PLANET", "id": "x"}, "relationship": "OWNER"}}})}, 400, `resource_references.key.type: unknown value "PLANET"`},
		{"reference without an id", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"resource_references": []any{map[string]any{"key": map[string]any{"type": "EXPERIMENT"}, "relationship": "OWNER"}}})}, 400, "resource_references[0].key.id is required"},
		{"unknown experiment", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: run(map[string]any{"resource_references": []any{map[string]any{"key": map[string]any{"type": "EXPERIMENT", "id": "nope"}, "relationship": "OWNER"}}})}, 404, `experiment "nope" not found`},
		{"unknown pipeline version", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: map[string]any{"name": "r", "resource_references": []any{map[string]any{"key": map[string]any{"type": "PIPELINE_VERSION", "id": "nope"}, "relationship": "CREATOR"}}}}, 404, `pipeline version "nope" not found`},
		{"malformed body", request{Method: "POST", Path: "/apis/v1beta1/runs", RawBody: "{"}, 400, "malformed JSON body"},
		{"run name of the wrong type", request{Method: "POST", Path: "/apis/v1beta1/runs", RawBody: `{"name": 3}`}, 400, "field name"},
		{"job without a trigger", request{Method: "POST", Path: "/apis/v1beta1/jobs", Body: run(nil)}, 400, "trigger is required"},
		{"job with a bad cron", request{Method: "POST", Path: "/apis/v1beta1/jobs", Body: run(map[string]any{"trigger": map[string]any{"cron_schedule": map[string]any{"cron": "every day"}}})}, 400, "trigger.cron_schedule"},
		{"job with too much concurrency", request{Method: "POST", Path: "/apis/v1beta1/jobs", Body: run(map[string]any{"max_concurrency": "99", "trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": 60}}})}, 400, "max_concurrency must be between 1 and 10"},
		{"job with a bad mode", request{Method: "POST", Path: "/apis/v1beta1/jobs", Body: run(map[string]any{"mode": "SOMETIMES", "trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": 60}}})}, 400, `mode: unknown value "SOMETIMES"`},
		{"experiment without a name", request{Method: "POST", Path: "/apis/v1beta1/experiments", Body: map[string]any{"description": "d"}}, 400, "name is required"},
		{"versions without a pipeline", request{Method: "GET", Path: "/apis/v1beta1/pipeline_versions"}, 400, "resource_key.type=PIPELINE and resource_key.id"},
		{"runs by a bad reference type", request{Method: "GET", Path: "/apis/v1beta1/runs?resource_reference_key.type=PLANET&resource_reference_key.id=x"}, 400, "resource_reference_key.type"},
		{"bad filter", request{Method: "GET", Path: "/apis/v1beta1/runs?filter=" + filterQuery(`{"predicates": [{"op": 77, "key": "name", "stringValue": "x"}]}`)}, 400, "unknown enum number 77"},
		{"version without a package", request{Method: "POST", Path: "/apis/v1beta1/pipeline_versions", Body: map[string]any{"name": "v", "resource_references": []any{map[string]any{"key": map[string]any{"type": "PIPELINE", "id": pid}, "relationship": "OWNER"}}}}, 400, "package_url.pipeline_url is required"},
		{"pipeline without a URL", request{Method: "POST", Path: "/apis/v1beta1/pipelines", Body: map[string]any{"name": "p"}}, 400, "url.pipeline_url is required"},
		{"missing run", request{Method: "GET", Path: "/apis/v1beta1/runs/nope"}, 404, `run "nope" not found`},
		{"unknown v1 route", request{Method: "GET", Path: "/apis/v1beta1/nothing"}, 404, "no such API route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.req)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			var e wire.V1Error
			if err := json.Unmarshal(r.Body, &e); err != nil || e.Code == 0 || e.Error != e.Message || len(e.Details) != 1 {
				t.Fatalf("not a v1 error body: %s", r.Body)
			}
			if !strings.Contains(e.Message, tc.want) {
				t.Fatalf("message %q does not contain %q", e.Message, tc.want)
			}
		})
	}
	// The upload keeps KFP's upload error shape.
	r := ts.do(t, request{Method: "POST", Path: "/apis/v1beta1/pipelines/upload?name=bad", File: []byte(badWF), FileName: "bad.yaml"})
	if r.Status != 400 || !strings.Contains(string(r.Body), `"error_message":"the uploaded file \"bad.yaml\" is not a valid pipeline: spec.templates[my-first-pipeline].dag.tasks[compute-average].template: unknown template`) {
		t.Fatalf("bad upload: %d %s", r.Status, r.Body)
	}
}

// TestV1AndV2SeeTheSameRuns: a run made through v1beta1 is a run of the
// v2beta1 API, and a v2 run is listed by v1, with a workflow manifest.
func TestV1AndV2SeeTheSameRuns(t *testing.T) {
	pkg := tutorialV1(t)
	ts := newTestServer(t, nil)
	exp := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/experiments", Body: map[string]any{"name": "tutorial"}})
	expID := exp["id"].(string)
	d := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/runs", Body: map[string]any{
		"name":                "v1 run",
		"pipeline_spec":       map[string]any{"workflow_manifest": string(pkg)},
		"resource_references": []any{map[string]any{"key": map[string]any{"type": "EXPERIMENT", "id": expID}, "relationship": "OWNER"}},
	}})
	v1ID := d["run"].(map[string]any)["id"].(string)
	if st := d["run"].(map[string]any)["status"]; st != "Pending" {
		t.Errorf("status %v, want Pending", st)
	}
	v2 := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/runs/" + v1ID})
	if v2["experiment_id"] != expID || v2["display_name"] != "v1 run" || v2["state"] != "PENDING" {
		t.Errorf("the v1 run in v2: %v", v2)
	}
	// A v2 run of an IR pipeline.
	ir := readFile(t, filepath.Join(conformanceDir, "kfp-compiled/critical/add_numbers.yaml"))
	r2 := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
		"display_name": "v2 run", "experiment_id": expID, "pipeline_spec": yamlToJSON(t, ir),
		"runtime_config": map[string]any{"parameters": map[string]any{"a": 1, "b": 2}}}})
	v2ID := r2["run_id"].(string)
	list := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs?resource_reference_key.type=EXPERIMENT&resource_reference_key.id=" + expID})
	runs := list["runs"].([]any)
	if len(runs) != 2 || list["total_size"] != 2.0 {
		t.Fatalf("v1 list: %v", list)
	}
	got := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs/" + v2ID})
	run := got["run"].(map[string]any)
	ps := run["pipeline_spec"].(map[string]any)
	if ps["pipeline_manifest"] == nil || ps["workflow_manifest"] != nil {
		t.Errorf("an IR run's manifests: %v", ps)
	}
	params, _ := json.Marshal(ps["parameters"])
	if string(params) != `[{"name":"a","value":"1"},{"name":"b","value":"2"}]` {
		t.Errorf("v1 parameters of a v2 run: %s", params)
	}
	var wf wire.Workflow
	if err := json.Unmarshal([]byte(got["pipeline_runtime"].(map[string]any)["workflow_manifest"].(string)), &wf); err != nil {
		t.Fatalf("workflow_manifest: %v", err)
	}
	if !strings.HasPrefix(wf.Metadata.Name, "add-numbers-") || wf.Status.Phase != "Pending" || wf.Status.Nodes[wf.Metadata.Name] == nil {
		t.Errorf("workflow of a v2 run: %+v", wf)
	}
	// Terminate through v1: the run is Failed as v1 says it (CANCELED).
	ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/runs/" + v1ID + "/terminate", Header: map[string]string{"Content-Type": "application/json"}})
	got = ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs/" + v1ID})
	if st := got["run"].(map[string]any)["status"]; st != "Failed" {
		t.Errorf("a terminated run's status %v, want Failed", st)
	}
	ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/runs/" + v1ID + "/retry"})
	ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/runs/" + v1ID + ":archive"})
	if v2 := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/runs/" + v1ID}); v2["storage_state"] != "ARCHIVED" || v2["state"] != "PENDING" {
		t.Errorf("after retry and archive through v1: %v", v2)
	}
	// The pipeline's template is the workflow as uploaded.
	up := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/pipelines/upload?name=tutorial", File: pkg, FileName: "my_pipeline.yaml"})
	tmpl := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/pipelines/" + up["id"].(string) + "/templates"})
	if s, _ := tmpl["template"].(string); !strings.Contains(s, "kind: Workflow") || !strings.Contains(s, "generateName: my-first-pipeline-") {
		t.Errorf("template: %v", tmpl)
	}
	vt := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/pipeline_versions/" + up["default_version"].(map[string]any)["id"].(string) + "/templates"})
	if vt["template"] != tmpl["template"] {
		t.Errorf("version template differs from the pipeline's")
	}
}

// TestV1WorkflowTree: the node tree of a run with a loop, a retried step,
// a condition that was false, a step not run after a failure and an exit
// handler, as Argo builds it.
func TestV1WorkflowTree(t *testing.T) {
	wf := `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: tree-}
spec:
  entrypoint: tree
  onExit: bye
  arguments: {parameters: [{name: n, value: "2"}]}
  templates:
  - name: tree
    dag:
      tasks:
      - {name: flaky, template: flaky}
      - name: for-loop-1
        template: for-loop-1
        dependencies: [flaky]
        withItems: [a, b]
        arguments: {parameters: [{name: item, value: "{{item}}"}]}
      - {name: condition-2, template: condition-2, when: '"x" == "y"'}
      - {name: after, template: echo, dependencies: [for-loop-1]}
  - name: for-loop-1
    inputs: {parameters: [{name: item}]}
    dag:
      tasks:
      - {name: echo, template: echo}
  - name: condition-2
    dag:
      tasks:
      - {name: echo, template: echo}
  - name: flaky
    retryStrategy: {limit: 2}
    container: {image: alpine, command: [sh, -c, "exit 0"]}
  - name: echo
    container: {image: alpine, command: [echo, hi]}
  - name: bye
    container: {image: alpine, command: [echo, bye]}
`
	ts := newTestServer(t, nil)
	d := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/runs", Body: map[string]any{"name": "tree", "pipeline_spec": map[string]any{"workflow_manifest": wf}}})
	id := d["run"].(map[string]any)["id"].(string)
	ctx := context.Background()
	t0 := time.Date(2026, 8, 1, 11, 0, 0, 0, time.UTC)
	exit := 0
	task := func(tid, parent, key, kind string, st runstate.State, msg string, attempts int, in string) {
		t.Helper()
		tk := &store.Task{RunID: id, ID: tid, ParentID: parent, Key: key, Name: key, Kind: kind, State: st, Error: msg, Attempts: attempts,
			Created: t0, Started: t0, Finished: t0.Add(time.Second), Inputs: []byte(in)}
		if kind == "container" && st != runstate.Skipped {
			tk.ExitCode = &exit
		}
		if err := ts.st.PutTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	task("flaky", "", "flaky", "container", runstate.Succeeded, "", 3, "")
	task("for-loop-1", "", "for-loop-1", "loop", runstate.Failed, "", 0, "")
	task("for-loop-1/0", "for-loop-1", "0", "iteration", runstate.Succeeded, "", 0, `{"parameters":{"{{item}}":"a"}}`)
	task("for-loop-1/0/echo", "for-loop-1/0", "echo", "container", runstate.Succeeded, "", 1, "")
	task("for-loop-1/1", "for-loop-1", "1", "iteration", runstate.Failed, "", 0, `{"parameters":{"{{item}}":"b"}}`)
	task("for-loop-1/1/echo", "for-loop-1/1", "echo", "container", runstate.Failed, "exit status 1", 1, "")
	task("condition-2", "", "condition-2", "dag", runstate.Skipped, "condition is false", 0, "")
	task("after", "", "after", "container", runstate.Skipped, "not run: an upstream task failed", 0, "")
	task("onExit", "", "onExit", "container", runstate.Succeeded, "", 1, "")
	if _, err := ts.st.UpdateRun(ctx, id, func(r *store.Run) error {
		r.State, r.FinishedAt, r.Error = runstate.Failed, t0.Add(time.Minute), "task for-loop-1/1/echo failed"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs/" + id})
	var w wire.Workflow
	if err := json.Unmarshal([]byte(got["pipeline_runtime"].(map[string]any)["workflow_manifest"].(string)), &w); err != nil {
		t.Fatal(err)
	}
	name := w.Metadata.Name
	byName := map[string]*wire.NodeStatus{}
	for nid, n := range w.Status.Nodes {
		if n.ID != nid || n.ID != nodeID(name, n.Name) {
			t.Errorf("node %s has id %s", n.Name, nid)
		}
		byName[strings.TrimPrefix(n.Name, name)] = n
	}
	idOf := func(n string) string { return nodeID(name, name+n) }
	for _, c := range []struct {
		name, typ, phase string
		children         []string
	}{
		{"", "DAG", "Failed", []string{idOf(".flaky"), idOf(".condition-2")}},
		{".flaky", "Retry", "Succeeded", []string{idOf(".flaky(0)"), idOf(".flaky(1)"), idOf(".flaky(2)")}},
		{".flaky(0)", "Pod", "Failed", nil},
		{".flaky(2)", "Pod", "Succeeded", []string{idOf(".for-loop-1")}},
		{".for-loop-1", "TaskGroup", "Failed", []string{idOf(".for-loop-1(0:a)"), idOf(".for-loop-1(1:b)")}},
		{".for-loop-1(0:a)", "DAG", "Succeeded", []string{idOf(".for-loop-1(0:a).echo")}},
		{".for-loop-1(0:a).echo", "Pod", "Succeeded", []string{idOf(".after")}},
		{".for-loop-1(1:b).echo", "Pod", "Failed", []string{idOf(".after")}},
		{".condition-2", "Skipped", "Skipped", nil},
		{".after", "Skipped", "Omitted", nil},
		{".onExit", "Pod", "Succeeded", nil},
	} {
		n := byName[c.name]
		if n == nil {
			t.Errorf("no node %q", name+c.name)
			continue
		}
		if n.Type != c.typ || n.Phase != c.phase || strings.Join(n.Children, ",") != strings.Join(c.children, ",") {
			t.Errorf("node %q: %s %s children %v, want %s %s %v", c.name, n.Type, n.Phase, n.Children, c.typ, c.phase, c.children)
		}
	}
	if n := byName[".for-loop-1(1:b).echo"]; n == nil || n.BoundaryID != idOf(".for-loop-1(1:b)") || n.TemplateName != "echo" {
		t.Errorf("loop body node: %+v", n)
	}
	if w.Status.Phase != "Failed" || w.Status.Message != "task for-loop-1/1/echo failed" || w.Status.Progress != "3/6" {
		t.Errorf("status %s %q %s", w.Status.Phase, w.Status.Message, w.Status.Progress)
	}
	if st := got["run"].(map[string]any)["status"]; st != "Failed" {
		t.Errorf("run status %v", st)
	}
	if len(w.Status.Nodes) != 13 {
		t.Errorf("%d nodes, want 13", len(w.Status.Nodes))
	}
}

// TestUIMetadataMarkdown: a markdown visualization of mlpipeline-ui-metadata
// is rendered sanitized from its inline source or from the file it names,
// and only from the artifact root.
func TestUIMetadataMarkdown(t *testing.T) {
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) { c.ArtifactRoot = root })
	outside := filepath.Join(t.TempDir(), "secret.md")
	os.WriteFile(outside, []byte("# Top secret"), 0o644)
	md := filepath.Join(root, "report.md")
	os.WriteFile(md, []byte("# From a file\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"), 0o644)
	meta := filepath.Join(root, "mlpipeline-ui-metadata")
	doc, _ := json.Marshal(map[string]any{"outputs": []any{
		map[string]any{"type": "markdown", "storage": "inline", "source": "# Inline\n\n<script>alert(1)</script>\n\n*ok*"},
		map[string]any{"type": "markdown", "source": md},
		map[string]any{"type": "markdown", "source": outside},
		map[string]any{"type": "table", "storage": "inline", "source": "a,b"},
	}})
	os.WriteFile(meta, doc, 0o644)
	get := func(out string) response {
		return ts.doRaw(t, "/apis/sluice/v1/markdown?uri="+url.QueryEscape(meta)+"&output="+out)
	}
	if r := get("0"); r.Status != 200 || !strings.Contains(string(r.Body), "<h1>Inline</h1>") || strings.Contains(string(r.Body), "<script") || !strings.Contains(string(r.Body), "<em>ok</em>") {
		t.Errorf("inline: %d %s", r.Status, r.Body)
	}
	if r := get("1"); r.Status != 200 || !strings.Contains(string(r.Body), "<table>") {
		t.Errorf("from a file: %d %s", r.Status, r.Body)
	}
	for out, want := range map[string]int{"2": 403, "3": 400, "9": 404, "x": 400} {
		if r := get(out); r.Status != want || strings.Contains(string(r.Body), "Top secret") {
			t.Errorf("output %s: %d %s, want %d", out, r.Status, r.Body, want)
		}
	}
}

// doRaw GETs a path whose answer may not be JSON.
func (ts *testServer) doRaw(t *testing.T, path string) response {
	t.Helper()
	resp, err := http.Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// TestV1IsGuarded: the v1beta1 routes pass the same Host/Origin guard,
// token and content-type rules as v2beta1 (kfp 1.8's own requests pass).
func TestV1IsGuarded(t *testing.T) {
	pkg := tutorialV1(t)
	ts := newTestServer(t, func(c *Config) { c.Token = "s3cret" })
	body := map[string]any{"name": "r", "pipeline_spec": map[string]any{"workflow_manifest": string(pkg)}}
	for _, tc := range []struct {
		name   string
		req    request
		status int
	}{
		{"another origin", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: body, Header: map[string]string{"Origin": "http://evil.example"}}, 403},
		{"a form post", request{Method: "POST", Path: "/apis/v1beta1/runs", RawBody: `{"name": "r"}`, Header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{"a JSON upload", request{Method: "POST", Path: "/apis/v1beta1/pipelines/upload", RawBody: `{}`}, 415},
		{"no token", request{Method: "GET", Path: "/apis/v1beta1/runs", NoAuthAuto: true}, 401},
		{"healthz without a token", request{Method: "GET", Path: "/apis/v1beta1/healthz", NoAuthAuto: true}, 200},
		{"kfp 1.8's GET with a JSON content type", request{Method: "GET", Path: "/apis/v1beta1/runs", Header: map[string]string{"Content-Type": "application/json"}}, 200},
		{"kfp 1.8's run", request{Method: "POST", Path: "/apis/v1beta1/runs", Body: body}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := ts.do(t, tc.req); r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
		})
	}
}

// TestV1PackagesByURLAndReadArtifact: a pipeline and a version created
// from a package URL, and a step's artifact read back as Argo's .tgz.
func TestV1PackagesByURLAndReadArtifact(t *testing.T) {
	pkg := tutorialV1(t)
	pkgSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(pkg) }))
	t.Cleanup(pkgSrv.Close)
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) {
		c.ArtifactRoot = root
		c.fetchAllowed = func(netip.AddrPort) bool { return true }
	})
	p := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/pipelines", Body: map[string]any{"name": "by-url", "url": map[string]any{"pipeline_url": pkgSrv.URL + "/p.yaml"}}})
	pid := p["id"].(string)
	if dv, _ := p["default_version"].(map[string]any); dv == nil || p["url"] == nil {
		t.Fatalf("pipeline by URL: %v", p)
	}
	v := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/pipeline_versions", Body: map[string]any{"name": "v2",
		"package_url":         map[string]any{"pipeline_url": pkgSrv.URL + "/p.yaml"},
		"resource_references": []any{map[string]any{"key": map[string]any{"type": "PIPELINE", "id": pid}, "relationship": "OWNER"}}}})
	vid := v["id"].(string)
	if got := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/pipeline_versions/" + vid}); got["name"] != "v2" {
		t.Fatalf("version: %v", got)
	}
	if got := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/pipelines/" + pid}); got["default_version"].(map[string]any)["id"] != vid {
		t.Errorf("the latest version is not the default one: %v", got)
	}
	// A run of the version, whose step wrote an artifact.
	d := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/runs", Body: map[string]any{"name": "r",
		"resource_references": []any{map[string]any{"key": map[string]any{"type": "PIPELINE_VERSION", "id": vid}, "relationship": "CREATOR"}}}})
	runID := d["run"].(map[string]any)["id"].(string)
	art := filepath.Join(root, "read-data", "read-data-Output")
	os.MkdirAll(filepath.Dir(art), 0o755)
	os.WriteFile(art, []byte("[1, 2, 3, 4, 5]"), 0o644)
	out, _ := json.Marshal(map[string]any{"parameters": map[string]any{"read-data-Output": "[1, 2, 3, 4, 5]"},
		"artifacts": map[string]any{"read-data-Output": []any{map[string]any{"uri": art, "type": map[string]any{"schemaTitle": "system.Artifact"}}}}})
	if err := ts.st.PutTask(context.Background(), &store.Task{RunID: runID, ID: "read-data", Key: "read-data", Kind: "container", State: runstate.Succeeded, Outputs: out}); err != nil {
		t.Fatal(err)
	}
	got := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs/" + runID})
	var w wire.Workflow
	json.Unmarshal([]byte(got["pipeline_runtime"].(map[string]any)["workflow_manifest"].(string)), &w)
	node := nodeID(w.Metadata.Name, w.Metadata.Name+".read-data")
	n := w.Status.Nodes[node]
	if n == nil || n.Outputs == nil || len(n.Outputs.Parameters) != 1 || n.Outputs.Parameters[0].ValueFrom == nil || n.Outputs.Parameters[0].ValueFrom.Path != "/tmp/outputs/Output/data" {
		t.Fatalf("read-data's node: %+v", n)
	}
	ra := ts.mustDo(t, request{Method: "GET", Path: "/apis/v1beta1/runs/" + runID + "/nodes/" + node + "/artifacts/read-data-Output:read"})
	data, _ := base64.StdEncoding.DecodeString(ra["data"].(string))
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(tr); string(b) != "[1, 2, 3, 4, 5]" {
		t.Errorf("artifact content %q", b)
	}
	if r := ts.do(t, request{Method: "GET", Path: "/apis/v1beta1/runs/" + runID + "/nodes/" + node + "/artifacts/nope:read"}); r.Status != 404 {
		t.Errorf("unknown artifact: %d %s", r.Status, r.Body)
	}
}
