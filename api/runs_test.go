package api

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/sluicehq/sluice/store"
)

// A run created through the v1beta1 API is the run the v2beta1 API makes
// of the same request: one function builds both.
func TestRunCreatedAlikeByBothAPIs(t *testing.T) {
	ts := newTestServer(t, nil)
	up := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=tutorial",
		File: readFile(t, "../examples/tutorial/pipeline.yaml"), FileName: "pipeline.yaml"})
	pid := up["pipeline_id"].(string)
	exp := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/experiments", Body: map[string]any{"display_name": "alike"}})
	eid := exp["experiment_id"].(string)

	v2 := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{
		"display_name": "same", "description": "d", "service_account": "sa", "experiment_id": eid,
		"pipeline_version_reference": map[string]any{"pipeline_id": pid}}})
	v1 := ts.mustDo(t, request{Method: "POST", Path: "/apis/v1beta1/runs", Body: map[string]any{
		"name": "same", "description": "d", "service_account": "sa",
		"pipeline_spec":       map[string]any{"pipeline_id": pid},
		"resource_references": []any{map[string]any{"key": map[string]any{"type": "EXPERIMENT", "id": eid}, "relationship": "OWNER"}}}})
	v1ID := v1["run"].(map[string]any)["id"].(string)

	get := func(id string) *store.Run {
		r, err := ts.st.GetRun(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := get(v2["run_id"].(string)), get(v1ID)
	if a.ID == b.ID {
		t.Fatal("one run for two requests")
	}
	if !bytes.Equal(a.Spec, b.Spec) {
		t.Error("the runs' specs differ")
	}
	for _, r := range []*store.Run{a, b} {
		if r.CreatedAt.IsZero() || !r.ScheduledAt.Equal(r.CreatedAt) {
			t.Errorf("run %s: created %v, scheduled %v", r.ID, r.CreatedAt, r.ScheduledAt)
		}
	}
	// What may differ: the id, and the times (the test clock moves on).
	b.ID, b.CreatedAt, b.ScheduledAt, b.StateHistory = a.ID, a.CreatedAt, a.ScheduledAt, a.StateHistory
	a.Spec, b.Spec = nil, nil
	if a.ExperimentID != eid || a.PipelineID != pid || a.DisplayName != "same" || a.ServiceAccount != "sa" || a.StorageState != store.Available {
		t.Errorf("v2 run: %+v", a)
	}
	if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
		t.Errorf("the runs differ:\nv2beta1 %s\nv1beta1 %s", ja, jb)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
