package tune

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func loadFile(t *testing.T, name string) *Experiment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Load(data)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return e
}

func i32(n int32) *int32 { return &n }

func TestLoadCompleteExperiment(t *testing.T) {
	e := loadFile(t, "quad-tpe.yaml")
	goal := 0.001
	want := ExperimentSpec{
		Objective: &ObjectiveSpec{
			Type: Minimize, Goal: &goal, ObjectiveMetricName: "loss",
			AdditionalMetricNames: []string{"step_time"},
			// loss as written; step_time defaulted to latest (Sluice).
			MetricStrategies: []MetricStrategy{{"loss", StrategyLatest}, {"step_time", StrategyLatest}},
		},
		Algorithm:     &AlgorithmSpec{AlgorithmName: "tpe", AlgorithmSettings: []AlgorithmSetting{{"random_state", "42"}}},
		EarlyStopping: &EarlyStoppingSpec{AlgorithmName: "medianstop", AlgorithmSettings: []EarlyStoppingSetting{{"min_trials_required", "3"}, {"start_step", "5"}}},
		Parameters: []ParameterSpec{
			{"x", ParameterDouble, FeasibleSpace{Min: "-5", Max: "5", Distribution: DistributionUniform}},
			{"y", ParameterDouble, FeasibleSpace{Min: "-5", Max: "5", Distribution: DistributionUniform}},
			{"lr", ParameterDouble, FeasibleSpace{Min: "0.0001", Max: "0.1", Distribution: DistributionLogUniform}},
			{"optimizer", ParameterCategorical, FeasibleSpace{List: []string{"sgd", "adam"}, Distribution: DistributionUniform}},
		},
		ParallelTrialCount:   i32(3),
		MaxTrialCount:        i32(30),
		MaxFailedTrialCount:  i32(3),
		MetricsCollectorSpec: &MetricsCollectorSpec{Collector: &CollectorSpec{Kind: CollectorStdOut}},
		ResumePolicy:         ResumeNever,
	}
	tt := e.Spec.TrialTemplate
	e.Spec.TrialTemplate = nil
	defer func() { e.Spec.TrialTemplate = tt }()
	if !reflect.DeepEqual(e.Spec, want) {
		gotJ, _ := json.MarshalIndent(e.Spec, "", " ")
		wantJ, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("spec:\n%s\nwant:\n%s", gotJ, wantJ)
	}
	if e.Metadata.Name != "quad-tpe" || e.Metadata.Namespace != "kubeflow" {
		t.Errorf("metadata = %+v", e.Metadata)
	}
	if tt.Pipeline == nil || *tt.Pipeline != (PipelineRef{File: "quad.yaml"}) {
		t.Errorf("pipeline = %+v", tt.Pipeline)
	}
	wantArgs := map[string]string{
		"x": "${trialParameters.x}", "y": "${trialParameters.y}", "lr": "${trialParameters.lr}",
		"optimizer": "${trialParameters.opt}", "steps": "10", // an unquoted YAML number, kept as text
	}
	if !reflect.DeepEqual(tt.Arguments, wantArgs) {
		t.Errorf("arguments = %v, want %v", tt.Arguments, wantArgs)
	}
	if tt.PrimaryContainerName != "training" || len(tt.TrialParameters) != 4 || tt.TrialParameters[3] != (TrialParameterSpec{Name: "opt", Reference: "optimizer"}) {
		t.Errorf("Katib fields = %+v", tt)
	}
	var job struct {
		Kind string `json:"kind"`
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Command []string `json:"command"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(tt.TrialSpec, &job); err != nil || job.Kind != "Job" ||
		!strings.Contains(job.Spec.Template.Spec.Containers[0].Command[2], "x, y, lr = ${trialParameters.x}") {
		t.Errorf("trialSpec kept = %s (%v)", tt.TrialSpec, err)
	}
	e.Spec.TrialTemplate = tt
	p, err := e.PipelinePath(filepath.Join("some", "dir"))
	if err != nil || p != filepath.Join("some", "dir", "quad.yaml") {
		t.Errorf("PipelinePath = %q, %v", p, err)
	}
}

// TestLoadRoundTrip: an experiment written back as JSON (what the store
// keeps) loads to the same value.
func TestLoadRoundTrip(t *testing.T) {
	for _, name := range []string{"quad-tpe.yaml", "minimal.yaml"} {
		e := loadFile(t, name)
		js, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := Load(js)
		if err != nil {
			t.Fatalf("%s: reload: %v\n%s", name, err, js)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Errorf("%s: round trip changed the experiment:\n%+v\n%+v", name, e.Spec, e2.Spec)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	e := loadFile(t, "minimal.yaml")
	if e.Parallel() != 3 || *e.Spec.ParallelTrialCount != 3 {
		t.Errorf("parallelTrialCount = %v", e.Spec.ParallelTrialCount)
	}
	if e.Spec.ResumePolicy != ResumeNever {
		t.Errorf("resumePolicy = %q", e.Spec.ResumePolicy)
	}
	if e.Collector() != CollectorStdOut || e.Spec.MetricsCollectorSpec.Collector.Kind != CollectorStdOut {
		t.Errorf("collector = %+v", e.Spec.MetricsCollectorSpec)
	}
	if s, _ := e.Strategy("loss"); s != StrategyMin {
		t.Errorf("minimize objective strategy = %q, want min", s)
	}
	if _, ok := e.MaxFailedTrials(); ok {
		t.Error("maxFailedTrialCount should stay unset")
	}
	if n, ok := e.MaxTrials(); !ok || n != 6 {
		t.Errorf("MaxTrials = %d, %v", n, ok)
	}
	for _, p := range e.Spec.Parameters {
		if p.FeasibleSpace.Distribution != DistributionUniform {
			t.Errorf("%s distribution = %q", p.Name, p.FeasibleSpace.Distribution)
		}
	}

	// maximize → max; an additional metric → latest; a listed strategy stays.
	e = mustLoad(t, strings.Replace(minimalYAML, "{type: minimize, objectiveMetricName: loss}",
		"{type: maximize, objectiveMetricName: acc, additionalMetricNames: [loss, f1], metricStrategies: [{name: f1, value: min}]}", 1))
	want := []MetricStrategy{{"f1", StrategyMin}, {"acc", StrategyMax}, {"loss", StrategyLatest}}
	if !reflect.DeepEqual(e.Spec.Objective.MetricStrategies, want) {
		t.Errorf("strategies = %v, want %v", e.Spec.Objective.MetricStrategies, want)
	}
	if got := e.MetricNames(); !reflect.DeepEqual(got, []string{"acc", "loss", "f1"}) {
		t.Errorf("MetricNames = %v", got)
	}

	// File collector: path, kind and format defaulted as Katib does.
	e = mustLoad(t, minimalYAML+"  metricsCollectorSpec: {collector: {kind: File}}\n")
	fp := e.Spec.MetricsCollectorSpec.Source.FileSystemPath
	if *fp != (FileSystemPath{Path: DefaultMetricsFilePath, Kind: FileSystemFile, Format: FormatText}) {
		t.Errorf("File collector defaults = %+v", fp)
	}

	// SetDefaults is idempotent.
	before, _ := json.Marshal(e)
	e.SetDefaults()
	after, _ := json.Marshal(e)
	if !bytes.Equal(before, after) {
		t.Errorf("SetDefaults twice changed:\n%s\n%s", before, after)
	}
}

const minimalYAML = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: exp}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random}
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "-5", max: "5"}}
    - {name: y, parameterType: int, feasibleSpace: {min: "1", max: "4"}}
  trialTemplate:
    pipeline: {file: p.yaml}
`

func mustLoad(t *testing.T, doc string) *Experiment {
	t.Helper()
	e, err := Load([]byte(doc))
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, doc)
	}
	return e
}

// TestLoadLenient: what an exported Katib object carries, and numbers
// written without quotes, load.
func TestLoadLenient(t *testing.T) {
	doc := `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: exp
  namespace: team
  uid: 0d6c-11
  resourceVersion: "123"
  creationTimestamp: "2026-01-05T10:00:00Z"
  labels: {team: ml}
  managedFields: [{manager: kubectl}]
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm:
    algorithmName: grid
    algorithmSettings: [{name: random_state, value: 7}]
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: 0.123456789012, max: 1e3, step: 0.10}}
    - {name: b, parameterType: discrete, feasibleSpace: {list: [16, 32, 064, 1.0]}}
    - {name: y, parameterType: categorical, feasibleSpace: {list: [yes, no, on, true]}}
    - {name: n, parameterType: int, feasibleSpace: {min: 1, max: 10}}
  trialTemplate:
    pipeline: {name: train, version: v3}
    arguments: {x: "${trialParameters.x}", b: "${trialParameters.b}", y: "${trialParameters.y}", n: "${trialParameters.n}", flag: True, f: 1e-3}
status:
  conditions: [{type: Created, status: "True"}]
  trials: 12
`
	e := mustLoad(t, doc)
	fs := e.Spec.Parameters[0].FeasibleSpace
	if fs.Min != "0.123456789012" || fs.Max != "1e3" || fs.Step != "0.10" {
		t.Errorf("unquoted numbers = %+v (want them as written)", fs)
	}
	if !reflect.DeepEqual(e.Spec.Parameters[1].FeasibleSpace.List, []string{"16", "32", "064", "1.0"}) {
		t.Errorf("list = %v", e.Spec.Parameters[1].FeasibleSpace.List)
	}
	// YAML 1.2: y, n, yes, no and on are strings (a YAML 1.1 reader would
	// rename parameter y to "true"); true is a boolean, taken as written.
	if p := e.Spec.Parameters[2]; p.Name != "y" || !reflect.DeepEqual(p.FeasibleSpace.List, []string{"yes", "no", "on", "true"}) {
		t.Errorf("parameter y = %+v", p)
	}
	if e.Spec.Parameters[3].Name != "n" {
		t.Errorf("parameter n = %+v", e.Spec.Parameters[3])
	}
	if e.Spec.Algorithm.AlgorithmSettings[0].Value != "7" {
		t.Errorf("setting = %+v", e.Spec.Algorithm.AlgorithmSettings)
	}
	if e.Spec.TrialTemplate.Arguments["flag"] != "True" || e.Spec.TrialTemplate.Arguments["f"] != "1e-3" {
		t.Errorf("arguments = %v", e.Spec.TrialTemplate.Arguments)
	}
	if !reflect.DeepEqual(e.Metadata, Metadata{Name: "exp", Namespace: "team", Labels: map[string]string{"team": "ml"}}) {
		t.Errorf("metadata = %+v", e.Metadata)
	}
	if *e.Spec.TrialTemplate.Pipeline != (PipelineRef{Name: "train", Version: "v3"}) {
		t.Errorf("pipeline = %+v", e.Spec.TrialTemplate.Pipeline)
	}
	if _, err := e.PipelinePath("."); err == nil {
		t.Error("PipelinePath of a server pipeline reference should fail")
	}
}

// TestInvalidFixtures: every file under testdata/invalid fails with the error
// its first line announces ("# want: ...").
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if len(files) < 10 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not '# want: ...'", first)
			}
			_, err = Load(data)
			checkErr(t, err, want)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Errorf("error %v (%T) is not a *FieldError", err, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error:\n  %s\nwant it to start with:\n  %s", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}

// TestLoadErrors: each bad input gets one line naming the field.
func TestLoadErrors(t *testing.T) {
	rep := func(old, new string) string {
		if !strings.Contains(minimalYAML, old) {
			t.Fatalf("%q not in the base document", old)
		}
		return strings.Replace(minimalYAML, old, new, 1)
	}
	param := `{name: x, parameterType: double, feasibleSpace: {min: "-5", max: "5"}}`
	tests := []struct{ name, doc, want string }{
		{"empty", "", "the experiment file is empty"},
		{"comments only", "# nothing\n", "the file is not an experiment: expected a mapping, found only comments"},
		{"a list", "- a\n- b\n", "the file is not an experiment: expected a mapping with apiVersion, kind, metadata and spec, found a list"},
		{"bad yaml", "a: [1,\n", "invalid YAML:"},
		{"duplicate key", rep("  algorithm: {algorithmName: random}\n", "  algorithm: {algorithmName: random}\n  algorithm: {algorithmName: grid}\n"), "invalid YAML:"},
		{"wrong case", rep("objectiveMetricName: loss", "ObjectiveMetricName: loss"), "spec.objective.ObjectiveMetricName: unknown field (known: additionalMetricNames, goal, metricStrategies, objectiveMetricName, type)"},
		{"unknown nested field", rep(`max: "5"}}`+"\n    - {name: y", `max: "5", stepp: "1"}}`+"\n    - {name: y"), `spec.parameters[0].feasibleSpace.stepp: unknown field (known: distribution, list, max, min, step)`},
		{"api version", rep("kubeflow.org/v1beta1", "kubeflow.org/v1alpha3"), `apiVersion: must be kubeflow.org/v1beta1, not "kubeflow.org/v1alpha3"`},
		{"kind", rep("kind: Experiment", "kind: Trial"), `kind: must be Experiment, not "Trial"`},
		{"no name", rep("metadata: {name: exp}", "metadata: {}"), "metadata.name: required"},
		{"bad name", rep("metadata: {name: exp}", "metadata: {name: Exp_1}"), `metadata.name: "Exp_1" must be lower-case letters`},
		{"long name", rep("metadata: {name: exp}", "metadata: {name: "+strings.Repeat("a", 41)+"}"), "metadata.name: \"aaaa"},
		{"huge name", rep("metadata: {name: exp}", "metadata: {name: "+strings.Repeat("a", 500000)+"}"), "metadata.name: \"" + strings.Repeat("a", 40) + "\"… is 500000 characters; the limit is 40"},
		{"goal as a string", rep("objectiveMetricName: loss}", `objectiveMetricName: loss, goal: "0.1"}`), "spec.objective.goal: must be a number, not a string"},
		{"count as a string", rep("  algorithm:", "  maxTrialCount: many\n  algorithm:"), "spec.maxTrialCount: must be an integer, not a string"},
		{"no objective", rep("  objective: {type: minimize, objectiveMetricName: loss}\n", ""), "spec.objective: required"},
		{"objective type", rep("type: minimize", "type: lower"), `spec.objective.type: must be minimize or maximize, not "lower"`},
		{"objective twice", rep("objectiveMetricName: loss}", "objectiveMetricName: loss, additionalMetricNames: [acc, loss]}"), `spec.objective.additionalMetricNames[1]: "loss" is the objective metric`},
		{"strategy of unknown metric", rep("objectiveMetricName: loss}", "objectiveMetricName: loss, metricStrategies: [{name: acc, value: max}]}"), `spec.objective.metricStrategies[0].name: "acc" is neither the objective metric nor an additional metric`},
		{"strategy value", rep("objectiveMetricName: loss}", "objectiveMetricName: loss, metricStrategies: [{name: loss, value: mean}]}"), `spec.objective.metricStrategies[0].value: must be min, max or latest, not "mean"`},
		{"no algorithm", rep("  algorithm: {algorithmName: random}\n", ""), "spec.algorithm: required"},
		{"setting twice", rep("{algorithmName: random}", "{algorithmName: random, algorithmSettings: [{name: random_state, value: '1'}, {name: random_state, value: '2'}]}"), `spec.algorithm.algorithmSettings[1].name: the setting "random_state" is given twice`},
		{"early stopping", rep("  algorithm:", "  earlyStopping: {algorithmName: meanstop}\n  algorithm:"), `spec.earlyStopping.algorithmName: unknown early-stopping algorithm "meanstop" (known: medianstop)`},
		{"nas", rep("  algorithm:", "  nasConfig: {graphConfig: {numLayers: 8}}\n  algorithm:"), "spec.nasConfig: neural architecture search is not supported"},
		{"no parameters", rep("  parameters:\n    - "+param+"\n    - {name: y, parameterType: int, feasibleSpace: {min: \"1\", max: \"4\"}}\n", ""), "spec.parameters: required"},
		{"equal bounds", rep(`{min: "-5", max: "5"}`, `{min: "5", max: "5"}`), "spec.parameters[0].feasibleSpace.min: must be less than max (min 5, max 5)"},
		{"int bound not int", rep(`{min: "1", max: "4"}`, `{min: "1.5", max: "4"}`), `spec.parameters[1].feasibleSpace.min: "1.5" is not an integer`},
		{"double not a number", rep(`{min: "-5", max: "5"}`, `{min: "-5", max: "five"}`), `spec.parameters[0].feasibleSpace.max: "five" is not a finite number`},
		{"inf", rep(`{min: "-5", max: "5"}`, `{min: "-5", max: "Inf"}`), `spec.parameters[0].feasibleSpace.max: "Inf" is not a finite number`},
		{"no min", rep(`{min: "-5", max: "5"}`, `{max: "5"}`), "spec.parameters[0].feasibleSpace.min: required for a double parameter"},
		{"zero step", rep(`{min: "-5", max: "5"}`, `{min: "-5", max: "5", step: "0"}`), "spec.parameters[0].feasibleSpace.step: must be greater than 0, not 0"},
		{"int step fraction", rep(`{min: "1", max: "4"}`, `{min: "1", max: "4", step: "0.5"}`), `spec.parameters[1].feasibleSpace.step: "0.5" is not an integer`},
		{"log normal negative", rep(`{min: "-5", max: "5"}`, `{min: "-5", max: "5", distribution: logNormal}`), "spec.parameters[0].feasibleSpace.min: must be greater than 0 for a logNormal distribution"},
		{"distribution", rep(`{min: "-5", max: "5"}`, `{min: "-5", max: "5", distribution: exponential}`), `spec.parameters[0].feasibleSpace.distribution: must be uniform, logUniform, normal or logNormal, not "exponential"`},
		{"list on a range", rep(`{min: "-5", max: "5"}`, `{min: "-5", max: "5", list: ["1"]}`), "spec.parameters[0].feasibleSpace.list: not allowed for a double parameter"},
		{"parameter type", rep("parameterType: double", "parameterType: float"), `spec.parameters[0].parameterType: must be int, double, categorical or discrete, not "float"`},
		{"categorical without list", rep(`parameterType: double, feasibleSpace: {min: "-5", max: "5"}`, `parameterType: categorical, feasibleSpace: {}`), "spec.parameters[0].feasibleSpace.list: required"},
		{"categorical with min", rep(`parameterType: double, feasibleSpace: {min: "-5", max: "5"}`, `parameterType: categorical, feasibleSpace: {min: "1", list: [a]}`), "spec.parameters[0].feasibleSpace.min: not allowed for a categorical parameter"},
		{"categorical twice", rep(`parameterType: double, feasibleSpace: {min: "-5", max: "5"}`, `parameterType: categorical, feasibleSpace: {list: [a, b, a]}`), `spec.parameters[0].feasibleSpace.list[2]: "a" is listed twice`},
		{"hex bound", rep(`{min: "1", max: "4"}`, `{min: 0x1, max: 4}`), `spec.parameters[1].feasibleSpace.min: "0x1" is not an integer`},
		{"infinite goal", rep("objectiveMetricName: loss}", "objectiveMetricName: loss, goal: .inf}"), "spec.objective.goal: must be a number, not a string"},
		{"two documents", minimalYAML + "---\nkind: Experiment\n", "the file holds more than one YAML document"},
		{"merge key", "base: &b {a: 1}\nother:\n  <<: *b\n", "invalid YAML: line 3: merge keys (<<) are not supported"},
		{"discrete word", rep(`parameterType: double, feasibleSpace: {min: "-5", max: "5"}`, `parameterType: discrete, feasibleSpace: {list: ["16", big]}`), `spec.parameters[0].feasibleSpace.list[1]: "big" is not a number`},
		{"long value", rep(`parameterType: double, feasibleSpace: {min: "-5", max: "5"}`, `parameterType: categorical, feasibleSpace: {list: [`+strings.Repeat("v", 1025)+`]}`), "spec.parameters[0].feasibleSpace.list[0]: is 1025 bytes; the limit is 1024"},
		{"long parameter name", rep("{name: x,", "{name: "+strings.Repeat("x", 257)+","), "spec.parameters[0].name: the parameter name is 257 bytes; the limit is 256"},
		{"parameter name braces", rep("{name: x,", "{name: 'x}',"), `spec.parameters[0].name: the parameter name "x}" must not contain`},
		{"parallel zero", rep("  algorithm:", "  parallelTrialCount: 0\n  algorithm:"), "spec.parallelTrialCount: must be greater than 0, not 0"},
		{"parallel huge", rep("  algorithm:", "  parallelTrialCount: 100000\n  algorithm:"), "spec.parallelTrialCount: 100000 is above the limit of 1000"},
		{"max zero", rep("  algorithm:", "  maxTrialCount: 0\n  algorithm:"), "spec.maxTrialCount: must be greater than 0, not 0"},
		{"max failed negative", rep("  algorithm:", "  maxFailedTrialCount: -1\n  algorithm:"), "spec.maxFailedTrialCount: must not be negative"},
		{"max failed above max", rep("  algorithm:", "  maxTrialCount: 4\n  parallelTrialCount: 2\n  maxFailedTrialCount: 5\n  algorithm:"), "spec.maxFailedTrialCount: 5 is more than maxTrialCount (4)"},
		{"int32 overflow", rep("  algorithm:", "  maxTrialCount: 3000000000\n  algorithm:"), "spec.maxTrialCount: must be an integer from -2147483648 to 2147483647, not 3000000000"},
		{"fraction count", rep("  algorithm:", "  maxTrialCount: 2.5\n  algorithm:"), "spec.maxTrialCount: must be an integer from -2147483648 to 2147483647, not 2.5"},
		{"resume policy", rep("  algorithm:", "  resumePolicy: Always\n  algorithm:"), `spec.resumePolicy: must be Never, LongRunning or FromVolume, not "Always"`},
		{"collector kind", rep("  algorithm:", "  metricsCollectorSpec: {collector: {kind: TensorFlowEvent}}\n  algorithm:"), "spec.metricsCollectorSpec.collector.kind: TensorFlowEvent is not supported"},
		{"collector unknown", rep("  algorithm:", "  metricsCollectorSpec: {collector: {kind: Stdout}}\n  algorithm:"), `spec.metricsCollectorSpec.collector.kind: unknown collector "Stdout"`},
		{"filter one group", rep("  algorithm:", "  metricsCollectorSpec: {source: {filter: {metricsFormat: ['(\\w+)=\\d+']}}}\n  algorithm:"), `spec.metricsCollectorSpec.source.filter.metricsFormat[0]: "(\\w+)=\\d+" must have at least two groups`},
		{"too many filters", rep("  algorithm:", "  metricsCollectorSpec: {source: {filter: {metricsFormat: ["+strings.Repeat("'(a)(b)', ", 17)+"]}}}\n  algorithm:"), "spec.metricsCollectorSpec.source.filter.metricsFormat: 17 expressions; the limit is 16"},
		{"filter bad regexp", rep("  algorithm:", "  metricsCollectorSpec: {source: {filter: {metricsFormat: ['(a']}}}\n  algorithm:"), "spec.metricsCollectorSpec.source.filter.metricsFormat[0]: invalid regular expression"},
		{"filter with json", rep("  algorithm:", "  metricsCollectorSpec: {collector: {kind: File}, source: {fileSystemPath: {path: /m.json, kind: File, format: JSON}, filter: {metricsFormat: ['(a)(b)']}}}\n  algorithm:"), "spec.metricsCollectorSpec.source.filter.metricsFormat: not allowed with the JSON format"},
		{"file path relative", rep("  algorithm:", "  metricsCollectorSpec: {collector: {kind: File}, source: {fileSystemPath: {path: metrics.log}}}\n  algorithm:"), `spec.metricsCollectorSpec.source.fileSystemPath.path: "metrics.log" must be an absolute path`},
		{"file path dotdot", rep("  algorithm:", "  metricsCollectorSpec: {collector: {kind: File}, source: {fileSystemPath: {path: /a/../../etc/passwd}}}\n  algorithm:"), `spec.metricsCollectorSpec.source.fileSystemPath.path: "/a/../../etc/passwd" must be a clean path`},
		{"file path for stdout", rep("  algorithm:", "  metricsCollectorSpec: {collector: {kind: StdOut}, source: {fileSystemPath: {path: /m.log, kind: File}}}\n  algorithm:"), "spec.metricsCollectorSpec.source.fileSystemPath: only for the File collector"},
		{"no template", rep("  trialTemplate:\n    pipeline: {file: p.yaml}\n", ""), "spec.trialTemplate: required"},
		{"file and name", rep("{file: p.yaml}", "{file: p.yaml, name: p}"), "spec.trialTemplate.pipeline: give either file or name"},
		{"absolute file", rep("{file: p.yaml}", "{file: /etc/p.yaml}"), `spec.trialTemplate.pipeline.file: "/etc/p.yaml" must be a relative path`},
		{"version without name", rep("{file: p.yaml}", "{version: v1}"), "spec.trialTemplate.pipeline.name: required with version"},
		{"empty pipeline", rep("{file: p.yaml}", "{}"), "spec.trialTemplate.pipeline: required"},
		{"parameter not referenced", minimalYAML + "    trialParameters: [{name: x, reference: x}]\n", `spec.parameters[1]: the parameter "y" is not used`},
		{"trial parameter twice", minimalYAML + "    trialParameters: [{name: x, reference: x}, {name: x, reference: y}]\n", `spec.trialTemplate.trialParameters[1].name: the trial parameter "x" is declared twice`},
		{"meta reference", minimalYAML + "    trialParameters: [{name: x, reference: x}, {name: y, reference: y}, {name: k, reference: '${trialSpec.Kind}'}]\n", `spec.trialTemplate.trialParameters[2].reference: "${trialSpec.Kind}" is not supported`},
		{"argument unused", minimalYAML + "    arguments: {x: '${trialParameters.x}', epochs: '3'}\n", `spec.trialTemplate.arguments: the trial parameter "y" is not used`},
		{"argument unterminated", minimalYAML + "    arguments: {x: '${trialParameters.x}', y: '${trialParameters.y'}\n", "spec.trialTemplate.arguments.y: unterminated ${trialParameters.…}"},
		{"argument number", minimalYAML + "    arguments: {x: '${trialParameters.x}', y: [1]}\n", "spec.trialTemplate.arguments: each value must be a string, not a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.doc))
			checkErr(t, err, tc.want)
		})
	}
}

func TestLoadSizeLimit(t *testing.T) {
	big := minimalYAML + "# " + strings.Repeat("x", MaxExperimentSize) + "\n"
	_, err := Load([]byte(big))
	checkErr(t, err, "the experiment file is")
}

// FuzzParseExperiment: Parse and Load never panic; what Load accepts is valid,
// and survives a JSON round trip unchanged.
func FuzzParseExperiment(f *testing.F) {
	for _, name := range []string{"quad-tpe.yaml", "minimal.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Add([]byte(minimalYAML))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Parse(data); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %T is not a *FieldError: %v", err, err)
			}
		}
		e, err := Load(data)
		if err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("Load accepted an invalid experiment: %v", err)
		}
		js, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		e2, err := Load(js)
		if err != nil {
			t.Fatalf("reload: %v\n%s", err, js)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("round trip changed the experiment:\n%s", js)
		}
		_ = e.ArgumentTemplate()
	})
}

func TestIsExperiment(t *testing.T) {
	for name, want := range map[string]bool{"quad-tpe.yaml": true, "minimal.yaml": true, "quad.yaml": false, "invalid/unknown-field.yaml": true} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := IsExperiment(data); got != want {
			t.Errorf("IsExperiment(%s) = %v, want %v", name, got, want)
		}
	}
	js, _ := json.Marshal(loadFile(t, "minimal.yaml"))
	for doc, want := range map[string]bool{
		string(js): true, "": false, "[1]": false, "kind: Experiment\napiVersion: v1\n": false,
		"pipelineInfo: {name: x}\nroot: {}\n": false, "\x00\xff": false,
	} {
		if got := IsExperiment([]byte(doc)); got != want {
			t.Errorf("IsExperiment(%.30q) = %v, want %v", doc, got, want)
		}
	}
}

func TestMetricsFile(t *testing.T) {
	e := loadFile(t, "minimal.yaml")
	if _, ok := e.MetricsFile("/work/t1"); ok {
		t.Error("StdOut collector has a metrics file")
	}
	e = mustLoad(t, minimalYAML+"  metricsCollectorSpec: {collector: {kind: File}}\n")
	if p, ok := e.MetricsFile("/work/t1"); !ok || p != filepath.FromSlash("/work/t1/var/log/katib/metrics.log") {
		t.Errorf("default metrics file %q %v", p, ok)
	}
	// Even a path that validation would refuse stays inside the directory.
	e.Spec.MetricsCollectorSpec.Source.FileSystemPath.Path = "/a/../../../etc/passwd"
	if p, _ := e.MetricsFile("/work/t1"); p != filepath.FromSlash("/work/t1/etc/passwd") {
		t.Errorf("escaping path gave %q", p)
	}
}
