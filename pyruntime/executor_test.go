package pyruntime

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// pythonOrSkip returns the python3 to test with. Without one the test is
// skipped, unless SLUICE_REQUIRE_TOOLS=1 makes that a failure.
func pythonOrSkip(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("python3 not found and SLUICE_REQUIRE_TOOLS=1: %v", err)
		}
		t.Skip("python3 not found in PATH; skipping (set SLUICE_REQUIRE_TOOLS=1 to fail instead)")
	}
	return py
}

var (
	installOnce sync.Once
	installPath string
	installErr  error
)

// sharedInstall installs the shim once per test binary.
func sharedInstall(t *testing.T) string {
	t.Helper()
	installOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pyruntime-test-")
		if err != nil {
			installErr = err
			return
		}
		installPath, installErr = Install(dir)
	})
	if installErr != nil {
		t.Fatal(installErr)
	}
	return installPath
}

const srcHeader = "\nimport kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n"

// execCase is one executor run: a component source, the function, and the
// ExecutorInput pieces. Paths are relative to the case's temp dir; helper
// methods make them absolute.
type execCase struct {
	t       *testing.T
	dir     string
	params  map[string]any
	inArts  map[string]any
	outPars map[string]any
	outArts map[string]any
}

func newCase(t *testing.T) *execCase {
	return &execCase{t: t, dir: t.TempDir(), params: map[string]any{},
		inArts: map[string]any{}, outPars: map[string]any{}, outArts: map[string]any{}}
}

func (c *execCase) path(rel string) string { return filepath.Join(c.dir, rel) }

// inputArtifact adds an input artifact list with one entry per content.
func (c *execCase) inputArtifact(name, schema string, metadata map[string]any, contents ...string) {
	var arts []any
	for i, content := range contents {
		p := c.path(filepath.Join("in", name, string(rune('a'+i))))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			c.t.Fatal(err)
		}
		arts = append(arts, map[string]any{"name": name, "uri": p,
			"type": map[string]any{"schemaTitle": schema, "schemaVersion": "0.0.1"}, "metadata": metadata})
	}
	c.inArts[name] = map[string]any{"artifacts": arts}
}

func (c *execCase) outputParam(name string) {
	c.outPars[name] = map[string]any{"outputFile": c.path(filepath.Join("task", "params", name))}
}

func (c *execCase) outputArtifact(name, schema string) {
	c.outArts[name] = map[string]any{"artifacts": []any{map[string]any{"name": name,
		"uri": c.path(filepath.Join("task", name)), "metadata": map[string]any{},
		"type": map[string]any{"schemaTitle": schema, "schemaVersion": "0.0.1"}}}}
}

func (c *execCase) executorOutputPath() string {
	return c.path(filepath.Join("task", "executor_output.json"))
}

type execResult struct {
	exitCode       int
	stdout, stderr string
	output         map[string]any // parsed ExecutorOutput, nil if absent
}

// run writes the source, runs executor_main and parses the ExecutorOutput.
func (c *execCase) run(src, fn string) execResult {
	c.t.Helper()
	py := pythonOrSkip(c.t)
	pp := sharedInstall(c.t)
	mod := c.path("ephemeral_component.py")
	if err := os.WriteFile(mod, []byte(srcHeader+src), 0o644); err != nil {
		c.t.Fatal(err)
	}
	ei := map[string]any{
		"inputs": map[string]any{"parameterValues": c.params, "artifacts": c.inArts},
		"outputs": map[string]any{"parameters": c.outPars, "artifacts": c.outArts,
			"outputFile": c.executorOutputPath()},
	}
	eiJSON, err := json.Marshal(ei)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(py, "-m", "kfp.dsl.executor_main", "--component_module_path", mod,
		"--executor_input", string(eiJSON), "--function_to_execute", fn, "--unknown_flag", "x")
	cmd.Dir = c.dir
	cmd.Env = append(PythonPathEnv(os.Environ(), pp), "_KFP_RUNTIME=true", "PYTHONDONTWRITEBYTECODE=1")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err = cmd.Run()
	res := execResult{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.exitCode = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	if data, err := os.ReadFile(c.executorOutputPath()); err == nil {
		if err := json.Unmarshal(data, &res.output); err != nil {
			c.t.Fatalf("bad executor output %q: %v", data, err)
		}
	}
	return res
}

func (r execResult) mustSucceed(t *testing.T) execResult {
	t.Helper()
	if r.exitCode != 0 {
		t.Fatalf("executor failed (exit %d)\nstdout:\n%s\nstderr:\n%s", r.exitCode, r.stdout, r.stderr)
	}
	if r.output == nil {
		t.Fatalf("no executor output written\nstdout:\n%s", r.stdout)
	}
	return r
}

// artifact returns ExecutorOutput artifacts[name].artifacts[0].
func (r execResult) artifact(t *testing.T, name string) map[string]any {
	t.Helper()
	arts, _ := r.output["artifacts"].(map[string]any)
	list, _ := arts[name].(map[string]any)
	entries, _ := list["artifacts"].([]any)
	if len(entries) != 1 {
		t.Fatalf("executor output has no artifact %q: %v", name, r.output)
	}
	return entries[0].(map[string]any)
}

func (r execResult) params() map[string]any {
	p, _ := r.output["parameterValues"].(map[string]any)
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEq(t *testing.T, what string, got any, wantJSON string) {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		t.Fatalf("%s = %s, want %s", what, g, wantJSON)
	}
}

func TestExecutorPrimitives(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.params = map[string]any{"a": 3, "b": 1.5, "s": "hi", "flag": true, "d": map[string]any{"k": 1},
		"l": []any{"x", "y"}, "pipelinechannel--ignored": "z"}
	c.outputParam("Output")
	res := c.run(`
def add(a: int, b: float, s: str, flag: bool, d: Dict[str, int], l: List[str], n: int = 7) -> int:
    assert type(a) is int, type(a)
    assert type(b) is float and b == 1.5
    assert s == 'hi' and flag is True and d == {'k': 1} and l == ['x', 'y']
    assert n == 7
    return a * 10 + n
`, "add").mustSucceed(t)
	jsonEq(t, "parameterValues", res.params(), `{"Output": 37}`)
	// The executor writes the raw JSON integer, not 37.0.
	if raw := readFile(t, c.executorOutputPath()); !strings.Contains(raw, `"Output": 37}`) {
		t.Fatalf("int not kept as int: %s", raw)
	}
}

func TestExecutorReturnTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ret, expr, want string }{
		{"str", "'x'", `"x"`},
		{"float", "2", `2`},
		{"bool", "False", `false`},
		{"list", "[1, 'a']", `[1, "a"]`},
		{"List[Dict[str, int]]", "[{'a': 1}]", `[{"a": 1}]`},
		{"dict", "{'k': [1]}", `{"k": [1]}`},
	} {
		t.Run(tc.ret, func(t *testing.T) {
			c := newCase(t)
			c.outputParam("Output")
			res := c.run("def f() -> "+tc.ret+":\n    return "+tc.expr+"\n", "f").mustSucceed(t)
			jsonEq(t, "Output", res.params()["Output"], tc.want)
		})
	}
}

func TestExecutorReturnTypeMismatch(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.outputParam("Output")
	res := c.run("def f() -> int:\n    return 'nope'\n", "f")
	if res.exitCode == 0 {
		t.Fatal("expected failure for str returned as int")
	}
	if !strings.Contains(res.stderr, "declared type is int") {
		t.Fatalf("unclear error: %s", res.stderr)
	}
}

func TestExecutorNamedTuple(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.outputParam("sum")
	c.outputParam("label")
	c.outputArtifact("model", "system.Model")
	c.params["a"] = 1
	res := c.run(`
def f(a: int) -> NamedTuple('Outputs', [('sum', int), ('label', str), ('model', Model)]):
    from collections import namedtuple
    out = namedtuple('Outputs', ['sum', 'label', 'model'])
    return out(a + 1, 'lbl', 'model text')
`, "f").mustSucceed(t)
	jsonEq(t, "parameterValues", res.params(), `{"sum": 2, "label": "lbl"}`)
	if got := readFile(t, c.path("task/model")); got != "model text" {
		t.Fatalf("model content %q", got)
	}
	// A plain tuple is matched by position.
	c2 := newCase(t)
	c2.outputParam("x")
	c2.outputParam("y")
	res = c2.run("def g() -> NamedTuple('o', x=str, y=float):\n    return ('a', 1)\n", "g").mustSucceed(t)
	jsonEq(t, "parameterValues", res.params(), `{"x": "a", "y": 1}`)
}

func TestExecutorArtifacts(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.inputArtifact("ds", "system.Dataset", map[string]any{"rows": 2}, "hello")
	c.inputArtifact("generic", "system.Model", nil, "m")
	c.outputArtifact("model", "system.Model")
	c.outputArtifact("html", "system.HTML")
	c.outputParam("Output")
	res := c.run(`
def f(ds: Input[Dataset], generic: Input[Artifact], model: Output[Model], html: Output[HTML]) -> str:
    assert isinstance(ds, Dataset) and ds.metadata['rows'] == 2 and ds.name == 'ds'
    assert isinstance(generic, Model), type(generic)
    assert ds.path == ds.uri
    with open(ds.path) as f:
        data = f.read()
    with open(model.path, 'w') as f:
        f.write(data.upper())
    model.metadata['framework'] = 'none'
    model.framework = 'sk'
    with open(html.path, 'w') as f:
        f.write('<p/>')
    return data
`, "f").mustSucceed(t)
	jsonEq(t, "parameterValues", res.params(), `{"Output": "hello"}`)
	m := res.artifact(t, "model")
	if m["uri"] != c.path("task/model") || m["name"] != "model" {
		t.Fatalf("model artifact %v", m)
	}
	jsonEq(t, "model metadata", m["metadata"], `{"framework": "sk"}`)
	if got := readFile(t, c.path("task/model")); got != "HELLO" {
		t.Fatalf("model content %q", got)
	}
	res.artifact(t, "html")
}

func TestExecutorInputOutputPath(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.inputArtifact("data", "system.Dataset", nil, "abc")
	c.params["text"] = "param text"
	c.params["num"] = 5
	c.outputParam("out_str")
	c.outputParam("out_list")
	c.outputArtifact("out_ds", "system.Dataset")
	c.outputArtifact("out_any", "system.Artifact")
	res := c.run(`
import json
def f(data: InputPath('Dataset'), text: InputPath(str), num: InputPath(int),
      out_str: OutputPath(str), out_list: OutputPath(List[str]),
      out_ds: OutputPath('Dataset'), out_any: dsl.OutputPath()):
    with open(data) as f:
        d = f.read()
    with open(text) as f:
        assert f.read() == 'param text'
    with open(num) as f:
        assert f.read() == '5'
    with open(out_str, 'w') as f:
        f.write(d)
    with open(out_list, 'w') as f:
        json.dump([d, d], f)
    with open(out_ds, 'w') as f:
        f.write(d * 2)
    with open(out_any, 'w') as f:
        f.write('any')
`, "f").mustSucceed(t)
	if got := readFile(t, c.path("task/params/out_str")); got != "abc" {
		t.Fatalf("out_str %q", got)
	}
	if got := readFile(t, c.path("task/params/out_list")); got != `["abc", "abc"]` {
		t.Fatalf("out_list %q", got)
	}
	if got := readFile(t, c.path("task/out_ds")); got != "abcabc" {
		t.Fatalf("out_ds %q", got)
	}
	if got := readFile(t, c.path("task/out_any")); got != "any" {
		t.Fatalf("out_any %q", got)
	}
	if _, ok := res.output["parameterValues"]; ok {
		t.Fatalf("OutputPath params must not be in parameterValues: %v", res.output)
	}
	res.artifact(t, "out_ds")
}

func TestExecutorMetrics(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.outputArtifact("metrics", "system.Metrics")
	c.outputArtifact("cls", "system.ClassificationMetrics")
	c.outputArtifact("sliced", "system.SlicedClassificationMetrics")
	res := c.run(`
def f(metrics: Output[Metrics], cls: Output[ClassificationMetrics], sliced: Output[SlicedClassificationMetrics]):
    metrics.log_metric('accuracy', 0.9)
    metrics.log_metric('count', 3)
    cls.log_roc_curve([0.0, 0.5], [0.2, 1.0], [float('inf'), 0.5])
    cls.set_confusion_matrix_categories(['a', 'b'])
    cls.log_confusion_matrix_row('a', [1, 2])
    cls.log_confusion_matrix_cell('b', 'a', 5)
    sliced.load_roc_readings('s1', [[0.5, 0.8, 0.1]])
    sliced.load_confusion_matrix('s1', ['x', 'y'], [[1, 0], [0, 1]])
`, "f").mustSucceed(t)
	jsonEq(t, "metrics", res.artifact(t, "metrics")["metadata"], `{"accuracy": 0.9, "count": 3}`)
	jsonEq(t, "classification", res.artifact(t, "cls")["metadata"], `{
	  "confidenceMetrics": [
	    {"confidenceThreshold": "Infinity", "recall": 0.2, "falsePositiveRate": 0.0},
	    {"confidenceThreshold": 0.5, "recall": 1.0, "falsePositiveRate": 0.5}],
	  "confusionMatrix": {"annotationSpecs": [{"displayName": "a"}, {"displayName": "b"}],
	    "rows": [{"row": [1, 2]}, {"row": [5, 0]}]}}`)
	jsonEq(t, "sliced", res.artifact(t, "sliced")["metadata"], `{"evaluationSlices": [{"slice": "s1",
	  "sliceClassificationMetrics": {
	    "confidenceMetrics": [{"confidenceThreshold": 0.5, "recall": 0.8, "falsePositiveRate": 0.1}],
	    "confusionMatrix": {"annotationSpecs": [{"displayName": "x"}, {"displayName": "y"}],
	      "rows": [{"row": [1, 0]}, {"row": [0, 1]}]}}}]}`)
}

func TestExecutorListOfArtifacts(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.inputArtifact("datasets", "system.Dataset", nil, "one", "two", "three")
	c.inputArtifact("more", "system.Dataset", nil, "x")
	c.outputArtifact("Output", "system.Dataset")
	res := c.run(`
def join(datasets: List[Dataset], more: Input[List[Dataset]]) -> Dataset:
    assert len(more) == 1
    texts = []
    for d in datasets:
        with open(d.path) as f:
            texts.append(f.read())
    return '+'.join(texts)
`, "join").mustSucceed(t)
	if got := readFile(t, c.path("task/Output")); got != "one+two+three" {
		t.Fatalf("joined %q", got)
	}
	res.artifact(t, "Output")
}

func TestExecutorTaskFinalStatus(t *testing.T) {
	t.Parallel()
	for name, status := range map[string]map[string]any{
		"camelCase": {"state": "FAILED", "pipelineJobResourceName": "run-1", "pipelineTaskName": "exit-handler-1",
			"error": map[string]any{"code": 9, "message": "boom"}},
		"snake_case": {"state": "FAILED", "pipeline_job_resource_name": "run-1", "pipeline_task_name": "exit-handler-1",
			"error_code": 9, "error_message": "boom"},
	} {
		t.Run(name, func(t *testing.T) {
			c := newCase(t)
			c.params["status"] = status
			c.params["user_input"] = "msg"
			c.run(`
def exit_op(user_input: str, status: dsl.PipelineTaskFinalStatus, cfg: TaskConfig = None):
    assert status.state == 'FAILED', status
    assert status.pipeline_job_resource_name == 'run-1'
    assert status.pipeline_task_name == 'exit-handler-1'
    assert status.error_code == 9 and status.error_message == 'boom', status
    assert cfg is None
`, "exit_op").mustSucceed(t)
		})
	}
	c := newCase(t)
	c.params["cfg"] = map[string]any{"nodeSelector": map[string]any{"a": "b"}, "env": []any{}}
	c.run(`
def f(cfg: TaskConfig):
    assert cfg.node_selector == {'a': 'b'} and cfg.env == [] and cfg.resources is None
`, "f").mustSucceed(t)
}

func TestExecutorPythonicArtifacts(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.inputArtifact("dataset", "system.Dataset", map[string]any{"length": 9}, "some data")
	c.outputArtifact("Output", "system.Model")
	res := c.run(`
def train_model(dataset: Dataset) -> Model:
    with open(dataset.path) as f:
        assert f.read() == 'some data'
    assert dataset.metadata['length'] == 9
    model = Model(uri=dsl.get_uri('model'), metadata={'k': 'v'})
    with open(model.path, 'w') as f:
        f.write('trained')
    return model
`, "train_model").mustSucceed(t)
	out := res.artifact(t, "Output")
	wantURI := c.path("task/model")
	if out["uri"] != wantURI {
		t.Fatalf("uri %v, want %s", out["uri"], wantURI)
	}
	jsonEq(t, "metadata", out["metadata"], `{"k": "v"}`)
	if got := readFile(t, wantURI); got != "trained" {
		t.Fatalf("content %q", got)
	}

	c2 := newCase(t)
	c2.outputArtifact("dataset1", "system.Dataset")
	c2.outputArtifact("dataset2", "system.Dataset")
	res = c2.run(`
def split() -> NamedTuple('outputs', dataset1=Dataset, dataset2=Dataset):
    d1 = Dataset(uri=dsl.get_uri(suffix='dataset1'))
    d2 = Dataset(uri=dsl.get_uri(suffix='d2'))
    for d in (d1, d2):
        with open(d.path, 'w') as f:
            f.write('x')
    outputs = NamedTuple('outputs', dataset1=Dataset, dataset2=Dataset)
    return outputs(dataset1=d1, dataset2=d2)
`, "split").mustSucceed(t)
	if got := res.artifact(t, "dataset2")["uri"]; got != c2.path("task/d2") {
		t.Fatalf("dataset2 uri %v", got)
	}
}

func TestExecutorOptionalAbsent(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.outputParam("Output")
	res := c.run(`
def f(a: Optional[str] = None, b: int = 4, art: Optional[Input[Artifact]] = None) -> Optional[str]:
    assert a is None and b == 4 and art is None
    return None
`, "f").mustSucceed(t)
	if _, ok := res.output["parameterValues"]; ok {
		t.Fatalf("None return must not be recorded: %v", res.output)
	}
}

func TestExecutorRaises(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	res := c.run("def f():\n    raise ValueError('kaboom')\n", "f")
	if res.exitCode == 0 {
		t.Fatal("raising component exited 0")
	}
	if !strings.Contains(res.stderr, "Traceback") || !strings.Contains(res.stderr, "ValueError: kaboom") {
		t.Fatalf("stderr lacks traceback: %s", res.stderr)
	}
	if res.output != nil {
		t.Fatalf("failed component wrote output: %v", res.output)
	}
}

func TestExecutorURIMapping(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.run(`
import os
def f():
    cases = [('gs://b/k', '/gcs/b/k'), ('s3://b/k', '/s3/b/k'), ('minio://b/k', '/minio/b/k'),
             ('/abs/p', '/abs/p')]
    for uri, path in cases:
        a = Dataset(uri=uri)
        assert a.path == path, (a.path, path)
        b = Dataset()
        b.path = path
        assert b.uri == uri, (b.uri, uri)
    assert Model(uri='oci://reg/repo:tag').path == '/oci/reg_repo:tag/models'
    assert Dataset(uri='oci://reg/repo:tag').path == '/oci/reg_repo:tag'
    w = Dataset(uri='minio://b/x', metadata={'_kfp_workspace': True})
    assert w.path == '/kfp-workspace/.artifacts/minio/b/x', w.path
    os.environ['SLUICE_WORKSPACE_PATH'] = '/ws'
    assert w.path == '/ws/.artifacts/minio/b/x', w.path
    os.environ['SLUICE_URI_PATH_PREFIX'] = '/cache'
    assert Dataset(uri='s3://b/k').path == '/cache/s3/b/k'
    d = Dataset()
    d.path = '/cache/gcs/b/k'
    assert d.uri == 'gs://b/k', d.uri
    c = Dataset(uri='s3://b/k')
    c.set_path('/tmp/elsewhere')
    assert c.path == '/tmp/elsewhere' and c.custom_path == '/tmp/elsewhere' and c.uri == 's3://b/k'
`, "f").mustSucceed(t)
}

func TestExecutorCustomPathAndEmbedded(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	c.outputArtifact("out", "system.Dataset")
	custom := c.path("custom/out.txt")
	res := c.run(`
import os, tempfile
__KFP_EMBEDDED_ASSET_DIR = tempfile.mkdtemp()
with open(os.path.join(__KFP_EMBEDDED_ASSET_DIR, 'log.txt'), 'w') as f:
    f.write('embedded')
__KFP_EMBEDDED_ASSET_FILE = os.path.join(__KFP_EMBEDDED_ASSET_DIR, 'log.txt')

def f(out: Output[Dataset], emb: dsl.EmbeddedInput[dsl.Dataset]):
    with open(emb.path) as f:
        assert f.read() == 'embedded'
    out.set_path(`+"'"+custom+"'"+`)
    with open(out.path, 'w') as f:
        f.write('hi')
`, "f").mustSucceed(t)
	if got := res.artifact(t, "out")["custom_path"]; got != custom {
		t.Fatalf("custom_path %v", got)
	}
}

func TestExecutorKFP20EntryPointAndConfig(t *testing.T) {
	t.Parallel()
	py := pythonOrSkip(t)
	pp := sharedInstall(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "comp.py"), []byte(srcHeader+
		"@dsl.component(base_image='python:3.11', target_image='x')\ndef hello(name: str) -> str:\n    return 'hi ' + name\n\n"+
		"@dsl.pipeline(name='p')\ndef p():\n    with dsl.ParallelFor([1, 2]) as item:\n        hello(name='a').set_caching_options(False)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kfp_config.ini"), []byte("[Components]\nhello = comp.py\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(dir, "out", "executor_output.json")
	ei := `{"inputs": {"parameterValues": {"name": "bob"}}, "outputs": {"parameters": {"Output": {"outputFile": "` +
		filepath.Join(dir, "out", "Output") + `"}}, "outputFile": "` + outFile + `"}}`
	for _, mod := range []string{"kfp.dsl.executor_main", "kfp.components.executor_main"} {
		os.Remove(outFile)
		cmd := exec.Command(py, "-m", mod, "--executor_input", ei, "--function_to_execute", "hello")
		cmd.Dir = dir
		cmd.Env = append(PythonPathEnv(os.Environ(), pp), "PYTHONDONTWRITEBYTECODE=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", mod, err, out)
		}
		if got := readFile(t, outFile); got != `{"parameterValues": {"Output": "hi bob"}}` {
			t.Fatalf("%s: output %s", mod, got)
		}
	}
}

func TestExecutorRunNotebookFallback(t *testing.T) {
	t.Parallel()
	c := newCase(t)
	nb := `{"cells": [
	  {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["text = 'default'\n"]},
	  {"cell_type": "markdown", "metadata": {}, "source": "# title"},
	  {"cell_type": "code", "metadata": {}, "source": ["%matplotlib inline\n", "open(OUT, 'w').write(text + str(n))\n"]}
	], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`
	if err := os.MkdirAll(c.path("assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path("assets/nb.ipynb"), []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	out := c.path("nb-out.txt")
	c.run(`
from kfp.dsl.types import artifact_types, type_annotations
__KFP_EMBEDDED_ASSET_DIR = `+"'"+c.path("assets")+"'"+`
__KFP_NOTEBOOK_REL_PATH = 'nb.ipynb'

def f():
    dsl.run_notebook(text='injected', n=1, OUT=`+"'"+out+"'"+`)
`, "f").mustSucceed(t)
	if got := readFile(t, out); got != "injected1" {
		t.Fatalf("notebook wrote %q", got)
	}
}
