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
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

func load(t *testing.T, y string) *spec.Pipeline {
	t.Helper()
	p, err := spec.Load([]byte(y))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	dir := t.TempDir()
	return &engine.Engine{
		Launcher:    &launcher.Launcher{Executor: &local.Executor{KillGrace: 200 * time.Millisecond}, PythonPath: dir},
		DefaultRoot: filepath.Join(dir, "root"),
		Cache:       &engine.FileCache{Dir: filepath.Join(dir, "cache")},
		Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
}

func run(t *testing.T, e *engine.Engine, p *spec.Pipeline, params map[string]any) *engine.Result {
	t.Helper()
	return runRequest(t, e, &engine.Request{Pipeline: p, Params: params})
}

func runRequest(t *testing.T, e *engine.Engine, req *engine.Request) *engine.Result {
	t.Helper()
	res, err := e.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func task(t *testing.T, res *engine.Result, id string) *engine.Task {
	t.Helper()
	for _, x := range res.Tasks {
		if x.ID == id {
			return x
		}
	}
	var ids []string
	for _, x := range res.Tasks {
		ids = append(ids, x.ID)
	}
	t.Fatalf("no task %q in %v", id, ids)
	return nil
}

// shComp declares a sh component with the given interface and script.
const twoStep = `
pipelineInfo: {name: two-step}
root:
  inputDefinitions:
    parameters:
      msg: {parameterType: STRING, defaultValue: hello, isOptional: true}
      n: {parameterType: NUMBER_INTEGER, defaultValue: 3.0, isOptional: true}
  outputDefinitions:
    parameters:
      Output: {parameterType: NUMBER_INTEGER}
    artifacts:
      data: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}
  dag:
    outputs:
      parameters:
        Output: {valueFromParameter: {producerSubtask: consumer, outputParameterKey: count}}
      artifacts:
        data: {artifactSelectors: [{producerSubtask: producer, outputArtifactKey: out}]}
    tasks:
      producer:
        taskInfo: {name: producer}
        componentRef: {name: comp-producer}
        cachingOptions: {enableCache: true}
        inputs:
          parameters:
            text: {componentInputParameter: msg}
            times: {componentInputParameter: n}
      consumer:
        taskInfo: {name: consumer}
        componentRef: {name: comp-consumer}
        dependentTasks: [producer]
        cachingOptions: {enableCache: true}
        inputs:
          artifacts:
            data: {taskOutputArtifact: {producerTask: producer, outputArtifactKey: out}}
components:
  comp-producer:
    executorLabel: exec-producer
    inputDefinitions:
      parameters:
        text: {parameterType: STRING}
        times: {parameterType: NUMBER_INTEGER}
    outputDefinitions:
      artifacts: {out: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
  comp-consumer:
    executorLabel: exec-consumer
    inputDefinitions:
      artifacts: {data: {artifactType: {schemaTitle: system.Dataset, schemaVersion: 0.0.1}}}
    outputDefinitions:
      parameters: {count: {parameterType: NUMBER_INTEGER}}
deploymentSpec:
  executors:
    exec-producer:
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p "$(dirname "$2")"; i=0; while [ $i -lt "$1" ]; do echo "$0" >> "$2"; i=$((i+1)); done', "{{$.inputs.parameters['text']}}", "{{$.inputs.parameters['times']}}", "{{$.outputs.artifacts['out'].path}}"]
    exec-consumer:
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p "$(dirname "$1")"; wc -l < "$0" | tr -d " " > "$1"', "{{$.inputs.artifacts['data'].path}}", "{{$.outputs.parameters['count'].output_file}}"]
schemaVersion: 2.1.0
`

func TestTwoStepParametersAndArtifacts(t *testing.T) {
	e := newEngine(t)
	p := load(t, twoStep)
	res := run(t, e, p, map[string]any{"n": int64(4)})
	if res.State != runstate.Succeeded {
		t.Fatalf("state %s: %s", res.State, res.Error)
	}
	if got := res.Outputs.Parameters["Output"]; got != int64(4) {
		t.Fatalf("Output = %#v, want int64 4", got)
	}
	a := res.Outputs.Artifacts["data"]
	if len(a) != 1 {
		t.Fatalf("data artifacts = %v", a)
	}
	b, err := os.ReadFile(a[0].URI)
	if err != nil || string(b) != "hello\nhello\nhello\nhello\n" {
		t.Fatalf("artifact content %q, %v", b, err)
	}
	// Second run: both steps come from the cache with the same outputs.
	res2 := run(t, e, p, map[string]any{"n": int64(4)})
	if !task(t, res2, "producer").Cached || !task(t, res2, "consumer").Cached {
		t.Fatalf("second run not cached: %+v", res2.Tasks)
	}
	if res2.Outputs.Parameters["Output"] != int64(4) {
		t.Fatalf("cached Output = %#v", res2.Outputs.Parameters["Output"])
	}
	// A different parameter misses the cache.
	res3 := run(t, e, p, map[string]any{"n": int64(2)})
	if task(t, res3, "producer").Cached || res3.Outputs.Parameters["Output"] != int64(2) {
		t.Fatalf("changed input served from cache: %+v", res3.Outputs)
	}
	// The cache can be switched off per run.
	r4, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: map[string]any{"n": int64(4)}, NoCache: true})
	if err != nil || task(t, r4, "producer").Cached {
		t.Fatalf("NoCache run used the cache: %v", err)
	}
}

func TestBadParameters(t *testing.T) {
	e := newEngine(t)
	p := load(t, twoStep)
	for _, params := range []map[string]any{
		{"nope": "x"},
		{"n": "three"},
		{"n": 2.5},
	} {
		if _, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: params}); err == nil {
			t.Errorf("params %v accepted", params)
		}
	}
}

const control = `
pipelineInfo: {name: control}
root:
  inputDefinitions:
    parameters:
      items: {parameterType: LIST, defaultValue: [1.0, 2.0, 3.0, 4.0], isOptional: true}
      fail: {parameterType: BOOLEAN, defaultValue: false, isOptional: true}
  dag:
    tasks:
      exit-handler-1:
        taskInfo: {name: guarded}
        componentRef: {name: comp-exit-handler-1}
        inputs:
          parameters:
            pipelinechannel--items: {componentInputParameter: items}
            pipelinechannel--fail: {componentInputParameter: fail}
      on-exit:
        taskInfo: {name: on-exit}
        componentRef: {name: comp-status}
        dependentTasks: [exit-handler-1]
        triggerPolicy: {strategy: ALL_UPSTREAM_TASKS_COMPLETED}
        inputs:
          parameters:
            status: {taskFinalStatus: {producerTask: exit-handler-1}}
components:
  comp-exit-handler-1:
    inputDefinitions:
      parameters:
        pipelinechannel--items: {parameterType: LIST}
        pipelinechannel--fail: {parameterType: BOOLEAN}
    dag:
      tasks:
        for-loop-2:
          taskInfo: {name: for-loop-2}
          componentRef: {name: comp-for-loop-2}
          inputs:
            parameters:
              pipelinechannel--items: {componentInputParameter: pipelinechannel--items}
          parameterIterator:
            itemInput: pipelinechannel--items-loop-item
            items: {inputParameter: pipelinechannel--items}
          iteratorPolicy: {parallelismLimit: 2}
        sum:
          taskInfo: {name: sum}
          componentRef: {name: comp-sum}
          dependentTasks: [for-loop-2]
          inputs:
            parameters:
              nums: {taskOutputParameter: {producerTask: for-loop-2, outputParameterKey: pipelinechannel--double-Output}}
        condition-3:
          taskInfo: {name: condition-3}
          componentRef: {name: comp-condition-3}
          inputs:
            parameters:
              pipelinechannel--fail: {componentInputParameter: pipelinechannel--fail}
          triggerPolicy: {condition: "inputs.parameter_values['pipelinechannel--fail'] == true"}
  comp-for-loop-2:
    inputDefinitions:
      parameters:
        pipelinechannel--items: {parameterType: LIST}
        pipelinechannel--items-loop-item: {parameterType: NUMBER_INTEGER}
    outputDefinitions:
      parameters:
        pipelinechannel--double-Output: {parameterType: LIST}
    dag:
      outputs:
        parameters:
          pipelinechannel--double-Output: {valueFromParameter: {producerSubtask: condition-4, outputParameterKey: pipelinechannel--double-Output}}
      tasks:
        condition-4:
          taskInfo: {name: condition-4}
          componentRef: {name: comp-condition-4}
          inputs:
            parameters:
              pipelinechannel--items-loop-item: {componentInputParameter: pipelinechannel--items-loop-item}
          triggerPolicy: {condition: "int(inputs.parameter_values['pipelinechannel--items-loop-item']) != 3"}
  comp-condition-4:
    inputDefinitions:
      parameters:
        pipelinechannel--items-loop-item: {parameterType: NUMBER_INTEGER}
    outputDefinitions:
      parameters:
        pipelinechannel--double-Output: {parameterType: NUMBER_INTEGER}
    dag:
      outputs:
        parameters:
          pipelinechannel--double-Output: {valueFromParameter: {producerSubtask: double, outputParameterKey: Output}}
      tasks:
        double:
          taskInfo: {name: double}
          componentRef: {name: comp-double}
          inputs:
            parameters:
              x: {componentInputParameter: pipelinechannel--items-loop-item}
  comp-condition-3:
    inputDefinitions:
      parameters:
        pipelinechannel--fail: {parameterType: BOOLEAN}
    dag:
      tasks:
        boom:
          taskInfo: {name: boom}
          componentRef: {name: comp-boom}
          retryPolicy: {maxRetryCount: 2, backoffDuration: 0s, backoffFactor: 2.0, backoffMaxDuration: 3600s}
  comp-double:
    executorLabel: exec-double
    inputDefinitions:
      parameters: {x: {parameterType: NUMBER_INTEGER}}
    outputDefinitions:
      parameters: {Output: {parameterType: NUMBER_INTEGER}}
  comp-sum:
    executorLabel: exec-sum
    inputDefinitions:
      parameters: {nums: {parameterType: LIST}}
  comp-boom:
    executorLabel: exec-boom
  comp-status:
    executorLabel: exec-status
    inputDefinitions:
      parameters: {status: {parameterType: TASK_FINAL_STATUS, isOptional: true}}
deploymentSpec:
  executors:
    exec-double:
      container:
        image: alpine
        command: [sh, -c, 'mkdir -p "$(dirname "$1")"; echo $(($0 * 2)) > "$1"', "{{$.inputs.parameters['x']}}", "{{$.outputs.parameters['Output'].output_file}}"]
    exec-sum:
      container:
        image: alpine
        command: [sh, -c, 'echo "nums=$0"', "{{$.inputs.parameters['nums']}}"]
    exec-boom:
      container:
        image: alpine
        command: [sh, -c, 'echo boom; exit 3']
    exec-status:
      container:
        image: alpine
        command: [sh, -c, 'echo "$0"', "{{$}}"]
schemaVersion: 2.1.0
`

func logOf(t *testing.T, tk *engine.Task) string {
	t.Helper()
	b, err := os.ReadFile(tk.LogURI)
	if err != nil {
		t.Fatalf("log of %s: %v", tk.ID, err)
	}
	return string(b)
}

func TestLoopConditionCollectExitHandler(t *testing.T) {
	e := newEngine(t)
	var mu sync.Mutex
	running, peak := 0, 0
	rec := engine.RecorderFunc(func(_ context.Context, tk engine.Task) error {
		if tk.Kind != engine.KindIteration {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case tk.State == runstate.Running:
			running++
			peak = max(peak, running)
		case tk.State.Terminal():
			running--
		}
		return nil
	})
	p := load(t, control)
	res := runRequest(t, e, &engine.Request{Pipeline: p, Recorder: rec})
	if res.State != runstate.Succeeded {
		t.Fatalf("state %s: %s", res.State, res.Error)
	}
	if got := logOf(t, task(t, res, "exit-handler-1/sum")); got != "nums=[2,4,8]\n" {
		t.Fatalf("sum log %q", got)
	}
	if st := task(t, res, "exit-handler-1/for-loop-2/2/condition-4").State; st != runstate.Skipped {
		t.Fatalf("condition for item 3 = %s, want SKIPPED", st)
	}
	if st := task(t, res, "exit-handler-1/condition-3").State; st != runstate.Skipped {
		t.Fatalf("condition-3 = %s", st)
	}
	if peak > 2 {
		t.Fatalf("parallelismLimit 2 exceeded: %d iterations at once", peak)
	}
	if !strings.Contains(logOf(t, task(t, res, "on-exit")), `"state":"SUCCEEDED"`) {
		t.Fatalf("exit task did not get SUCCEEDED: %s", logOf(t, task(t, res, "on-exit")))
	}

	res = run(t, e, p, map[string]any{"fail": true})
	if res.State != runstate.Failed {
		t.Fatalf("state %s, want FAILED", res.State)
	}
	boom := task(t, res, "exit-handler-1/condition-3/boom")
	if boom.State != runstate.Failed || boom.Attempts != 3 || boom.ExitCode == nil || *boom.ExitCode != 3 {
		t.Fatalf("boom = %+v", boom)
	}
	ex := task(t, res, "on-exit")
	if ex.State != runstate.Succeeded || !strings.Contains(logOf(t, ex), `"state":"FAILED"`) {
		t.Fatalf("exit task %s, log %s", ex.State, logOf(t, ex))
	}
	if !strings.Contains(res.Error, "boom") {
		t.Fatalf("run error %q does not name the failed task", res.Error)
	}
}

const sleeper = `
pipelineInfo: {name: sleeper}
root:
  dag:
    tasks:
      nap:
        taskInfo: {name: nap}
        componentRef: {name: comp-nap}
      after:
        taskInfo: {name: after}
        componentRef: {name: comp-nap}
        dependentTasks: [nap]
components:
  comp-nap: {executorLabel: exec-nap}
deploymentSpec:
  executors:
    exec-nap:
      container: {image: alpine, command: [sh, -c, 'sleep 30 & wait']}
`

func TestCancelKillsProcessesAndEndsCanceled(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var once sync.Once
	rec := engine.RecorderFunc(func(_ context.Context, tk engine.Task) error {
		if tk.ID == "nap" && tk.State == runstate.Running {
			once.Do(func() { close(started) })
		}
		return nil
	})
	go func() {
		<-started
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	res, err := e.Run(ctx, &engine.Request{Pipeline: load(t, sleeper), Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != runstate.Canceled {
		t.Fatalf("state %s", res.State)
	}
	if s := task(t, res, "nap").State; s != runstate.Canceled {
		t.Fatalf("nap %s", s)
	}
	if s := task(t, res, "after").State; s != runstate.Canceled {
		t.Fatalf("after %s", s)
	}
}

func TestUpstreamFailureSkipsDownstream(t *testing.T) {
	y := strings.Replace(sleeper, "sleep 30 & wait", "exit 1", 1)
	res := run(t, newEngine(t), load(t, y), nil)
	if res.State != runstate.Failed {
		t.Fatalf("state %s", res.State)
	}
	if a := task(t, res, "after"); a.State != runstate.Skipped {
		t.Fatalf("after = %s", a.State)
	}
}

func TestResumeSkipsCompletedSteps(t *testing.T) {
	e := newEngine(t)
	p := load(t, twoStep)
	first := run(t, e, p, map[string]any{"n": int64(2)})
	prod := task(t, first, "producer")
	// Resume with the producer done: only the consumer runs, reading the
	// producer's artifact from the first attempt.
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: p, Params: map[string]any{"n": int64(2)}, NoCache: true,
		Completed: map[string]*plan.Outputs{"producer": prod.Outputs}})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != runstate.Succeeded || res.Outputs.Parameters["Output"] != int64(2) {
		t.Fatalf("resumed run: %s %v", res.State, res.Outputs.Parameters)
	}
	if p := task(t, res, "producer"); p.Attempts != 0 || p.LogURI != "" {
		t.Fatalf("producer ran again: %+v", p)
	}
	if c := task(t, res, "consumer"); c.Attempts != 1 {
		t.Fatalf("consumer attempts %d", c.Attempts)
	}
}

// The exit code reaches observers (the server's task rows) with the state
// change that ends the attempt, not as a change of its own.
func TestExitCodeReportedWithFinalState(t *testing.T) {
	e := newEngine(t)
	var mu sync.Mutex
	last := map[string]engine.Task{}
	events := 0
	rec := engine.RecorderFunc(func(_ context.Context, tk engine.Task) error {
		mu.Lock()
		defer mu.Unlock()
		last[tk.ID] = tk
		events++
		return nil
	})
	y := strings.Replace(sleeper, "sleep 30 & wait", "exit 5", 1)
	res := runRequest(t, e, &engine.Request{Pipeline: load(t, y), Recorder: rec})
	if res.State != runstate.Failed {
		t.Fatalf("state %s", res.State)
	}
	mu.Lock()
	defer mu.Unlock()
	failed := 0
	for id, tk := range last {
		if tk.State == runstate.Failed && tk.Kind == engine.KindContainer {
			failed++
			if tk.ExitCode == nil || *tk.ExitCode != 5 {
				t.Errorf("%s: final report %+v lacks exit code 5", id, tk)
			}
		}
	}
	if failed == 0 {
		t.Fatalf("no failed step reported: %v", last)
	}
}
