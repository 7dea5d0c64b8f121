package api

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tuner"
)

// Ended makes fakeRuns a tuner.Runs: its runs never end by themselves.
func (f *fakeRuns) Ended() <-chan struct{} { return make(chan struct{}) }

const tuningPipeline = `
pipelineInfo: {name: quad}
root:
  inputDefinitions:
    parameters:
      x: {parameterType: NUMBER_DOUBLE}
      y: {parameterType: NUMBER_INTEGER, defaultValue: 0, isOptional: true}
  dag:
    tasks:
      train: {taskInfo: {name: train}, componentRef: {name: comp-train}, inputs: {parameters: {x: {componentInputParameter: x}}}}
components:
  comp-train: {executorLabel: exec-train, inputDefinitions: {parameters: {x: {parameterType: NUMBER_DOUBLE}}}}
deploymentSpec:
  executors:
    exec-train: {container: {image: alpine, command: [sh, -c, 'echo "loss=$0"', "{{$.inputs.parameters['x']}}"]}}
schemaVersion: 2.1.0
`

func tuningExperiment(name, pipeline string) string {
	return `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: ` + name + `}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parallelTrialCount: 2
  maxTrialCount: 4
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0", max: "1"}}
  trialTemplate:
    pipeline: ` + pipeline + `
`
}

func newTuningServer(t *testing.T) *testServer {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTuningServerOn(t, st, st)
}

// newTuningServerOn serves the API over apiStore with a tuning service
// over tunerStore (the same store, or one the API sees through a wrapper).
func newTuningServerOn(t *testing.T, apiStore, tunerStore store.Store) *testServer {
	t.Helper()
	var tun *tuner.Service
	ts := newTestServerOn(t, apiStore, func(c *Config) {
		var err error
		tun, err = tuner.New(tuner.Config{Store: tunerStore, Runs: c.Runs.(*fakeRuns), Poll: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		c.Tuning = tun
	})
	if err := tun.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tun.Stop)
	return ts
}

// The tuning routes: create from YAML (a stored pipeline by name and
// version) or JSON (a pipeline sent inline), get, list, trials, the
// optimal trial, cancel, delete.
func TestTuningRoutes(t *testing.T) {
	ts := newTuningServer(t)
	const p = "/apis/sluice/v1/tuning/experiments"
	ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{
		"pipeline":         map[string]any{"display_name": "quad"},
		"pipeline_version": map[string]any{"display_name": "v1", "pipeline_spec": yamlToJSON(t, []byte(tuningPipeline))},
	}})

	// YAML (a string), naming the stored pipeline.
	created := ts.mustDo(t, request{Method: "POST", Path: p, Body: map[string]any{"experiment": tuningExperiment("stored", "{name: quad, version: v1}")}})
	id, _ := created["id"].(string)
	if id == "" || created["name"] != "stored" || created["pipeline_id"] == "" || created["pipeline_version_id"] == "" {
		t.Fatalf("created %v", created)
	}
	spec, _ := created["spec"].(map[string]any)
	if spec["kind"] != "Experiment" {
		t.Fatalf("spec %v", spec)
	}

	// JSON, with the pipeline inline.
	var inline map[string]any
	if err := json.Unmarshal(mustYAMLJSON(t, tuningExperiment("inline", "{file: quad.yaml}")), &inline); err != nil {
		t.Fatal(err)
	}
	second := ts.mustDo(t, request{Method: "POST", Path: p, Body: map[string]any{
		"experiment": inline, "pipeline_spec": yamlToJSON(t, []byte(tuningPipeline)), "seed": 5}})
	id2, _ := second["id"].(string)

	// The trials are created and their runs submitted, labelled.
	var trials []any
	deadline := time.Now().Add(time.Minute)
	for len(trials) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no trials: %v", trials)
		}
		time.Sleep(20 * time.Millisecond)
		trials, _ = ts.mustDo(t, request{Method: "GET", Path: p + "/" + id + "/trials"})["trials"].([]any)
	}
	tr := trials[0].(map[string]any)
	runID, _ := tr["run_id"].(string)
	if tr["state"] != "Created" || runID == "" || tr["parameters"].(map[string]any)["x"] == nil || tr["objective"] != nil {
		t.Fatalf("trial %v", tr)
	}
	run := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/runs/" + runID})
	if labels, _ := run["labels"].(map[string]any); labels["sluice/tuning-experiment"] != id || labels["sluice/trial"] != tr["name"] {
		t.Fatalf("run labels %v", run["labels"])
	}
	list := ts.mustDo(t, request{Method: "GET", Path: p + "?sort_by=name"})
	if exps, _ := list["experiments"].([]any); len(exps) != 2 || exps[0].(map[string]any)["name"] != "inline" || list["total_size"] != 2.0 {
		t.Fatalf("list %v", list)
	}
	got := ts.mustDo(t, request{Method: "GET", Path: p + "/" + id})
	if got["condition"] != "Running" || got["cache"] == nil {
		t.Fatalf("get %v", got)
	}
	if best := ts.mustDo(t, request{Method: "GET", Path: p + "/" + id + "/optimal"}); best["best_trial"] != nil {
		t.Fatalf("optimal %v", best)
	}

	// Cancel: Failed (ExperimentCanceled), its trials' runs canceled.
	ts.mustDo(t, request{Method: "POST", Path: p + "/" + id + ":cancel"})
	deadline = time.Now().Add(time.Minute)
	for {
		got = ts.mustDo(t, request{Method: "GET", Path: p + "/" + id})
		if got["condition"] == "Failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not canceled: %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got["reason"] != "ExperimentCanceled" {
		t.Fatalf("canceled experiment %v", got)
	}
	if r := ts.do(t, request{Method: "POST", Path: p + "/" + id + ":cancel"}); r.Status != http.StatusConflict {
		t.Fatalf("second cancel: %d %s", r.Status, r.Body)
	}
	if r := ts.do(t, request{Method: "POST", Path: p + "/" + id + ":pause"}); r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("unknown action: %d %s", r.Status, r.Body)
	}

	// The budget: edited with PATCH, checked.
	up := ts.mustDo(t, request{Method: "PATCH", Path: p + "/" + id2, Body: map[string]any{"max_trial_count": 6, "parallel_trial_count": 1}})
	if sp := up["spec"].(map[string]any)["spec"].(map[string]any); sp["maxTrialCount"] != 6.0 || sp["parallelTrialCount"] != 1.0 {
		t.Fatalf("patched spec %v", sp)
	}
	for body, words := range map[string]string{
		`{"parallel_trial_count": 0}`:   "spec.parallelTrialCount",
		`{"max_failed_trial_count": 7}`: "spec.maxFailedTrialCount",
		`{}`:                            "nothing to change",
		`{"max_trials": 3}`:             "max_trials",
	} {
		r := ts.do(t, request{Method: "PATCH", Path: p + "/" + id2, RawBody: body})
		if msg, _ := r.json(t)["message"].(string); r.Status != http.StatusBadRequest || !strings.Contains(msg, words) {
			t.Errorf("PATCH %s: %d %s, want 400 …%s…", body, r.Status, r.Body, words)
		}
	}
	if r := ts.do(t, request{Method: "PATCH", Path: p + "/nope", RawBody: `{"max_trial_count": 2}`}); r.Status != http.StatusNotFound {
		t.Fatalf("PATCH missing: %d %s", r.Status, r.Body)
	}

	// Delete: the experiment, its trials and their runs go.
	ts.mustDo(t, request{Method: "DELETE", Path: p + "/" + id2})
	if r := ts.do(t, request{Method: "GET", Path: p + "/" + id2}); r.Status != http.StatusNotFound {
		t.Fatalf("after delete: %d %s", r.Status, r.Body)
	}
	if r := ts.do(t, request{Method: "DELETE", Path: p + "/" + id2}); r.Status != http.StatusNotFound {
		t.Fatalf("delete twice: %d %s", r.Status, r.Body)
	}
	page, err := ts.st.ListRuns(context.Background(), store.ListOptions{Filter: []store.Predicate{{Key: "labels.sluice/tuning-experiment", Op: store.OpEquals, Value: id2}}})
	if err != nil || page.TotalSize != 0 {
		t.Fatalf("runs of the deleted experiment: %v %v", page, err)
	}
}

func mustYAMLJSON(t *testing.T, y string) []byte {
	t.Helper()
	b, err := json.Marshal(yamlToJSON(t, []byte(y)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bad tuning requests get 400 naming the field (409 for a name taken, 404
// for an experiment that is not there), never 5xx.
func TestTuningBadRequests(t *testing.T) {
	ts := newTuningServer(t)
	const p = "/apis/sluice/v1/tuning/experiments"
	yamlReq := func(body string) request {
		return request{Method: "POST", Path: p, Body: map[string]any{"experiment": body}}
	}
	pipelineJSON := yamlToJSON(t, []byte(tuningPipeline))
	for _, c := range []struct {
		name   string
		req    request
		status int
		words  string
	}{
		{"file without pipeline", yamlReq(tuningExperiment("f", "{file: quad.yaml}")), 400, "spec.trialTemplate.pipeline.file: the server cannot read"},
		{"min > max", yamlReq(strings.Replace(tuningExperiment("m", "{name: quad}"), `min: "0", max: "1"`, `min: "5", max: "1"`, 1)), 400, "spec.parameters[0].feasibleSpace.min: must be less than max"},
		{"log min 0", yamlReq(strings.Replace(tuningExperiment("l", "{name: quad}"), `max: "1"}`, `max: "1", distribution: logUniform}`, 1)), 400, "spec.parameters[0].feasibleSpace.min: must be greater than 0"},
		{"unknown algorithm", yamlReq(strings.Replace(tuningExperiment("a", "{name: quad}"), "algorithmName: random", "algorithmName: hillclimb", 1)), 400, "spec.algorithm.algorithmName: unknown algorithm"},
		{"unknown setting", yamlReq(strings.Replace(tuningExperiment("s", "{name: quad}"), "algorithmName: random}", "algorithmName: random, algorithmSettings: [{name: gamma, value: '1'}]}", 1)), 400, "spec.algorithm.algorithmSettings[gamma]"},
		{"unknown field", yamlReq(strings.Replace(tuningExperiment("u", "{name: quad}"), "maxTrialCount", "maxTrialCounts", 1)), 400, "spec.maxTrialCounts: unknown field"},
		{"no such pipeline", yamlReq(tuningExperiment("n", "{name: nope}")), 400, `spec.trialTemplate.pipeline.name: no pipeline named "nope"`},
		{"not a pipeline parameter", request{Method: "POST", Path: p, Body: map[string]any{
			"experiment":    strings.Replace(tuningExperiment("z", "{file: q.yaml}"), "{name: x,", "{name: z,", 1),
			"pipeline_spec": pipelineJSON}}, 400, `spec.parameters[0].name: the pipeline has no parameter "z"`},
		{"wrong type", request{Method: "POST", Path: p, Body: map[string]any{
			"experiment":    strings.Replace(tuningExperiment("y", "{file: q.yaml}"), "{name: x, parameterType: double", "{name: y, parameterType: double", 1),
			"pipeline_spec": pipelineJSON}}, 400, `the pipeline parameter "y" is NUMBER_INTEGER`},
		{"bad pipeline", request{Method: "POST", Path: p, Body: map[string]any{
			"experiment": tuningExperiment("b", "{file: q.yaml}"), "pipeline_spec": map[string]any{"root": 1}}}, 400, "pipeline_spec"},
		{"unknown request field", request{Method: "POST", Path: p, RawBody: `{"experimnt": {}}`}, 400, "experimnt"},
		{"malformed", request{Method: "POST", Path: p, RawBody: `{"experiment": `}, 400, "malformed request"},
		{"empty", request{Method: "POST", Path: p, RawBody: ` `}, 400, "empty request body"},
		{"no experiment", request{Method: "POST", Path: p, RawBody: `{}`}, 400, "experiment: required"},
		{"not an experiment", yamlReq("- 1\n- 2\n"), 400, "not an experiment"},
		{"yaml body", request{Method: "POST", Path: p, RawBody: tuningExperiment("y", "{name: quad}"), Header: map[string]string{"Content-Type": "application/yaml"}}, 415, "application/json"},
		{"missing", request{Method: "GET", Path: p + "/nope"}, 404, `tuning experiment "nope" not found`},
		{"missing trials", request{Method: "GET", Path: p + "/nope/trials"}, 404, "not found"},
		{"cancel missing", request{Method: "POST", Path: p + "/nope:cancel"}, 404, "not found"},
		{"bad list", request{Method: "GET", Path: p + "?sort_by=color"}, 400, "color"},
	} {
		r := ts.do(t, c.req)
		if msg, _ := r.json(t)["message"].(string); r.Status != c.status || !strings.Contains(msg, c.words) {
			t.Errorf("%s: %d %s, want %d …%s…", c.name, r.Status, r.Body, c.status, c.words)
		}
	}
	// A name taken.
	body := request{Method: "POST", Path: p, Body: map[string]any{"experiment": tuningExperiment("dup", "{file: q.yaml}"), "pipeline_spec": pipelineJSON}}
	ts.mustDo(t, body)
	if r := ts.do(t, body); r.Status != http.StatusConflict || !strings.Contains(r.json(t)["message"].(string), `named "dup" already exists`) {
		t.Fatalf("duplicate: %d %s", r.Status, r.Body)
	}
}

// A server without the tuning service answers the tuning routes 501.
func TestTuningNotConfigured(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.do(t, request{Method: "POST", Path: "/apis/sluice/v1/tuning/experiments", RawBody: `{}`})
	if r.Status != http.StatusNotImplemented {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// trialLister records what the API asks of ListTrials.
type trialLister struct {
	store.Store
	mu    sync.Mutex
	calls []store.TrialListOptions
}

func (l *trialLister) ListTrials(ctx context.Context, id string, opts store.TrialListOptions) ([]*store.Trial, error) {
	l.mu.Lock()
	l.calls = append(l.calls, opts)
	l.mu.Unlock()
	return l.Store.ListTrials(ctx, id, opts)
}

// The API's views of an experiment (get, trials, optimal, the event
// stream) never read the trials' curves: up to tune.MaxMetricLogs
// values a trial, which only the tuning service's early stopping needs.
func TestTuningViewsReadNoCurves(t *testing.T) {
	raw, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	lister := &trialLister{Store: raw}
	ts := newTuningServerOn(t, lister, raw)
	const p = "/apis/sluice/v1/tuning/experiments"
	var exp map[string]any
	if err := json.Unmarshal(mustYAMLJSON(t, tuningExperiment("views", "{file: quad.yaml}")), &exp); err != nil {
		t.Fatal(err)
	}
	id, _ := ts.mustDo(t, request{Method: "POST", Path: p, Body: map[string]any{
		"experiment": exp, "pipeline_spec": yamlToJSON(t, []byte(tuningPipeline))}})["id"].(string)
	deadline := time.Now().Add(time.Minute)
	for {
		trials, _ := ts.mustDo(t, request{Method: "GET", Path: p + "/" + id + "/trials"})["trials"].([]any)
		if len(trials) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no trials")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.mustDo(t, request{Method: "GET", Path: p + "/" + id})
	ts.mustDo(t, request{Method: "GET", Path: p + "/" + id + "/optimal"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/apis/sluice/v1/tuning/experiments/"+id+"/events", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		buf := make([]byte, 4096)
		resp.Body.Read(buf) // the stream's first view
		resp.Body.Close()
	}
	lister.mu.Lock()
	defer lister.mu.Unlock()
	if len(lister.calls) < 3 {
		t.Fatalf("ListTrials called %d times", len(lister.calls))
	}
	for _, c := range lister.calls {
		if c.Curves {
			t.Fatalf("an API view read the trials' curves: %+v", lister.calls)
		}
	}
}
