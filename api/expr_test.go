package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
)

// A pipeline whose condition cannot work is refused where it comes in —
// upload, version create, pipeline create, run create, recurring run
// create — with a 400 naming the task and the expression, not accepted to
// fail when the run reaches the task.
func TestInvalidConditionIsRefused(t *testing.T) {
	good := string(readFile(t, "../examples/fanout/pipeline.yaml"))
	const cond = "int(inputs.parameter_values['pipelinechannel--add-total']) > int(inputs.parameter_values['pipelinechannel--threshold'])"
	if !strings.Contains(good, cond) {
		t.Fatal("the fanout example's condition changed")
	}
	for _, c := range []struct{ name, expr, msg string }{
		{"syntax", "int(inputs.parameter_values['pipelinechannel--add-total']) >", "Syntax error"},
		{"unknown parameter", "inputs.parameter_values['pipelinechannel--nope'] > 1", `reads parameter "pipelinechannel--nope"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			bad := strings.Replace(good, cond, c.expr, 1)
			wantRefused := func(what string, res response) {
				t.Helper()
				msg := res.message()
				if res.Status != 400 || !strings.Contains(msg, `task "condition-3"`) || !strings.Contains(msg, c.expr) || !strings.Contains(msg, c.msg) {
					t.Errorf("%s: %d %s", what, res.Status, res.Body)
				}
			}
			wantRefused("upload", ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=bad", File: []byte(bad), FileName: "bad.yaml"}))
			wantRefused("pipelines/create", ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/create", Body: map[string]any{
				"pipeline": map[string]any{"name": "bad"}, "pipeline_version": map[string]any{"pipeline_spec": yamlToJSON(t, []byte(bad))}}}))
			p := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=good", File: []byte(good), FileName: "good.yaml"})
			pid := p["pipeline_id"].(string)
			wantRefused("upload_version", ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload_version?name=v2&pipelineid=" + pid, File: []byte(bad), FileName: "bad.yaml"}))
			wantRefused("create version", ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/" + pid + "/versions", Body: map[string]any{
				"name": "v2", "pipeline_spec": yamlToJSON(t, []byte(bad))}}))
			wantRefused("run", ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
				"display_name": "r", "pipeline_spec": yamlToJSON(t, []byte(bad)), "runtime_config": map[string]any{"parameters": map[string]any{"threshold": 3}}}}))
			wantRefused("recurring run", ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/recurringruns", Body: map[string]any{
				"display_name": "rr", "pipeline_spec": yamlToJSON(t, []byte(bad)), "max_concurrency": 1,
				"trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": 3600}}}}))

			// A version stored before the check (written to the store
			// directly) cannot be run either.
			sp, err := spec.Load([]byte(bad))
			if err == nil {
				var js []byte
				js, err = spec.MarshalStored(sp)
				if err == nil {
					err = ts.st.CreatePipelineVersion(context.Background(), &store.PipelineVersion{PipelineID: pid, Name: "old", DisplayName: "old", Spec: js, CreatedAt: time.Now()})
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRefused("run of a stored version", ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
				"display_name": "r", "pipeline_version_reference": map[string]any{"pipeline_id": pid}, "runtime_config": map[string]any{"parameters": map[string]any{"threshold": 3}}}}))

			if n := ts.countRuns(t); n != 0 {
				t.Errorf("%d runs were created", n)
			}
			vs := ts.mustDo(t, request{Method: "GET", Path: "/apis/v2beta1/pipelines/" + pid + "/versions"})
			if n := len(vs["pipeline_versions"].([]any)); n != 2 {
				t.Errorf("%d versions, want the good one and the stored one", n)
			}
		})
	}
}
