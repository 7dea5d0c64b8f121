package pycomponent

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

// The real-world components; the pipeline wiring them is written with the
// Go SDK in examples/realworld/gopipeline, which runs it.
func init() {
	for _, fn := range []string{"read_data", "preprocess", "train_test_split", "train_model", "evaluate_model"} {
		exampleComponents = append(exampleComponents, exampleComponent{
			"realworld/realworld.py", fn, "realworld/components/" + fn + ".yaml", Options{}, false,
		})
	}
}

// TestRealworldReadDataFromFile: read_data copies a given CSV instead of
// generating one; preprocess then keeps its clean rows.
func TestRealworldReadDataFromFile(t *testing.T) {
	e := newEngine(t)
	src := filepath.Join(t.TempDir(), "houses.csv")
	csv := "size_m2,rooms,age_years,distance_km,price\n50,2,10,3,150000\n80,3,,5,1\n80,3,20,5,210000\n80,3,20,5,210000\n"
	if err := os.WriteFile(src, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runComponent(t, e, "realworld/components/read_data.yaml", map[string]any{"source": src}, nil)
	raw, text := artifactFile(t, out, "raw")
	if text != csv {
		t.Fatalf("read_data wrote %q", text)
	}
	out = runComponent(t, e, "realworld/components/preprocess.yaml", nil, map[string][]*spec.RuntimeArtifact{"raw": {raw}})
	if out.Parameters["rows"] != int64(2) || out.Parameters["dropped"] != int64(2) {
		t.Fatalf("preprocess %v", out.Parameters)
	}
}

// TestRealworldTrainEvaluate: on rows where price = 1000*size - 50*age + 7,
// least squares finds the exact line, and the evaluation is perfect.
func TestRealworldTrainEvaluate(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	csv := "size_m2,age_years,price\n"
	for _, r := range [][2]int{{50, 3}, {70, 10}, {90, 1}, {120, 30}, {60, 22}, {150, 8}} {
		csv += strconv.Itoa(r[0]) + "," + strconv.Itoa(r[1]) + "," + strconv.Itoa(1000*r[0]-50*r[1]+7) + "\n"
	}
	data := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(data, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]*spec.RuntimeArtifact{"train": {{URI: data}}}
	out := runComponent(t, e, "realworld/components/train_model.yaml", nil, rows)
	if rmse := out.Parameters["Output"].(float64); rmse > 1e-6 {
		t.Fatalf("train rmse %v", rmse)
	}
	model, text := artifactFile(t, out, "model")
	var m struct {
		Means     []float64 `json:"means"`
		Stds      []float64 `json:"stds"`
		Intercept float64   `json:"intercept"`
		Weights   []float64 `json:"weights"`
	}
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	// Back from standardized to raw units: slope = weight / std.
	if s := m.Weights[0] / m.Stds[0]; math.Abs(s-1000) > 1e-6 {
		t.Errorf("size slope %v", s)
	}
	if s := m.Weights[1] / m.Stds[1]; math.Abs(s+50) > 1e-6 {
		t.Errorf("age slope %v", s)
	}

	out = runComponent(t, e, "realworld/components/evaluate_model.yaml", nil, map[string][]*spec.RuntimeArtifact{
		"test": {{URI: data}}, "model": {model},
	})
	if r2 := out.Parameters["r2"].(float64); math.Abs(r2-1) > 1e-9 {
		t.Errorf("r2 %v", r2)
	}
	metrics := out.Artifacts["metrics"][0]
	if metrics.Metadata["test_rows"] != 6.0 || metrics.Metadata["mae"].(float64) > 1e-6 {
		t.Errorf("metrics %v", metrics.Metadata)
	}
}
