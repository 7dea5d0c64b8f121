package spec

import (
	"errors"
	"strings"
	"testing"
)

const storedIR = `pipelineInfo: {name: p}
schemaVersion: 2.1.0
root:
  dag:
    tasks:
      t: {taskInfo: {name: t}, componentRef: {name: comp-t}}
components:
  comp-t: {executorLabel: exec-t}
deploymentSpec:
  executors:
    exec-t: {container: {image: alpine, command: [echo, "<a & b>"]}}
`

const storedPlatform = `---
platforms:
  kubernetes:
    deploymentSpec:
      executors:
        exec-t: {nodeSelector: {labels: {disk: ssd}}}
`

func TestStoredRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		wrapped    bool
	}{
		{"bare", storedIR, false},
		{"with a platform spec", storedIR + storedPlatform, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			b, err := MarshalStored(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.HasPrefix(string(b), `{"pipeline_spec":`); got != tc.wrapped {
				t.Fatalf("wrapped = %v, want %v: %s", got, tc.wrapped, b)
			}
			if !strings.Contains(string(b), `"<a & b>"`) {
				t.Errorf("HTML characters escaped: %s", b)
			}
			back, err := LoadStored(b)
			if err != nil {
				t.Fatal(err)
			}
			again, err := MarshalStored(back)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(b) {
				t.Fatalf("round trip changed the spec:\n%s\n%s", b, again)
			}
			if (back.Platform != nil) != tc.wrapped {
				t.Fatalf("platform %+v", back.Platform)
			}
		})
	}
}

func TestLoadStoredForms(t *testing.T) {
	p, err := Load([]byte(storedIR))
	if err != nil {
		t.Fatal(err)
	}
	bare, _ := MarshalStored(p)
	for _, tc := range []struct {
		name, in string
		platform bool
		part     string // the StoredError's part, when it fails
	}{
		{"bare JSON", string(bare), false, ""},
		{"YAML", storedIR, false, ""},
		{"wrapper without a platform", `{"pipeline_spec": ` + string(bare) + `}`, false, ""},
		{"null platform", `{"pipeline_spec": ` + string(bare) + `, "platform_spec": null}`, false, ""},
		{"empty platform", `{"pipeline_spec": ` + string(bare) + `, "platform_spec": {}}`, false, ""},
		{"platform", `{"pipeline_spec": ` + string(bare) + `, "platform_spec": {"platforms": {"kubernetes": {}}}}`, true, ""},
		{"bad pipeline_spec", `{"pipeline_spec": {"root": 1}}`, false, "pipeline_spec"},
		{"bad platform_spec", `{"pipeline_spec": ` + string(bare) + `, "platform_spec": {"platforms": 3}}`, false, "platform_spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadStored([]byte(tc.in))
			if tc.part != "" {
				var se *StoredError
				if !errors.As(err, &se) || se.Part != tc.part {
					t.Fatalf("err %v, want a StoredError of %s", err, tc.part)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.PipelineInfo.Name != "p" || (got.Platform != nil) != tc.platform {
				t.Fatalf("loaded %+v platform %+v", got.Spec.PipelineInfo, got.Platform)
			}
		})
	}
	// A bare spec that happens to have a pipeline_spec key is not a wrapper.
	if _, err := LoadStored([]byte(`{"pipelineInfo": {"name": "x"}, "pipeline_spec": 1}`)); errors.As(err, new(*StoredError)) {
		t.Fatalf("a bare spec read as a wrapper: %v", err)
	}
}

// TestStoredKeepsTheWorkflow: a KFP v1 workflow is stored with the IR it
// was translated to, and comes back as it was submitted.
func TestStoredKeepsTheWorkflow(t *testing.T) {
	wf := `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: hello
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: hello
    inputs: {parameters: [{name: who}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.who}}"]}
`
	p, err := Load([]byte(wf))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindArgo || !strings.Contains(string(p.Workflow), `"generateName":"hello-"`) {
		t.Fatalf("kind %s, workflow %s", p.Kind, p.Workflow)
	}
	b, err := MarshalStored(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"pipeline_spec":`) || strings.Contains(string(b), `"platform_spec"`) {
		t.Fatalf("stored form: %s", b)
	}
	back, err := LoadStored(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Kind != KindArgo || string(back.Workflow) != string(p.Workflow) {
		t.Fatalf("kind %s, workflow %s", back.Kind, back.Workflow)
	}
	again, _ := MarshalStored(back)
	if string(again) != string(b) {
		t.Fatalf("round trip changed the stored form:\n%s\n%s", b, again)
	}
}
