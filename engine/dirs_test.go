package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/runstate"
)

// A step gets its working directory and its log; the task's directory
// (artifacts, ExecutorOutput) only when it has output artifacts or is told
// where its ExecutorOutput goes: one mkdir less for every step that can
// write nothing there, and a step that can still finds its directory.
func TestTaskDirOnlyWhenWritable(t *testing.T) {
	e := newEngine(t)
	p := load(t, `
pipelineInfo: {name: dirs}
root:
  dag:
    tasks:
      plain:
        taskInfo: {name: plain}
        componentRef: {name: comp-plain}
      meta:
        taskInfo: {name: meta}
        componentRef: {name: comp-meta}
      whole:
        taskInfo: {name: whole}
        componentRef: {name: comp-whole}
      art:
        taskInfo: {name: art}
        componentRef: {name: comp-art}
components:
  comp-plain: {executorLabel: exec-plain}
  comp-meta:
    executorLabel: exec-meta
    outputDefinitions: {parameters: {n: {parameterType: NUMBER_INTEGER}}}
  comp-whole: {executorLabel: exec-whole}
  comp-art:
    executorLabel: exec-art
    outputDefinitions: {artifacts: {data: {artifactType: {schemaTitle: system.Dataset}}}}
deploymentSpec:
  executors:
    exec-plain:
      container: {image: alpine, command: [sh, -c, 'pwd > where']}
    exec-meta:
      container: {image: alpine, command: [sh, -c, 'echo "{\"parameterValues\": {\"n\": 7}}" > "$0"', '{{$.outputs.output_file}}']}
    exec-whole:
      container: {image: alpine, command: [sh, -c, ':', '{{$}}']}
    exec-art:
      container: {image: alpine, command: [sh, -c, 'echo x > "$0"', "{{$.outputs.artifacts['data'].path}}"]}
`)
	res := run(t, e, p, nil)
	if res.State != runstate.Succeeded {
		t.Fatalf("run %s: %s", res.State, res.Error)
	}
	for task, want := range map[string]bool{"plain": false, "meta": true, "whole": true, "art": true} {
		_, err := os.Stat(filepath.Join(res.RunRoot, task))
		if got := err == nil; got != want {
			t.Errorf("task directory of %s exists: %v, want %v", task, got, want)
		}
		for _, f := range []string{"log.txt", "work"} {
			if _, err := os.Stat(filepath.Join(res.RunRoot, ".sluice", "tasks", task, f)); err != nil {
				t.Errorf("%s: %v", task, err)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(res.RunRoot, ".sluice", "tasks", "plain", "work", "where")); err != nil || len(b) == 0 {
		t.Errorf("plain did not run in its working directory: %q, %v", b, err)
	}
	for _, tk := range res.Tasks {
		if tk.ID == "meta" && (tk.Outputs == nil || tk.Outputs.Parameters["n"] != int64(7)) {
			t.Errorf("meta's ExecutorOutput was not read: %+v", tk.Outputs)
		}
	}
}
