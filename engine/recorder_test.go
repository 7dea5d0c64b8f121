package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
)

// marker is a pipeline of two steps whose processes leave a file each.
func marker(dir string) string {
	return strings.ReplaceAll(`
pipelineInfo: {name: marker}
root:
  dag:
    tasks:
      first:
        taskInfo: {name: first}
        componentRef: {name: comp-touch}
        inputs: {parameters: {name: {runtimeValue: {constant: first}}}}
      second:
        taskInfo: {name: second}
        componentRef: {name: comp-touch}
        dependentTasks: [first]
        inputs: {parameters: {name: {runtimeValue: {constant: second}}}}
components:
  comp-touch:
    executorLabel: exec-touch
    inputDefinitions: {parameters: {name: {parameterType: STRING}}}
deploymentSpec:
  executors:
    exec-touch:
      container: {image: alpine, command: [sh, -c, 'touch "DIR/$0"', '{{$.inputs.parameters[''name'']}}']}
`, "DIR", dir)
}

// A step whose RUNNING record cannot be kept is not started, nothing after
// it is, and the run ends FAILED with the Recorder's error: the record of a
// side effect comes before the side effect.
func TestStepNotStartedWhenItsRecordFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(tk engine.Task) bool
		// ran lists the steps whose process ran.
		ran []string
	}{
		{"first step RUNNING", func(tk engine.Task) bool { return tk.ID == "first" && tk.State == runstate.Running }, nil},
		{"first record of the run", func(engine.Task) bool { return true }, nil},
		{"second step PENDING", func(tk engine.Task) bool { return tk.ID == "second" }, []string{"first"}},
		{"first step's end", func(tk engine.Task) bool { return tk.ID == "first" && tk.State == runstate.Succeeded }, []string{"first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t)
			dir := t.TempDir()
			diskFull := errors.New("disk full")
			var mu sync.Mutex
			var calls int
			rec := engine.RecorderFunc(func(ctx context.Context, tk engine.Task) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if ctx.Err() != nil {
					t.Errorf("record of %s %s with a canceled context", tk.ID, tk.State)
				}
				if tc.fail(tk) {
					return diskFull
				}
				return nil
			})
			res := runRequest(t, e, &engine.Request{Pipeline: load(t, marker(dir)), Recorder: rec})
			if res.State != runstate.Failed || !strings.Contains(res.Error, "disk full") {
				t.Fatalf("run %s %q, want FAILED with the recorder's error", res.State, res.Error)
			}
			for _, step := range []string{"first", "second"} {
				_, err := os.Stat(filepath.Join(dir, step))
				ran := err == nil
				want := false
				for _, s := range tc.ran {
					want = want || s == step
				}
				if ran != want {
					t.Errorf("step %s ran: %v, want %v", step, ran, want)
				}
			}
			if calls == 0 {
				t.Fatal("the recorder was never called")
			}
		})
	}
}

// With RecordOnly the Recorder alone keeps the task records: it sees every
// change as before, and the engine hands back no records of its own.
func TestRecordOnly(t *testing.T) {
	for _, only := range []bool{false, true} {
		e := newEngine(t)
		var mu sync.Mutex
		last := map[string]runstate.State{}
		rec := engine.RecorderFunc(func(_ context.Context, tk engine.Task) error {
			mu.Lock()
			last[tk.ID] = tk.State
			mu.Unlock()
			return nil
		})
		res := runRequest(t, e, &engine.Request{Pipeline: load(t, marker(t.TempDir())), Recorder: rec, RecordOnly: only})
		if res.State != runstate.Succeeded {
			t.Fatalf("RecordOnly %v: run %s %q", only, res.State, res.Error)
		}
		if last["first"] != runstate.Succeeded || last["second"] != runstate.Succeeded {
			t.Fatalf("RecordOnly %v: recorded %v", only, last)
		}
		if want := map[bool]int{false: 2, true: 0}[only]; len(res.Tasks) != want {
			t.Fatalf("RecordOnly %v: %d tasks in the result, want %d", only, len(res.Tasks), want)
		}
	}
}
