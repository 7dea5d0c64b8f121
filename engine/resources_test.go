package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/runstate"
)

// fourBusy is four independent steps asking for one CPU each; each counts,
// under a lock, how many of them run at that moment (the file max gets
// one line per start) and stays a moment.
const fourBusy = `
pipelineInfo: {name: four-busy}
root:
  inputDefinitions:
    parameters:
      dir: {parameterType: STRING}
  dag:
    tasks:
      a: {taskInfo: {name: a}, componentRef: {name: comp-busy}, inputs: {parameters: {dir: {componentInputParameter: dir}}}}
      b: {taskInfo: {name: b}, componentRef: {name: comp-busy}, inputs: {parameters: {dir: {componentInputParameter: dir}}}}
      c: {taskInfo: {name: c}, componentRef: {name: comp-busy}, inputs: {parameters: {dir: {componentInputParameter: dir}}}}
      d: {taskInfo: {name: d}, componentRef: {name: comp-busy}, inputs: {parameters: {dir: {componentInputParameter: dir}}}}
components:
  comp-busy:
    executorLabel: exec-busy
    inputDefinitions:
      parameters: {dir: {parameterType: STRING}}
deploymentSpec:
  executors:
    exec-busy:
      container:
        image: alpine
        command: [sh, -c, 'cd "$0"; exec 9>lock; flock 9; n=$(($(cat n 2>/dev/null || echo 0) + 1)); echo $n > n; echo $n >> max; flock -u 9; sleep 0.4; flock 9; echo $(($(cat n) - 1)) > n', "{{$.inputs.parameters['dir']}}"]
        resources: {resourceCpuRequest: "1", resourceMemoryRequest: 64Mi}
schemaVersion: 2.1.0
`

// Four steps asking for one CPU each with a budget of two CPUs never run
// more than two at once (observed by the steps themselves).
func TestBudgetAdmitsStepsByTheirRequests(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock is missing")
	}
	for _, tc := range []struct {
		budget *engine.Budget
		max    int
	}{{&engine.Budget{CPU: 2}, 2}, {&engine.Budget{CPU: 8, Memory: 128 << 20}, 2}, {&engine.Budget{CPU: 1.5}, 1}} {
		e := newEngine(t)
		e.Parallelism = 8
		e.Budget = tc.budget
		dir := t.TempDir()
		res := run(t, e, load(t, fourBusy), map[string]any{"dir": dir})
		if res.State != runstate.Succeeded {
			t.Fatalf("state %s: %s", res.State, res.Error)
		}
		b, err := os.ReadFile(filepath.Join(dir, "max"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Fields(string(b))
		if len(lines) != 4 {
			t.Fatalf("%d starts, want 4: %q", len(lines), b)
		}
		for _, l := range lines {
			if n, _ := strconv.Atoi(l); n > tc.max {
				t.Fatalf("budget %+v: %d steps ran at once (%q), want at most %d", tc.budget, n, b, tc.max)
			}
		}
		if cpu, mem := tc.budget.InUse(); cpu != 0 || mem != 0 {
			t.Fatalf("budget still holds %v CPUs and %d bytes", cpu, mem)
		}
	}
}

// A step asking for more than the whole budget, or for an accelerator
// locally, fails at once naming why.
func TestBudgetRefusesWhatNeverFits(t *testing.T) {
	for _, tc := range []struct {
		resources string
		want      string
	}{
		{`{resourceCpuRequest: "4"}`, "the step asks for 4 CPUs, more than the whole budget of 2 (--cpus)"},
		{`{resourceMemoryLimit: 2Gi}`, "the step asks for 2Gi of memory, more than the whole budget of 1Gi (--memory)"},
		{`{accelerator: {resourceType: nvidia.com/gpu, resourceCount: "1"}}`, "the step asks for 1 nvidia.com/gpu and this machine has no accelerator"},
		{`{resourceCpuRequest: "lots"}`, `cpu request "lots" is not a quantity`},
	} {
		e := newEngine(t)
		e.Budget = &engine.Budget{CPU: 2, Memory: 1 << 30}
		y := strings.Replace(fourBusy, `{resourceCpuRequest: "1", resourceMemoryRequest: 64Mi}`, tc.resources, 1)
		res := run(t, e, load(t, y), map[string]any{"dir": t.TempDir()})
		a := task(t, res, "a")
		if res.State != runstate.Failed || a.State != runstate.Failed || !strings.Contains(a.Error, tc.want) || a.Attempts != 0 {
			t.Fatalf("%s: run %s, task %s after %d attempts: %q, want %q", tc.resources, res.State, a.State, a.Attempts, a.Error, tc.want)
		}
	}
}

const oomStep = `
pipelineInfo: {name: oom}
root:
  dag:
    tasks:
      hog:
        taskInfo: {name: hog}
        componentRef: {name: comp-hog}
        retryPolicy: {maxRetryCount: 1, backoffDuration: 0s}
components:
  comp-hog: {executorLabel: exec-hog}
deploymentSpec:
  executors:
    exec-hog:
      container:
        image: python
        command: [python3, -c, "import time; b = b'x' * 300_000_000; time.sleep(30)"]
        resources: {resourceMemoryLimit: 100Mi}
schemaVersion: 2.1.0
`

// A step over its memory limit is stopped, retried by its policy, and
// ends FAILED with an error that starts with OOMKilled.
func TestOOMKilledStepFailsAfterItsRetries(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is missing")
	}
	for _, m := range []local.Mode{local.Auto, local.Process} {
		e := newEngine(t)
		e.Launcher.Executor = &local.Executor{Mode: m}
		res := run(t, e, load(t, oomStep), nil)
		hog := task(t, res, "hog")
		if res.State != runstate.Failed || hog.State != runstate.Failed || hog.Attempts != 2 {
			t.Fatalf("%s: run %s, task %s after %d attempts", m, res.State, hog.State, hog.Attempts)
		}
		if !strings.HasPrefix(hog.Error, "OOMKilled: ") || !strings.Contains(hog.Error, "the memory limit 100Mi") {
			t.Fatalf("%s: error %q", m, hog.Error)
		}
		if u := hog.Resources; u == nil || !u.OOMKilled || u.MemoryLimitBytes != 100<<20 {
			t.Fatalf("%s: resources %+v", m, u)
		}
	}
}
