package launcher

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/rundir"
	"github.com/sluicehq/sluice/spec"
)

func TestParseOutputParam(t *testing.T) {
	tests := []struct {
		text, typ string
		want      any
		err       bool
	}{
		{"hello\n", spec.TypeString, "hello\n", false},
		{" 42\n", spec.TypeInteger, int64(42), false},
		{"4.5", spec.TypeDouble, 4.5, false},
		{"True\n", spec.TypeBoolean, true, false},
		{"0", spec.TypeBoolean, false, false},
		{"maybe", spec.TypeBoolean, nil, true},
		{`[1, "a"]`, spec.TypeList, []any{1.0, "a"}, false},
		{`{"k": 1}`, spec.TypeStruct, map[string]any{"k": 1.0}, false},
		{`{`, spec.TypeStruct, nil, true},
		{"x", spec.TypeInteger, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseOutputParam(tt.text, tt.typ)
		if (err != nil) != tt.err || (!tt.err && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("ParseOutputParam(%q, %s) = %#v, %v", tt.text, tt.typ, got, err)
		}
	}
}

func TestReadOutputsMergesExecutorOutput(t *testing.T) {
	dir := t.TempDir()
	comp := &spec.ComponentSpec{OutputDefinitions: &spec.Interface{
		Parameters: map[string]*spec.ParameterSpec{
			"n":    {ParameterType: spec.TypeInteger},
			"s":    {ParameterType: spec.TypeString},
			"gone": {ParameterType: spec.TypeString},
		},
		Artifacts: map[string]*spec.ArtifactSpec{"m": {ArtifactType: spec.ArtifactType{SchemaTitle: "system.Metrics"}}},
	}}
	in := &spec.ExecutorInput{Outputs: spec.ExecutorOutputs{
		OutputFile: filepath.Join(dir, "executor_output.json"),
		Parameters: map[string]*spec.OutputParameter{
			"n": {OutputFile: filepath.Join(dir, "n")}, "s": {OutputFile: filepath.Join(dir, "s")}, "gone": {OutputFile: filepath.Join(dir, "gone")},
		},
		Artifacts: map[string]*spec.ArtifactList{"m": {Artifacts: []*spec.RuntimeArtifact{{Name: "m", URI: filepath.Join(dir, "m"), Metadata: map[string]any{}}}}},
	}}
	os.WriteFile(filepath.Join(dir, "s"), []byte("text\n"), 0o644)
	os.WriteFile(in.Outputs.OutputFile, []byte(`{"parameterValues": {"n": 7}, "artifacts": {"m": {"artifacts": [{"name": "m", "metadata": {"acc": 0.9}, "custom_path": "/tmp/x"}]}}}`), 0o644)
	out, err := ReadOutputs(comp, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Parameters["n"] != int64(7) || out.Parameters["s"] != "text\n" {
		t.Fatalf("params %#v", out.Parameters)
	}
	if _, ok := out.Parameters["gone"]; ok {
		t.Fatal("an unwritten output parameter is present")
	}
	m := out.Artifacts["m"][0]
	if m.Metadata["acc"] != 0.9 || m.CustomPath != "/tmp/x" || m.URI != filepath.Join(dir, "m") {
		t.Fatalf("artifact %+v", m)
	}
}

func TestPrepareStripsPipStepAndExpands(t *testing.T) {
	l := &Launcher{PythonPath: "/py", BinDir: "/bin-dir"}
	comp := &spec.ComponentSpec{
		InputDefinitions:  &spec.Interface{Parameters: map[string]*spec.ParameterSpec{"x": {ParameterType: spec.TypeDouble}}},
		OutputDefinitions: &spec.Interface{Parameters: map[string]*spec.ParameterSpec{"Output": {ParameterType: spec.TypeString}}},
	}
	pip := "\nif ! [ -x \"$(command -v pip)\" ]; then\n    python3 -m ensurepip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location 'kfp==2.14.2' '--no-deps' 'numpy' && \"$0\" \"$@\"\n"
	ex := &spec.ExecutorSpec{Container: &spec.ContainerSpec{
		Image:   "python:3.11",
		Command: []string{"sh", "-c", pip, "sh", "-ec", "launch", "source"},
		Args:    []string{"--executor_input", "{{$}}", "--function_to_execute", "f"},
		Env:     []spec.EnvVar{{Name: "A", Value: "b"}},
	}}
	task := &Step{Comp: comp, Exec: ex, Paths: rundir.Task{Dir: "/root/t", Meta: "/meta/t"},
		Inputs: &plan.Inputs{Params: map[string]any{"x": 3.0}, Present: map[string]bool{"x": true}},
		System: map[string]string{"workspace_path": "/ws"}}
	p, err := l.Prepare(task)
	if err != nil {
		t.Fatal(err)
	}
	if p.Argv[0] != "sh" || p.Argv[1] != "-ec" || p.Argv[2] != "launch" {
		t.Fatalf("pip step not stripped: %q", p.Argv[:3])
	}
	if len(p.Reqs) == 0 {
		t.Fatal("no requirements parsed")
	}
	ei := p.Argv[5]
	if !strings.Contains(ei, `"x":3.0`) || !strings.Contains(ei, `"outputFile":"/root/t/executor_output.json"`) {
		t.Fatalf("executor input %s", ei)
	}
	env := strings.Join(p.Env, "\n")
	for _, want := range []string{"A=b", "PYTHONPATH=/py", "SLUICE_WORKSPACE_PATH=/ws", "PATH=/bin-dir:"} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %q: %s", want, env)
		}
	}
	ex.Container.Command = nil
	if _, err := l.Prepare(task); err == nil || !strings.Contains(err.Error(), "no command") {
		t.Fatalf("no command: %v", err)
	}
	ex.Container.Image = "argostub/createpvc"
	if _, err := l.Prepare(task); err == nil || !strings.Contains(err.Error(), "kubernetes executor") {
		t.Fatalf("createpvc: %v", err)
	}
}

func TestImportTemplatesMetadataAndCopiesToWorkspace(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "data.txt")
	os.WriteFile(src, []byte("hello"), 0o644)
	run := rundir.Local(filepath.Join(dir, "root"), "p", "r")
	if err := run.Create(); err != nil {
		t.Fatal(err)
	}
	ws := run.Workspace()
	task := &Step{
		Paths: run.Task("importer"),
		Exec: &spec.ExecutorSpec{Importer: &spec.ImporterSpec{
			ArtifactURI:         spec.ValueOrRuntimeParam{RuntimeParameter: "uri"},
			TypeSchema:          spec.ArtifactType{SchemaTitle: "system.Dataset"},
			Metadata:            map[string]any{"name": "v-{{$.inputs.parameters['metadata']}}", "{{$.inputs.parameters['metadata-2']}}": "k"},
			DownloadToWorkspace: true,
		}},
		Inputs: &plan.Inputs{Params: map[string]any{"uri": src, "metadata": "one", "metadata-2": "key"}},
		System: map[string]string{"workspace_path": ws},
	}
	out, err := (&Launcher{}).Import(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	a := out.Artifacts["artifact"][0]
	if a.URI != src || a.Metadata["name"] != "v-one" || a.Metadata["key"] != "k" || a.Metadata["_kfp_workspace"] != true {
		t.Fatalf("artifact %+v", a)
	}
	b, err := os.ReadFile(spec.ArtifactLocalPath(a, ws, nil))
	if err != nil || string(b) != "hello" {
		t.Fatalf("workspace copy: %q %v", b, err)
	}
	task.Inputs.Params = map[string]any{}
	if _, err := (&Launcher{}).Import(context.Background(), task); err == nil {
		t.Fatal("importer without its uri input: no error")
	}
}
