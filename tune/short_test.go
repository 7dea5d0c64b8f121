package tune

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// parseShort parses a command line the way the CLI does: the short form's
// flags on a flag set, then Experiment on the positional argument.
func parseShort(t *testing.T, args ...string) (*Experiment, error) {
	t.Helper()
	var f ShortForm
	fs := pflag.NewFlagSet("tune", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		t.Fatalf("positional arguments %v", fs.Args())
	}
	return f.Experiment(fs.Arg(0))
}

// TestShortFormExample: the documented example gives the same Experiment
// value as the equivalent experiment file.
func TestShortFormExample(t *testing.T) {
	got, err := parseShort(t, "pipelines/train.yaml",
		"--param", "lr=double:0.001:0.1:log", "--param", "layers=int:1:4", "--param", "opt=categorical:sgd,adam",
		"--objective", "r2", "--maximize", "--algorithm", "tpe", "--max-trials", "20", "--parallel", "2")
	if err != nil {
		t.Fatal(err)
	}
	want := mustLoad(t, `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: train}
spec:
  objective: {type: maximize, objectiveMetricName: r2}
  algorithm: {algorithmName: tpe}
  maxTrialCount: 20
  parallelTrialCount: 2
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.001", max: "0.1", distribution: logUniform}}
    - {name: layers, parameterType: int, feasibleSpace: {min: "1", max: "4"}}
    - {name: opt, parameterType: categorical, feasibleSpace: {list: [sgd, adam]}}
  trialTemplate:
    pipeline: {file: train.yaml}
`)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("short form:\n%s\nfile:\n%s", g, w)
	}
	if p, err := got.PipelinePath("pipelines"); err != nil || p != "pipelines/train.yaml" {
		t.Errorf("PipelinePath = %q, %v", p, err)
	}
}

func TestShortFormEverything(t *testing.T) {
	got, err := parseShort(t, "../My Pipeline_v2.yaml",
		"--name", "sweep", "--param", "units=int:8:512:8:log", "--param", "drop=double:0:0.5:normal:0.1",
		"--param", "batch=discrete:16,32,64", "--param", "act=categorical:relu:tanh,gelu",
		"--arg", "epochs=10", "--arg", "label=${trialParameters.act}-x",
		"--objective", "loss", "--minimize", "--goal", "0.05", "--metric", "acc", "--strategy", "loss=latest",
		"--algorithm", "grid", "--setting", "random_state=3", "--early-stopping", "medianstop",
		"--early-stopping-setting", "start_step=2", "--max-trials", "12", "--parallel", "4", "--max-failed", "2")
	if err != nil {
		t.Fatal(err)
	}
	s := got.Spec
	wantParams := []ParameterSpec{
		{"units", ParameterInt, FeasibleSpace{Min: "8", Max: "512", Step: "8", Distribution: DistributionLogUniform}},
		{"drop", ParameterDouble, FeasibleSpace{Min: "0", Max: "0.5", Step: "0.1", Distribution: DistributionNormal}},
		{"batch", ParameterDiscrete, FeasibleSpace{List: []string{"16", "32", "64"}, Distribution: DistributionUniform}},
		{"act", ParameterCategorical, FeasibleSpace{List: []string{"relu:tanh", "gelu"}, Distribution: DistributionUniform}},
	}
	if !reflect.DeepEqual(s.Parameters, wantParams) {
		t.Errorf("parameters = %+v", s.Parameters)
	}
	wantArgs := map[string]string{"units": "${trialParameters.units}", "drop": "${trialParameters.drop}", "batch": "${trialParameters.batch}", "act": "${trialParameters.act}", "epochs": "10", "label": "${trialParameters.act}-x"}
	if !reflect.DeepEqual(s.TrialTemplate.Arguments, wantArgs) {
		t.Errorf("arguments = %v", s.TrialTemplate.Arguments)
	}
	if got.Metadata.Name != "sweep" || s.TrialTemplate.Pipeline.File != "My Pipeline_v2.yaml" {
		t.Errorf("name %q, pipeline %+v", got.Metadata.Name, s.TrialTemplate.Pipeline)
	}
	o := s.Objective
	if o.Type != Minimize || *o.Goal != 0.05 || !reflect.DeepEqual(o.AdditionalMetricNames, []string{"acc"}) ||
		!reflect.DeepEqual(o.MetricStrategies, []MetricStrategy{{"loss", StrategyLatest}, {"acc", StrategyLatest}}) {
		t.Errorf("objective = %+v", o)
	}
	if s.Algorithm.AlgorithmName != "grid" || s.Algorithm.AlgorithmSettings[0] != (AlgorithmSetting{"random_state", "3"}) {
		t.Errorf("algorithm = %+v", s.Algorithm)
	}
	if s.EarlyStopping.AlgorithmName != "medianstop" || s.EarlyStopping.AlgorithmSettings[0] != (EarlyStoppingSetting{"start_step", "2"}) {
		t.Errorf("early stopping = %+v", s.EarlyStopping)
	}
	if *s.MaxTrialCount != 12 || *s.ParallelTrialCount != 4 || *s.MaxFailedTrialCount != 2 {
		t.Errorf("counts = %d %d %d", *s.MaxTrialCount, *s.ParallelTrialCount, *s.MaxFailedTrialCount)
	}
	args, err := got.RunArguments("sweep-1", assign("units", "64", "drop", "0.2", "batch", "32", "act", "gelu"))
	if err != nil || args["label"] != "gelu-x" || args["epochs"] != "10" || args["units"] != "64" {
		t.Errorf("RunArguments = %v, %v", args, err)
	}
}

func TestShortFormDefaults(t *testing.T) {
	got, err := parseShort(t, "p.yaml", "--param", "x=double:-1:1", "--objective", "loss", "--minimize")
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Algorithm.AlgorithmName != "random" || got.Parallel() != 3 || got.Spec.MaxTrialCount != nil || got.Spec.TrialTemplate.Arguments != nil {
		t.Errorf("defaults: %+v", got.Spec)
	}
	// --max-trials below the default parallelism lowers it.
	got, err = parseShort(t, "p.yaml", "--param", "x=double:-1:1", "--objective", "loss", "--minimize", "--max-trials", "2")
	if err != nil || got.Parallel() != 2 {
		t.Errorf("--max-trials 2: parallel %d, %v", got.Parallel(), err)
	}
	for in, want := range map[string]string{
		"p.yaml": "p", "Train_Model.v2.yaml": "train-model-v2", "dir/2024-run.tar.gz": "tune-2024-run",
		"___.json": "tune", strings.Repeat("long", 20) + ".zip": strings.Repeat("long", 10),
	} {
		if got := nameFromFile(in); got != want {
			t.Errorf("nameFromFile(%q) = %q, want %q", in, got, want)
		}
		if !experimentNameRE().MatchString(nameFromFile(in)) {
			t.Errorf("nameFromFile(%q) = %q is not a valid name", in, nameFromFile(in))
		}
	}
}

func TestShortFormErrors(t *testing.T) {
	base := []string{"--objective", "loss", "--minimize"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--objective", "loss", "--minimize"}, "--param: required: at least one searched parameter"},
		{append([]string{"--param", "lr"}, base...), `--param "lr": expected NAME=TYPE:SPEC`},
		{append([]string{"--param", "=int:1:2"}, base...), `--param "=int:1:2": expected NAME=TYPE:SPEC`},
		{append([]string{"--param", "lr=0.1"}, base...), `--param "lr=0.1": expected TYPE:SPEC after lr=`},
		{append([]string{"--param", "lr=float:0:1"}, base...), `--param "lr=float:0:1": unknown type "float" (int, double, categorical, discrete)`},
		{append([]string{"--param", "lr=double:1"}, base...), `--param "lr=double:1": expected double:MIN:MAX[:STEP][:DIST]`},
		{append([]string{"--param", "lr=double:1:0.1"}, base...), `--param "lr=double:1:0.1": feasibleSpace.min: must be less than max (min 1, max 0.1)`},
		{append([]string{"--param", "lr=double:0:0.1:log"}, base...), `--param "lr=double:0:0.1:log": feasibleSpace.min: must be greater than 0 for a logUniform distribution`},
		{append([]string{"--param", "lr=double:0:1:log:normal"}, base...), `--param "lr=double:0:1:log:normal": two distributions`},
		{append([]string{"--param", "lr=double:0:1:0.1:0.2"}, base...), `--param "lr=double:0:1:0.1:0.2": "0.2" is neither a step nor a distribution`},
		{append([]string{"--param", "n=int:1:9:1.5"}, base...), `--param "n=int:1:9:1.5": feasibleSpace.step: "1.5" is not an integer`},
		{append([]string{"--param", "o=categorical:a,,b"}, base...), `--param "o=categorical:a,,b": an empty value in the list`},
		{append([]string{"--param", "o=categorical:a,b,a"}, base...), `--param "o=categorical:a,b,a": feasibleSpace.list[2]: "a" is listed twice`},
		{append([]string{"--param", "o=discrete:1,x"}, base...), `--param "o=discrete:1,x": feasibleSpace.list[1]: "x" is not a number`},
		{[]string{"--param", "x=int:1:2", "--param", "x=int:1:3", "--objective", "l", "--minimize"}, `--param "x=int:1:3": the parameter "x" is listed twice (also spec.parameters[0])`},
		{[]string{"--param", "x=int:1:2"}, "--objective: required"},
		{[]string{"--param", "x=int:1:2", "--objective", "r2"}, "--maximize: required: --maximize or --minimize (is a higher r2 better?)"},
		{[]string{"--param", "x=int:1:2", "--objective", "r2", "--maximize", "--minimize"}, "--maximize: give --maximize or --minimize, not both"},
		{append([]string{"--param", "x=int:1:2", "--algorithm", "annealing"}, base...), `--algorithm: unknown algorithm "annealing"`},
		{append([]string{"--param", "x=int:1:2", "--max-trials", "2", "--parallel", "3"}, base...), "--parallel: 3 is more than maxTrialCount (2)"},
		{append([]string{"--param", "x=int:1:2", "--max-trials", "0"}, base...), "--max-trials: must be greater than 0"},
		{append([]string{"--param", "x=int:1:2", "--setting", "seed"}, base...), `--setting: expected NAME=VALUE, not "seed"`},
		{append([]string{"--param", "x=int:1:2", "--arg", "x=3"}, base...), `--arg x: "x" is a searched parameter (--param); it cannot also be fixed`},
		{append([]string{"--param", "x=int:1:2", "--arg", "y=${trialParameters.z}"}, base...), `--arg y: unknown trial parameter "z"`},
		{append([]string{"--param", "x=int:1:2", "--early-stopping-setting", "a=1"}, base...), "--early-stopping: required with --early-stopping-setting"},
		{append([]string{"--param", "x=int:1:2", "--strategy", "acc=max"}, base...), `--strategy: "acc" is neither the objective metric nor an additional metric`},
		{append([]string{"--param", "x=int:1:2", "--name", "Bad Name"}, base...), `--name: "Bad Name" must be lower-case letters`},
		{append([]string{"--param", "x=int:1:2", "--algorithm", "tpe", "--setting", "gamma=2"}, base...), "--setting: "},
		{append([]string{"--param", "x=double:0:1", "--algorithm", "grid", "--max-trials", "5"}, base...), `--param "x=double:0:1": `},
		{append([]string{"--param", "x=int:1:4", "--algorithm", "grid", "--max-trials", "5"}, base...), "--max-trials: must not exceed the grid's 4 points, got 5"},
	}
	for _, tc := range tests {
		args := append([]string{"p.yaml"}, tc.args...)
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseShort(t, args...)
			checkErr(t, err, tc.want)
		})
	}
	// Flag values the flag set itself refuses.
	var f ShortForm
	fs := pflag.NewFlagSet("tune", pflag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	f.AddFlags(fs)
	for _, args := range [][]string{{"--max-trials", "many"}, {"--goal", "NaN"}, {"--parallel", "1e9"}} {
		if err := fs.Parse(args); err == nil {
			t.Errorf("flags %v accepted", args)
		}
	}
	if _, err := (&ShortForm{}).Experiment(""); err == nil {
		t.Error("no pipeline accepted")
	}
	_, err := (&ShortForm{Params: []string{"x=int:1:2"}, Objective: "l", Minimize: true}).Experiment("/")
	checkErr(t, err, "PIPELINE: ")
}

func TestShortFormOverride(t *testing.T) {
	e := loadFile(t, "quad-tpe.yaml")
	f := ShortForm{MaxTrials: i32(5), Parallel: i32(1), MaxFailed: i32(0), Algorithm: "random"}
	if err := f.Override(e); err != nil {
		t.Fatal(err)
	}
	if *e.Spec.MaxTrialCount != 5 || e.Parallel() != 1 || *e.Spec.MaxFailedTrialCount != 0 {
		t.Errorf("counts = %d %d %d", *e.Spec.MaxTrialCount, e.Parallel(), *e.Spec.MaxFailedTrialCount)
	}
	// The file's parallelTrialCount (3) is more than --max-trials: named as the file's field.
	checkErr(t, (&ShortForm{MaxTrials: i32(2)}).Override(loadFile(t, "quad-tpe.yaml")), "spec.parallelTrialCount: 3 is more than maxTrialCount (2)")
	checkErr(t, (&ShortForm{MaxTrials: i32(2), Parallel: i32(3)}).Override(loadFile(t, "quad-tpe.yaml")), "--parallel: 3 is more than maxTrialCount (2)")
	checkErr(t, (&ShortForm{MaxTrials: i32(-1)}).Override(loadFile(t, "quad-tpe.yaml")), "--max-trials: must be greater than 0")
	checkErr(t, (&ShortForm{Params: []string{"x=int:1:2"}}).Override(loadFile(t, "quad-tpe.yaml")), "--param: not allowed with an experiment file")
	checkErr(t, (&ShortForm{Algorithm: "grid"}).Override(loadFile(t, "quad-tpe.yaml")), "--algorithm: not allowed with an experiment file")
}
