package dsl_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/spec"
)

// A two-step pipeline: a container component, a typed parameter, one task's
// output feeding another, compiled to IR YAML.
func Example() {
	echo := &dsl.Container{
		Name:    "echo",
		Image:   "alpine:3.20",
		Inputs:  []dsl.Input{{Name: "text", Type: dsl.String}},
		Outputs: []dsl.Output{{Name: "out", Type: dsl.String}},
		Command: []string{"sh", "-c", `mkdir -p "$(dirname "$1")" && echo "$0" | tee "$1"`,
			dsl.InputValue("text"), dsl.OutputPath("out")},
	}
	p := dsl.NewPipeline("hello")
	msg := p.StringParam("msg", "hello")
	first := p.Task(echo, dsl.Inputs{"text": msg})
	p.Task(echo, dsl.Inputs{"text": first.Output("out")}).SetCaching(false)

	y, err := p.YAML()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(y))
	// Output:
	// # PIPELINE DEFINITION
	// # Name: hello
	// # Inputs:
	// #    msg: str [Default: 'hello']
	// components:
	//   comp-echo:
	//     executorLabel: exec-echo
	//     inputDefinitions:
	//       parameters:
	//         text:
	//           parameterType: STRING
	//     outputDefinitions:
	//       parameters:
	//         out:
	//           parameterType: STRING
	//   comp-echo-2:
	//     executorLabel: exec-echo-2
	//     inputDefinitions:
	//       parameters:
	//         text:
	//           parameterType: STRING
	//     outputDefinitions:
	//       parameters:
	//         out:
	//           parameterType: STRING
	// deploymentSpec:
	//   executors:
	//     exec-echo:
	//       container:
	//         command:
	//         - sh
	//         - -c
	//         - mkdir -p "$(dirname "$1")" && echo "$0" | tee "$1"
	//         - '{{$.inputs.parameters[''text'']}}'
	//         - '{{$.outputs.parameters[''out''].output_file}}'
	//         image: alpine:3.20
	//     exec-echo-2:
	//       container:
	//         command:
	//         - sh
	//         - -c
	//         - mkdir -p "$(dirname "$1")" && echo "$0" | tee "$1"
	//         - '{{$.inputs.parameters[''text'']}}'
	//         - '{{$.outputs.parameters[''out''].output_file}}'
	//         image: alpine:3.20
	// pipelineInfo:
	//   name: hello
	// root:
	//   dag:
	//     tasks:
	//       echo:
	//         cachingOptions:
	//           enableCache: true
	//         componentRef:
	//           name: comp-echo
	//         inputs:
	//           parameters:
	//             text:
	//               componentInputParameter: msg
	//         taskInfo:
	//           name: echo
	//       echo-2:
	//         cachingOptions: {}
	//         componentRef:
	//           name: comp-echo-2
	//         dependentTasks:
	//         - echo
	//         inputs:
	//           parameters:
	//             text:
	//               taskOutputParameter:
	//                 outputParameterKey: out
	//                 producerTask: echo
	//         taskInfo:
	//           name: echo-2
	//   inputDefinitions:
	//     parameters:
	//       msg:
	//         defaultValue: hello
	//         isOptional: true
	//         parameterType: STRING
	// schemaVersion: 2.1.0
	// sdkVersion: sluice-dsl-1
}

var (
	exampleSquare = &dsl.Container{
		Name: "square", Image: "alpine:3.20",
		Inputs:  []dsl.Input{{Name: "x", Type: dsl.Int}},
		Outputs: []dsl.Output{{Name: "y", Type: dsl.Int}},
		Command: []string{"sh", "-c", `echo $(($0 * $0)) > "$1"`, dsl.InputValue("x"), dsl.OutputPath("y")},
	}
	exampleSum = &dsl.Container{
		Name: "sum", Image: "alpine:3.20",
		Inputs:  []dsl.Input{{Name: "numbers", Type: dsl.List}},
		Outputs: []dsl.Output{{Name: "total", Type: dsl.Int}},
		Command: []string{"sh", "-c", `echo "$0" | tr -d '[] ' | tr , '\n' | awk '{s+=$1} END {print s}' > "$1"`,
			dsl.InputValue("numbers"), dsl.OutputPath("total")},
	}
	exampleSay = &dsl.Container{
		Name: "say", Image: "alpine:3.20",
		Inputs:  []dsl.Input{{Name: "text", Type: dsl.String}},
		Command: []string{"echo", dsl.InputValue("text")},
	}
)

func mustCompile(p *dsl.Pipeline) *spec.PipelineSpec {
	ps, err := p.Compile()
	if err != nil {
		panic(err)
	}
	return ps
}

// ParallelFor runs its body once per item; Collected gathers an output of
// the loop's tasks into a list for a task after the loop.
func ExamplePipeline_ParallelFor() {
	p := dsl.NewPipeline("squares")
	numbers := p.ListParam("numbers", []int{1, 2, 3})
	var sq *dsl.Task
	p.ParallelFor(numbers, func(n dsl.Channel) {
		sq = p.Task(exampleSquare, dsl.Inputs{"x": n})
	}, dsl.Parallelism(2))
	p.Task(exampleSum, dsl.Inputs{"numbers": dsl.Collected(sq.Output("y"))})

	ps := mustCompile(p)
	loop := ps.Root.DAG.Tasks["for-loop-1"]
	fmt.Println("items:", loop.ParameterIterator.Items.InputParameter, "item:", loop.ParameterIterator.ItemInput)
	fmt.Println("at most", loop.IteratorPolicy.ParallelismLimit, "at once")
	in := ps.Root.DAG.Tasks["sum"].Inputs.Parameters["numbers"].TaskOutputParameter
	fmt.Println("sum reads", in.OutputParameterKey, "of", in.ProducerTask)
	// Output:
	// items: pipelinechannel--numbers item: pipelinechannel--numbers-loop-item
	// at most 2 at once
	// sum reads pipelinechannel--square-y of for-loop-1
}

// If, Elif and Else become condition tasks whose CEL conditions exclude the
// earlier branches; OneOf is the output of the branch that ran.
func ExamplePipeline_If() {
	p := dsl.NewPipeline("branches")
	n := p.IntParam("n", 5)
	var small, large *dsl.Task
	p.If(n.Lt(10), func() {
		small = p.Task(exampleSquare, dsl.Inputs{"x": n})
	}).Else(func() {
		large = p.Task(exampleSquare, dsl.Inputs{"x": 10})
	})
	p.Output("y", dsl.OneOf(small.Output("y"), large.Output("y")))

	ps := mustCompile(p)
	branches := ps.Components["comp-condition-branches-1"].DAG
	for _, k := range slices.Sorted(maps.Keys(branches.Tasks)) {
		fmt.Println(k+":", branches.Tasks[k].TriggerPolicy.Condition)
	}
	// Output:
	// condition-2: int(inputs.parameter_values['pipelinechannel--n']) < 10
	// condition-3: !(int(inputs.parameter_values['pipelinechannel--n']) < 10)
}

// An exit handler runs its exit task after the guarded tasks, whatever
// happened to them; a TaskFinalStatus input receives how they ended.
func ExamplePipeline_ExitHandler() {
	report := &dsl.Container{
		Name: "report", Image: "alpine:3.20",
		Inputs:  []dsl.Input{{Name: "status", Type: dsl.TaskFinalStatus}},
		Command: []string{"echo", dsl.InputValue("status")},
	}
	p := dsl.NewPipeline("guarded")
	exit := p.Task(report, nil)
	p.ExitHandler(exit, func() {
		p.Task(exampleSquare, dsl.Inputs{"x": 3}).SetRetry(2)
	}, dsl.DisplayName("work"))

	ps := mustCompile(p)
	r := ps.Root.DAG.Tasks["report"]
	fmt.Println(r.TriggerPolicy.Strategy, r.DependentTasks, r.Inputs.Parameters["status"].TaskFinalStatus.ProducerTask)
	fmt.Println(ps.Root.DAG.Tasks["exit-handler-1"].TaskInfo.Name)
	// Output:
	// ALL_UPSTREAM_TASKS_COMPLETED [exit-handler-1] exit-handler-1
	// work
}

// Sprintf puts channels into a string, as an f-string does in KFP.
func ExampleSprintf() {
	p := dsl.NewPipeline("greeting")
	name := p.StringParam("name", "world")
	p.Task(exampleSay, dsl.Inputs{"text": dsl.Sprintf("hello, %v!", name)})

	ps := mustCompile(p)
	in := ps.Root.DAG.Tasks["say"].Inputs.Parameters
	fmt.Println(in["text"].RuntimeValue.Constant)
	fmt.Println(in["pipelinechannel--name"].ComponentInputParameter)
	// Output:
	// hello, {{$.inputs.parameters['pipelinechannel--name']}}!
	// name
}

// A pipeline is a component too: tasks may run it as a nested pipeline.
func ExamplePipeline_Task_nested() {
	inner := dsl.NewPipeline("square-twice")
	x := inner.IntParam("x", 2)
	once := inner.Task(exampleSquare, dsl.Inputs{"x": x})
	twice := inner.Task(exampleSquare, dsl.Inputs{"x": once.Output("y")})
	inner.Output("y", twice.Output("y"))

	p := dsl.NewPipeline("outer")
	t := p.Task(inner, dsl.Inputs{"x": 3})
	p.Task(exampleSay, dsl.Inputs{"text": dsl.Sprintf("3^4 = %v", t.Output("y"))})

	ps := mustCompile(p)
	fmt.Println(slices.Sorted(maps.Keys(ps.Components)))
	// Output:
	// [comp-say comp-square comp-square-2 comp-square-twice]
}

// LoadComponent reads v1 or v2 component YAML (load_component_from_text).
func ExampleLoadComponent() {
	add, err := dsl.LoadComponent([]byte(`
name: Add numbers
inputs:
- {name: a, type: Integer}
- {name: b, type: Integer, default: '1'}
outputs:
- {name: sum, type: Integer}
implementation:
  container:
    image: alpine
    command: [sh, -c, 'echo $(($0 + $1)) > $2', {inputValue: a}, {inputValue: b}, {outputPath: sum}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := dsl.NewPipeline("add")
	t := p.Task(add, dsl.Inputs{"a": 41})
	fmt.Println(t.Name(), add.Inputs()[1].Name, add.Inputs()[1].Default)
	// Output:
	// add-numbers b 1
}

// Mistakes are collected and returned together by Compile, each naming the
// task and input at fault.
func ExampleErrors() {
	p := dsl.NewPipeline("mistakes")
	s := p.StringParam("s", "3")
	p.Task(exampleSquare, dsl.Inputs{"x": s})
	var inner *dsl.Task
	p.If(s.Eq("3"), func() {
		inner = p.Task(exampleSquare, dsl.Inputs{"x": 3, "z": 1})
	})
	p.Task(exampleSquare, dsl.Inputs{"x": inner.Output("y")})

	_, err := p.Compile()
	fmt.Println(err)
	// Output:
	// task "square": input "x": wants int, got str (pipeline parameter "s")
	// task "square-2": input "z": no such input (component "square" has: "x")
	// task "square-3": input "x": task "square-2" is inside condition-1 (a condition): its outputs can only be used inside that condition
}
