package dsl_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/spec"
)

// The parity tests define, with the Go SDK, pipelines of the KFP SDK's own
// test data, and compare what dsl compiles with what the KFP compiler wrote
// (../shared/conformance/kfp-compiled): component keys, executor labels,
// task keys, group numbering, pipelinechannel inputs, DAG outputs,
// conditions and iterators must be the same. Executors are compared only by
// kind, since the Python components' code is not reproduced here.

func kfpCompiled(t *testing.T, rel string) *spec.PipelineSpec {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "conformance", "kfp-compiled", rel)
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) && os.Getenv("SLUICE_REQUIRE_TOOLS") != "1" {
			t.Skipf("KFP-compiled corpus not found (%s)", path)
		}
		t.Fatal(err)
	}
	p, err := spec.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return p.Spec
}

// comparable is a spec as generic JSON with executors reduced to their kind
// and environment, and the SDK version dropped.
func comparable(t *testing.T, ps *spec.PipelineSpec) string {
	t.Helper()
	b, _ := json.Marshal(ps)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	delete(v, "sdkVersion")
	if ds, ok := v["deploymentSpec"].(map[string]any); ok {
		if ex, ok := ds["executors"].(map[string]any); ok {
			for k, e := range ex {
				m := e.(map[string]any)
				if c, ok := m["container"].(map[string]any); ok {
					ex[k] = map[string]any{"container": map[string]any{"env": c["env"], "resources": c["resources"]}}
				}
			}
		}
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func assertParity(t *testing.T, rel string, p *dsl.Pipeline) {
	t.Helper()
	want := kfpCompiled(t, rel)
	got, err := p.Compile()
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	w, g := comparable(t, want), comparable(t, got)
	if w != g {
		t.Errorf("%s: the compiled spec differs from KFP's:\n%s", rel, lineDiff(w, g))
	}
}

// lineDiff lists the lines only in want (-) or only in got (+), in order.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	// Longest common subsequence, fine for files of a few thousand lines.
	n, m := len(wl), len(gl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if wl[i] == gl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && wl[i] == gl[j]:
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			b.WriteString("+ " + gl[j] + "\n")
			j++
		default:
			b.WriteString("- " + wl[i] + "\n")
			i++
		}
	}
	return b.String()
}

// py is a component with the interface of a lightweight Python component
// (the code itself is not compared).
func py(name string, ins []dsl.Input, outs ...dsl.Output) *dsl.Container {
	return &dsl.Container{Name: name, Image: "python:3.11", Inputs: ins, Outputs: outs,
		Command: []string{"python3", "-c", "pass"}}
}

func in(name string, t dsl.Type) dsl.Input { return dsl.Input{Name: name, Type: t} }

func ret(t dsl.Type) dsl.Output { return dsl.Output{Name: "Output", Type: t} }

func TestParityConditionalProducerAndConsumers(t *testing.T) {
	double := py("double", []dsl.Input{in("num", dsl.Int)}, ret(dsl.Int))
	add := py("add", []dsl.Input{in("nums", dsl.List)}, ret(dsl.Int))
	p := dsl.NewPipeline("math-pipeline")
	threshold := p.IntParam("threshold", 2)
	var d, a *dsl.Task
	p.ParallelFor([]int{1, 2, 3}, func(x dsl.Channel) {
		p.If(x.Ge(threshold), func() {
			d = p.Task(double, dsl.Inputs{"num": x})
		})
	})
	p.If(threshold.Eq(2), func() {
		a = p.Task(add, dsl.Inputs{"nums": dsl.Collected(d.Output("Output"))})
	})
	p.Output("Output", dsl.Collected(a.Output("Output")))
	assertParity(t, "conditional_producer_and_consumers.yaml", p)
}

func TestParityIfElifElseComplex(t *testing.T) {
	intRand := py("int_0_to_9999", nil, ret(dsl.Int))
	evenOdd := py("is_even_or_odd", []dsl.Input{in("num", dsl.Int)}, ret(dsl.String))
	printRet := py("print_and_return", []dsl.Input{in("text", dsl.String)}, ret(dsl.String))
	printInts := py("print_ints", []dsl.Input{in("ints", dsl.List)})

	p := dsl.NewPipeline("lucky-number-pipeline")
	drumroll := p.BoolParam("add_drumroll", true)
	repeat := p.BoolParam("repeat_if_lucky_number", true)
	trials := p.ListParam("trials", []int{1, 2, 3})
	var n *dsl.Task
	p.ParallelFor(trials, func(trial dsl.Channel) {
		n = p.Task(intRand, nil).SetCaching(false)
		p.If(drumroll.Eq(true), func() {
			p.If(trial.Eq(3), func() {
				p.Task(printRet, dsl.Inputs{"text": "Adding drumroll on last trial!"})
			})
		})
		num := n.Output("Output")
		p.If(num.Lt(5000), func() {
			eo := p.Task(evenOdd, dsl.Inputs{"num": num})
			var a, b *dsl.Task
			p.If(eo.Output("Output").Eq("even"), func() {
				a = p.Task(printRet, dsl.Inputs{"text": "Got a low even number!"})
			}).Else(func() {
				b = p.Task(printRet, dsl.Inputs{"text": "Got a low odd number!"})
			})
			p.Task(printRet, dsl.Inputs{"text": dsl.OneOf(a.Output("Output"), b.Output("Output"))})
		}).Elif(num.Gt(5000), func() {
			eo := p.Task(evenOdd, dsl.Inputs{"num": num})
			var a, b *dsl.Task
			p.If(eo.Output("Output").Eq("even"), func() {
				a = p.Task(printRet, dsl.Inputs{"text": "Got a high even number!"})
			}).Else(func() {
				b = p.Task(printRet, dsl.Inputs{"text": "Got a high odd number!"})
			})
			p.Task(printRet, dsl.Inputs{"text": dsl.OneOf(a.Output("Output"), b.Output("Output"))})
		}).Else(func() {
			p.Task(printRet, dsl.Inputs{"text": "Announcing: Got the lucky number 5000! A one in 10,000 chance."})
			p.If(repeat.Eq(true), func() {
				p.ParallelFor([]int{1, 2}, func(dsl.Channel) {
					p.Task(printRet, dsl.Inputs{"text": "Announcing again: Got the lucky number 5000! A one in 10,000 chance."})
				})
			})
		})
	})
	p.Task(printInts, dsl.Inputs{"ints": dsl.Collected(n.Output("Output"))})
	assertParity(t, "if_elif_else_complex.yaml", p)
}

func TestParityPipelineInPipeline(t *testing.T) {
	printOp1 := py("print_op1", []dsl.Input{in("msg", dsl.String)}, ret(dsl.String))
	printOp2 := &dsl.Container{Name: "print_op2", Image: "alpine", Inputs: []dsl.Input{in("msg", dsl.String)},
		Command: []string{"echo", dsl.InputValue("msg")}}
	inner := dsl.NewPipeline("inner-pipeline")
	msg := inner.Param(dsl.Input{Name: "msg", Type: dsl.String})
	t1 := inner.Task(printOp1, dsl.Inputs{"msg": msg})
	inner.Task(printOp2, dsl.Inputs{"msg": t1.Output("Output")})

	p := dsl.NewPipeline("pipeline-in-pipeline")
	p.Task(printOp1, dsl.Inputs{"msg": "Hello"})
	p.Task(inner, dsl.Inputs{"msg": "world"})
	assertParity(t, "parallel_and_nested/pipeline_in_pipeline.yaml", p)
}

func TestParityCollectedParameters(t *testing.T) {
	split := py("split_ids", []dsl.Input{in("ids", dsl.String)}, ret(dsl.List))
	prepend := py("prepend_id", []dsl.Input{in("content", dsl.String)}, ret(dsl.String))
	consume := py("consume_ids", []dsl.Input{in("ids", dsl.List)}, ret(dsl.String))
	single := py("consume_single_id", []dsl.Input{in("id", dsl.String)}, ret(dsl.String))

	inner := dsl.NewPipeline("collecting_parameters")
	ids := inner.StringParam("model_ids", "")
	s := inner.Task(split, dsl.Inputs{"ids": ids})
	var pre *dsl.Task
	inner.ParallelFor(s.Output("Output"), func(id dsl.Channel) {
		pre = inner.Task(prepend, dsl.Inputs{"content": id}).SetCaching(false)
		inner.Task(single, dsl.Inputs{"id": pre.Output("Output")}).SetCaching(false)
	})
	inner.Task(consume, dsl.Inputs{"ids": dsl.Collected(pre.Output("Output"))}).SetCaching(false)
	inner.Output("Output", dsl.Collected(pre.Output("Output")))

	p := dsl.NewPipeline("collected_param_pipeline")
	c := p.Task(inner, dsl.Inputs{"model_ids": "s1,s2,s3"}).SetCaching(false)
	p.Task(consume, dsl.Inputs{"ids": c.Output("Output")}).SetCaching(false)
	assertParity(t, "critical/collected_parameters.yaml", p)
}

func TestParityImporter(t *testing.T) {
	train := py("train", []dsl.Input{in("dataset", dsl.Dataset)},
		dsl.Output{Name: "scalar", Type: dsl.String}, dsl.Output{Name: "model", Type: dsl.Model})
	p := dsl.NewPipeline("pipeline-with-importer")
	dataset2 := p.StringParam("dataset2", "gs://ml-pipeline-playground/shakespeare2.txt")
	imp := p.Importer(dsl.Importer{URI: "gs://ml-pipeline-playground/shakespeare1.txt", Type: dsl.Dataset,
		Metadata: map[string]any{"key": "value"}})
	tr := p.Task(train, dsl.Inputs{"dataset": imp.Output("artifact")})
	p.If(tr.Output("scalar").Eq("123"), func() {
		imp2 := p.Importer(dsl.Importer{URI: dataset2, Type: dsl.Dataset, Reimport: true})
		p.Task(train, dsl.Inputs{"dataset": imp2.Output("artifact")})
	})
	assertParity(t, "pipeline_with_importer.yaml", p)
}

func TestParityExitHandler(t *testing.T) {
	printOp := py("print_op", []dsl.Input{in("message", dsl.String)})
	failOp := py("fail_op", []dsl.Input{in("message", dsl.String)})
	p := dsl.NewPipeline("pipeline-with-exit-handler")
	msg := p.StringParam("message", "Hello World!")
	exit := p.Task(printOp, dsl.Inputs{"message": "Exit handler has worked!"})
	p.ExitHandler(exit, func() {
		p.Task(printOp, dsl.Inputs{"message": msg})
		p.Task(failOp, dsl.Inputs{"message": "Task failed."})
	})
	assertParity(t, "failing/pipeline_with_exit_handler.yaml", p)
}

func TestParityReusedComponent(t *testing.T) {
	addNumbers := py("add_numbers", []dsl.Input{in("a", dsl.Int), in("b", dsl.Int)}, ret(dsl.Int))
	p := dsl.NewPipeline("pipeline-with-reused-component")
	a := p.IntParam("a", 2)
	b := p.IntParam("b", 5)
	t1 := p.Task(addNumbers, dsl.Inputs{"a": a, "b": 3})
	t2 := p.Task(addNumbers, dsl.Inputs{"a": t1.Output("Output"), "b": b})
	p.Task(addNumbers, dsl.Inputs{"a": t2.Output("Output"), "b": 7})
	assertParity(t, "essential/pipeline_with_reused_component.yaml", p)
}

func TestParityIfElifElseOneOf(t *testing.T) {
	flip := py("flip_three_sided_die", nil, ret(dsl.String))
	printRet := py("print_and_return", []dsl.Input{in("text", dsl.String)}, ret(dsl.String))
	special := py("special_print_and_return", []dsl.Input{in("text", dsl.String)}, dsl.Output{Name: "output_key", Type: dsl.String})

	inner := dsl.NewPipeline("roll_die_pipeline")
	f := inner.Task(flip, nil)
	var a, b, c *dsl.Task
	inner.If(f.Output("Output").Eq("heads"), func() {
		a = inner.Task(printRet, dsl.Inputs{"text": "Got heads!"})
	}).Elif(f.Output("Output").Eq("tails"), func() {
		b = inner.Task(printRet, dsl.Inputs{"text": "Got tails!"})
	}).Else(func() {
		c = inner.Task(special, dsl.Inputs{"text": "Draw!"})
	})
	inner.Output("Output", dsl.OneOf(a.Output("Output"), b.Output("Output"), c.Output("output_key")))

	p := dsl.NewPipeline("outer-pipeline")
	r := p.Task(inner, nil)
	pr := p.Task(printRet, dsl.Inputs{"text": r.Output("Output")})
	p.Output("Output", pr.Output("Output"))
	assertParity(t, "if_elif_else_with_oneof_parameters.yaml", p)
}

func TestComparableDropsOnlyCode(t *testing.T) {
	// A guard for the parity tests: they must still see executor kinds.
	p := dsl.NewPipeline("x")
	p.Task(py("a", nil), nil)
	ps, err := p.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if s := comparable(t, ps); !strings.Contains(s, "exec-a:") || !slices.Contains(strings.Fields(s), "container:") {
		t.Fatalf("comparable lost the executors:\n%s", s)
	}
}

func TestParityResourcesFromParameters(t *testing.T) {
	sumNumbers := py("sum_numbers", []dsl.Input{in("a", dsl.Int), in("b", dsl.Int)}, ret(dsl.Int))
	p := dsl.NewPipeline("pipeline")
	cpu := p.StringParam("cpu_limit", "4000m")
	mem := p.StringParam("memory_limit", "15G")
	accType := p.StringParam("accelerator_type", "NVIDIA_TESLA_P4")
	accLimit := p.StringParam("accelerator_limit", "1")
	p.Task(sumNumbers, dsl.Inputs{"a": 1, "b": 2}).
		SetCPULimit(cpu).SetMemoryLimit(mem).SetAcceleratorType(accType).SetAcceleratorLimit(accLimit)
	assertParity(t, "pipeline_with_string_machine_fields_pipeline_input.yaml", p)
}

func TestParityPipelineLoadedFromYAML(t *testing.T) {
	kfpCompiled(t, "essential/pipeline_with_outputs.yaml") // skips when the corpus is absent
	inner, err := dsl.LoadComponentFile(filepath.Join("..", "..", "shared", "conformance", "kfp-compiled", "essential", "pipeline_with_outputs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	printOp1 := py("print_op1", []dsl.Input{in("data", dsl.Artifact)})
	p := dsl.NewPipeline("pipeline-in-pipeline")
	t1 := p.Task(inner, dsl.Inputs{"msg": "Hello"})
	p.Task(printOp1, dsl.Inputs{"data": t1.Output("Output")})
	assertParity(t, "parallel_and_nested/pipeline_in_pipeline_loaded_from_yaml.yaml", p)
}

func TestParityPipelineAsExitTask(t *testing.T) {
	printOp := py("print_op", []dsl.Input{in("message", dsl.String)})
	failOp := py("fail_op", []dsl.Input{in("message", dsl.String)})
	getRunState := py("get_run_state", []dsl.Input{in("status", dsl.Struct)}, ret(dsl.String))

	notify := dsl.NewPipeline("conditional_notification")
	status := notify.Param(dsl.Input{Name: "status", Type: dsl.TaskFinalStatus})
	state := notify.Task(getRunState, dsl.Inputs{"status": status}).Output("Output")
	notify.If(state.Eq("FAILED"), func() {
		notify.Task(printOp, dsl.Inputs{"message": "notify task failure."})
	})

	p := dsl.NewPipeline("pipeline-with-task-final-status-conditional")
	msg := p.StringParam("message", "Hello World!")
	exit := p.Task(notify, nil)
	p.ExitHandler(exit, func() {
		p.Task(printOp, dsl.Inputs{"message": msg})
		p.Task(failOp, dsl.Inputs{"message": "Task failed."})
	}, dsl.DisplayName("my-pipeline"))
	assertParity(t, "pipeline_as_exit_task.yaml", p)
}

func TestParityParamsContainingFormat(t *testing.T) {
	printOp := py("print_op", []dsl.Input{in("text", dsl.String)}, ret(dsl.String))
	printOp2 := py("print_op2", []dsl.Input{in("text1", dsl.String), in("text2", dsl.String)}, ret(dsl.String))
	p := dsl.NewPipeline("pipeline-with-pipelineparam-containing-format")
	name := p.StringParam("name", "KFP")
	t1 := p.Task(printOp, dsl.Inputs{"text": dsl.Sprintf("Hello %v", name)})
	p.Task(printOp, dsl.Inputs{"text": dsl.Sprintf("%v, again.", t1.Output("Output"))})
	p.ParallelFor([]string{"1", "2"}, func(item dsl.Channel) {
		p.Task(printOp2, dsl.Inputs{"text1": item, "text2": dsl.Sprintf(" and %v.", name)})
	})
	assertParity(t, "essential/pipeline_with_params_containing_format.yaml", p)
}

func TestParityCrossLoopAfter(t *testing.T) {
	printOp := py("print_op", []dsl.Input{in("message", dsl.String)})
	p := dsl.NewPipeline("my-pipeline")
	say := func(m string) *dsl.Task { return p.Task(printOp, dsl.Inputs{"message": m}) }
	pair := []int{1, 2}
	var one, three, five, seven *dsl.Task
	p.ParallelFor(pair, func(dsl.Channel) { one = say("one") })
	p.ParallelFor(pair, func(dsl.Channel) { say("two").After(one) })
	p.ParallelFor(pair, func(dsl.Channel) {
		three = say("three")
		p.ParallelFor(pair, func(dsl.Channel) { say("four").After(three) })
	})
	p.ParallelFor(pair, func(dsl.Channel) { five = say("five") })
	say("six").After(five)
	p.ParallelFor(pair, func(dsl.Channel) {
		p.ParallelFor(pair, func(dsl.Channel) { seven = say("seven") })
		say("eight").After(seven)
	})
	assertParity(t, "cross_loop_after_topology.yaml", p)
}

func TestParityNestedLoopsCollected(t *testing.T) {
	double := py("double", []dsl.Input{in("num", dsl.Int)}, ret(dsl.Int))
	addTwo := py("add_two_nums", []dsl.Input{in("x", dsl.Int), in("y", dsl.Int)}, ret(dsl.Int))
	add := py("add", []dsl.Input{in("nums", dsl.List)}, ret(dsl.Int))
	p := dsl.NewPipeline("math-pipeline")
	var sum *dsl.Task
	p.ParallelFor([]int{1, 2, 3}, func(x dsl.Channel) {
		p.ParallelFor([]int{1, 2, 3}, func(y dsl.Channel) {
			a := p.Task(double, dsl.Inputs{"num": x})
			b := p.Task(double, dsl.Inputs{"num": y})
			sum = p.Task(addTwo, dsl.Inputs{"x": a.Output("Output"), "y": b.Output("Output")})
		})
	})
	p.Task(add, dsl.Inputs{"nums": dsl.Collected(sum.Output("Output"))})
	p.Output("Output", dsl.Collected(sum.Output("Output")))
	assertParity(t, "nested_with_parameters.yaml", p)
}

func TestParityIgnoreUpstreamFailure(t *testing.T) {
	failOp := py("fail_op", []dsl.Input{in("message", dsl.String)}, ret(dsl.String))
	printOp := py("print_op", []dsl.Input{{Name: "message", Type: dsl.String, Default: "default"}})
	p := dsl.NewPipeline("my-pipeline")
	msg := p.StringParam("sample_input", "message")
	f := p.Task(failOp, dsl.Inputs{"message": msg})
	p.Task(printOp, dsl.Inputs{"message": f.Output("Output")}).IgnoreUpstreamFailure()
	assertParity(t, "pipeline_with_task_using_ignore_upstream_failure.yaml", p)
}

func TestParityLoopsAndConditionsMultiLayers(t *testing.T) {
	flipCoin := py("flip_coin_op", nil, ret(dsl.String))
	argsGen := py("args_generator_op", nil, ret(dsl.List))
	printText := py("print_text", []dsl.Input{in("msg", dsl.String), {Name: "msg2", Type: dsl.String, Optional: true}})
	printStruct := py("print_struct", []dsl.Input{in("struct", dsl.Struct)})

	p := dsl.NewPipeline("pipeline-with-loops-and-conditions-multi-layers")
	msg := p.StringParam("msg", "hello")
	loopParam := p.Param(dsl.Input{Name: "loop_parameter", Type: dsl.List, Default: []any{
		map[string]any{"A_a": "heads", "B_b": []string{"A", "B"}},
		map[string]any{"A_a": "tails", "B_b": []string{"X", "Y", "Z"}},
	}})
	flip := p.Task(flipCoin, nil).Output("Output")
	outer := p.Task(argsGen, nil).Output("Output")
	p.If(flip.Ne("no-such-result"), func() {
		inner := p.Task(argsGen, nil).Output("Output")
		p.ParallelFor(outer, func(item dsl.Channel) {
			p.Task(printText, dsl.Inputs{"msg": msg})
			p.If(item.Field("A_a").Eq("heads"), func() {
				p.Task(printText, dsl.Inputs{"msg": item.Field("B_b")})
			})
			p.If(flip.Eq("heads"), func() {
				p.Task(printText, dsl.Inputs{"msg": item.Field("B_b")})
			})
			p.If(item.Field("A_a").Eq("tails"), func() {
				p.ParallelFor([]map[string]any{{"a": "-1"}, {"a": "-2"}}, func(innerItem dsl.Channel) {
					p.Task(printStruct, dsl.Inputs{"struct": innerItem})
				})
			})
			p.ParallelFor(item.Field("B_b"), func(b dsl.Channel) {
				p.Task(printText, dsl.Inputs{"msg": b})
			})
			p.ParallelFor(loopParam, func(pipelineItem dsl.Channel) {
				p.Task(printText, dsl.Inputs{"msg": pipelineItem})
				p.ParallelFor(inner, func(innerItem dsl.Channel) {
					p.Task(printText, dsl.Inputs{"msg": pipelineItem, "msg2": innerItem.Field("A_a")})
				})
			})
			p.ParallelFor([]string{"1", "2"}, func(oneTwo dsl.Channel) {
				p.Task(printText, dsl.Inputs{"msg": oneTwo})
				p.If(oneTwo.Eq("1"), func() {
					p.Task(printText, dsl.Inputs{"msg": "1"})
				})
			})
		})
	})
	p.ParallelFor(loopParam, func(item dsl.Channel) {
		p.If(item.Field("A_a").Eq("heads"), func() {
			p.ParallelFor(item.Field("B_b"), func(b dsl.Channel) {
				p.Task(printText, dsl.Inputs{"msg": b})
			})
		})
	})
	assertParity(t, "pipeline_with_loops_and_conditions.yaml", p)
}

func TestParityOneOfArtifacts(t *testing.T) {
	flipCoin := py("flip_coin", nil, ret(dsl.String))
	paramToArtifact := py("param_to_artifact", []dsl.Input{in("val", dsl.String)}, dsl.Output{Name: "a", Type: dsl.Artifact})
	printArtifact := py("print_artifact", []dsl.Input{in("a", dsl.Artifact)})

	inner := dsl.NewPipeline("flip_coin_pipeline")
	f := inner.Task(flipCoin, nil).Output("Output")
	var x, y *dsl.Task
	inner.If(f.Eq("heads"), func() {
		x = inner.Task(paramToArtifact, dsl.Inputs{"val": f})
	}).Else(func() {
		y = inner.Task(paramToArtifact, dsl.Inputs{"val": f})
	})
	chosen := dsl.OneOf(x.Output("a"), y.Output("a"))
	inner.Task(printArtifact, dsl.Inputs{"a": chosen})
	inner.Output("Output", chosen)

	p := dsl.NewPipeline("outer-pipeline")
	fc := p.Task(inner, nil)
	p.Task(printArtifact, dsl.Inputs{"a": fc.Output("Output")})
	assertParity(t, "if_else_with_oneof_artifacts.yaml", p)
}

func TestParityPipelineInPipelineComplex(t *testing.T) {
	printOp1 := py("print_op1", []dsl.Input{in("msg", dsl.String)}, ret(dsl.String))
	printOp2 := py("print_op2", []dsl.Input{in("msg", dsl.String)})
	printOp := py("print_op", []dsl.Input{in("msg", dsl.String)})

	inner := dsl.NewPipeline("inner_pipeline")
	msg := inner.Param(dsl.Input{Name: "msg", Type: dsl.String})
	out := inner.Task(printOp1, dsl.Inputs{"msg": msg}).Output("Output")
	inner.If(out.Eq("Hello"), func() { inner.Task(printOp2, dsl.Inputs{"msg": "world"}) })
	inner.If(out.Ne("Hello"), func() { inner.Task(printOp, dsl.Inputs{"msg": "Bye!"}) })

	p := dsl.NewPipeline("pipeline-in-pipeline-complex")
	m := p.StringParam("msg", "Hello")
	p.Task(printOp1, dsl.Inputs{"msg": m})
	p.ParallelFor([]string{"Hello", "world!"}, func(item dsl.Channel) {
		p.Task(inner, dsl.Inputs{"msg": item})
	})
	assertParity(t, "parallel_and_nested/pipeline_in_pipeline_complex.yaml", p)
}

func TestParityArtifactsComplex(t *testing.T) {
	ds := dsl.Output{Name: "out_dataset", Type: dsl.Dataset}
	double := py("double", []dsl.Input{in("num", dsl.Int)}, ds)
	add := py("add", []dsl.Input{in("in_datasets", dsl.ListOf(dsl.Dataset))}, ds)
	addTwoInts := py("add_two_ints", []dsl.Input{in("in_dataset1", dsl.Dataset), in("in_dataset2", dsl.Dataset)}, ds)

	inner := dsl.NewPipeline("add_two_lists_of_datasets")
	l1 := inner.Param(dsl.Input{Name: "in_datasets1", Type: dsl.ListOf(dsl.Dataset)})
	l2 := inner.Param(dsl.Input{Name: "in_datasets2", Type: dsl.ListOf(dsl.Dataset)})
	a := inner.Task(add, dsl.Inputs{"in_datasets": l1})
	b := inner.Task(add, dsl.Inputs{"in_datasets": l2})
	s := inner.Task(addTwoInts, dsl.Inputs{"in_dataset1": a.Output("out_dataset"), "in_dataset2": b.Output("out_dataset")})
	inner.Output("Output", s.Output("out_dataset"))

	p := dsl.NewPipeline("math-pipeline")
	threshold := p.IntParam("threshold", 2)
	var d1, d2 *dsl.Task
	p.ParallelFor([]int{1, 2, 3}, func(x dsl.Channel) {
		d1 = p.Task(double, dsl.Inputs{"num": x})
		p.ParallelFor([]int{1, 2, 3}, func(y dsl.Channel) {
			p.If(y.Ge(threshold), func() {
				d2 = p.Task(double, dsl.Inputs{"num": y})
			})
		})
	})
	sum := p.Task(inner, dsl.Inputs{
		"in_datasets1": dsl.Collected(d1.Output("out_dataset")),
		"in_datasets2": dsl.Collected(d2.Output("out_dataset")),
	})
	p.Output("datasets", dsl.Collected(d1.Output("out_dataset")))
	p.Output("sum", sum.Output("Output"))
	assertParity(t, "artifacts_complex.yaml", p)
}

func TestParityRetry(t *testing.T) {
	add := py("add", []dsl.Input{in("a", dsl.Float), in("b", dsl.Float)}, ret(dsl.Float))
	p := dsl.NewPipeline("test-pipeline")
	a := p.FloatParam("a", 1)
	b := p.FloatParam("b", 7)
	p.Task(add, dsl.Inputs{"a": a, "b": b}).SetRetry(3)
	assertParity(t, "critical/pipeline_with_retry.yaml", p)
}

func TestParityEnv(t *testing.T) {
	printEnv, err := dsl.LoadComponent([]byte(`
name: Print env
implementation:
  container:
    image: alpine
    command: [sh, -c, 'echo "$ENV1"']
    env: {ENV1: val1}
`))
	if err != nil {
		t.Fatal(err)
	}
	printEnvOp := py("print_env_op", nil)
	p := dsl.NewPipeline("pipeline-with-env")
	p.Task(printEnvOp, nil).SetEnv("ENV1", "val1")
	p.Task(printEnv, nil).SetEnv("ENV1", "val0").SetEnv("ENV2", "val2").SetEnv("ENV3", "val3")
	assertParity(t, "critical/pipeline_with_env.yaml", p)
}
