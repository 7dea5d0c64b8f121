package spec_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/spec"
)

// v1Port is one input or output of a v1 component, as the test expects it
// converted (FORMAT.md §3 / §9.3): a parameter type, or an artifact schema
// title.
type v1Port struct {
	param    string // parameterType, or "" for an artifact
	artifact string // schemaTitle of an artifact
	optional bool
}

func param(t string) v1Port    { return v1Port{param: t} }
func optParam(t string) v1Port { return v1Port{param: t, optional: true} }
func art(t string) v1Port      { return v1Port{artifact: t} }

// v1Corpus is what every file of the v1-components corpus must convert to.
var v1Corpus = map[string]struct {
	safe        string // k8s-safe name: comp-<safe>, exec-<safe>, task key
	description string
	inputs      map[string]v1Port
	outputs     map[string]v1Port
}{
	"add_component.yaml": {"add", "Component to add two numbers",
		map[string]v1Port{"op_1": param(spec.TypeInteger), "op2": param(spec.TypeInteger)},
		map[string]v1Port{"sum": param(spec.TypeInteger)}},
	"concat_placeholder_component.yaml": {"component-with-concat-placeholder", "",
		map[string]v1Port{"input_prefix": param(spec.TypeString)}, nil},
	"if_placeholder_component.yaml": {"component-with-optional-inputs", "",
		map[string]v1Port{"required_input": param(spec.TypeString),
			"optional_input_1": optParam(spec.TypeString), "optional_input_2": optParam(spec.TypeString)}, nil},
	"fancy_trainer_component.yaml": {"trainer", "Component to train a model",
		map[string]v1Port{"examples": art("system.Dataset"), "optimizer": param(spec.TypeString), "n_epochs": param(spec.TypeInteger)},
		map[string]v1Port{"model": art("system.Model")}},
	"ingestion_component.yaml": {"ingestion", "Component to ingest data to the pipeline",
		map[string]v1Port{"input_location": param(spec.TypeString)},
		map[string]v1Port{"examples": art("system.Dataset")}},
	"serving_component.yaml": {"serving", "Serving component",
		map[string]v1Port{"model": art("system.Model"), "model_cfg": param(spec.TypeString)}, nil},
	"trainer_component.yaml": {"trainer", "Component to train a model",
		map[string]v1Port{"input_location": art("system.Artifact"), "train_optimizer": param(spec.TypeString), "num_epochs": param(spec.TypeInteger)},
		map[string]v1Port{"model_output": art("system.Model"), "model_config": param(spec.TypeString)}},
}

// checkPorts compares an interface with the expected ports.
func checkPorts(t *testing.T, what string, itf *spec.Interface, want map[string]v1Port) {
	t.Helper()
	if itf == nil {
		itf = &spec.Interface{}
	}
	if n := len(itf.Parameters) + len(itf.Artifacts); n != len(want) {
		t.Errorf("%s: %d parameters + %d artifacts, want %d ports %v", what, len(itf.Parameters), len(itf.Artifacts), len(want), want)
	}
	for name, w := range want {
		p, a := itf.Parameters[name], itf.Artifacts[name]
		switch {
		case w.param != "":
			if p == nil {
				t.Errorf("%s %s: not a parameter (artifact: %v)", what, name, a != nil)
				continue
			}
			if p.ParameterType != w.param {
				t.Errorf("%s %s: parameterType %s, want %s", what, name, p.ParameterType, w.param)
			}
			if p.IsOptional != w.optional {
				t.Errorf("%s %s: isOptional %v, want %v", what, name, p.IsOptional, w.optional)
			}
		default:
			if a == nil {
				t.Errorf("%s %s: not an artifact (parameter: %v)", what, name, p != nil)
				continue
			}
			if a.ArtifactType.SchemaTitle != w.artifact || a.ArtifactType.SchemaVersion != "0.0.1" {
				t.Errorf("%s %s: artifact type %+v, want %s@0.0.1", what, name, a.ArtifactType, w.artifact)
			}
			if a.IsOptional != w.optional {
				t.Errorf("%s %s: isOptional %v, want %v", what, name, a.IsOptional, w.optional)
			}
		}
	}
}

// checkOneStep checks the shape every converted v1 component has: one
// component, one executor, a root DAG with one task wired to every input
// and re-exporting every output.
func checkOneStep(t *testing.T, p *spec.Pipeline, safe string) (*spec.ComponentSpec, *spec.ContainerSpec) {
	t.Helper()
	ps := p.Spec
	if p.Kind != spec.KindV1Component {
		t.Errorf("Kind = %q", p.Kind)
	}
	if p.Platform != nil {
		t.Errorf("platform %+v", p.Platform)
	}
	if ps.PipelineInfo.Name != safe {
		t.Errorf("pipeline name %q, want %q", ps.PipelineInfo.Name, safe)
	}
	compKey, label := "comp-"+safe, "exec-"+safe
	comp := ps.Components[compKey]
	if len(ps.Components) != 1 || comp == nil {
		t.Fatalf("components %v, want only %s", keysOf(ps.Components), compKey)
	}
	if comp.ExecutorLabel != label {
		t.Errorf("executorLabel %q, want %q", comp.ExecutorLabel, label)
	}
	ex := ps.DeploymentSpec.Executors[label]
	if len(ps.DeploymentSpec.Executors) != 1 || ex == nil || ex.Container == nil {
		t.Fatalf("executors %v, want only container %s", keysOf(ps.DeploymentSpec.Executors), label)
	}
	if ps.Root == nil || ps.Root.DAG == nil || len(ps.Root.DAG.Tasks) != 1 {
		t.Fatalf("root is not a one-task DAG: %+v", ps.Root)
	}
	task := ps.Root.DAG.Tasks[safe]
	if task == nil {
		t.Fatalf("root task keys %v, want %s", keysOf(ps.Root.DAG.Tasks), safe)
	}
	if task.ComponentRef.Name != compKey {
		t.Errorf("task runs %q", task.ComponentRef.Name)
	}
	if !reflect.DeepEqual(ps.Root.InputDefinitions, comp.InputDefinitions) ||
		!reflect.DeepEqual(ps.Root.OutputDefinitions, comp.OutputDefinitions) {
		t.Error("root interface differs from the component's")
	}
	if in := comp.InputDefinitions; in != nil {
		for n := range in.Parameters {
			if b := task.Inputs.Parameters[n]; b == nil || b.ComponentInputParameter != n {
				t.Errorf("parameter %s is not wired from the pipeline input: %+v", n, b)
			}
		}
		for n := range in.Artifacts {
			if b := task.Inputs.Artifacts[n]; b == nil || b.ComponentInputArtifact != n {
				t.Errorf("artifact %s is not wired from the pipeline input: %+v", n, b)
			}
		}
	}
	if out := comp.OutputDefinitions; out != nil {
		for n := range out.Parameters {
			o := ps.Root.DAG.Outputs.Parameters[n]
			if o == nil || o.ValueFromParameter == nil || *o.ValueFromParameter != (spec.ParameterSelector{ProducerSubtask: safe, OutputParameterKey: n}) {
				t.Errorf("output parameter %s is not re-exported: %+v", n, o)
			}
		}
		for n := range out.Artifacts {
			o := ps.Root.DAG.Outputs.Artifacts[n]
			if o == nil || !reflect.DeepEqual(o.ArtifactSelectors, []spec.ArtifactSelector{{ProducerSubtask: safe, OutputArtifactKey: n}}) {
				t.Errorf("output artifact %s is not re-exported: %+v", n, o)
			}
		}
	}
	if err := spec.Validate(ps); err != nil {
		t.Errorf("Validate: %v", err)
	}
	return comp, ex.Container
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestV1Conformance(t *testing.T) {
	_, files := corpusFiles(t, "v1-components")
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := v1Corpus[name]
			if !ok {
				t.Fatalf("no expectation for %s: add it to v1Corpus", name)
			}
			data := mustRead(t, f)
			var doc struct {
				Name           string
				Implementation struct {
					Container struct {
						Image   string
						Command []any
						Args    []any
					}
				}
			}
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			p := mustLoad(t, data)
			comp, ctr := checkOneStep(t, p, want.safe)
			if p.Spec.PipelineInfo.DisplayName != doc.Name {
				t.Errorf("displayName %q, want %q", p.Spec.PipelineInfo.DisplayName, doc.Name)
			}
			if p.Spec.PipelineInfo.Description != want.description {
				t.Errorf("description %q, want %q", p.Spec.PipelineInfo.Description, want.description)
			}
			checkPorts(t, "input", comp.InputDefinitions, want.inputs)
			checkPorts(t, "output", comp.OutputDefinitions, want.outputs)
			if ctr.Image != doc.Implementation.Container.Image {
				t.Errorf("image %q, want %q", ctr.Image, doc.Implementation.Container.Image)
			}
			// One IR element per v1 element; no v1 placeholder left over.
			if len(ctr.Command) != len(doc.Implementation.Container.Command) || len(ctr.Args) != len(doc.Implementation.Container.Args) {
				t.Errorf("command/args lengths %d/%d, want %d/%d", len(ctr.Command), len(ctr.Args),
					len(doc.Implementation.Container.Command), len(doc.Implementation.Container.Args))
			}
			for _, e := range append(append([]string{}, ctr.Command...), ctr.Args...) {
				for _, v1 := range []string{"inputValue", "inputPath", "inputUri", "outputPath", "outputUri", "isPresent"} {
					if strings.Contains(e, v1) {
						t.Errorf("element %q still holds v1 placeholder %s", e, v1)
					}
				}
			}
		})
	}
	for name := range v1Corpus {
		if !seen[name] {
			t.Logf("%s is not in the corpus", name)
		}
	}
}

// jsonEqual reports whether the JSON text s encodes the same value as want.
func jsonEqual(t *testing.T, s string, want any) bool {
	t.Helper()
	var got, w any
	if err := json.Unmarshal([]byte(s), &got); err != nil {
		t.Errorf("%q is not JSON: %v", s, err)
		return false
	}
	b, _ := json.Marshal(want)
	json.Unmarshal(b, &w)
	return reflect.DeepEqual(got, w)
}

func loadV1(t *testing.T, file string) *spec.Pipeline {
	t.Helper()
	dir := corpusDir("v1-components")
	if dir == "" {
		t.Skip("v1-components corpus not found")
	}
	return mustLoad(t, mustRead(t, filepath.Join(dir, file)))
}

// expand runs ExpandCommand over command+args with the given parameter
// values (each counts as present).
func expand(t *testing.T, ctr *spec.ContainerSpec, params map[string]any) []string {
	t.Helper()
	present := map[string]bool{}
	for k := range params {
		present[k] = true
	}
	c := &spec.PlaceholderContext{
		Input: &spec.ExecutorInput{
			Inputs: spec.ExecutorInputs{ParameterValues: params},
			Outputs: spec.ExecutorOutputs{
				Parameters: map[string]*spec.OutputParameter{"sum": {OutputFile: "/out/sum"}},
				OutputFile: "/out/executor_output.json",
			},
		},
		Present: present,
	}
	got, err := spec.ExpandCommand(append(append([]string{}, ctr.Command...), ctr.Args...), c)
	if err != nil {
		t.Fatalf("ExpandCommand: %v", err)
	}
	return got
}

func TestV1AddComponent(t *testing.T) {
	p := loadV1(t, "add_component.yaml")
	_, ctr := checkOneStep(t, p, "add")
	want := []string{"sh", "-c", "set -e -x\necho \"$(($0+$1))\" | gsutil cp - \"$2\"\n",
		"{{$.inputs.parameters['op_1']}}", "{{$.inputs.parameters['op2']}}",
		"{{$.outputs.parameters['sum'].output_file}}"}
	if !reflect.DeepEqual(ctr.Command, want) {
		t.Errorf("command\n got %q\nwant %q", ctr.Command, want)
	}
	if ctr.Args != nil {
		t.Errorf("args %q, want none", ctr.Args)
	}
	if ctr.Image != "google/cloud-sdk:latest" {
		t.Errorf("image %q", ctr.Image)
	}
	got := expand(t, ctr, map[string]any{"op_1": 1.0, "op2": 2.0})
	if w := []string{"sh", "-c", want[2], "1", "2", "/out/sum"}; !reflect.DeepEqual(got, w) {
		t.Errorf("argv\n got %q\nwant %q", got, w)
	}
}

func TestV1ConcatPlaceholder(t *testing.T) {
	p := loadV1(t, "concat_placeholder_component.yaml")
	_, ctr := checkOneStep(t, p, "component-with-concat-placeholder")
	if ctr.Command != nil {
		t.Errorf("command %q, want none", ctr.Command)
	}
	if len(ctr.Args) != 2 || ctr.Args[0] != "--arg0" {
		t.Fatalf("args %q", ctr.Args)
	}
	if !strings.HasPrefix(ctr.Args[1], `{"Concat":`) {
		t.Errorf("args[1] = %q, want a {\"Concat\": ...} element", ctr.Args[1])
	}
	if !jsonEqual(t, ctr.Args[1], map[string]any{"Concat": []any{"{{$.inputs.parameters['input_prefix']}}", "some value"}}) {
		t.Errorf("args[1] = %s", ctr.Args[1])
	}
	got := expand(t, ctr, map[string]any{"input_prefix": "pre-"})
	if w := []string{"--arg0", "pre-some value"}; !reflect.DeepEqual(got, w) {
		t.Errorf("argv %q, want %q", got, w)
	}
}

func TestV1IfPlaceholder(t *testing.T) {
	p := loadV1(t, "if_placeholder_component.yaml")
	_, ctr := checkOneStep(t, p, "component-with-optional-inputs")
	if len(ctr.Args) != 4 {
		t.Fatalf("args %q", ctr.Args)
	}
	if ctr.Args[0] != "--arg0" || ctr.Args[1] != "{{$.inputs.parameters['required_input']}}" {
		t.Errorf("args[:2] = %q", ctr.Args[:2])
	}
	want := []map[string]any{
		{"IfPresent": map[string]any{"InputName": "optional_input_1",
			"Then": []any{"--arg1", "{{$.inputs.parameters['optional_input_1']}}"}}},
		{"IfPresent": map[string]any{"InputName": "optional_input_2",
			"Then": []any{"--arg2", "{{$.inputs.parameters['optional_input_2']}}"},
			"Else": []any{"--arg3", "default value"}}},
	}
	for i, w := range want {
		e := ctr.Args[2+i]
		if !strings.HasPrefix(e, `{"IfPresent":`) || !jsonEqual(t, e, w) {
			t.Errorf("args[%d]\n got %s\nwant %v", 2+i, e, w)
		}
	}
	for _, tc := range []struct {
		params map[string]any
		want   []string
	}{
		{map[string]any{"required_input": "r"}, []string{"--arg0", "r", "--arg3", "default value"}},
		{map[string]any{"required_input": "r", "optional_input_1": "a"}, []string{"--arg0", "r", "--arg1", "a", "--arg3", "default value"}},
		{map[string]any{"required_input": "r", "optional_input_1": "a", "optional_input_2": "b"}, []string{"--arg0", "r", "--arg1", "a", "--arg2", "b"}},
	} {
		if got := expand(t, ctr, tc.params); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("with %v: argv %q, want %q", tc.params, got, tc.want)
		}
	}
}

// v1Everything exercises every type mapping, default parsing and
// placeholder of the converter.
const v1Everything = `name: Train model!
description: |
  Trains.
metadata: {annotations: {author: me}}
inputs:
- {name: Training data, type: CSV, description: rows}
- {name: Epochs, type: Integer, default: '10'}
- {name: Rate, type: Float, default: ' 0.5 '}
- {name: Verbose, type: Bool, default: 'yes'}
- {name: Quiet, type: boolean, default: 'off'}
- {name: Config, type: JsonObject, default: '{"a": 1}'}
- {name: Items, type: JsonArray, default: '[1, 2]'}
- {name: Not JSON, type: Dict, default: 'not json'}
- {name: Label, type: String, default: 10}
- {name: Flag, type: String, default: true}
- {name: Count, type: Integer, default: 7}
- {name: Ratio, type: double, default: 3}
- {name: Extra, type: String, optional: true}
- {name: Nothing, type: String, default: null}
- {name: untyped input}
- {name: Table, type: {GCSPath: {data_type: CSV}}}
- {name: Vertex, type: google.VertexDataset}
- {name: Status, type: PipelineTaskFinalStatus}
- {name: Weights, type: Model, optional: true}
- {name: Data set, type: Dataset, default: ignored}
- {name: Required, type: str}
- {name: Numbers, type: List}
outputs:
- {name: model, type: Model}
- {name: MSE, type: Float}
- {name: Report, type: HTML}
- {name: Notes, type: Markdown}
- {name: Scores, type: Metrics}
- {name: Any thing, type: Artifact}
implementation:
  container:
    image: python:3.9
    command: [python3, -c, prog]
    args:
    - --data
    - {inputPath: Training data}
    - {inputUri: Table}
    - --epochs
    - {inputValue: Epochs}
    - if: {cond: {isPresent: Extra}, then: [--extra, {inputValue: Extra}], else: [--no-extra]}
    - --model
    - {outputPath: model}
    - {outputUri: Report}
    - {concat: ['--mse=', {outputPath: MSE}, ';', {if: {cond: {isPresent: Extra}, then: X, else: Y}}]}
    - {executorInput: null}
    - 8080
    - if: {cond: true, then: [--yes], else: [--no]}
    - if: {cond: 'False', then: --yes}
    env: {LOG_LEVEL: info, ANSWER: 42}
    fileOutputs: {}
`

func TestV1Conversion(t *testing.T) {
	p := mustLoad(t, []byte(v1Everything))
	comp, ctr := checkOneStep(t, p, "train-model")
	if p.Spec.PipelineInfo.DisplayName != "Train model!" || p.Spec.PipelineInfo.Description != "Trains." {
		t.Errorf("pipelineInfo %+v", p.Spec.PipelineInfo)
	}
	checkPorts(t, "input", comp.InputDefinitions, map[string]v1Port{
		"training_data": art("system.Artifact"),
		"epochs":        optParam(spec.TypeInteger),
		"rate":          optParam(spec.TypeDouble),
		"verbose":       optParam(spec.TypeBoolean),
		"quiet":         optParam(spec.TypeBoolean),
		"config":        optParam(spec.TypeStruct),
		"items":         optParam(spec.TypeList),
		"not_json":      optParam(spec.TypeStruct),
		"label":         optParam(spec.TypeString),
		"flag":          optParam(spec.TypeString),
		"count":         optParam(spec.TypeInteger),
		"ratio":         optParam(spec.TypeDouble),
		"extra":         optParam(spec.TypeString),
		"nothing":       param(spec.TypeString),
		"untyped_input": art("system.Artifact"),
		"table":         art("system.Artifact"),
		"vertex":        art("google.VertexDataset"),
		"status":        optParam(spec.TypeTaskFinalStatus),
		"weights":       {artifact: "system.Model", optional: true},
		"data_set":      {artifact: "system.Dataset", optional: true},
		"required":      param(spec.TypeString),
		"numbers":       param(spec.TypeList),
	})
	checkPorts(t, "output", comp.OutputDefinitions, map[string]v1Port{
		"model":     art("system.Model"),
		"mse":       param(spec.TypeDouble),
		"report":    art("system.HTML"),
		"notes":     art("system.Markdown"),
		"scores":    art("system.Metrics"),
		"any_thing": art("system.Artifact"),
	})
	params := comp.InputDefinitions.Parameters
	for name, want := range map[string]any{
		"epochs":   10.0,
		"rate":     0.5,
		"verbose":  true,
		"quiet":    false,
		"config":   map[string]any{"a": 1.0},
		"items":    []any{1.0, 2.0},
		"not_json": "not json",
		"label":    "10",
		"flag":     "True",
		"count":    7.0,
		"ratio":    3.0,
		"extra":    nil,
		"nothing":  nil,
		"required": nil,
	} {
		if got := params[name].DefaultValue; !reflect.DeepEqual(got, want) {
			t.Errorf("default of %s = %#v, want %#v", name, got, want)
		}
	}
	if d := comp.InputDefinitions.Parameters["epochs"].Description; d != "" {
		t.Errorf("description %q", d)
	}
	if d := comp.InputDefinitions.Artifacts["training_data"].Description; d != "rows" {
		t.Errorf("description %q", d)
	}
	if want := []string{"python3", "-c", "prog"}; !reflect.DeepEqual(ctr.Command, want) {
		t.Errorf("command %q", ctr.Command)
	}
	wantArgs := []any{
		"--data",
		"{{$.inputs.artifacts['training_data'].path}}",
		"{{$.inputs.artifacts['table'].uri}}",
		"--epochs",
		"{{$.inputs.parameters['epochs']}}",
		map[string]any{"IfPresent": map[string]any{"InputName": "extra",
			"Then": []any{"--extra", "{{$.inputs.parameters['extra']}}"}, "Else": []any{"--no-extra"}}},
		"--model",
		"{{$.outputs.artifacts['model'].path}}",
		"{{$.outputs.artifacts['report'].uri}}",
		map[string]any{"Concat": []any{"--mse=", "{{$.outputs.parameters['mse'].output_file}}", ";",
			map[string]any{"IfPresent": map[string]any{"InputName": "extra", "Then": "X", "Else": "Y"}}}},
		"{{$}}",
		"8080",
		nil, // literal conditions: checked by expansion below
		nil,
	}
	if len(ctr.Args) != len(wantArgs) {
		t.Fatalf("args %q", ctr.Args)
	}
	for i, w := range wantArgs {
		switch w := w.(type) {
		case string:
			if ctr.Args[i] != w {
				t.Errorf("args[%d] = %q, want %q", i, ctr.Args[i], w)
			}
		case map[string]any:
			if !jsonEqual(t, ctr.Args[i], w) {
				t.Errorf("args[%d] = %s, want %v", i, ctr.Args[i], w)
			}
		}
	}
	wantEnv := []spec.EnvVar{{Name: "ANSWER", Value: "42"}, {Name: "LOG_LEVEL", Value: "info"}}
	if !reflect.DeepEqual(ctr.Env, wantEnv) {
		t.Errorf("env %+v, want %+v", ctr.Env, wantEnv)
	}

	// The literal conditions: true takes then, 'False' (no else) adds nothing.
	c := &spec.PlaceholderContext{
		Input: &spec.ExecutorInput{
			Inputs: spec.ExecutorInputs{
				ParameterValues: map[string]any{"epochs": 10.0},
				Artifacts: map[string]*spec.ArtifactList{
					"training_data": {Artifacts: []*spec.RuntimeArtifact{{URI: "s3://b/data"}}},
					"table":         {Artifacts: []*spec.RuntimeArtifact{{URI: "s3://b/table"}}},
				},
			},
			Outputs: spec.ExecutorOutputs{
				Parameters: map[string]*spec.OutputParameter{"mse": {OutputFile: "/out/mse"}},
				Artifacts: map[string]*spec.ArtifactList{
					"model":  {Artifacts: []*spec.RuntimeArtifact{{URI: "s3://b/model"}}},
					"report": {Artifacts: []*spec.RuntimeArtifact{{URI: "s3://b/report"}}},
				},
				OutputFile: "/out/executor_output.json",
			},
		},
		Present: map[string]bool{"epochs": true, "training_data": true, "table": true},
	}
	got, err := spec.ExpandCommand(ctr.Args, c)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got); n < 3 || got[n-2] != "8080" || got[n-1] != "--yes" {
		t.Errorf("literal conditions: argv ends %q, want [... 8080 --yes]", got)
	}
	if !strings.HasPrefix(got[len(got)-4], "--mse=/out/mse;Y") {
		t.Errorf("concat with nested if: %q", got[len(got)-4])
	}
	if got[5] != "--no-extra" {
		t.Errorf("if without the input: %q", got)
	}
}

func TestV1Errors(t *testing.T) {
	// comp builds a v1 component with the given inputs/outputs and args.
	comp := func(inputs, outputs, args string) string {
		return "name: Broken\ninputs: " + inputs + "\noutputs: " + outputs +
			"\nimplementation:\n  container:\n    image: alpine\n    args: " + args + "\n"
	}
	ins := "[{name: Num, type: Integer}, {name: Data, type: Dataset}, {name: Opt, type: String, optional: true}]"
	outs := "[{name: Out, type: String}, {name: Model, type: Model}]"
	tests := []struct {
		name, yaml string
		field      string
		msg        []string
	}{
		{"inputValue naming an undeclared input", comp(ins, outs, "[--n, {inputValue: nope}]"),
			"implementation.container.args[1]", []string{"inputValue", `"nope"`, "not a declared input parameter"}},
		{"inputValue on an artifact input", comp(ins, outs, "[{inputValue: Data}]"),
			"implementation.container.args[0]", []string{"inputValue", `"data"`, "artifact type", "system.Dataset"}},
		{"inputPath on a parameter-typed input", comp(ins, outs, "[{inputPath: Num}]"),
			"implementation.container.args[0]", []string{"inputPath", `"num"`, "parameter type", "NUMBER_INTEGER", "only artifact inputs"}},
		{"inputUri on a parameter-typed input", comp(ins, outs, "[{inputUri: Opt}]"),
			"implementation.container.args[0]", []string{"inputUri", "parameter type"}},
		{"inputPath naming an undeclared input", comp(ins, outs, "[{inputPath: nope}]"),
			"implementation.container.args[0]", []string{`"nope"`, "not a declared input"}},
		{"outputPath naming an undeclared output", comp(ins, outs, "[{outputPath: nope}]"),
			"implementation.container.args[0]", []string{`"nope"`, "not a declared output"}},
		{"outputUri on a parameter output", comp(ins, outs, "[{outputUri: Out}]"),
			"implementation.container.args[0]", []string{`"out"`, "not a declared output artifact"}},
		{"error inside concat", comp(ins, outs, "[x, {concat: [a, {inputValue: nope}]}]"),
			"implementation.container.args[1].concat[1]", []string{`"nope"`}},
		{"concat of a non-list", comp(ins, outs, "[{concat: a}]"),
			"implementation.container.args[0].concat", []string{"expected a list"}},
		{"error inside if then", comp(ins, outs, "[{if: {cond: {isPresent: Opt}, then: [a, {inputValue: nope}]}}]"),
			"implementation.container.args[0].if.then[1]", []string{`"nope"`}},
		{"isPresent naming an undeclared input", comp(ins, outs, "[{if: {cond: {isPresent: nope}, then: [a]}}]"),
			"implementation.container.args[0].if.cond", []string{"isPresent", `"nope"`}},
		{"if without cond", comp(ins, outs, "[{if: {then: [a]}}]"),
			"implementation.container.args[0].if.cond", []string{"missing"}},
		{"if with an inputValue condition", comp(ins, outs, "[{if: {cond: {inputValue: Opt}, then: [a]}}]"),
			"implementation.container.args[0].if.cond", []string{"only isPresent"}},
		{"unknown placeholder", comp(ins, outs, "[{inputMetadata: Data}]"),
			"implementation.container.args[0]", []string{`unknown placeholder "inputMetadata"`}},
		{"placeholder with two keys", comp(ins, outs, "[{inputValue: Num, inputPath: Data}]"),
			"implementation.container.args[0]", []string{"exactly one key"}},
		{"list as an argument", comp(ins, outs, "[[a, b]]"),
			"implementation.container.args[0]", []string{"unsupported argument", "a list"}},
		{"args not a list", comp(ins, outs, "--flag"),
			"implementation.container.args", []string{"expected a list"}},
		{"graph implementation", "name: G\nimplementation:\n  graph:\n    tasks: {}\n",
			"implementation.graph", []string{"graph components are not supported"}},
		{"no container", "name: G\nimplementation: {}\n",
			"implementation.container", []string{"not found"}},
		{"missing image", "name: G\nimplementation:\n  container:\n    command: [echo]\n",
			"implementation.container.image", []string{"missing"}},
		{"missing name", "implementation:\n  container: {image: alpine}\n",
			"name", []string{"no name"}},
		{"duplicate input names", comp("[{name: Foo, type: String}, {name: foo, type: Integer}]", "[]", "[]"),
			"inputs[1].name", []string{"duplicate name", `"foo"`}},
		{"output named like an input", comp("[{name: Result, type: String}]", "[{name: result, type: String}]", "[]"),
			"outputs[0].name", []string{"duplicate name", `"result"`}},
		{"input without a name", comp("[{type: String}]", "[]", "[]"),
			"inputs[0].name", []string{"missing"}},
		{"input not a mapping", comp("[just-a-name]", "[]", "[]"),
			"inputs[0]", []string{"expected a mapping"}},
		{"inputs not a list", comp("{a: b}", "[]", "[]"),
			"inputs", []string{"expected a list"}},
		{"integer default not an integer", comp("[{name: N, type: Integer, default: 'ten'}]", "[]", "[]"),
			"inputs[0].default", []string{`"ten" is not an integer`}},
		{"float default not a number", comp("[{name: F, type: Float, default: 'nan'}]", "[]", "[]"),
			"inputs[0].default", []string{`"nan"`, "number"}},
		{"bool default not a boolean", comp("[{name: B, type: Bool, default: 'maybe'}]", "[]", "[]"),
			"inputs[0].default", []string{`"maybe" is not a boolean`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := wantLoadError(t, []byte(tc.yaml))
			var se *spec.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *spec.Error", err, err)
			}
			if se.Field != tc.field {
				t.Errorf("Field = %q, want %q (error: %v)", se.Field, tc.field, err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(se.Msg, m) {
					t.Errorf("message %q does not contain %q", se.Msg, m)
				}
			}
		})
	}
}

// TestV1NameFallback: a name with no k8s-safe character still yields valid
// component and executor names.
func TestV1NameFallback(t *testing.T) {
	p := mustLoad(t, []byte("name: '!!!'\nimplementation: {container: {image: alpine, command: [true]}}\n"))
	checkOneStep(t, p, "component")
	if p.Spec.PipelineInfo.DisplayName != "!!!" {
		t.Errorf("displayName %q", p.Spec.PipelineInfo.DisplayName)
	}
}
