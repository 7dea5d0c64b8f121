package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/runner"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/store"
)

// failingTasks is a real store whose task writes fail.
type failingTasks struct {
	store.Store
	err error
}

func (f failingTasks) PutTask(ctx context.Context, t *store.Task) error { return f.err }

// touch is a one-step pipeline whose step creates the file marker, or
// fails first when script says so.
func touch(t *testing.T, script string) []byte {
	t.Helper()
	p, err := spec.Load([]byte(`
pipelineInfo: {name: touch}
root: {dag: {tasks: {touch: {taskInfo: {name: touch}, componentRef: {name: comp-touch}}}}}
components: {comp-touch: {executorLabel: exec-touch}}
deploymentSpec: {executors: {exec-touch: {container: {image: alpine, command: [sh, -c, '` + script + `']}}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := spec.MarshalStored(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newService(t *testing.T, wrap func(store.Store) store.Store) (*runner.Service, store.Store) {
	t.Helper()
	svc, st := newStoppedService(t, wrap)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// newStoppedService is a service whose Start was not called.
func newStoppedService(t *testing.T, wrap func(store.Store) store.Store) (*runner.Service, store.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var s store.Store = st
	if wrap != nil {
		s = wrap(st)
	}
	return newStoppedServiceOn(t, s), st
}

// newStoppedServiceOn is a service on st whose Start was not called.
func newStoppedServiceOn(t *testing.T, s store.Store) *runner.Service {
	t.Helper()
	dir := t.TempDir()
	eng := &engine.Engine{
		Launcher:    &launcher.Launcher{Executor: &local.Executor{}},
		DefaultRoot: filepath.Join(dir, "artifacts"),
	}
	svc, err := runner.New(runner.Config{Store: s, Engine: eng, MaxConcurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	return svc
}

func wait(t *testing.T, svc *runner.Service, id string) *store.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := svc.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait for run %s: %v", id, err)
	}
	return r
}

// The design's first invariant: a run's state is written before the side
// effect it records. With a store whose task writes fail, no step process
// starts, and the run ends FAILED with the store's error.
func TestNoStepStartsWithoutItsTaskRow(t *testing.T) {
	diskFull := errors.New("disk I/O error: database or disk is full")
	svc, st := newService(t, func(s store.Store) store.Store { return failingTasks{s, diskFull} })
	marker := filepath.Join(t.TempDir(), "ran")
	r := &store.Run{DisplayName: "touch", Spec: touch(t, "touch "+marker)}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	got := wait(t, svc, r.ID)
	if got.State != runstate.Failed || !strings.Contains(got.Error, diskFull.Error()) {
		t.Fatalf("run %s %q, want FAILED with the store's error", got.State, got.Error)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the step ran although its row was not written (stat: %v)", err)
	}
	if tasks, err := st.ListTasks(context.Background(), r.ID); err != nil || len(tasks) != 0 {
		t.Fatalf("tasks %v %v", tasks, err)
	}
}

// A run is submitted, runs, fails, is retried in place and succeeds; Wait
// sees each end; every transition is in the run's history.
func TestSubmitWaitRetry(t *testing.T) {
	svc, st := newService(t, nil)
	marker := filepath.Join(t.TempDir(), "tried")
	// Fails the first time, succeeds once the marker exists.
	r := &store.Run{DisplayName: "flaky", Spec: touch(t, "test -f "+marker+" || { touch "+marker+"; exit 3; }")}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, svc, r.ID); got.State != runstate.Failed || !strings.Contains(got.Error, "exited with code 3") {
		t.Fatalf("first attempt: %s %q", got.State, got.Error)
	}
	if err := svc.Retry(context.Background(), r.ID); err != nil {
		t.Fatal(err)
	}
	got := wait(t, svc, r.ID)
	if got.State != runstate.Succeeded || got.Error != "" {
		t.Fatalf("retry: %s %q", got.State, got.Error)
	}
	var hist []runstate.State
	for _, h := range got.StateHistory {
		hist = append(hist, h.State)
	}
	want := []runstate.State{runstate.Pending, runstate.Running, runstate.Failed, runstate.Pending, runstate.Running, runstate.Succeeded}
	if !slices.Equal(hist, want) {
		t.Fatalf("history %v, want %v", hist, want)
	}
	if err := svc.Retry(context.Background(), r.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("retry of a succeeded run: %v", err)
	}
	tasks, err := st.ListTasks(context.Background(), r.ID)
	if err != nil || len(tasks) != 1 || tasks[0].State != runstate.Succeeded || tasks[0].ExitCode == nil || *tasks[0].ExitCode != 0 {
		t.Fatalf("tasks %+v %v", tasks, err)
	}
}

// TaskOutputs gives what a run's tasks produced (what a tuning experiment
// reads its objective from). A service runs what is submitted to it with
// or without Start (which only recovers a previous process's runs).
func TestTaskOutputs(t *testing.T) {
	svc, _ := newStoppedService(t, nil)
	p, err := spec.Load([]byte(`
pipelineInfo: {name: score}
root: {dag: {tasks: {score: {taskInfo: {name: score}, componentRef: {name: comp-score}}}}}
components:
  comp-score:
    executorLabel: exec-score
    outputDefinitions: {parameters: {accuracy: {parameterType: NUMBER_DOUBLE}}}
deploymentSpec:
  executors:
    exec-score: {container: {image: alpine, command: [sh, -c, 'mkdir -p "$(dirname "$0")" && echo 0.93 > "$0"', '{{$.outputs.parameters[''accuracy''].output_file}}']}}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := spec.MarshalStored(p)
	r := &store.Run{DisplayName: "score", Spec: b}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, svc, r.ID); got.State != runstate.Succeeded {
		t.Fatalf("run %s %q", got.State, got.Error)
	}
	outs, err := svc.TaskOutputs(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o := outs["score"]; o == nil || o.Parameters["accuracy"] != 0.93 {
		t.Fatalf("outputs %+v", outs)
	}
}

// Terminating an executing run stops its step and ends it CANCELED;
// terminating it again is a conflict.
func TestTerminate(t *testing.T) {
	svc, st := newService(t, nil)
	r := &store.Run{DisplayName: "sleep", Spec: touch(t, "sleep 60")}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		tasks, _ := st.ListTasks(context.Background(), r.ID)
		if len(tasks) == 1 && tasks[0].State == runstate.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the step did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := svc.Terminate(context.Background(), r.ID); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, svc, r.ID); got.State != runstate.Canceled {
		t.Fatalf("run %s %q", got.State, got.Error)
	}
	if err := svc.Terminate(context.Background(), r.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second terminate: %v", err)
	}
	// The run's end is recorded before its execution returns: it stops
	// counting as executing right after.
	for deadline := time.Now().Add(time.Minute); svc.Executing() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs executing", svc.Executing())
		}
	}
}

// Ended is closed when a run ends: a watcher that takes it before looking
// at a run that has not ended yet is woken by that run's end.
func TestEndedWakesWatchers(t *testing.T) {
	svc, st := newService(t, nil)
	gate := filepath.Join(t.TempDir(), "go")
	r := &store.Run{DisplayName: "gated", Spec: touch(t, "while [ ! -f "+gate+" ]; do sleep 0.05; done")}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	ended := svc.Ended()
	if got, err := st.GetRun(context.Background(), r.ID); err != nil || got.State.Terminal() {
		t.Fatalf("run %v %v", got, err)
	}
	select {
	case <-ended:
		t.Fatal("Ended closed before any run ended")
	default:
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(time.Minute):
		t.Fatal("Ended not closed when the run ended")
	}
	if got, _ := st.GetRun(context.Background(), r.ID); got.State != runstate.Succeeded {
		t.Fatalf("run %s", got.State)
	}
}

// cancelAtStart is a real store that terminates a run through the service
// just before the service records the run's start: the cancel comes while
// the run is being picked up from the queue.
type cancelAtStart struct {
	store.Store
	svc  func() *runner.Service
	done atomic.Bool
}

func (c *cancelAtStart) UpdateRun(ctx context.Context, id string, fn func(*store.Run) error) (*store.Run, error) {
	if c.done.CompareAndSwap(false, true) {
		if err := c.svc().Terminate(ctx, id); err != nil {
			return nil, err
		}
	}
	return c.Store.UpdateRun(ctx, id, fn)
}

// A run canceled between its dequeueing and its start ends CANCELED, its
// step never started; it is not left CANCELING with nothing to end it.
func TestTerminateWhileStarting(t *testing.T) {
	var svc *runner.Service
	wrap := &cancelAtStart{svc: func() *runner.Service { return svc }}
	svc, _ = newStoppedService(t, func(s store.Store) store.Store { wrap.Store = s; return wrap })
	marker := filepath.Join(t.TempDir(), "ran")
	r := &store.Run{DisplayName: "touch", Spec: touch(t, "touch "+marker)}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, svc, r.ID); got.State != runstate.Canceled {
		t.Fatalf("run %s %q, want CANCELED", got.State, got.Error)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the step of a run canceled before it started ran")
	}
}

// Delete stops a run that is still running, then deletes it and its task
// records; a missing run is store.ErrNotFound.
func TestDelete(t *testing.T) {
	svc, st := newService(t, nil)
	r := &store.Run{DisplayName: "sleep", Spec: touch(t, "sleep 60")}
	if err := svc.Submit(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		tasks, _ := st.ListTasks(context.Background(), r.ID)
		if len(tasks) == 1 && tasks[0].State == runstate.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the step did not start")
		}
	}
	if err := svc.Delete(context.Background(), r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetRun(context.Background(), r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("run after delete: %v", err)
	}
	if tasks, err := st.ListTasks(context.Background(), r.ID); err != nil || len(tasks) != 0 {
		t.Fatalf("tasks after delete: %v %v", tasks, err)
	}
	for deadline := time.Now().Add(time.Minute); svc.Executing() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the deleted run is still executing")
		}
	}
	if err := svc.Delete(context.Background(), r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
