package pyruntime

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLaunchConformance runs real compiled components end to end: the pip
// step is stripped with SplitPipInstall and the remaining "sh -ec <launch>
// <source>" command is run with the shim on PYTHONPATH.
func TestLaunchConformance(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "kfp-compiled")
	pythonOrSkip(t)
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("sh not found")
	}
	pp := sharedInstall(t)
	tests := []struct {
		file, exec, fn string
		setup          func(c *execCase)
		check          func(t *testing.T, c *execCase, r execResult)
	}{
		{"critical/pythonic_artifacts_test_pipeline.yaml", "exec-gen-data", "gen_data",
			func(c *execCase) { c.outputArtifact("Output", "system.Dataset") },
			func(t *testing.T, c *execCase, r execResult) {
				a := r.artifact(t, "Output")
				jsonEq(t, "metadata", a["metadata"], `{"length": 9}`)
				if got := readFile(t, a["uri"].(string)); got != "some data" {
					t.Fatalf("content %q", got)
				}
			}},
		{"essential/lightweight_python_functions_pipeline.yaml", "exec-preprocess", "preprocess",
			func(c *execCase) {
				c.params["message"] = "msg"
				c.params["input_dict_parameter"] = map[string]any{"A": 1}
				c.params["input_list_parameter"] = []any{"a"}
				c.outputArtifact("output_dataset_one", "system.Dataset")
				c.outputArtifact("output_dataset_two_path", "system.Dataset")
				for _, p := range []string{"output_parameter_path", "output_bool_parameter_path",
					"output_dict_parameter_path", "output_list_parameter_path"} {
					c.outputParam(p)
				}
			},
			func(t *testing.T, c *execCase, r execResult) {
				if got := readFile(t, c.path("task/params/output_bool_parameter_path")); got != "True" {
					t.Fatalf("bool output %q", got)
				}
				if got := readFile(t, c.path("task/output_dataset_two_path")); got != "msg" {
					t.Fatalf("dataset two %q", got)
				}
			}},
		{"pipeline_with_task_final_status.yaml", "exec-exit-op", "exit_op",
			func(c *execCase) {
				c.params["user_input"] = "hi"
				c.params["status"] = map[string]any{"state": "FAILED", "pipelineJobResourceName": "r",
					"pipelineTaskName": "exit-handler-1", "error": map[string]any{"code": 2, "message": "m"}}
			},
			func(t *testing.T, c *execCase, r execResult) {}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cmds, err := executorCommands(filepath.Join(dir, tc.file))
			if os.IsNotExist(err) {
				t.Skipf("%s not in corpus", tc.file)
			}
			if err != nil {
				t.Fatal(err)
			}
			rest, _, found := SplitPipInstall(cmds[tc.exec])
			if !found {
				t.Fatalf("no pip step in %s", tc.exec)
			}
			c := newCase(t)
			tc.setup(c)
			ei, _ := json.Marshal(map[string]any{
				"inputs": map[string]any{"parameterValues": c.params, "artifacts": c.inArts},
				"outputs": map[string]any{"parameters": c.outPars, "artifacts": c.outArts,
					"outputFile": c.executorOutputPath()},
			})
			args := append(append([]string{}, rest[1:]...),
				"--executor_input", string(ei), "--function_to_execute", tc.fn)
			cmd := exec.Command(rest[0], args...)
			cmd.Dir = c.dir
			cmd.Env = append(PythonPathEnv(os.Environ(), pp), "PYTHONDONTWRITEBYTECODE=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			data, err := os.ReadFile(c.executorOutputPath())
			if err != nil {
				t.Fatalf("no executor output: %v\n%s", err, out)
			}
			r := execResult{}
			if err := json.Unmarshal(data, &r.output); err != nil {
				t.Fatal(err)
			}
			tc.check(t, c, r)
		})
	}
}
