package plan

import (
	"fmt"
	"sync"

	"cel.dev/cel-go/cel"
)

var (
	celOnce sync.Once
	celEnv  *cel.Env
	celErr  error
	progs   sync.Map // expression -> cel.Program
)

func env() (*cel.Env, error) {
	celOnce.Do(func() {
		celEnv, celErr = cel.NewEnv(cel.Variable("inputs", cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.DynType))), govaluateFunc())
	})
	return celEnv, celErr
}

// EvalCondition evaluates a KFP trigger condition (CEL) against a task's
// resolved input parameters, exposed as inputs.parameter_values. Numbers are
// doubles, as in protobuf Values, so int(...) and double(...) behave as KFP's.
func EvalCondition(expr string, params map[string]any) (bool, error) {
	p, err := program(expr)
	if err != nil {
		return false, err
	}
	vals := make(map[string]any, len(params))
	for k, v := range params {
		vals[k] = celValue(v)
	}
	out, _, err := p.Eval(map[string]any{"inputs": map[string]any{"parameter_values": vals}})
	if err != nil {
		return false, fmt.Errorf("condition %q: %v", expr, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition %q is not a boolean (got %v)", expr, out.Value())
	}
	return b, nil
}

func program(expr string) (cel.Program, error) {
	if p, ok := progs.Load(expr); ok {
		return p.(cel.Program), nil
	}
	e, err := env()
	if err != nil {
		return nil, err
	}
	ast, iss := e.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("condition %q: %v", expr, iss.Err())
	}
	p, err := e.Program(ast)
	if err != nil {
		return nil, fmt.Errorf("condition %q: %v", expr, err)
	}
	progs.Store(expr, p)
	return p, nil
}

func celValue(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = celValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = celValue(e)
		}
		return out
	}
	return v
}
