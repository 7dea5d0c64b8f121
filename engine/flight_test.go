package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
)

// shared: an upstream step whose inputs are the same in every run (it
// appends a line to a marker file and is slow enough for runs to overlap),
// then a step that depends on the run's own parameter.
const shared = `
pipelineInfo: {name: shared}
root:
  inputDefinitions:
    parameters:
      marker: {parameterType: STRING}
      x: {parameterType: NUMBER_INTEGER}
  dag:
    tasks:
      prepare:
        taskInfo: {name: prepare}
        componentRef: {name: comp-prepare}
        cachingOptions: {enableCache: true}
        inputs:
          parameters:
            marker: {componentInputParameter: marker}
      train:
        taskInfo: {name: train}
        componentRef: {name: comp-train}
        dependentTasks: [prepare]
        cachingOptions: {enableCache: true}
        inputs:
          parameters:
            x: {componentInputParameter: x}
          artifacts:
            data: {taskOutputArtifact: {producerTask: prepare, outputArtifactKey: data}}
components:
  comp-prepare:
    executorLabel: exec-prepare
    inputDefinitions:
      parameters: {marker: {parameterType: STRING}}
    outputDefinitions:
      artifacts: {data: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
  comp-train:
    executorLabel: exec-train
    inputDefinitions:
      parameters: {x: {parameterType: NUMBER_INTEGER}}
      artifacts: {data: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
deploymentSpec:
  executors:
    exec-prepare:
      container:
        image: alpine
        command: [sh, -c, 'echo ran >> "$0"; sleep 0.5; mkdir -p "$(dirname "$1")"; echo data > "$1"', "{{$.inputs.parameters['marker']}}", "{{$.outputs.artifacts['data'].path}}"]
    exec-train:
      container:
        image: alpine
        command: [sh, -c, 'cat "$0" > /dev/null; echo "x=$1"', "{{$.inputs.artifacts['data'].path}}", "{{$.inputs.parameters['x']}}"]
schemaVersion: 2.1.0
`

// Runs started together that share a cacheable step run it once: the
// others wait for it and take its outputs from the cache.
func TestConcurrentRunsShareACachedStep(t *testing.T) {
	e := newEngine(t)
	p := load(t, shared)
	marker := filepath.Join(t.TempDir(), "marker")
	const n = 4
	results := make([]*engine.Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: map[string]any{"marker": marker, "x": int64(i)}})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res
		})
	}
	wg.Wait()
	b, err := os.ReadFile(marker)
	if err != nil {
		t.Fatal(err)
	}
	if runs := strings.Count(string(b), "ran"); runs != 1 {
		t.Fatalf("the shared step ran %d times in %d concurrent runs, want once", runs, n)
	}
	cached := 0
	for _, res := range results {
		if res == nil {
			t.FailNow()
		}
		if res.State != runstate.Succeeded {
			t.Fatalf("run %s: %s", res.State, res.Error)
		}
		if task(t, res, "prepare").Cached {
			cached++
		}
		if task(t, res, "train").Cached {
			t.Fatalf("train, whose input differs per run, came from the cache")
		}
	}
	if cached != n-1 {
		t.Fatalf("%d runs took the shared step from the cache, want %d", cached, n-1)
	}
}

// A run canceled while it waits for another run's step ends canceled
// without running it.
func TestWaitingForASharedStepIsCanceled(t *testing.T) {
	e := newEngine(t)
	p := load(t, strings.Replace(shared, "sleep 0.5", "sleep 30", 1))
	marker := filepath.Join(t.TempDir(), "marker")
	first, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	done := make(chan *engine.Result, 1)
	go func() {
		res, _ := e.Run(first, &engine.Request{Pipeline: p, Params: map[string]any{"marker": marker, "x": int64(1)}})
		done <- res
	}()
	// The first run's step is running once it wrote its marker.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(marker); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run's step did not start")
		}
	}
	second, cancelSecond := context.WithCancel(context.Background())
	waiting := make(chan struct{})
	go func() {
		// The second run reaches prepare (PENDING) and waits for the first.
		<-waiting
		cancelSecond()
	}()
	var once2 sync.Once
	res, err := e.Run(second, &engine.Request{Pipeline: p, Params: map[string]any{"marker": marker, "x": int64(2)},
		Recorder: engine.RecorderFunc(func(_ context.Context, tk engine.Task) error {
			if tk.ID == "prepare" {
				once2.Do(func() { close(waiting) })
			}
			return nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != runstate.Canceled {
		t.Fatalf("second run %s, want CANCELED", res.State)
	}
	cancelFirst()
	<-done
	if b, _ := os.ReadFile(marker); strings.Count(string(b), "ran") != 1 {
		t.Fatalf("marker %q: the waiting run ran the step", b)
	}
}
