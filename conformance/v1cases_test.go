package conformance

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
)

// V1Cases covers every YAML file of the KFP v1 corpus
// (../shared/conformance/kfp-v1-compiled; V1.md §5 and samples/EXPECTED.md
// give the expectations). The top-level goldens and their recompiled-1.8.22
// twins share a case.
var V1Cases = v1Cases()

func v1Cases() map[string]Case {
	goldens := map[string]Case{
		"add_pod_env.yaml":                   {Check: logMatches("echo", `^[0-9a-f-]{36}/echo\n$`), Note: "the downward-API env KFP_POD_NAME is emulated"},
		"artifact_passing_using_volume.yaml": needsK8sV1("passes data through a PersistentVolumeClaim named at run time (data_passing_method=volume)", "volume-based data passing"),
		"basic.yaml":                         gsutilV1(),
		"basic_no_decorator.yaml":            gsutilV1(),
		"coin.yaml": {Note: "random: heads runs condition-1, tails skips it and print2 echoes the unresolved placeholder as Argo does",
			Check: anyOf(
				all(taskState("condition-1", S), taskState("condition-3", K)),
				all(taskState("condition-1", K), logContains("condition-3/print2", "{{tasks.condition-1.outputs.parameters.flip-again-output}}")))},
		"compose.yaml":       gsutilV1(),
		"default_value.yaml": gsutilV1(),
		"imagepullsecrets.yaml": {Params: map[string]any{"message": "a b b c"}, Check: logMatches("get-frequent", `^b\n$`),
			Note: "spec.imagePullSecrets go to the Kubernetes executor"},
		"input_artifact_raw_value.yaml": {Check: all(
			logContains("component-with-inline-input-artifact", "Constant artifact value"),
			logContains("component-with-input-artifact", "Constant artifact value"),
			logContains("component-with-input-artifact-2", "hard-coded artifact value"),
			logContains("component-with-input-artifact-3", "Text from a file with hard-coded artifact value"))},
		"kaniko.basic.yaml":    {LoadError: "looks like a Kubernetes Pod", Reason: "a Pod spec (the container builder's test data), not a workflow"},
		"kaniko.kubeflow.yaml": {LoadError: "looks like a Kubernetes Pod", Reason: "a Pod spec (the container builder's test data), not a workflow"},
		"loop_over_lightweight_output.yaml": {Check: all(
			logMatches("for-loop-1/0/consume-data", `^1\n$`), logMatches("for-loop-1/1/consume-data", `^2\n$`), logMatches("for-loop-1/2/consume-data", `^3\n$`))},
		"opsgroups.yaml": {Check: all(logContains("graph-echo1-graph-component-1/echo1-task1", "message 1"), logContains("graph-echo2-graph-component-2/echo2-task1", "message 2"))},
		"parallelfor_item_argument_resolving.yaml": {Check: all(
			logMatches("for-loop-1/1/consume-2", `^z\n$`), logMatches("for-loop-2/0/consume-5", `^1234567890\n$`),
			logMatches("for-loop-3/1/consume-7", `^aaa2\n$`), logMatches("for-loop-5/0/consume-9", `^\{"a":1,"b":2\}\n$`))},
		"parallelfor_pipeline_param_in_items_resolving.yaml": {Params: map[string]any{"fname1": "Ann", "fname2": "Bob"},
			Check: all(logContains("for-loop-2/0/consume", "My name is Ann"), logContains("for-loop-2/1/consume", "My name is Bob"))},
		"param_op_transform.yaml": {Params: map[string]any{"param": "x"}, State: F, ErrorContains: "has no command",
			Reason: "its step has no command: it runs the entrypoint of its (placeholder) image"},
		"param_substitutions.yaml": needsK8sV1("creates a PersistentVolumeClaim (VolumeOp)", "resource templates"),
		"pipelineparams.yaml":      {Params: map[string]any{"tag": "latest"}, State: F, ErrorContains: "sidecar", Reason: "its step talks to a sidecar container, which Sluice's executors do not run"},
		"preemptible_tpu_gpu.yaml": {Note: "the GPU request, tolerations and affinity go to the Kubernetes executor; here they are warned about",
			Check: logMatches("flip", `^(heads|tails)\n$`)},
		"recursive_do_while.yaml": {Note: "random depth", Check: logMatches("print-2", `^cool, it is over\. (heads|tails)\n$`)},
		"recursive_while.yaml":    {Note: "random depth", Check: logContains("print-2", "cool, it is over.")},
		"resourceop_basic.yaml":   {Params: map[string]any{"username": "u", "password": "p"}, State: F, ErrorContains: "resource templates", Reason: "needs Kubernetes: creates a Secret (ResourceOp)"},
		"sidecar.yaml":            {State: F, ErrorContains: "sidecar", Reason: "its step talks to a sidecar container, which Sluice's executors do not run"},
		"timeout.yaml": {State: S, OrStates: []runstate.State{F}, Note: "random: succeeds only if both steps draw 0 (p=1/8); the first has a 10 s deadline, the run 50 s",
			Check: anyOf(all(taskState("random-failure", S), taskState("random-failure-2", S)), taskState("random-failure", F), taskState("random-failure-2", F))},
		"tolerations.yaml":                  {LoadError: "spec.entrypoint: missing", Reason: "a fragment with no entrypoint (the SDK's test data), not a runnable workflow"},
		"uri_artifacts.yaml":                {LoadError: "v2-compatible", Reason: "KFP v1's v2-compatible mode, which KFP 2 dropped: refused with a clear message"},
		"volume.yaml":                       {State: F, ErrorContains: "mounts secret user-gcp-sa", Reason: "needs Kubernetes: mounts a secret (and reads gs:// with gsutil)"},
		"volume_snapshotop_rokurl.yaml":     needsK8sParamsV1("creates PersistentVolumeClaims and VolumeSnapshots", map[string]any{"rok_url": "x"}),
		"volume_snapshotop_sequential.yaml": needsK8sParamsV1("creates PersistentVolumeClaims and VolumeSnapshots", map[string]any{"url": "x"}),
		"volumeop_basic.yaml":               needsK8sParamsV1("creates a PersistentVolumeClaim (VolumeOp)", map[string]any{"size": "1Gi"}),
		"volumeop_dag.yaml":                 needsK8sV1("creates a PersistentVolumeClaim (VolumeOp)", "resource templates"),
		"volumeop_parallel.yaml":            needsK8sV1("creates a PersistentVolumeClaim (VolumeOp)", "resource templates"),
		"volumeop_sequential.yaml":          needsK8sV1("creates a PersistentVolumeClaim (VolumeOp)", "resource templates"),
		"withitem_basic.yaml": {Check: all(logContains("for-loop-2/0/my-in-coop1", "op1 1 10"), logContains("for-loop-2/0/my-in-coop2", "op2 2"),
			logContains("for-loop-2/1/my-in-coop1", "op1 10 10"), logContains("for-loop-2/1/my-in-coop2", "op2 20"), logMatches("my-out-cop", `^10\n$`))},
		"withitem_nested.yaml": {Check: all(logContains("for-loop-2/0/for-loop-4/1/my-inner-inner-coop", "op1 1 200 10"),
			logContains("for-loop-2/1/for-loop-4/2/my-inner-inner-coop", "op1 10 300 10"))},
		"withparam_global.yaml":      {Check: all(logContains("for-loop-1/0/my-in-cop1", "3"), logContains("for-loop-1/3/my-in-cop1", "9"))},
		"withparam_global_dict.yaml": {Check: all(logContains("for-loop-1/0/my-in-cop1", "item.a: 1"), logContains("for-loop-1/1/my-in-cop1", "item.a: 10"))},
		"withparam_output.yaml":      {Check: all(logContains("for-loop-1/0/my-in-cop1", "20"), logContains("for-loop-1/10/my-in-cop1", "30"))},
		"withparam_output_dict.yaml": {Check: all(logContains("for-loop-1/0/my-in-cop1", "item.a: 1"), logContains("for-loop-1/1/my-in-cop1", "item.a: 10"))},
	}
	cases := map[string]Case{
		// v1 components (func_to_container_op output and the goldens'
		// components) run as one-step pipelines.
		"func-components/compute_average_component.yaml": {Params: map[string]any{"data": "[1, 2, 3, 4, 5]"}, Outputs: map[string]any{"output": 3}},
		"func-components/read_data_component.yaml":       {Outputs: map[string]any{"output": []any{1, 2, 3, 4, 5}}},
		"func-components/save_result_component.yaml":     {Params: map[string]any{"value": 3.0}, Check: workFile("save-result", "result.txt", "3.0")},
		"func-components/my_pipeline.yaml": {Note: "the tutorial: save_result writes 3.0",
			Check: all(workFile("save-result", "result.txt", "3.0"), taskState("read-data", S), taskState("compute-average", S))},
		"func-components/c_multi.yaml": {Params: map[string]any{"a": 1.5}},
		"func-components/c_files.yaml": {Artifacts: map[string]string{"data": "x,y\n1,2\n"}},
		"func-components/c_pkgs.yaml":  {Params: map[string]any{"x": "a"}, State: F, ErrorContains: `package "numpy" is not installed`, Reason: "needs Python packages numpy and pandas (no package index here)"},
		"func-components/c_types_f.yaml": {LoadError: `inputValue "a": the input has an artifact type`,
			Reason: "passes inputs typed typing.List[int] (artifact types for KFP 2) by value: KFP 2's component loader refuses it the same way"},
		"func-components/c_types_h3.yaml": {State: F, ErrorContains: "exited with code 1",
			Note: "fails by design: the function returns None for its declared outputs (an emitter test), as it does on KFP"},
		"test_data/consume_2.component.yaml": {LoadError: `the input has an artifact type`,
			Reason: "untyped inputs passed by value: KFP 2's component loader reads them as artifacts and refuses it the same way (they load inside v1 workflows)"},
		"test_data/process_2_2.component.yaml": {LoadError: `the input has an artifact type`,
			Reason: "untyped inputs passed by value: KFP 2's component loader reads them as artifacts and refuses it the same way (they load inside v1 workflows)"},
		"test_data/produce_2.component.yaml":       {},
		"testpackage/mypipeline/kaniko.basic.yaml": {LoadError: "looks like a Kubernetes Pod", Reason: "a Pod spec (the SDK's packaging test data), not a workflow"},

		"probes/p_condition.yaml": {Note: "random flip", Check: all(logContains("show-5", "after"), anyOf(
			all(taskState("condition-is-heads-1", S), logContains("condition-is-heads-1/show", "heads!")), taskState("condition-is-heads-1", K)))},
		"probes/p_exit_params.yaml": {State: F, ErrorContains: "exit-handler-1/fail",
			Note:  "fails by design: the body fails; the exit handler still runs with the workflow's argument",
			Check: all(logMatches("onExit", `^world\n$`), taskState("onExit", S))},
		"probes/p_loops.yaml": {Check: all(logMatches("for-loop-2/2/show", `^3\n$`), logMatches("for-loop-4/1/show-3", `^q\n$`),
			taskState("for-loop-5/0/condition-6", S), taskState("for-loop-5/1/condition-6", K), logMatches("for-loop-12/1/show-7", `^lit\n$`))},
		"probes/p_misc.yaml": {Note: "retries, deadlines, resources, podSpecPatch, volumes and caching options; the exit handler runs last",
			Check: all(logContains("exit-handler-1/consume", "hello ['a.txt'] small"), logMatches("onExit", `^bye\n$`))},
		"probes/p_params.yaml": {Params: map[string]any{"nodef": "x"}, Check: all(
			logContains("show", "x 1 1.5 True [1, 2] {'k': 'v'}"), logContains("show-3", "u-suffix"))},
		"probes/p_rawart.yaml": {Check: all(logMatches("cat", `^constant text\n?$`), logMatches("cat-2", `^from-param\n?$`),
			logMatches("for-loop-2/1/cat-3", `^i2\n?$`), logMatches("cat-4", `^generated\n?$`))},
		"probes/p_recursion.yaml": {Note: "random depth", Check: logMatches("show-2", `^done\n$`)},

		"samples/caching.yaml": {Note: "60 s step; run twice: the second comes from the cache with the same output",
			Cache: fileCache, Again: sameCached("do-work-op", true)},
		"samples/caching_max_staleness_p0d.yaml": {Note: "60 s step; run twice: max_cache_staleness P0D, the second runs again",
			Cache: fileCache, Again: sameCached("do-work-op", false)},
		"samples/condition.yaml": {Note: "random", Check: anyOf(
			all(taskState("condition-1", S), logContains("condition-1/print-msg-3", "condition test")), taskState("condition-1", K))},
		"samples/dns_config.yaml":      {Check: logContains("echo", "hello world")},
		"samples/execution_order.yaml": {Check: all(logContains("echo1-op", "message 1"), logContains("echo2-op", "message 2"), before("echo1-op", "echo2-op"))},
		"samples/exit_handler_local.yaml": {Check: all(logContains("exit-handler-1/print-file", "To be, or not to be: that is the question"),
			logMatches("onExit", `^exit!\n$`), before("exit-handler-1/print-file", "onExit"))},
		"samples/hello_world.yaml": {Check: logContains("echo-op", "Hello world")},
		"samples/lightweight_component_local.yaml": {Check: all(
			taskOutput("add", "add-Output", "11.0"), taskOutput("my-divmod", "my-divmod-quotient", "1.0"),
			artifactOf("my-divmod", "my-divmod-remainder", "system.Artifact", "3.0"), artifactOf("add-2", "add-2-Output", "system.Artifact", "18.0"),
			metricsOf("my-divmod", map[string]any{"quotient": 1.0, "remainder": 3.0}))},
		"samples/loop_output.yaml": {Check: all(logMatches("for-loop-1/0/print-op", `^1.1\n$`), logMatches("for-loop-1/2/print-op", `^1.3\n$`))},
		"samples/loop_parallelism.yaml": {Check: all(logMatches("for-loop-2/0/print-op", `^\{"A_a":1,"B_b":2\}\n$`),
			logMatches("for-loop-2/1/print-op-2", `^10\n$`), logMatches("for-loop-2/1/print-op-3", `^20\n$`))},
		"samples/loop_parameter.yaml": {Check: all(logMatches("for-loop-1/0/print-op-2", `^110\n$`), logMatches("for-loop-1/3/print-op-2", `^440\n$`))},
		"samples/loop_static.yaml":    {Check: all(logMatches("for-loop-1/0/print-op-2", `^12\n$`), logMatches("for-loop-1/1/print-op-2", `^1020\n$`))},
		"samples/multiple_outputs_local.yaml": {Check: all(taskOutput("product-sum", "product-sum-product", "5.0"),
			artifactOf("product-sum-3", "product-sum-3-product", "system.Artifact", "27.5"), artifactOf("product-sum-3", "product-sum-3-sum", "system.Artifact", "10.5"))},
		"samples/nested_condition.yaml":    {Note: "random", Check: all(taskState("condition-1", S), logMatches("condition-1/print-op-3", `^(heads|tails)\n$`))},
		"samples/output_a_directory.yaml":  {Check: all(logContains("list-dir-files", "1.txt\n10.txt\n11.txt"), logContains("list-dir-files-python-op", "14.txt"))},
		"samples/parallel_join_local.yaml": {Check: logContains("echo", "Text 1: To be, or not to be\nText 2: that is the question")},
		"samples/parallelism_sub_dag.yaml": {Note: "subgraph parallelism 2 caps the loop's iterations",
			Check: all(logMatches("subgraph-1/for-loop-3/0/print-op", `^\{"A_a":1,"B_b":2\}\n$`), logMatches("subgraph-1/for-loop-3/1/print-op-3", `^20\n$`))},
		"samples/parallelism_sub_dag_with_op_output.yaml": {Check: all(logMatches("subgraph-1/for-loop-2/1/print-op", `^\{"A_a":10,"B_b":20\}\n$`),
			logMatches("subgraph-1/for-loop-2/0/print-op-2", `^1\n$`))},
		"samples/pipeline_parallelism_limits.yaml": {Note: "spec.parallelism 1: the two steps never overlap",
			Check: all(logContains("print-op", "hey, what are you up to?"), logContains("print-op-2", "train my model."), noOverlap("print-op", "print-op-2"))},
		"samples/pipeline_transformers.yaml": {Note: "the pod annotation goes to the Kubernetes executor",
			Check: all(logContains("print-op", "hey, what are you up to?"), logContains("print-op-2", "train my model."))},
		"samples/recursion.yaml":                {Note: "random depth", Check: logContains("print-2", "cool, it is over.")},
		"samples/resource_spec.yaml":            {Check: artifactOf("training-op", "training-op-Output", "system.Artifact", "11234567")},
		"samples/retry.yaml":                    {OrStates: []runstate.State{F}, Note: "random: succeeds with p≈0.94 (retries 10 and 5)"},
		"samples/runtime_resource_request.yaml": {Check: all(taskOutput("generate-resource-request", "generate-resource-request-memory", "500Mi"), artifactOf("training-op", "training-op-Output", "system.Artifact", "11234567"))},
		"samples/sequential_local.yaml":         {Check: logContains("echo", "To be, or not to be: that is the question")},
		"samples/use_run_id_local.yaml":         {Check: runIDLogged("get-run-info")},
		"samples/visualization_markdown.yaml":   {Check: artifactOf("markdown-visualization", "mlpipeline-ui-metadata", "kfp.v1.UIMetadata", "# Inline Markdown")},
		"samples/visualization_table.yaml":      {Check: artifactOf("table-visualization", "mlpipeline-ui-metadata", "kfp.v1.UIMetadata", `"type": "table"`)},
	}
	for name, c := range goldens {
		cases[name] = c
		cases["recompiled-1.8.22/"+name] = c
	}
	delete(cases, "recompiled-1.8.22/kaniko.basic.yaml")
	delete(cases, "recompiled-1.8.22/kaniko.kubeflow.yaml")
	delete(cases, "recompiled-1.8.22/tolerations.yaml")
	return cases
}

func gsutilV1() Case {
	return Case{NotRun: true, Reason: "reads gs:// with gsutil (Google Cloud Storage); with no network gsutil can wait for minutes"}
}

func needsK8sV1(what, errSub string) Case {
	return Case{State: F, Reason: "needs Kubernetes: " + what, ErrorContains: errSub}
}

func needsK8sParamsV1(what string, params map[string]any) Case {
	c := needsK8sV1(what, "resource templates")
	c.Params = params
	return c
}

func task(res *engine.Result, id string) (*engine.Task, error) {
	for _, t := range res.Tasks {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("no task %s", id)
}

func all(checks ...func(*engine.Result) error) func(*engine.Result) error {
	return func(res *engine.Result) error {
		for _, c := range checks {
			if err := c(res); err != nil {
				return err
			}
		}
		return nil
	}
}

func anyOf(checks ...func(*engine.Result) error) func(*engine.Result) error {
	return func(res *engine.Result) error {
		var errs []string
		for _, c := range checks {
			err := c(res)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("none of the possible outcomes: %s", strings.Join(errs, "; "))
	}
}

func taskState(id string, want runstate.State) func(*engine.Result) error {
	return func(res *engine.Result) error {
		t, err := task(res, id)
		if err != nil {
			return err
		}
		if t.State != want {
			return fmt.Errorf("task %s is %s, want %s", id, t.State, want)
		}
		return nil
	}
}

func taskOutput(id, name, want string) func(*engine.Result) error {
	return func(res *engine.Result) error {
		t, err := task(res, id)
		if err != nil {
			return err
		}
		if t.Outputs == nil || t.Outputs.Parameters[name] != want {
			return fmt.Errorf("task %s output %s = %v, want %q", id, name, t.Outputs, want)
		}
		return nil
	}
}

func logMatches(id, re string) func(*engine.Result) error {
	return func(res *engine.Result) error {
		t, err := task(res, id)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(t.LogURI)
		if err != nil {
			return err
		}
		if !regexpMatch(re, string(b)) {
			return fmt.Errorf("log of %s does not match %s:\n%s", id, re, b)
		}
		return nil
	}
}

// workFile checks a file a step wrote in its working directory.
func workFile(id, name, want string) func(*engine.Result) error {
	return func(res *engine.Result) error {
		t, err := task(res, id)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(t.LogURI), "work", name))
		if err != nil {
			return err
		}
		if string(b) != want {
			return fmt.Errorf("%s of %s = %q, want %q", name, id, b, want)
		}
		return nil
	}
}

func before(a, b string) func(*engine.Result) error {
	return func(res *engine.Result) error {
		ta, err := task(res, a)
		if err != nil {
			return err
		}
		tb, err := task(res, b)
		if err != nil {
			return err
		}
		if tb.Started.Before(ta.Finished) {
			return fmt.Errorf("%s started before %s finished", b, a)
		}
		return nil
	}
}

func noOverlap(a, b string) func(*engine.Result) error {
	return anyOf(before(a, b), before(b, a))
}

func runIDLogged(id string) func(*engine.Result) error {
	return func(res *engine.Result) error {
		return logContains(id, "Current run ID is "+res.RunID+".")(res)
	}
}

func metricsOf(id string, want map[string]any) func(*engine.Result) error {
	return func(res *engine.Result) error {
		t, err := task(res, id)
		if err != nil {
			return err
		}
		if t.Outputs == nil || len(t.Outputs.Artifacts["mlpipeline-metrics"]) != 1 {
			return fmt.Errorf("task %s has no mlpipeline-metrics artifact", id)
		}
		a := t.Outputs.Artifacts["mlpipeline-metrics"][0]
		if a.Type.SchemaTitle != "system.Metrics" {
			return fmt.Errorf("mlpipeline-metrics is a %s", a.Type.SchemaTitle)
		}
		for k, v := range want {
			if a.Metadata[k] != v {
				return fmt.Errorf("metric %s = %v, want %v (metadata %v)", k, a.Metadata[k], v, a.Metadata)
			}
		}
		return nil
	}
}

func artifactOf(id, name, schema, content string) func(*engine.Result) error {
	return func(res *engine.Result) error {
		t, err := task(res, id)
		if err != nil {
			return err
		}
		if t.Outputs == nil || len(t.Outputs.Artifacts[name]) != 1 {
			return fmt.Errorf("task %s has no %s artifact", id, name)
		}
		a := t.Outputs.Artifacts[name][0]
		if a.Type.SchemaTitle != schema {
			return fmt.Errorf("%s is a %s, want %s", name, a.Type.SchemaTitle, schema)
		}
		b, err := os.ReadFile(a.URI)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), content) {
			return fmt.Errorf("%s does not contain %q: %s", name, content, b)
		}
		return nil
	}
}

func fileCache(t *testing.T) engine.Cache { return &engine.FileCache{Dir: t.TempDir()} }

// sameCached checks a second run: served from the cache with the first
// run's outputs, or run again.
func sameCached(id string, cached bool) func(first, second *engine.Result) error {
	return func(first, second *engine.Result) error {
		a, err := task(first, id)
		if err != nil {
			return err
		}
		b, err := task(second, id)
		if err != nil {
			return err
		}
		if second.State != runstate.Succeeded || b.Cached != cached {
			return fmt.Errorf("second run: %s, task %s cached=%v, want %v", second.State, id, b.Cached, cached)
		}
		content := func(t *engine.Task) string {
			var s string
			for _, name := range slices.Sorted(maps.Keys(t.Outputs.Artifacts)) {
				for _, a := range t.Outputs.Artifacts[name] {
					b, _ := os.ReadFile(a.URI)
					s += name + "=" + string(b) + "\n"
				}
			}
			return s
		}
		if same := content(a) == content(b); same != cached {
			return fmt.Errorf("second run's outputs %q, first's %q (cached=%v)", content(b), content(a), cached)
		}
		return nil
	}
}
