package engine_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
)

const bigLoop = `
pipelineInfo: {name: big-loop}
root:
  inputDefinitions:
    parameters:
      items: {parameterType: LIST}
  dag:
    tasks:
      for-loop-1:
        taskInfo: {name: for-loop-1}
        componentRef: {name: comp-for-loop-1}
        inputs:
          parameters:
            pipelinechannel--items: {componentInputParameter: items}
        parameterIterator:
          itemInput: pipelinechannel--items-loop-item
          items: {inputParameter: pipelinechannel--items}
components:
  comp-for-loop-1:
    inputDefinitions:
      parameters:
        pipelinechannel--items: {parameterType: LIST}
        pipelinechannel--items-loop-item: {parameterType: NUMBER_INTEGER}
    dag:
      tasks:
        echo:
          taskInfo: {name: echo}
          componentRef: {name: comp-echo}
  comp-echo: {executorLabel: exec-echo}
deploymentSpec:
  executors:
    exec-echo: {container: {image: alpine, command: [sh, -c, "true"]}}
`

// A loop over a list a run (or a step) gives runs at most
// plan.MaxLoopItems iterations: a longer list fails the loop, naming the
// limit, before any iteration is recorded.
func TestLoopItemsAreBounded(t *testing.T) {
	e := newEngine(t)
	items := make([]any, plan.MaxLoopItems+1)
	for i := range items {
		items[i] = int64(i)
	}
	res := run(t, e, load(t, bigLoop), map[string]any{"items": items})
	if res.State != runstate.Failed || !strings.Contains(res.Error, "10001 items, more than the limit of 10000") {
		t.Fatalf("state %s, error %q", res.State, res.Error)
	}
	if len(res.Tasks) > 2 {
		t.Errorf("%d task records: iterations were started", len(res.Tasks))
	}
	res = run(t, e, load(t, bigLoop), map[string]any{"items": items[:3]})
	if res.State != runstate.Succeeded {
		t.Fatalf("3 items: state %s, error %q", res.State, res.Error)
	}
}

const nestedLoops = `
pipelineInfo: {name: nested-loops}
root:
  dag:
    tasks:
      for-loop-1:
        taskInfo: {name: for-loop-1}
        componentRef: {name: comp-for-loop-1}
        parameterIterator:
          itemInput: a
          items: {raw: '[1, 2, 3, 4, 5]'}
        iteratorPolicy: {parallelismLimit: 1}
components:
  comp-for-loop-1:
    inputDefinitions:
      parameters:
        a: {parameterType: NUMBER_INTEGER}
    dag:
      tasks:
        for-loop-2:
          taskInfo: {name: for-loop-2}
          componentRef: {name: comp-for-loop-2}
          parameterIterator:
            itemInput: b
            items: {raw: '[1, 2, 3, 4, 5]'}
  comp-for-loop-2:
    inputDefinitions:
      parameters:
        b: {parameterType: NUMBER_INTEGER}
    dag:
      tasks:
        echo:
          taskInfo: {name: echo}
          componentRef: {name: comp-echo}
  comp-echo: {executorLabel: exec-echo}
deploymentSpec:
  executors:
    exec-echo: {container: {image: alpine, command: [sh, -c, "true"]}}
`

// Loops nested in loops multiply: a run starts at most
// Engine.MaxRunInstances DAG instances in all (MaxRunInstances by
// default), and fails naming the limit when it would start more.
func TestRunInstancesAreBounded(t *testing.T) {
	e := newEngine(t)
	e.MaxRunInstances = 5 + 5 + 5 // the outer loop and two inner ones
	res := run(t, e, load(t, nestedLoops), nil)
	if res.State != runstate.Failed || !strings.Contains(res.Error, "more than 15 DAG instances") {
		t.Fatalf("state %s, error %q", res.State, res.Error)
	}
	e.MaxRunInstances = 5 + 5*5
	if res := run(t, e, load(t, nestedLoops), nil); res.State != runstate.Succeeded {
		t.Fatalf("at the limit: state %s, error %q", res.State, res.Error)
	}
}
