package kubernetes

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sluicehq/sluice/artifact"
	"github.com/sluicehq/sluice/artifact/artifacttest"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/internal/kubetest"
	"github.com/sluicehq/sluice/launch"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// mixed: a ParallelFor whose squares are summed, a condition on the sum
// guarding a step that writes an artifact, and a step that always fails
// and is retried twice.
const mixed = `
pipelineInfo: {name: mixed}
root:
  inputDefinitions:
    parameters:
      threshold: {parameterType: NUMBER_INTEGER, defaultValue: 5.0, isOptional: true}
  dag:
    outputs:
      parameters:
        total: {valueFromParameter: {producerSubtask: sum, outputParameterKey: total}}
    tasks:
      for-loop-1:
        taskInfo: {name: for-loop-1}
        componentRef: {name: comp-for-loop-1}
        parameterIterator:
          itemInput: pipelinechannel--loop-item-param-1
          items: {raw: '[1, 2, 3]'}
      sum:
        taskInfo: {name: sum}
        componentRef: {name: comp-sum}
        dependentTasks: [for-loop-1]
        inputs:
          parameters:
            nums: {taskOutputParameter: {producerTask: for-loop-1, outputParameterKey: pipelinechannel--square-y}}
      condition-2:
        taskInfo: {name: condition-2}
        componentRef: {name: comp-condition-2}
        dependentTasks: [sum]
        inputs:
          parameters:
            pipelinechannel--sum-total: {taskOutputParameter: {producerTask: sum, outputParameterKey: total}}
            pipelinechannel--threshold: {componentInputParameter: threshold}
        triggerPolicy:
          condition: int(inputs.parameter_values['pipelinechannel--sum-total']) > int(inputs.parameter_values['pipelinechannel--threshold'])
      flaky:
        taskInfo: {name: flaky}
        componentRef: {name: comp-flaky}
        retryPolicy: {maxRetryCount: 2, backoffDuration: 0s}
  outputDefinitions:
    parameters:
      total: {parameterType: NUMBER_INTEGER}
components:
  comp-for-loop-1:
    inputDefinitions:
      parameters:
        pipelinechannel--loop-item-param-1: {parameterType: NUMBER_INTEGER}
    outputDefinitions:
      parameters:
        pipelinechannel--square-y: {parameterType: LIST}
    dag:
      outputs:
        parameters:
          pipelinechannel--square-y: {valueFromParameter: {producerSubtask: square, outputParameterKey: y}}
      tasks:
        square:
          taskInfo: {name: square}
          componentRef: {name: comp-square}
          inputs:
            parameters:
              x: {componentInputParameter: pipelinechannel--loop-item-param-1}
  comp-square:
    executorLabel: exec-square
    inputDefinitions: {parameters: {x: {parameterType: NUMBER_INTEGER}}}
    outputDefinitions: {parameters: {y: {parameterType: NUMBER_INTEGER}}}
  comp-sum:
    executorLabel: exec-sum
    inputDefinitions: {parameters: {nums: {parameterType: LIST}}}
    outputDefinitions: {parameters: {total: {parameterType: NUMBER_INTEGER}}}
  comp-condition-2:
    inputDefinitions:
      parameters:
        pipelinechannel--sum-total: {parameterType: NUMBER_INTEGER}
        pipelinechannel--threshold: {parameterType: NUMBER_INTEGER}
    dag:
      tasks:
        report:
          taskInfo: {name: report}
          componentRef: {name: comp-report}
          inputs:
            parameters:
              total: {componentInputParameter: pipelinechannel--sum-total}
  comp-report:
    executorLabel: exec-report
    inputDefinitions: {parameters: {total: {parameterType: NUMBER_INTEGER}}}
    outputDefinitions:
      artifacts:
        report: {artifactType: {schemaTitle: system.Artifact, schemaVersion: 0.0.1}}
  comp-flaky:
    executorLabel: exec-flaky
deploymentSpec:
  executors:
    exec-square:
      container:
        image: docker.io/library/busybox:1.36
        command: [sh, -c, 'echo "squaring $0"; echo $(($0 * $0)) > "$1"', "{{$.inputs.parameters['x']}}", "{{$.outputs.parameters['y'].output_file}}"]
    exec-sum:
      container:
        image: docker.io/library/busybox:1.36
        command: [sh, -c, 'echo "$0" | tr -d "[] " | tr "," "\n" | awk "{s+=\$1} END {print s}" > "$1"', "{{$.inputs.parameters['nums']}}", "{{$.outputs.parameters['total'].output_file}}"]
    exec-report:
      container:
        image: docker.io/library/busybox:1.36
        command: [sh, -c, 'mkdir -p "$(dirname "$1")"; echo "total is $0" > "$1"', "{{$.inputs.parameters['total']}}", "{{$.outputs.artifacts['report'].path}}"]
    exec-flaky:
      container:
        image: docker.io/library/busybox:1.36
        command: [sh, -c, 'echo "failing on purpose"; exit 7']
schemaVersion: 2.1.0
`

// Pipelines on a real cluster: one pod per executed step (no driver pod),
// artifacts and logs through an S3 bucket (SeaweedFS when up.sh started
// it), pod-side staging by `sluice launch` from the sluice image.
func TestClusterPipelines(t *testing.T) {
	cs := realCluster(t)
	storeURL := artifacttest.ExternalOrInProcess(t, "sluice-k8s", "runs")
	st, err := artifact.Open(t.Context(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	secret := kubetest.S3Secret(t, cs, "default", "sluice-test-s3")
	ex := &Executor{
		Client: realClient(t),
		Pod: PodOptions{Namespace: "default", LauncherImage: "docker.io/library/sluice:latest", ImagePullPolicy: "Never",
			EnvFromSecret: secret, HostNetwork: true},
		StoreURL:     storeURL,
		KeepFinished: time.Hour, // counted below, then deleted
		StartTimeout: 90 * time.Second,
	}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := ex.Start(ictx); err != nil {
		t.Fatal(err)
	}
	e := &engine.Engine{
		Launcher:    &launcher.Launcher{Executor: ex},
		DefaultRoot: st.URI(""), Artifacts: st, Scratch: t.TempDir(), Parallelism: 4,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	read := func(t *testing.T, uri string) string {
		key, ok := artifact.KeyOf(st, uri)
		if !ok {
			t.Fatalf("%s not in the store", uri)
		}
		rc, err := st.Open(ctx, key)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return string(b)
	}
	pods := func(runID string) int {
		l, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: LabelRun + "=" + runID})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	run := func(t *testing.T, y []byte, params map[string]any) *engine.Result {
		p, err := spec.Load(y)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := e.Run(ctx, &engine.Request{Pipeline: p, Params: params, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %s: %s in %s", res.RunID, res.State, time.Since(start).Round(time.Millisecond))
		t.Cleanup(func() { ex.DeleteRun(context.Background(), res.RunID) })
		return res
	}
	task := func(t *testing.T, res *engine.Result, id string) *engine.Task {
		for _, x := range res.Tasks {
			if x.ID == id {
				return x
			}
		}
		t.Fatalf("no task %s", id)
		return nil
	}

	t.Run("tutorial", func(t *testing.T) {
		y, err := os.ReadFile("../../examples/tutorial/pipeline.yaml")
		if err != nil {
			t.Fatal(err)
		}
		res := run(t, y, nil)
		if res.State != runstate.Succeeded {
			for _, x := range res.Tasks {
				t.Logf("%s %s %s", x.ID, x.State, x.Error)
				if x.LogURI != "" {
					t.Logf("log: %s", read(t, x.LogURI))
				}
			}
			t.Fatalf("state %s: %s", res.State, res.Error)
		}
		if got := read(t, res.Outputs.Artifacts["Output"][0].URI); got != "3.0" {
			t.Errorf("result %q, want 3.0", got)
		}
		if n := pods(res.RunID); n != 3 {
			t.Errorf("%d pods for 3 steps", n)
		}
	})
	t.Run("loop-condition-artifact-retries", func(t *testing.T) {
		res := run(t, []byte(mixed), nil)
		if res.State != runstate.Failed {
			t.Fatalf("state %s, want FAILED (flaky fails)", res.State)
		}
		if got := res.Outputs.Parameters["total"]; got != nil && got != int64(14) {
			t.Errorf("total %#v", got)
		}
		if s := task(t, res, "sum"); s.State != runstate.Succeeded || s.Outputs.Parameters["total"] != int64(14) {
			t.Errorf("sum: %+v", s)
		}
		rep := task(t, res, "condition-2/report")
		if rep.State != runstate.Succeeded {
			t.Fatalf("report: %s %s", rep.State, rep.Error)
		}
		if got := read(t, rep.Outputs.Artifacts["report"][0].URI); got != "total is 14\n" {
			t.Errorf("report artifact %q", got)
		}
		if got := read(t, task(t, res, "for-loop-1/1/square").LogURI); !strings.Contains(got, "squaring 2") {
			t.Errorf("square log %q", got)
		}
		fl := task(t, res, "flaky")
		if fl.State != runstate.Failed || fl.Attempts != 3 || fl.ExitCode == nil || *fl.ExitCode != 7 {
			t.Errorf("flaky: %s attempts %d exit %v: %s", fl.State, fl.Attempts, fl.ExitCode, fl.Error)
		}
		if got := read(t, fl.LogURI); !strings.Contains(got, "failing on purpose") {
			t.Errorf("flaky log %q", got)
		}
		// 3 squares + sum + report + 3 attempts of flaky.
		if n := pods(res.RunID); n != 8 {
			t.Errorf("%d pods, want 8: one per executed step attempt", n)
		}
	})
	// Per-step overhead on the cluster (reported, not asserted): a chain
	// of trivial steps, each a pod whose command takes ~1 ms.
	const n = 5
	chain := noopSteps("chain", n, true)
	overhead := func(t *testing.T, how string) *engine.Result {
		start := time.Now()
		res := run(t, chain, nil)
		wall := time.Since(start)
		if res.State != runstate.Succeeded {
			t.Fatalf("state %s: %s", res.State, res.Error)
		}
		var sum time.Duration
		for _, x := range res.Tasks {
			sum += x.Finished.Sub(x.Started)
		}
		t.Logf("kubernetes, %s: %d chained no-op steps in %s: %s per step (pod create -> task done, the command itself ~1 ms)", how, n, wall.Round(time.Millisecond), (sum / n).Round(time.Millisecond))
		return res
	}
	t.Run("overhead", func(t *testing.T) { overhead(t, "launcher image") })
	// With the launcher binary on the node (--launcher-host-path), put
	// there by deploy/options/launcher-daemonset.yaml, a pod has no init
	// container.
	t.Run("overhead-host-path", func(t *testing.T) {
		dir := installLauncherOnNodes(t, cs)
		ex.Pod.LauncherImage, ex.Pod.LauncherHostPath = "", dir
		defer func() { ex.Pod.LauncherImage, ex.Pod.LauncherHostPath = "docker.io/library/sluice:latest", "" }()
		res := overhead(t, "launcher on the node")
		l, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: LabelRun + "=" + res.RunID})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != n {
			t.Errorf("%d pods for %d steps", len(l.Items), n)
		}
		for _, p := range l.Items {
			if len(p.Spec.InitContainers) != 0 {
				t.Errorf("pod %s has init containers", p.Name)
			}
		}
	})
	// Throughput (reported, not asserted): 16 independent no-op steps, 4 pods
	// at a time (the engine's parallelism), with the launcher image.
	t.Run("fanout", func(t *testing.T) {
		const k = 16
		start := time.Now()
		res := run(t, noopSteps("fan", k, false), nil)
		wall := time.Since(start)
		if res.State != runstate.Succeeded || len(res.Tasks) != k {
			t.Fatalf("state %s, %d tasks: %s", res.State, len(res.Tasks), res.Error)
		}
		t.Logf("kubernetes: %d independent no-op steps, 4 at a time, in %s: %.1f steps/s", k, wall.Round(time.Millisecond), float64(k)/wall.Seconds())
	})
}

// noopSteps is a pipeline of n busybox `true` steps, each after the one
// before when chained, else all independent.
func noopSteps(name string, n int, chained bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "pipelineInfo: {name: %s}\nroot:\n  dag:\n    tasks:\n", name)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "      s%d:\n        taskInfo: {name: s%d}\n        componentRef: {name: comp-noop}\n", i, i)
		if chained && i > 0 {
			fmt.Fprintf(&b, "        dependentTasks: [s%d]\n", i-1)
		}
	}
	b.WriteString("components:\n  comp-noop: {executorLabel: exec-noop}\ndeploymentSpec:\n  executors:\n    exec-noop:\n      container: {image: docker.io/library/busybox:1.36, command: [\"true\"]}\nschemaVersion: 2.1.0\n")
	return []byte(b.String())
}

// installLauncherOnNodes applies deploy/options/launcher-daemonset.yaml with
// its host directory moved to a temporary one (the single node is this
// machine), waits for the binary to be there and returns the directory.
func installLauncherOnNodes(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile("../../deploy/options/launcher-daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ms := decodeManifests(t, "launcher-daemonset.yaml", b)
	ds, ok := ms[0].obj.(*appsv1.DaemonSet)
	if len(ms) != 1 || !ok {
		t.Fatalf("launcher-daemonset.yaml: want one DaemonSet, have %v", ms)
	}
	dir := t.TempDir()
	ds.Name += "-" + strings.ToLower(strings.NewReplacer("/", "", "_", "").Replace(filepath.Base(dir)))
	for i, v := range ds.Spec.Template.Spec.Volumes {
		if v.HostPath != nil {
			ds.Spec.Template.Spec.Volumes[i].HostPath.Path = dir
		}
	}
	if _, err := cs.AppsV1().DaemonSets("default").Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AppsV1().DaemonSets("default").Delete(context.Background(), ds.Name, metav1.DeleteOptions{})
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if fi, err := os.Stat(filepath.Join(dir, launch.BinaryName)); err == nil && fi.Mode()&0o111 != 0 {
			return dir
		}
		if time.Now().After(deadline) {
			got, _ := cs.AppsV1().DaemonSets("default").Get(ctx, ds.Name, metav1.GetOptions{})
			t.Fatalf("the DaemonSet did not install the launcher in 2 minutes: %+v", got.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
