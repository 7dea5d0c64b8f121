package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/runstate"
)

// Workload is one generated pipeline plus what the shell floor runs.
type Workload struct {
	Name string
	// Size is the workload's scale parameter (items, steps...).
	Size int
	// Steps is the number of container steps the run executes.
	Steps int
	// Par is the engine parallelism (and the floor's xargs -P).
	Par int
	// Chain is true when the steps depend on each other one after the
	// other: the parallel floor is then the sequential one.
	Chain bool
	// Spec is the KFP IR (schemaVersion 2.1.0) as a JSON-able map.
	Spec map[string]any
	// Python says the no-op steps are lightweight Python components.
	Python bool
	// Check verifies a finished run's outputs.
	Check func(res *engine.Result) error
}

// JSON returns the pipeline spec as JSON.
func (w *Workload) JSON() []byte {
	b, err := json.Marshal(w.Spec)
	if err != nil {
		panic(err)
	}
	return b
}

// FloorCmd is the command each step costs at least: a no-op shell (or a
// no-op Python interpreter for -python).
func (w *Workload) FloorCmd() []string {
	if w.Python {
		return []string{"python3", "-c", "pass"}
	}
	return []string{"sh", "-c", ":"}
}

// Generate builds workload name ("W1".."W5") at the given size.
func Generate(name string, size int, python bool) (*Workload, error) {
	// Only the no-op workloads have a Python variant.
	python = python && (name == "W3" || name == "W4" || name == "W5")
	g := &gen{comps: map[string]any{}, execs: map[string]any{}, python: python}
	var w *Workload
	switch name {
	case "W1":
		w = g.w1()
	case "W2":
		w = g.w2(size)
	case "W3":
		w = g.w3(size)
	case "W4":
		w = g.w4(size)
	case "W5":
		w = g.w5(size)
	default:
		return nil, fmt.Errorf("unknown workload %q", name)
	}
	w.Name, w.Python = name, python
	if w.Size == 0 {
		w.Size = size
	}
	w.Spec["schemaVersion"] = "2.1.0"
	w.Spec["components"] = g.comps
	w.Spec["deploymentSpec"] = map[string]any{"executors": g.execs}
	return w, nil
}

// DefaultSize is the size for each workload.
var DefaultSize = map[string]int{"W1": 3, "W2": 100, "W3": 1000, "W4": 200, "W5": 1000}

type gen struct {
	comps, execs map[string]any
	python       bool
}

type m = map[string]any

func params(kv ...string) m {
	out := m{}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = m{"parameterType": kv[i+1]}
	}
	return out
}

func artifacts(names ...string) m {
	out := m{}
	for _, n := range names {
		out[n] = m{"artifactType": m{"schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"}}
	}
	return out
}

// sh declares a sh -c component: script gets args as $0, $1...
func (g *gen) sh(name string, in, out m, script string, args ...string) {
	comp := m{"executorLabel": "exec-" + name}
	if in != nil {
		comp["inputDefinitions"] = in
	}
	if out != nil {
		comp["outputDefinitions"] = out
	}
	g.comps["comp-"+name] = comp
	g.execs["exec-"+name] = m{"container": m{"image": "alpine", "command": append([]string{"sh", "-c", script}, args...)}}
}

// pyNoop is the lightweight-Python version of a no-op step: what the KFP
// compiler emits for `@dsl.component def noop(): pass`, minus the pip step.
const pyLaunch = "program_path=$(mktemp -d)\n\nprintf \"%s\" \"$0\" > \"$program_path/ephemeral_component.py\"\n_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main --component_module_path \"$program_path/ephemeral_component.py\" \"$@\"\n"

// noop declares the no-op component (sh -c ':' or Python), optionally with
// one integer input (loop items).
func (g *gen) noop(name string, withInput bool) {
	var in m
	if withInput {
		in = m{"parameters": params("x", "NUMBER_INTEGER")}
	}
	if !g.python {
		if withInput {
			g.sh(name, in, nil, ":", "{{$.inputs.parameters['x']}}")
		} else {
			g.sh(name, nil, nil, ":")
		}
		return
	}
	sig := "def noop():\n    pass\n"
	if withInput {
		sig = "def noop(x: int):\n    pass\n"
	}
	src := "\nimport kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n" + sig
	comp := m{"executorLabel": "exec-" + name}
	if in != nil {
		comp["inputDefinitions"] = in
	}
	g.comps["comp-"+name] = comp
	g.execs["exec-"+name] = m{"container": m{"image": "python:3.11",
		"command": []string{"sh", "-ec", pyLaunch, src},
		"args":    []string{"--executor_input", "{{$}}", "--function_to_execute", "noop"}}}
}

func task(comp string, deps []string, inputs m) m {
	t := m{"taskInfo": m{"name": comp}, "componentRef": m{"name": "comp-" + comp}}
	if len(deps) > 0 {
		t["dependentTasks"] = deps
	}
	if inputs != nil {
		t["inputs"] = inputs
	}
	return t
}

func outParam(task, key string) m {
	return m{"taskOutputParameter": m{"producerTask": task, "outputParameterKey": key}}
}

func pipeline(name string, dag m, outDefs m) m {
	root := m{"dag": dag}
	if outDefs != nil {
		root["outputDefinitions"] = outDefs
	}
	return m{"pipelineInfo": m{"name": name}, "root": root}
}

func wantParam(res *engine.Result, key string, want any) error {
	if res.State != runstate.Succeeded {
		return fmt.Errorf("run %s: %s", res.State, res.Error)
	}
	got := res.Outputs.Parameters[key]
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("output %s = %#v, want %v", key, got, want)
	}
	return nil
}

func countSucceeded(res *engine.Result, want int) error {
	if res.State != runstate.Succeeded {
		return fmt.Errorf("run %s: %s", res.State, res.Error)
	}
	n := 0
	for _, t := range res.Tasks {
		if t.Kind == engine.KindContainer && t.State == runstate.Succeeded && !t.Cached {
			n++
		}
	}
	if n != want {
		return fmt.Errorf("%d container steps succeeded, want %d", n, want)
	}
	return nil
}

// w1: the tutorial's shape in sh: read-data emits a parameter, compute
// takes it and writes a file artifact, save-result reads the artifact and
// outputs its content. Only shell builtins: no extra process per step.
func (g *gen) w1() *Workload {
	g.sh("read-data", m{"parameters": params("numbers", "STRING")}, m{"parameters": params("Output", "STRING")},
		`printf '%s' "$0" > "$1"`, "{{$.inputs.parameters['numbers']}}", "{{$.outputs.parameters['Output'].output_file}}")
	g.sh("compute-average", m{"parameters": params("numbers", "STRING")}, m{"artifacts": artifacts("avg")},
		`s=0; n=0; IFS=,; for x in $0; do s=$((s+x)); n=$((n+1)); done; echo $((s/n)) > "$1"`,
		"{{$.inputs.parameters['numbers']}}", "{{$.outputs.artifacts['avg'].path}}")
	g.sh("save-result", m{"artifacts": artifacts("avg")}, m{"parameters": params("result", "STRING")},
		`read v < "$0"; printf 'average=%s' "$v" > "$1"`, "{{$.inputs.artifacts['avg'].path}}", "{{$.outputs.parameters['result'].output_file}}")
	dag := m{
		"outputs": m{"parameters": m{"result": m{"valueFromParameter": m{"producerSubtask": "save-result", "outputParameterKey": "result"}}}},
		"tasks": m{
			"read-data": task("read-data", nil, m{"parameters": m{"numbers": m{"componentInputParameter": "numbers"}}}),
			"compute-average": task("compute-average", []string{"read-data"},
				m{"parameters": m{"numbers": outParam("read-data", "Output")}}),
			"save-result": task("save-result", []string{"compute-average"},
				m{"artifacts": m{"avg": m{"taskOutputArtifact": m{"producerTask": "compute-average", "outputArtifactKey": "avg"}}}}),
		},
	}
	spec := pipeline("bench-w1", dag, m{"parameters": params("result", "STRING")})
	spec["root"].(m)["inputDefinitions"] = m{"parameters": m{"numbers": m{"parameterType": "STRING", "defaultValue": "1,2,3,4,5"}}}
	return &Workload{Steps: 3, Par: 2, Chain: true, Spec: spec, Size: 3,
		Check: func(res *engine.Result) error { return wantParam(res, "result", "average=3") }}
}

// w2: emit outputs a list of n integers; a ParallelFor (parallelism 2)
// doubles each; collect sums the collected list: n(n-1).
func (g *gen) w2(n int) *Workload {
	items := make([]string, n)
	for i := range items {
		items[i] = strconv.Itoa(i)
	}
	g.sh("emit", nil, m{"parameters": params("Output", "LIST")},
		`printf '%s' '[`+strings.Join(items, ",")+`]' > "$0"`, "{{$.outputs.parameters['Output'].output_file}}")
	g.sh("double", m{"parameters": params("x", "NUMBER_INTEGER")}, m{"parameters": params("Output", "NUMBER_INTEGER")},
		`echo $(($0 * 2)) > "$1"`, "{{$.inputs.parameters['x']}}", "{{$.outputs.parameters['Output'].output_file}}")
	g.sh("collect", m{"parameters": params("nums", "LIST")}, m{"parameters": params("total", "NUMBER_INTEGER")},
		`s=0; IFS=',[] '; for x in $0; do s=$((s+${x:-0})); done; echo $s > "$1"`,
		"{{$.inputs.parameters['nums']}}", "{{$.outputs.parameters['total'].output_file}}")
	g.comps["comp-for-loop-1"] = m{
		"inputDefinitions":  m{"parameters": params("pipelinechannel--emit-Output", "LIST", "pipelinechannel--emit-Output-loop-item", "NUMBER_INTEGER")},
		"outputDefinitions": m{"parameters": params("pipelinechannel--double-Output", "LIST")},
		"dag": m{
			"outputs": m{"parameters": m{"pipelinechannel--double-Output": m{"valueFromParameter": m{"producerSubtask": "double", "outputParameterKey": "Output"}}}},
			"tasks":   m{"double": task("double", nil, m{"parameters": m{"x": m{"componentInputParameter": "pipelinechannel--emit-Output-loop-item"}}})},
		},
	}
	loop := task("for-loop-1", []string{"emit"}, m{"parameters": m{"pipelinechannel--emit-Output": outParam("emit", "Output")}})
	loop["parameterIterator"] = m{"itemInput": "pipelinechannel--emit-Output-loop-item", "items": m{"inputParameter": "pipelinechannel--emit-Output"}}
	loop["iteratorPolicy"] = m{"parallelismLimit": 2}
	dag := m{
		"outputs": m{"parameters": m{"total": m{"valueFromParameter": m{"producerSubtask": "collect", "outputParameterKey": "total"}}}},
		"tasks": m{
			"emit":       task("emit", nil, nil),
			"for-loop-1": loop,
			"collect":    task("collect", []string{"for-loop-1"}, m{"parameters": m{"nums": outParam("for-loop-1", "pipelinechannel--double-Output")}}),
		},
	}
	return &Workload{Steps: n + 2, Par: 2, Spec: pipeline("bench-w2", dag, m{"parameters": params("total", "NUMBER_INTEGER")}),
		Check: func(res *engine.Result) error {
			if err := wantParam(res, "total", n*(n-1)); err != nil {
				return err
			}
			return countSucceeded(res, n+2)
		}}
}

// w3: n independent no-op steps, then a final step after all of them.
func (g *gen) w3(n int) *Workload {
	g.noop("noop", false)
	g.noop("final", false)
	tasks := m{}
	deps := make([]string, n)
	for i := range n {
		deps[i] = fmt.Sprintf("step-%d", i)
		t := task("noop", nil, nil)
		t["taskInfo"] = m{"name": deps[i]}
		tasks[deps[i]] = t
	}
	tasks["final"] = task("final", deps, nil)
	return &Workload{Steps: n + 1, Par: 2, Spec: pipeline("bench-w3", m{"tasks": tasks}, nil),
		Check: func(res *engine.Result) error { return countSucceeded(res, n+1) }}
}

// w4: a chain of n no-op steps.
func (g *gen) w4(n int) *Workload {
	g.noop("noop", false)
	tasks := m{}
	for i := range n {
		var deps []string
		if i > 0 {
			deps = []string{fmt.Sprintf("step-%d", i-1)}
		}
		t := task("noop", deps, nil)
		t["taskInfo"] = m{"name": fmt.Sprintf("step-%d", i)}
		tasks[fmt.Sprintf("step-%d", i)] = t
	}
	return &Workload{Steps: n, Par: 2, Chain: true, Spec: pipeline("bench-w4", m{"tasks": tasks}, nil),
		Check: func(res *engine.Result) error { return countSucceeded(res, n) }}
}

// w5: a ParallelFor (parallelism 8) over n literal items, one no-op step
// per item taking the item as an argument.
func (g *gen) w5(n int) *Workload {
	g.noop("item", true)
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	raw, _ := json.Marshal(items)
	g.comps["comp-for-loop-1"] = m{
		"inputDefinitions": m{"parameters": params("pipelinechannel--loop-item-param-1", "NUMBER_INTEGER")},
		"dag":              m{"tasks": m{"item": task("item", nil, m{"parameters": m{"x": m{"componentInputParameter": "pipelinechannel--loop-item-param-1"}}})}},
	}
	loop := task("for-loop-1", nil, nil)
	loop["parameterIterator"] = m{"itemInput": "pipelinechannel--loop-item-param-1", "items": m{"raw": string(raw)}}
	loop["iteratorPolicy"] = m{"parallelismLimit": 8}
	return &Workload{Steps: n, Par: 8, Spec: pipeline("bench-w5", m{"tasks": m{"for-loop-1": loop}}, nil),
		Check: func(res *engine.Result) error { return countSucceeded(res, n) }}
}
