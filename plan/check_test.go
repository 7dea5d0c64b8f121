package plan_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/examples"
	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
)

// conditional is a pipeline whose task "condition-1" has the given
// condition over its inputs a (a task input) and b (a component input),
// a selector on its input c, and a loop over raw items.
func conditional(t *testing.T, condition, selector, items string) *spec.PipelineSpec {
	t.Helper()
	y := `
pipelineInfo: {name: p}
schemaVersion: 2.1.0
root:
  inputDefinitions: {parameters: {x: {parameterType: STRING}}}
  dag:
    tasks:
      condition-1:
        taskInfo: {name: condition-1}
        componentRef: {name: comp-condition-1}
        inputs:
          parameters:
            a: {componentInputParameter: x}
            c: {componentInputParameter: x, parameterExpressionSelector: '` + selector + `'}
        triggerPolicy: {condition: "` + condition + `"}
      loop:
        taskInfo: {name: loop}
        componentRef: {name: comp-loop}
        parameterIterator: {itemInput: item, items: {raw: '` + items + `'}}
components:
  comp-condition-1:
    inputDefinitions: {parameters: {a: {parameterType: STRING}, b: {parameterType: STRING, isOptional: true}, c: {parameterType: STRING}}}
    dag: {tasks: {s: {taskInfo: {name: s}, componentRef: {name: comp-s}}}}
  comp-loop:
    inputDefinitions: {parameters: {item: {parameterType: NUMBER_INTEGER}}}
    dag: {tasks: {s: {taskInfo: {name: s}, componentRef: {name: comp-s}}}}
  comp-s: {executorLabel: exec-s}
deploymentSpec: {executors: {exec-s: {container: {image: alpine, command: ['true']}}}}
`
	p, err := spec.Load([]byte(y))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p.Spec
}

func TestCheckExpressions(t *testing.T) {
	const sel = `parseJson(string_value)["k"]`
	for _, c := range []struct {
		name, condition, selector, items string
		field, want                      string // want "" for no error
	}{
		{"KFP's condition", `inputs.parameter_values['a'] == 'heads'`, sel, "[1, 2]", "", ""},
		{"component input, select form, int()", `int(inputs.parameter_values.b) > 3 || inputs.parameter_values['c'] != ''`, sel, "[1]", "", ""},
		{"dyn result", `inputs.parameter_values['a']`, sel, "[1]", "", ""},
		{"syntax error", `inputs.parameter_values['a'] ==`, sel, "[1]", "root.dag.tasks.condition-1.triggerPolicy.condition",
			`task "condition-1": condition "inputs.parameter_values['a'] ==": column 32: Syntax error: mismatched input '<EOF>'`},
		{"not a boolean", `1 + 2`, sel, "[1]", "root.dag.tasks.condition-1.triggerPolicy.condition", "is not a boolean expression (it gives int)"},
		{"unknown function", `nope(inputs.parameter_values['a'])`, sel, "[1]", "root.dag.tasks.condition-1.triggerPolicy.condition", "undeclared reference to 'nope'"},
		{"unknown variable", `outputs.x == 1`, sel, "[1]", "root.dag.tasks.condition-1.triggerPolicy.condition", "undeclared reference to 'outputs'"},
		{"unknown parameter", `inputs.parameter_values['pipelinechannel--nope'] == 1`, sel, "[1]", "root.dag.tasks.condition-1.triggerPolicy.condition",
			`reads parameter "pipelinechannel--nope", which the task does not have (it has: a, b, c)`},
		{"unknown parameter, select form", `inputs.parameter_values.zz == 1`, sel, "[1]", "root.dag.tasks.condition-1.triggerPolicy.condition", `reads parameter "zz"`},
		{"selector", `true`, `parseJson(string_value).k`, "[1]", "root.dag.tasks.condition-1.inputs.parameters.c.parameterExpressionSelector", "unsupported selector"},
		{"loop items not a list", `true`, sel, `{"a": 1}`, "root.dag.tasks.loop.parameterIterator.items.raw", `task "loop": loop items`},
		{"loop items not JSON", `true`, sel, `[1,`, "root.dag.tasks.loop.parameterIterator.items.raw", `task "loop": loop items`},
		{"loop items at the limit", `true`, sel, "[" + strings.Repeat("1,", plan.MaxLoopItems-1) + "1]", "", ""},
		{"too many loop items", `true`, sel, "[" + strings.Repeat("1,", plan.MaxLoopItems) + "1]", "root.dag.tasks.loop.parameterIterator.items.raw", `task "loop": 10001 loop items, more than the limit of 10000`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := plan.CheckExpressions(conditional(t, c.condition, c.selector, c.items))
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var se *spec.Error
			if !errors.As(err, &se) || se.Field != c.field || !strings.Contains(se.Msg, c.want) {
				t.Fatalf("error %#v, want field %s and %q", err, c.field, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error is not one line: %q", err)
			}
		})
	}
}

// Every pipeline the KFP compiler wrote (the conformance corpus) and every
// example passes: the check refuses nothing that runs.
func TestCheckExpressionsAcceptsCompiledPipelines(t *testing.T) {
	n := 0
	for _, f := range examples.Pipelines() {
		b, err := examples.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := spec.Load(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := plan.CheckExpressions(p.Spec); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		n++
	}
	files, _ := filepath.Glob("../../shared/conformance/kfp-compiled/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := spec.Load(b)
		if err != nil {
			continue // the loader's own tests say which files load
		}
		if err := plan.CheckExpressions(p.Spec); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
		n++
	}
	t.Logf("%d pipelines checked (%d from the conformance corpus)", n, len(files))
}
