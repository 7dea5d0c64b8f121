package plan

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"github.com/Knetic/govaluate"
)

// EvalWhen evaluates an Argo `when` expression whose placeholders are
// already substituted, as Argo v3.1–3.3 does (KFP v1's backend): a
// govaluate expression where bare words are strings. `==` and `!=`
// compare values of the same type, `<`, `>`… compare two numbers or two
// strings; anything else is an error.
func EvalWhen(expr string) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("invalid 'when' expression %q: %v", expr, r)
		}
	}()
	e, err := govaluate.NewEvaluableExpression(expr)
	if err != nil {
		return false, fmt.Errorf("invalid 'when' expression %q: %v", expr, err)
	}
	toks := e.Tokens()
	for i, t := range toks {
		if t.Kind == govaluate.VARIABLE {
			toks[i].Kind = govaluate.STRING
		}
	}
	if e, err = govaluate.NewEvaluableExpressionFromTokens(toks); err != nil {
		return false, fmt.Errorf("invalid 'when' expression %q: %v", expr, err)
	}
	v, err := e.Evaluate(nil)
	if err != nil {
		return false, fmt.Errorf("'when' expression %q: %v", expr, err)
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, fmt.Errorf("'when' expression %q is not true or false (got %v)", expr, v)
	}
	return b, nil
}

// govaluateFunc makes EvalWhen the CEL function govaluate(string) -> bool,
// so that KFP v1 conditions are CEL conditions like any other.
func govaluateFunc() cel.EnvOption {
	return cel.Function("govaluate", cel.Overload("govaluate_string", []*cel.Type{cel.StringType}, cel.BoolType,
		cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.Value().(string)
			if !ok {
				return types.NewErr("govaluate: expected a string")
			}
			b, err := EvalWhen(s)
			if err != nil {
				return types.NewErr("%s", err.Error())
			}
			return types.Bool(b)
		})))
}
