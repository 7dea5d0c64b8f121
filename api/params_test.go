package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/plan"
)

// TestRunParameterValuesAreBounded: a run's, a recurring run's, a v1
// run's and a v1 job's parameter values are refused past
// plan.MaxParamBytes each and plan.MaxParamsBytes in all, with 400 naming
// the parameter and the limit; a ParallelFor list of plan.MaxLoopItems
// items of 100 bytes passes.
func TestRunParameterValuesAreBounded(t *testing.T) {
	ts := newTestServer(t, nil)
	text := strings.Replace(string(readFile(t, "testdata/params.yaml")), `      flag:
        parameterType: BOOLEAN
        isOptional: true`, `      flag:
        parameterType: BOOLEAN
        isOptional: true
      items:
        parameterType: LIST
        isOptional: true
      note:
        parameterType: STRING
        isOptional: true`, 1)
	if !strings.Contains(text, "items:") {
		t.Fatal("testdata/params.yaml changed: no place for more parameters")
	}
	up := ts.mustDo(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=bounded", File: []byte(text), FileName: "p.yaml"})
	pid := up["pipeline_id"].(string)

	tooBig := strings.Repeat("g", plan.MaxParamBytes) // and its quotes
	third := strings.Repeat("t", plan.MaxParamsBytes/3+1)
	items := make([]string, plan.MaxLoopItems)
	for i := range items {
		items[i] = fmt.Sprintf("%0100d", i)
	}
	loop, _ := json.Marshal(items)

	ref := map[string]any{"pipeline_id": pid}
	v2 := func(path string, params map[string]any) request {
		body := map[string]any{"display_name": "r", "pipeline_version_reference": ref, "runtime_config": map[string]any{"parameters": params}}
		if strings.HasSuffix(path, "recurringruns") {
			body["trigger"] = map[string]any{"periodic_schedule": map[string]any{"interval_second": 3600}}
		}
		return request{Method: "POST", Path: path, Body: body}
	}
	v1 := func(path string, params map[string]string) request {
		var ps []any
		for k, v := range params {
			ps = append(ps, map[string]any{"name": k, "value": v})
		}
		body := map[string]any{"name": "r", "pipeline_spec": map[string]any{"pipeline_id": pid, "parameters": ps}}
		if strings.HasSuffix(path, "jobs") {
			body["trigger"] = map[string]any{"periodic_schedule": map[string]any{"interval_second": 3600}}
		}
		return request{Method: "POST", Path: path, Body: body}
	}
	perValue := fmt.Sprintf(`parameter "greeting": %d bytes as JSON, more than the limit of 4 MiB for one value`, plan.MaxParamBytes+2)
	total := `parameter "note": with it the values given come to`
	for _, tc := range []struct {
		name   string
		req    request
		status int
		want   string
	}{
		{"v2 run, one value", v2("/apis/v2beta1/runs", map[string]any{"count": 1, "greeting": tooBig}), 400, "runtime_config.parameters: " + perValue},
		{"v2 run, all values", v2("/apis/v2beta1/runs", map[string]any{"count": 1, "greeting": third, "items": []string{third}, "note": third}), 400, total},
		{"v2 run, a loop of 10,000 items", v2("/apis/v2beta1/runs", map[string]any{"count": 1, "items": json.RawMessage(loop)}), 200, ""},
		{"v2 recurring run, one value", v2("/apis/v2beta1/recurringruns", map[string]any{"count": 1, "greeting": tooBig}), 400, "runtime_config.parameters: " + perValue},
		{"v2 recurring run, all values", v2("/apis/v2beta1/recurringruns", map[string]any{"count": 1, "greeting": third, "items": []string{third}, "note": third}), 400, total},
		{"v1 run, one value", v1("/apis/v1beta1/runs", map[string]string{"count": "1", "greeting": tooBig}), 400, "pipeline_spec.parameters: " + perValue},
		{"v1 run, all values", v1("/apis/v1beta1/runs", map[string]string{"count": "1", "greeting": third, "note": third, "items": `["` + third + `"]`}), 400, total},
		{"v1 run, a loop of 10,000 items", v1("/apis/v1beta1/runs", map[string]string{"count": "1", "items": string(loop)}), 200, ""},
		{"v1 job, one value", v1("/apis/v1beta1/jobs", map[string]string{"count": "1", "greeting": tooBig}), 400, "pipeline_spec.parameters: " + perValue},
		{"v1 job, all values", v1("/apis/v1beta1/jobs", map[string]string{"count": "1", "greeting": third, "note": third, "items": `["` + third + `"]`}), 400, total},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.req)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.Status, tc.status, r.Body)
			}
			if tc.status != 400 {
				return
			}
			msg, _ := r.json(t)["message"].(string)
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "MiB") {
				t.Fatalf("message %q does not say %q and the limit", msg, tc.want)
			}
		})
	}
}
