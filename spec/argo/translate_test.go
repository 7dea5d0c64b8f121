package argo_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

// wf is a small valid workflow; cases edit it.
const wf = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: demo-}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: msg, value: hi}]
  templates:
  - name: main
    inputs: {parameters: [{name: msg}]}
    dag:
      tasks:
      - {name: a, template: echo, arguments: {parameters: [{name: text, value: '{{inputs.parameters.msg}}'}]}}
      - name: b
        template: echo
        dependencies: [a]
        when: '"{{tasks.a.outputs.parameters.out}}" == "hi"'
        arguments: {parameters: [{name: text, value: 'got {{tasks.a.outputs.parameters.out}}'}]}
  - name: echo
    inputs: {parameters: [{name: text}]}
    outputs: {parameters: [{name: out, valueFrom: {path: /tmp/outputs/out/data}}]}
    container:
      image: alpine
      command: [sh, -c, 'mkdir -p /tmp/outputs/out && echo "{{inputs.parameters.text}}" | tee /tmp/outputs/out/data']
`

func TestBadWorkflows(t *testing.T) {
	tests := []struct {
		name, from, to string
		field, msg     string
	}{
		{"malformed YAML", "kind: Workflow", "kind: [Workflow", "", "invalid YAML"},
		{"not a mapping template", "  - name: echo\n", "  - 3\n  - name: echo\n", "spec.templates[1]", "expected a mapping"},
		{"unknown template", "template: echo, arguments", "template: ecko, arguments", "spec.templates[main].dag.tasks[a].template", `unknown template "ecko"`},
		{"unknown entrypoint", "entrypoint: main", "entrypoint: mane", "spec.entrypoint", `unknown template "mane"`},
		{"cyclic dependencies", "template: echo, arguments", "template: echo, dependencies: [b], arguments", "spec.templates[main].dag.tasks", "dependency cycle: a -> b -> a"},
		{"unknown dependency", "dependencies: [a]", "dependencies: [z]", "spec.templates[main].dag.tasks[b].dependencies", `no task "z"`},
		{"when it cannot parse", `== "hi"'`, `=== "hi" (('`, "spec.templates[main].dag.tasks[b].when", "Invalid token"},
		{"loop over a non-list", "dependencies: [a]", "dependencies: [a]\n        withItems: notalist", "spec.templates[main].dag.tasks[b].withItems", "expected a list"},
		{"withParam constant that is not a list", "dependencies: [a]", "dependencies: [a]\n        withParam: '{\"a\": 1}'", "spec.templates[main].dag.tasks[b].withParam", "not a JSON list"},
		{"undefined input in a container", `echo "{{inputs.parameters.text}}"`, `echo "{{inputs.parameters.txet}}"`, "spec.templates[echo].container.command[2]", `no input parameter "txet"`},
		{"undefined input in a DAG", "value: '{{inputs.parameters.msg}}'", "value: '{{inputs.parameters.nope}}'", "spec.templates[main].dag.tasks[a].arguments.parameters[0].value", `no input parameter "nope"`},
		{"unknown task output", "got {{tasks.a.outputs.parameters.out}}", "got {{tasks.a.outputs.parameters.zzz}}", "spec.templates[main].dag.tasks[b].arguments.parameters[0].value", `no output parameter "zzz"`},
		{"item outside a loop", "value: '{{inputs.parameters.msg}}'", "value: '{{item}}'", "spec.templates[main].dag.tasks[a].arguments.parameters[0].value", "only valid in a task with withItems"},
		{"missing input", "arguments: {parameters: [{name: text, value: '{{inputs.parameters.msg}}'}]}", "arguments: {}", "spec.templates[main].dag.tasks[a]", `needs input parameter "text"`},
		{"steps template", "    dag:\n", "    steps: []\n    dag:\n", "spec.templates[main].steps", "steps templates are not supported"},
		{"bad task name", "{name: a, template", "{name: ../a, template", "spec.templates[main].dag.tasks[0].name", "invalid task name"},
		{"very long task name", "{name: a, template", "{name: " + strings.Repeat("a", 100000) + ", template", "spec.templates[main].dag.tasks[0].name", `invalid task name "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"… (100000 bytes)`},
		{"duplicate template", "  - name: echo\n", "  - name: echo\n    container: {image: x}\n  - name: echo\n", "spec.templates[echo]", "two templates"},
		{"v2-compatible", "metadata: {generateName: demo-}", "metadata: {generateName: demo-, annotations: {pipelines.kubeflow.org/v2_pipeline: 'true'}}", "metadata.annotations", "v2-compatible"},
		{"no entrypoint", "  entrypoint: main\n", "", "spec.entrypoint", "missing"},
		{"template kind", "    container:\n", "    suspend: {}\n    container:\n", "spec.templates[echo]", "template kind not supported"},
		{"depends", "dependencies: [a]", "depends: a.Succeeded", "spec.templates[main].dag.tasks[b].depends", "not supported"},
		{"bad retry", "    container:\n", "    retryStrategy: {limit: many}\n    container:\n", "spec.templates[echo].retryStrategy.limit", "non-negative integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(wf, tt.from) {
				t.Fatalf("the case's text %q is not in the workflow", tt.from)
			}
			_, err := spec.Load([]byte(strings.Replace(wf, tt.from, tt.to, 1)))
			if err == nil {
				t.Fatal("loaded")
			}
			var se *spec.Error
			if !asSpecError(err, &se) {
				t.Fatalf("error %T %v is not a *spec.Error", err, err)
			}
			if se.Field != tt.field || !strings.Contains(se.Msg, tt.msg) {
				t.Fatalf("error = %q (field %q), want field %q and %q", err, se.Field, tt.field, tt.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			if len(err.Error()) > 1000 {
				t.Fatalf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func asSpecError(err error, out **spec.Error) bool {
	e, ok := err.(*spec.Error)
	*out = e
	return ok
}

func TestTranslation(t *testing.T) {
	p, err := spec.Load([]byte(wf))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != spec.KindArgo || p.Spec.PipelineInfo.Name != "demo" {
		t.Fatalf("kind %s, name %q", p.Kind, p.Spec.PipelineInfo.Name)
	}
	root := p.Spec.Root
	if d := root.InputDefinitions.Parameters["msg"]; d == nil || d.DefaultValue != "hi" || d.ParameterType != spec.TypeString {
		t.Fatalf("root input msg = %+v", d)
	}
	b := root.DAG.Tasks["b"]
	if b.TriggerPolicy.Condition != "govaluate(inputs.parameter_values['{{when}}'])" {
		t.Fatalf("condition %q", b.TriggerPolicy.Condition)
	}
	if got := b.Inputs.Parameters["{{when}}"].RuntimeValue.Constant; got != `"{{$.inputs.parameters['{{tasks.a.outputs.parameters.out}}']}}" == "hi"` {
		t.Fatalf("when input = %v", got)
	}
	ch := b.Inputs.Parameters["{{tasks.a.outputs.parameters.out}}"]
	if ch.TaskOutputParameter == nil || ch.TaskOutputParameter.ProducerTask != "a" || ch.Fallback == nil || *ch.Fallback != "{{tasks.a.outputs.parameters.out}}" {
		t.Fatalf("channel = %+v", ch)
	}
	ex := p.Spec.DeploymentSpec.Executors["exec-echo"].Container
	if !strings.Contains(ex.Command[2], `echo "{{$.inputs.parameters['text']}}" | tee {{$.outputs.parameters['out'].output_file}}`) {
		t.Fatalf("command = %q", ex.Command)
	}
	if len(ex.OutputFiles) != 1 || ex.OutputFiles[0].Parameter != "out" || ex.OutputFiles[0].Path != "/tmp/outputs/out/data" {
		t.Fatalf("output files = %+v", ex.OutputFiles)
	}
	if c := b.CachingOptions; c == nil || !c.EnableCache {
		t.Fatalf("caching = %+v", c)
	}
}

// TestCorpusRoundTrip translates every workflow of the KFP v1 corpus and
// checks that the IR it writes survives the JSON round trip the server
// stores it through: it decodes with no unknown field and loads again.
func TestCorpusRoundTrip(t *testing.T) {
	const corpus = "../../../shared/conformance/kfp-v1-compiled"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found at %s", corpus)
	}
	n := 0
	filepath.WalkDir(corpus, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), "kind: Workflow") {
			return nil
		}
		p, err := spec.Load(b)
		if err != nil {
			return nil // refusals are checked by the conformance test
		}
		n++
		js, err := json.Marshal(p.Spec)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(js)))
		dec.DisallowUnknownFields()
		var ps spec.PipelineSpec
		if err := dec.Decode(&ps); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		again, err := spec.Load(js)
		if err != nil {
			t.Errorf("%s: the stored JSON does not load again: %v", path, err)
		} else if again.Spec.Root.DAG == nil {
			t.Errorf("%s: lost its root DAG", path)
		}
		return nil
	})
	if n < 50 {
		t.Fatalf("only %d workflows loaded", n)
	}
}

func TestNotAPipeline(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", "looks like a Kubernetes Deployment (apps/v1); Sluice runs KFP IR YAML, KFP v1 component YAML and KFP v1 Argo workflows"},
		{"apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\n", "looks like an Argo WorkflowTemplate"},
		{"services: {web: {image: x}}\n", "looks like a Docker Compose file"},
		{"name: t\ncontainer: {image: x}\n", "looks like an Argo template"},
		{"foo: 1\nbar: 2\n", "looks like a mapping with keys bar, foo"},
	} {
		_, err := spec.Load([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// FuzzLoadWorkflow feeds mutated workflows to the loader: it must return a
// pipeline or an error, never panic or hang.
func FuzzLoadWorkflow(f *testing.F) {
	f.Add([]byte(wf))
	for _, name := range []string{"coin.yaml", "withitem_nested.yaml", "probes/p_rawart.yaml", "probes/p_recursion.yaml", "samples/exit_handler_local.yaml"} {
		if b, err := os.ReadFile(filepath.Join("../../../shared/conformance/kfp-v1-compiled", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"apiVersion":"argoproj.io/v1alpha1","kind":"Workflow","spec":{"entrypoint":"a","templates":[{"name":"a","dag":{"tasks":[{"name":"x","template":"a","when":"{{item}} > 1","withParam":"{{tasks.x.outputs.parameters.y}}"}]}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := spec.Load(data)
		if err == nil && (p.Spec == nil || p.Spec.Root == nil) {
			t.Fatal("loaded without a root")
		}
	})
}
