package component

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
)

func init() {
	for _, fn := range []string{"read_data", "preprocess", "train_test_split", "train_model", "evaluate_model"} {
		exampleComponents = append(exampleComponents, exampleComponent{
			"realworld/realworld.py", fn, "realworld/components/" + fn + ".yaml", Options{},
		})
	}
}

// realworldPipeline wires the real-world components into one pipeline. It
// is assembled here from the generated component files (not by hand) and
// checked in as examples/realworld/realworld_pipeline.yaml.
type wire struct {
	task, file string
	params     map[string]string    // input -> root parameter
	artifacts  map[string][2]string // input -> producer task, output
}

var realworldWires = []wire{
	{"read-data", "read_data", map[string]string{"source": "source", "rows": "rows", "seed": "seed"}, nil},
	{"preprocess", "preprocess", nil, map[string][2]string{"raw": {"read-data", "raw"}}},
	{"train-test-split", "train_test_split", map[string]string{"test_fraction": "test_fraction", "seed": "split_seed"},
		map[string][2]string{"data": {"preprocess", "clean"}}},
	{"train-model", "train_model", map[string]string{"l2": "l2"}, map[string][2]string{"train": {"train-test-split", "train"}}},
	{"evaluate-model", "evaluate_model", nil, map[string][2]string{
		"test": {"train-test-split", "test"}, "model": {"train-model", "model"}}},
}

// realworldRoot: the pipeline's parameters (copied from the wired
// component inputs, renamed) and outputs (taken from the producing task).
var (
	realworldParams = map[string][2]string{ // root parameter -> task, input
		"source": {"read-data", "source"}, "rows": {"read-data", "rows"}, "seed": {"read-data", "seed"},
		"test_fraction": {"train-test-split", "test_fraction"}, "split_seed": {"train-test-split", "seed"},
		"l2": {"train-model", "l2"},
	}
	realworldOutputs = map[string][2]string{ // root output -> task, output
		"model": {"train-model", "model"}, "metrics": {"evaluate-model", "metrics"},
		"rmse": {"evaluate-model", "rmse"}, "r2": {"evaluate-model", "r2"},
	}
)

const realworldDescription = "Read a table of houses, clean it, split it, fit a linear regression, evaluate it."

func assembleRealworld(t *testing.T) []byte {
	t.Helper()
	comps := map[string]any{}
	execs := map[string]any{}
	tasks := map[string]any{}
	compOf := map[string]map[string]any{}
	for _, w := range realworldWires {
		data, err := os.ReadFile(filepath.Join(examplesDir(), "realworld", "components", w.file+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		key := "comp-" + w.task
		comp := doc["components"].(map[string]any)[key].(map[string]any)
		comps[key] = comp
		compOf[w.task] = comp
		execs["exec-"+w.task] = doc["deploymentSpec"].(map[string]any)["executors"].(map[string]any)["exec-"+w.task]
		task := map[string]any{
			"cachingOptions": map[string]any{"enableCache": true},
			"componentRef":   map[string]any{"name": key},
			"taskInfo":       map[string]any{"name": w.task},
		}
		in := map[string]any{}
		var deps []any
		for input, root := range w.params {
			sub(in, "parameters")[input] = map[string]any{"componentInputParameter": root}
		}
		for input, src := range w.artifacts {
			sub(in, "artifacts")[input] = map[string]any{"taskOutputArtifact": map[string]any{
				"producerTask": src[0], "outputArtifactKey": src[1]}}
			if !containsAny(deps, src[0]) {
				deps = append(deps, src[0])
			}
		}
		if len(in) > 0 {
			task["inputs"] = in
		}
		if len(deps) > 0 {
			sortAny(deps)
			task["dependentTasks"] = deps
		}
		tasks[w.task] = task
	}
	rootIn, rootOut, dagOut := map[string]any{}, map[string]any{}, map[string]any{}
	sig := &Signature{Description: realworldDescription}
	for name, src := range realworldParams {
		def := compOf[src[0]]["inputDefinitions"].(map[string]any)["parameters"].(map[string]any)[src[1]].(map[string]any)
		sub(rootIn, "parameters")[name] = def
		io := IO{Name: name, Kind: "parameter", Type: def["parameterType"].(string)}
		if v, ok := def["defaultValue"]; ok {
			io.HasDefault, io.Default = true, v
		}
		sig.Inputs = append(sig.Inputs, io)
	}
	for name, src := range realworldOutputs {
		outs := compOf[src[0]]["outputDefinitions"].(map[string]any)
		if a, ok := outs["artifacts"].(map[string]any)[src[1]]; ok {
			sub(rootOut, "artifacts")[name] = a
			sub(dagOut, "artifacts")[name] = map[string]any{"artifactSelectors": []any{
				map[string]any{"outputArtifactKey": src[1], "producerSubtask": src[0]}}}
			sig.Outputs = append(sig.Outputs, IO{Name: name, Kind: "artifact",
				Type: a.(map[string]any)["artifactType"].(map[string]any)["schemaTitle"].(string)})
			continue
		}
		p := outs["parameters"].(map[string]any)[src[1]].(map[string]any)
		sub(rootOut, "parameters")[name] = p
		sub(dagOut, "parameters")[name] = map[string]any{"valueFromParameter": map[string]any{
			"outputParameterKey": src[1], "producerSubtask": src[0]}}
		sig.Outputs = append(sig.Outputs, IO{Name: name, Kind: "parameter", Type: p["parameterType"].(string)})
	}
	doc := map[string]any{
		"components":     comps,
		"deploymentSpec": map[string]any{"executors": execs},
		"pipelineInfo":   map[string]any{"name": "realworld", "description": realworldDescription},
		"root": map[string]any{
			"dag":               map[string]any{"tasks": tasks, "outputs": dagOut},
			"inputDefinitions":  rootIn,
			"outputDefinitions": rootOut,
		},
		"schemaVersion": "2.1.0",
		"sdkVersion":    "kfp-2.14.3",
	}
	return []byte(header(sig, "realworld") + marshalYAML(doc))
}

func containsAny(xs []any, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func sortAny(xs []any) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j].(string) < xs[j-1].(string); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// TestRealworldPipelineUpToDate: the checked-in pipeline is the assembly of
// the checked-in components (-update rewrites it).
func TestRealworldPipelineUpToDate(t *testing.T) {
	got := assembleRealworld(t)
	path := filepath.Join(examplesDir(), "realworld", "realworld_pipeline.yaml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		diffLines(t, string(want), string(got))
		t.Fatal("stale: run go test ./component -run UpToDate -update")
	}
}

func runFile(t *testing.T, e *engine.Engine, file string, params map[string]any) *engine.Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examplesDir(), file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: params, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != plan.Succeeded {
		for _, task := range res.Tasks {
			if task.Error != "" {
				t.Logf("task %s: %s", task.Name, task.Error)
			}
		}
		t.Fatalf("%s: %s %s", file, res.State, res.Error)
	}
	return res
}

// TestRealworldPipeline runs the five steps on python3: the model is a
// JSON linear regression and the held-out metrics are logged and good.
func TestRealworldPipeline(t *testing.T) {
	e := newEngine(t)
	res := runFile(t, e, "realworld/realworld_pipeline.yaml", nil)
	byName := map[string]*engine.Task{}
	for _, task := range res.Tasks {
		byName[task.Name] = task
	}
	pre := byName["preprocess"]
	if pre == nil || pre.Outputs == nil || pre.Outputs.Parameters["rows"] != int64(287) || pre.Outputs.Parameters["dropped"] != int64(19) {
		t.Fatalf("preprocess outputs %+v", pre)
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
	model, text := artifactFile(t, res.Outputs, "model")
	var m struct {
		Features []string  `json:"features"`
		Weights  []float64 `json:"weights"`
	}
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Features, ",") != "size_m2,rooms,age_years,distance_km" || len(m.Weights) != 4 ||
		m.Weights[0] <= 0 || m.Weights[2] >= 0 || m.Weights[3] >= 0 {
		t.Fatalf("model %s", text)
	}
	if model.Type.SchemaTitle != "system.Model" || model.Metadata["framework"] != "python-stdlib" {
		t.Fatalf("model artifact %+v", model)
	}

	// Parameters change the run: a bigger test share, ridge penalty.
	res = runFile(t, e, "realworld/realworld_pipeline.yaml", map[string]any{"test_fraction": 0.5, "l2": 10.0, "rows": int64(120)})
	if m := res.Outputs.Artifacts["metrics"][0]; m.Metadata["test_rows"].(float64) < 50 {
		t.Fatalf("metrics %+v", m.Metadata)
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
