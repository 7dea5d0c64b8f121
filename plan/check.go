package plan

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"github.com/sluicehq/sluice/spec"
)

// CheckExpressions checks, before anything runs, every expression of a
// pipeline that can be checked without its inputs: each task's trigger
// condition (CEL: it must compile, give a boolean, and read only
// parameters the task has), each parameterExpressionSelector, and each
// loop's raw items (a JSON list). The first problem is a *spec.Error
// naming the task's field and the expression, so that a spec is refused
// when it is uploaded or run instead of failing when the task is reached.
func CheckExpressions(ps *spec.PipelineSpec) error {
	if ps == nil {
		return nil
	}
	if ps.Root != nil && ps.Root.DAG != nil {
		if err := checkDAG(ps, "root.dag", ps.Root.DAG); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ps.Components)) {
		if c := ps.Components[name]; c != nil && c.DAG != nil {
			if err := checkDAG(ps, "components."+name+".dag", c.DAG); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkDAG(ps *spec.PipelineSpec, field string, d *spec.DAGSpec) error {
	for _, key := range slices.Sorted(maps.Keys(d.Tasks)) {
		t := d.Tasks[key]
		if t == nil {
			continue
		}
		tf := field + ".tasks." + key
		known := map[string]bool{}
		if t.Inputs != nil {
			for _, name := range slices.Sorted(maps.Keys(t.Inputs.Parameters)) {
				known[name] = true
				in := t.Inputs.Parameters[name]
				if in == nil || in.ParameterExpressionSelector == "" {
					continue
				}
				if !selectorRE().MatchString(strings.TrimSpace(in.ParameterExpressionSelector)) {
					return &spec.Error{Field: tf + ".inputs.parameters." + name + ".parameterExpressionSelector",
						Msg: fmt.Sprintf("task %q: unsupported selector %q (only parseJson(string_value)[\"key\"] is supported)", key, in.ParameterExpressionSelector)}
				}
			}
		}
		if c := ps.Components[t.ComponentRef.Name]; c != nil && c.InputDefinitions != nil {
			for name := range c.InputDefinitions.Parameters {
				known[name] = true
			}
		}
		if tp := t.TriggerPolicy; tp != nil && strings.TrimSpace(tp.Condition) != "" {
			if err := checkCondition(tp.Condition, known); err != nil {
				return &spec.Error{Field: tf + ".triggerPolicy.condition", Msg: fmt.Sprintf("task %q: condition %q: %v", key, tp.Condition, err)}
			}
		}
		if it := t.ParameterIterator; it != nil && it.Items.Raw != "" {
			l, err := Coerce(it.Items.Raw, spec.TypeList)
			if err != nil {
				return &spec.Error{Field: tf + ".parameterIterator.items.raw", Msg: fmt.Sprintf("task %q: loop items %q: %v", key, abbrev(it.Items.Raw), err)}
			}
			if n := len(l.([]any)); n > MaxLoopItems {
				return &spec.Error{Field: tf + ".parameterIterator.items.raw", Msg: fmt.Sprintf("task %q: %d loop items, more than the limit of %d iterations of one loop", key, n, MaxLoopItems)}
			}
		}
	}
	return nil
}

// checkCondition compiles a trigger condition as EvalCondition will and
// checks that it can give a boolean and reads only the parameters in
// known (inputs.parameter_values['name'] or .name).
func checkCondition(expr string, known map[string]bool) error {
	e, err := env()
	if err != nil {
		return err
	}
	ast, iss := e.Compile(expr)
	if iss != nil && iss.Err() != nil {
		// The first line of cel-go's report, where it says "ERROR:
		// <input>:1:32: ..." (the next lines draw a caret under the
		// expression).
		msg, _, _ := strings.Cut(iss.Err().Error(), "\n")
		if m := celPosRE().FindStringSubmatch(msg); m != nil {
			where := "column " + m[2]
			if m[1] != "1" {
				where = "line " + m[1] + ", " + where
			}
			msg = where + ": " + msg[len(m[0]):]
		}
		return errors.New(msg)
	}
	if out := ast.OutputType(); !out.IsExactType(types.BoolType) && !out.IsExactType(types.DynType) {
		return fmt.Errorf("is not a boolean expression (it gives %s)", out)
	}
	var unknown []string
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		if name, ok := parameterRead(x); ok && !known[name] && !slices.Contains(unknown, name) {
			unknown = append(unknown, name)
		}
	}))
	if len(unknown) > 0 {
		return fmt.Errorf("reads parameter %q, which the task does not have (it has: %s)", unknown[0], strings.Join(slices.Sorted(maps.Keys(known)), ", "))
	}
	return nil
}

var celPosRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^ERROR: <input>:(\d+):(\d+): `) })

// parameterRead recognizes inputs.parameter_values['name'] and
// inputs.parameter_values.name.
func parameterRead(x celast.Expr) (string, bool) {
	isValues := func(y celast.Expr) bool {
		if y.Kind() != celast.SelectKind || y.AsSelect().FieldName() != "parameter_values" {
			return false
		}
		op := y.AsSelect().Operand()
		return op.Kind() == celast.IdentKind && op.AsIdent() == "inputs"
	}
	switch x.Kind() {
	case celast.CallKind:
		c := x.AsCall()
		if c.FunctionName() != operators.Index || len(c.Args()) != 2 || !isValues(c.Args()[0]) {
			return "", false
		}
		if k := c.Args()[1]; k.Kind() == celast.LiteralKind {
			if s, ok := k.AsLiteral().Value().(string); ok {
				return s, true
			}
		}
	case celast.SelectKind:
		s := x.AsSelect()
		if !s.IsTestOnly() && isValues(s.Operand()) {
			return s.FieldName(), true
		}
	}
	return "", false
}
