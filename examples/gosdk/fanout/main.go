// Command fanout is examples/fanout written in Go: square each number in
// parallel (two at a time), add the squares, say whether the total is
// large; a final step always reports how the run went.
//
//	sluice compile ./examples/gosdk/fanout -o fanout.yaml
//	sluice run fanout.yaml -p threshold=10
package main

import "github.com/sluicehq/sluice/dsl"

// sh is a container component running a shell script; $0, $1, ... are the
// placeholders that follow it.
func sh(name string, inputs []dsl.Input, outputs []dsl.Output, script string, args ...string) *dsl.Container {
	return &dsl.Container{
		Name: name, Image: "alpine:3.20", Inputs: inputs, Outputs: outputs,
		Command: append([]string{"sh", "-c", script}, args...),
	}
}

var (
	square = sh("square",
		[]dsl.Input{{Name: "x", Type: dsl.Int}},
		[]dsl.Output{{Name: "y", Type: dsl.Int}},
		`mkdir -p "$(dirname "$1")" && echo $(($0 * $0)) > "$1" && echo "$0 squared is $(cat "$1")"`,
		dsl.InputValue("x"), dsl.OutputPath("y"))
	add = sh("add",
		[]dsl.Input{{Name: "numbers", Type: dsl.List}},
		[]dsl.Output{{Name: "total", Type: dsl.Int}},
		`mkdir -p "$(dirname "$1")" && echo "$0" | tr -d '[] ' | tr ',' '\n' | awk '{s+=$1} END {print s}' > "$1" && echo "sum of $0 = $(cat "$1")"`,
		dsl.InputValue("numbers"), dsl.OutputPath("total"))
	say = sh("say",
		[]dsl.Input{{Name: "message", Type: dsl.String}}, nil,
		`echo "$0"`, dsl.InputValue("message"))
	report = sh("report",
		[]dsl.Input{{Name: "status", Type: dsl.TaskFinalStatus}}, nil,
		`echo "the run ended; status of the guarded steps:" && echo "$0"`, dsl.InputValue("status"))
)

func pipeline() *dsl.Pipeline {
	p := dsl.NewPipeline("fanout").SetDescription("Square each number in parallel, add the squares, " +
		"report whether the total is large; a final step always reports how the run went.")
	numbers := p.ListParam("numbers", []int{1, 2, 3, 4, 5})
	threshold := p.IntParam("threshold", 50)

	exit := p.Task(report, nil) // gets the final status of the "squares" group
	p.ExitHandler(exit, func() {
		var sq *dsl.Task
		p.ParallelFor(numbers, func(n dsl.Channel) {
			sq = p.Task(square, dsl.Inputs{"x": n})
		}, dsl.Parallelism(2))
		total := p.Task(add, dsl.Inputs{"numbers": dsl.Collected(sq.Output("y"))}).Output("total")
		p.If(total.Gt(threshold), func() {
			p.Task(say, dsl.Inputs{"message": dsl.Sprintf("the total %v is large", total)})
		})
		p.Output("total", total)
	}, dsl.DisplayName("squares"))
	return p
}

func main() { dsl.Main(pipeline()) }
