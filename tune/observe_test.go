package tune

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseExecutorOutputMetrics(t *testing.T) {
	end := ts("2026-01-05T10:00:00Z")
	// What the KFP Python executor writes for a task with Output[Metrics]
	// "metrics" (log_metric) and a Model "model" carrying metadata too.
	data := []byte(`{
  "parameterValues": {"Output": 3},
  "artifacts": {
    "metrics": {"artifacts": [{"name": "metrics", "uri": "/tmp/m", "metadata": {"r2": 0.87, "rmse": 12.5, "test_rows": 200, "note": "ok", "big": 1e308}}]},
    "model": {"artifacts": [{"name": "model", "uri": "/tmp/x", "metadata": {"r2": 0.1, "framework": "sklearn"}}]}
  }
}`)
	got, err := ParseExecutorOutputMetrics(data, "evaluate", []string{"metrics", "absent", "metrics"}, end)
	if err != nil {
		t.Fatal(err)
	}
	want := []MetricLog{
		{Task: "evaluate", Name: "big", Value: 1e308, Time: end},
		{Task: "evaluate", Name: "r2", Value: 0.87, Time: end},
		{Task: "evaluate", Name: "rmse", Value: 12.5, Time: end},
		{Task: "evaluate", Name: "test_rows", Value: 200, Time: end},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got, _ := ParseExecutorOutputMetrics([]byte(`{}`), "t", []string{"metrics"}, end); got != nil {
		t.Errorf("no artifacts: %+v", got)
	}
	if _, err := ParseExecutorOutputMetrics([]byte(`{"artifacts": [1]}`), "t", nil, end); err == nil || !strings.Contains(err.Error(), "executor output of task t") {
		t.Errorf("bad executor output: %v", err)
	}

	// The objective comes out of an observation built from these reports.
	e := mustLoad(t, strings.Replace(minimalYAML, "{type: minimize, objectiveMetricName: loss}", "{type: maximize, objectiveMetricName: r2}", 1))
	o := e.Observe(got)
	if v, ok := e.ObjectiveValue(&o); !ok || v != 0.87 {
		t.Errorf("objective %v %v", v, ok)
	}
}

func TestParseMLPipelineMetrics(t *testing.T) {
	end := ts("2026-01-05T10:00:00Z")
	data := []byte(`{"metrics": [
  {"name": "accuracy-score", "numberValue": 0.9, "format": "PERCENTAGE"},
  {"name": "loss", "number_value": 0.25},
  {"name": "bad name", "numberValue": 1},
  {"name": "nothing"},
  {"name": "9lives", "numberValue": 9}
]}`)
	got, err := ParseMLPipelineMetrics(data, "train", end)
	if err != nil {
		t.Fatal(err)
	}
	want := []MetricLog{{Task: "train", Name: "accuracy-score", Value: 0.9, Time: end}, {Task: "train", Name: "loss", Value: 0.25, Time: end}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	var many []string
	for i := range 60 {
		many = append(many, fmt.Sprintf(`{"name": "m%d", "numberValue": %d}`, i, i))
	}
	got, _ = ParseMLPipelineMetrics([]byte(`{"metrics": [`+strings.Join(many, ",")+`]}`), "t", end)
	if len(got) != MaxV1Metrics || got[49].Name != "m49" {
		t.Errorf("%d metrics read, want the first %d", len(got), MaxV1Metrics)
	}
	if _, err := ParseMLPipelineMetrics([]byte(`{"metrics": {}}`), "t", end); err == nil {
		t.Error("bad file accepted")
	}
}

func TestMetadataMetrics(t *testing.T) {
	at := time.Unix(100, 0)
	got := MetadataMetrics("t", map[string]any{"a": 1, "b": int64(2), "c": json.Number("3.5"), "d": "x", "e": 1.5, "f": true, "g": json.Number("1e999")}, at)
	want := []MetricLog{{"t", "a", 1, at, 0}, {"t", "b", 2, at, 0}, {"t", "c", 3.5, at, 0}, {"t", "e", 1.5, at, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

// TestMetricJSON: Katib's status shape, strings and "unavailable".
func TestMetricJSON(t *testing.T) {
	o := Observation{Metrics: []Metric{{"loss", 0.0013, 0.9, 0.0013, true}, {Name: "acc"}}}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metrics":[{"name":"loss","min":"0.0013","max":"0.9","latest":"0.0013"},{"name":"acc","min":"unavailable","max":"unavailable","latest":"unavailable"}]}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	var back Observation
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, o) {
		t.Errorf("round trip %+v, %v", back, err)
	}
	// Katib: min/max fall back to latest when unavailable.
	var m Metric
	if err := json.Unmarshal([]byte(`{"name":"x","min":"unavailable","max":"abc","latest":"2"}`), &m); err != nil || m != (Metric{"x", 2, 2, 2, true}) {
		t.Errorf("fallback %+v %v", m, err)
	}
	if v, ok := m.Value(StrategyMin); !ok || v != 2 {
		t.Errorf("Value = %v %v", v, ok)
	}
	if _, ok := (Metric{Name: "x"}).Value(StrategyLatest); ok {
		t.Error("an unavailable metric has a value")
	}
}

func TestFinalState(t *testing.T) {
	e := loadFile(t, "minimal.yaml")
	with := &Observation{Metrics: []Metric{{"loss", 1, 2, 1, true}}}
	without := &Observation{Metrics: []Metric{{Name: "loss"}}}
	tests := []struct {
		run  RunOutcome
		obs  *Observation
		want TrialState
	}{
		{RunSucceeded, with, TrialSucceeded},
		{RunSucceeded, without, TrialMetricsUnavailable},
		{RunSucceeded, nil, TrialMetricsUnavailable},
		{RunFailed, with, TrialFailed},
		{RunEarlyStopped, with, TrialEarlyStopped},
		{RunEarlyStopped, nil, TrialEarlyStopped},
		{RunKilled, with, TrialKilled},
		{"weird", with, TrialFailed},
	}
	for _, tc := range tests {
		if got := e.FinalState(tc.run, tc.obs); got != tc.want {
			t.Errorf("FinalState(%s, %v) = %s, want %s", tc.run, tc.obs != nil, got, tc.want)
		}
	}
	for s, want := range map[TrialState]string{TrialSucceeded: "TrialSucceeded", TrialMetricsUnavailable: "MetricsUnavailable", TrialEarlyStopped: "TrialEarlyStopped", TrialCreated: "TrialCreated"} {
		if s.Reason() != want {
			t.Errorf("%s.Reason() = %q, want %q", s, s.Reason(), want)
		}
	}
}
