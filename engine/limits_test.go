package engine_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/runstate"
)

// The KFP v1 limits below (deadlines, DAG parallelism, recursion) are
// Sluice extensions of the IR; the workflows are the shortest way to write
// pipelines that use them.

func TestRunDeadlineStopsWorkButNotTheExitHandler(t *testing.T) {
	p := load(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: deadline-}
spec:
  entrypoint: main
  activeDeadlineSeconds: 1
  onExit: bye
  templates:
  - name: main
    dag:
      tasks:
      - {name: slow, template: sleep}
      - {name: after, template: bye, dependencies: [slow]}
  - name: sleep
    container: {image: x, command: [sleep, "30"]}
  - name: bye
    container: {image: x, command: [echo, bye]}
`)
	res := run(t, newEngine(t), p, nil)
	if res.State != runstate.Failed || !strings.Contains(res.Error, "the deadline of 1s passed") {
		t.Fatalf("run %s: %q", res.State, res.Error)
	}
	if tk := task(t, res, "slow"); tk.State != runstate.Failed || !strings.Contains(tk.Error, "deadline") {
		t.Fatalf("slow: %s %q", tk.State, tk.Error)
	}
	if tk := task(t, res, "after"); tk.State != runstate.Skipped {
		t.Fatalf("after: %s", tk.State)
	}
	if tk := task(t, res, "onExit"); tk.State != runstate.Succeeded {
		t.Fatalf("the exit handler: %s %q", tk.State, tk.Error)
	}
}

func TestStepDeadlineIsAFailedAttempt(t *testing.T) {
	p := load(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: step-deadline-}
spec:
  entrypoint: slow
  templates:
  - name: slow
    activeDeadlineSeconds: 1
    retryStrategy: {limit: 1}
    container: {image: x, command: [sleep, "30"]}
`)
	res := run(t, newEngine(t), p, nil)
	tk := task(t, res, "slow")
	if res.State != runstate.Failed || tk.Attempts != 2 || !strings.Contains(tk.Error, "the step's deadline of 1s passed (after 2 attempts)") {
		t.Fatalf("run %s, task %s after %d attempts: %q", res.State, tk.State, tk.Attempts, tk.Error)
	}
	// The deadline is the Kubernetes setting, which the pod gets too.
	if d := p.Platform.Platforms["kubernetes"].DeploymentSpec.Executors["exec-slow"]["activeDeadlineSeconds"]; d != 1.0 {
		t.Fatalf("activeDeadlineSeconds = %v", d)
	}
}

func TestDAGParallelism(t *testing.T) {
	p := load(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: one-at-a-time-}
spec:
  entrypoint: main
  templates:
  - name: main
    parallelism: 1
    dag:
      tasks:
      - {name: a, template: nap}
      - {name: b, template: nap}
      - {name: c, template: nap}
  - name: nap
    container: {image: x, command: [sleep, "0.2"]}
`)
	res := run(t, newEngine(t), p, nil)
	if res.State != runstate.Succeeded {
		t.Fatalf("run %s: %s", res.State, res.Error)
	}
	ids := []string{"a", "b", "c"}
	for i, x := range ids {
		for _, y := range ids[i+1:] {
			tx, ty := task(t, res, x), task(t, res, y)
			if tx.Started.Before(ty.Finished) && ty.Started.Before(tx.Finished) {
				t.Fatalf("%s and %s ran at the same time", x, y)
			}
		}
	}
}

func TestRecursionDepthIsBounded(t *testing.T) {
	p := load(t, `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: forever-}
spec:
  entrypoint: loop
  templates:
  - name: loop
    dag:
      tasks:
      - {name: again, template: cond, when: '"a" == "a"'}
  - name: cond
    dag:
      tasks:
      - {name: loop, template: loop}
`)
	res := run(t, newEngine(t), p, nil)
	if res.State != runstate.Failed || !strings.Contains(res.Error, "recursion deeper than 100 levels") {
		t.Fatalf("run %s: %q", res.State, res.Error)
	}
}
