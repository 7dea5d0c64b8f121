package dsl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/dsl"
)

func TestCompileErrors(t *testing.T) {
	status := sh("status", []dsl.Input{in("status", dsl.TaskFinalStatus)}, nil, "true")
	cases := []struct {
		name  string
		build func(p *dsl.Pipeline)
		want  []string // substrings of the error, in order
	}{
		{"unknown input", func(p *dsl.Pipeline) {
			p.Task(square, dsl.Inputs{"z": 1, "x": 2})
		}, []string{`task "square": input "z": no such input (component "square" has: "x")`}},
		{"parameter type mismatch", func(p *dsl.Pipeline) {
			s := p.StringParam("s", "3")
			p.Task(square, dsl.Inputs{"x": s})
		}, []string{`task "square": input "x": wants int, got str (pipeline parameter "s")`}},
		{"constant type mismatch", func(p *dsl.Pipeline) {
			p.Task(square, dsl.Inputs{"x": "three"})
		}, []string{`task "square": input "x": wants int, got str "three"`}},
		{"output type mismatch", func(p *dsl.Pipeline) {
			e := p.Task(echo, dsl.Inputs{"text": "hi"})
			p.Task(square, dsl.Inputs{"x": e.Output("out")})
		}, []string{`task "square": input "x": wants int, got str (output "out" of task "echo")`}},
		{"artifact to parameter", func(p *dsl.Pipeline) {
			w := p.Task(writeFile, dsl.Inputs{"text": "hi"})
			p.Task(echo, dsl.Inputs{"text": w.Output("data")})
		}, []string{`task "echo": input "text": wants str, got system.Dataset`}},
		{"constant artifact", func(p *dsl.Pipeline) {
			p.Task(readFile, dsl.Inputs{"data": "/tmp/x"})
		}, []string{`task "read": input "data": is an artifact (system.Dataset): it needs a task output or an importer`}},
		{"missing input", func(p *dsl.Pipeline) {
			p.Task(square, nil)
		}, []string{`task "square": input "x": required input (int) not given`}},
		{"unknown output", func(p *dsl.Pipeline) {
			s := p.Task(square, dsl.Inputs{"x": 1})
			p.Task(square, dsl.Inputs{"x": s.Output("z")})
		}, []string{`task "square": Output("z"): no such output (component "square" has: "y")`, `task "square-2": input "x": got an invalid (zero) Channel`}},
		{"cycle", func(p *dsl.Pipeline) {
			a := p.Task(square, dsl.Inputs{"x": 1})
			b := p.Task(square, dsl.Inputs{"x": a.Output("y")})
			a.After(b)
		}, []string{`dependency cycle: square -> square-2 -> square`}},
		{"output used outside its condition", func(p *dsl.Pipeline) {
			n := p.IntParam("n", 1)
			var s *dsl.Task
			p.If(n.Gt(0), func() { s = p.Task(square, dsl.Inputs{"x": n}) })
			p.Task(square, dsl.Inputs{"x": s.Output("y")})
		}, []string{`task "square-2": input "x": task "square" is inside condition-1 (a condition): its outputs can only be used inside that condition`}},
		{"output used outside its loop", func(p *dsl.Pipeline) {
			var s *dsl.Task
			p.ParallelFor([]int{1, 2}, func(x dsl.Channel) { s = p.Task(square, dsl.Inputs{"x": x}) })
			p.Task(sum, dsl.Inputs{"numbers": s.Output("y")})
		}, []string{`task "sum": input "numbers": wants list, got int`}},
		{"output used outside its loop, same type", func(p *dsl.Pipeline) {
			var s *dsl.Task
			p.ParallelFor([]int{1, 2}, func(x dsl.Channel) { s = p.Task(square, dsl.Inputs{"x": x}) })
			p.Task(square, dsl.Inputs{"x": s.Output("y")})
		}, []string{`task "square-2": input "x": task "square" is inside for-loop-2 (a ParallelFor): use dsl.Collected`}},
		{"collected inside its loop", func(p *dsl.Pipeline) {
			p.ParallelFor([]int{1, 2}, func(x dsl.Channel) {
				s := p.Task(square, dsl.Inputs{"x": x})
				p.Task(sum, dsl.Inputs{"numbers": dsl.Collected(s.Output("y"))})
			})
		}, []string{`task "sum": input "numbers": Collected(output "y" of task "square") is used inside the ParallelFor that produces it`}},
		{"item outside its loop", func(p *dsl.Pipeline) {
			var item dsl.Channel
			p.ParallelFor([]int{1, 2}, func(x dsl.Channel) { item = x; p.Task(square, dsl.Inputs{"x": x}) })
			p.Task(square, dsl.Inputs{"x": item})
		}, []string{`task "square-2": input "x": the item of for-loop-2 is used outside its ParallelFor`}},
		{"after a task in a condition", func(p *dsl.Pipeline) {
			n := p.IntParam("n", 1)
			var s *dsl.Task
			p.If(n.Gt(0), func() { s = p.Task(square, dsl.Inputs{"x": n}) })
			p.Task(square, dsl.Inputs{"x": 1}).After(s)
		}, []string{`task "square-2": After("square"): that task is inside condition-1 (a condition)`}},
		{"condition on a list", func(p *dsl.Pipeline) {
			l := p.ListParam("l", []int{1})
			p.If(l.Eq(1), func() { p.Task(square, dsl.Inputs{"x": 1}) })
		}, []string{`If: conditions compare str, int, float or bool values; pipeline parameter "l" is a list`}},
		{"else then elif", func(p *dsl.Pipeline) {
			n := p.IntParam("n", 1)
			b := p.If(n.Gt(0), func() { p.Task(square, dsl.Inputs{"x": n}) })
			b.Else(func() { p.Task(square, dsl.Inputs{"x": 0}) })
			b.Elif(n.Lt(0), func() {})
		}, []string{`Elif after Else`}},
		{"exit handler inside a loop", func(p *dsl.Pipeline) {
			exit := p.Task(status, nil)
			p.ParallelFor([]int{1}, func(x dsl.Channel) {
				p.ExitHandler(exit, func() { p.Task(square, dsl.Inputs{"x": x}) })
			})
		}, []string{`ExitHandler: only allowed at the pipeline's top level, not inside for-loop-2`}},
		{"final status outside an exit handler", func(p *dsl.Pipeline) {
			p.Task(status, nil)
		}, []string{`task "status": input "status": a PipelineTaskFinalStatus input is only given to an exit task`}},
		{"channel of another pipeline", func(p *dsl.Pipeline) {
			other := dsl.NewPipeline("other")
			p.Task(square, dsl.Inputs{"x": other.IntParam("n", 1)})
		}, []string{`task "square": input "x": pipeline parameter "n" belongs to pipeline "other", not to "errors"`}},
		{"empty pipeline", func(p *dsl.Pipeline) {}, []string{"the pipeline has no tasks"}},
		{"empty condition", func(p *dsl.Pipeline) {
			n := p.IntParam("n", 1)
			p.If(n.Gt(0), func() {}).Else(func() { p.Task(square, dsl.Inputs{"x": n}) })
		}, []string{"condition-2 (a condition) has no tasks"}},
		{"collected outside any loop", func(p *dsl.Pipeline) {
			s := p.Task(square, dsl.Inputs{"x": 1})
			p.Task(sum, dsl.Inputs{"numbers": dsl.Collected(s.Output("y"))})
		}, []string{`task "sum": input "numbers": Collected(output "y" of task "square"): task "square" is not inside a ParallelFor`}},
		{"bad placeholder", func(p *dsl.Pipeline) {
			bad := sh("bad", []dsl.Input{in("data", dsl.Dataset)}, nil, "cat", dsl.InputValue("data"), dsl.InputValue("nope"))
			p.Task(bad, dsl.Inputs{"data": p.Importer(dsl.Importer{URI: "/x"}).Output("artifact")})
		}, []string{`task "bad": component "bad": input "data" is an artifact (system.Dataset): use InputPath or InputURI`,
			`task "bad": component "bad": a placeholder refers to input "nope", which is not declared`}},
		{"bad resources", func(p *dsl.Pipeline) {
			p.Task(square, dsl.Inputs{"x": 1}).SetCPULimit("two").SetMemoryLimit("1 GB")
		}, []string{`SetCPULimit("two"): not a CPU quantity`, `SetMemoryLimit("1 GB"): not a memory quantity`}},
		{"one of from a lone if", func(p *dsl.Pipeline) {
			n := p.IntParam("n", 1)
			var a *dsl.Task
			p.If(n.Gt(0), func() { a = p.Task(echo, dsl.Inputs{"text": "a"}) })
			p.Task(echo, dsl.Inputs{"text": dsl.OneOf(a.Output("out"), a.Output("out"))})
		}, []string{`OneOf: output "out" of task "echo" is not in its own branch of one If/Elif/Else`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := dsl.NewPipeline("errors")
			c.build(p)
			_, err := p.Compile()
			if err == nil {
				t.Fatal("compiled without error")
			}
			var es dsl.Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T, want dsl.Errors", err)
			}
			msg := err.Error()
			for _, w := range c.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error\n%s\ndoes not say\n%s", msg, w)
				}
				msg = msg[i+len(w):]
			}
		})
	}
}

func TestErrorsNameTaskAndInput(t *testing.T) {
	p := dsl.NewPipeline("two-mistakes")
	s := p.StringParam("s", "x")
	p.Task(square, dsl.Inputs{"x": s})
	p.Task(echo, dsl.Inputs{"txt": "hi"})
	_, err := p.Compile()
	var es dsl.Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("got %v, want three errors", err)
	}
	want := []dsl.Error{{Task: "square", Input: "x"}, {Task: "echo", Input: "txt"}, {Task: "echo", Input: "text"}}
	for i, w := range want {
		if es[i].Task != w.Task || es[i].Input != w.Input {
			t.Errorf("error %d names task %q input %q, want %q %q (%s)", i, es[i].Task, es[i].Input, w.Task, w.Input, es[i])
		}
	}
}
