package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/dsl/dsltest"
	"github.com/sluicehq/sluice/engine"
)

// TestRealworld compiles the pipeline (golden pipeline.yaml) and runs the
// five steps on python3: the model is a JSON linear regression and the
// held-out metrics are logged and good.
func TestRealworld(t *testing.T) {
	p, err := pipeline(filepath.Join("..", "components"))
	if err != nil {
		t.Fatal(err)
	}
	dsltest.Golden(t, p, "pipeline.yaml")

	res := dsltest.Run(t, p, nil)
	dsltest.MustSucceed(t, res)
	byName := map[string]*engine.Task{}
	for _, task := range res.Tasks {
		byName[task.Name] = task
	}
	// The generated table has 306 rows: 6 duplicates and 13 broken ones.
	pre := byName["preprocess"].Outputs.Parameters
	if pre["rows"] != int64(287) || pre["dropped"] != int64(19) {
		t.Fatalf("preprocess outputs %v", pre)
	}
	split := byName["train-test-split"].Outputs.Parameters
	if split["train_rows"] != int64(230) || split["test_rows"] != int64(57) {
		t.Fatalf("split %v", split)
	}

	r2, ok := res.Outputs.Parameters["r2"].(float64)
	if !ok || r2 < 0.95 || r2 > 1 {
		t.Fatalf("r2 = %#v", res.Outputs.Parameters["r2"])
	}
	rmse, _ := res.Outputs.Parameters["rmse"].(float64)
	if rmse < 5000 || rmse > 30000 { // the generated prices have noise of sd 15000
		t.Fatalf("rmse = %v", rmse)
	}
	metrics := res.Outputs.Artifacts["metrics"][0] // log_metric writes metadata, no file
	if metrics.Type.SchemaTitle != "system.Metrics" || metrics.Metadata["r2"] != r2 ||
		metrics.Metadata["rmse"] != rmse || metrics.Metadata["test_rows"] != 57.0 {
		t.Fatalf("metrics artifact %+v", metrics)
	}
	var m struct {
		Features []string  `json:"features"`
		Weights  []float64 `json:"weights"`
	}
	text := dsltest.ArtifactText(t, res, "model")
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	// Price grows with size and falls with age and distance.
	if strings.Join(m.Features, ",") != "size_m2,rooms,age_years,distance_km" || len(m.Weights) != 4 ||
		m.Weights[0] <= 0 || m.Weights[2] >= 0 || m.Weights[3] >= 0 {
		t.Fatalf("model %s", text)
	}
	if model := res.Outputs.Artifacts["model"][0]; model.Type.SchemaTitle != "system.Model" || model.Metadata["framework"] != "python-stdlib" {
		t.Fatalf("model artifact %+v", model)
	}

	// Parameters change the run: fewer rows, a bigger test share, ridge.
	res = dsltest.Run(t, p, map[string]any{"rows": int64(120), "test_fraction": 0.5, "l2": 10.0})
	dsltest.MustSucceed(t, res)
	if n := res.Outputs.Artifacts["metrics"][0].Metadata["test_rows"].(float64); n < 50 || n > 60 {
		t.Fatalf("test rows %v", n)
	}
}
