package plan

import (
	"testing"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

func TestEvalWhen(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want bool
		err  bool
	}{
		{`"heads" == "heads"`, true, false},
		{`"heads" != "heads"`, false, false},
		{`"7" == "7.0"`, false, false}, // strings compare as strings
		{`7 == 7.0`, true, false},
		{`11 > 10`, true, false},
		{`2 <= 3`, true, false},
		{`"b" > "a"`, true, false},
		{`tails == heads`, false, false}, // bare words are strings
		{`heads == heads`, true, false},
		{`5 > abc`, false, true}, // number against a word
		{`"a"`, false, true},     // not a boolean
		{`1 +`, false, true},
		{`"{{tasks.x.outputs.parameters.y}}" == "heads"`, false, false}, // an unresolved placeholder is text
	} {
		got, err := EvalWhen(tc.expr)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s = %v, %v; want %v, error %v", tc.expr, got, err, tc.want, tc.err)
		}
	}
	ok, err := EvalCondition("govaluate(inputs.parameter_values['w'])", map[string]any{"w": `"x" == "x"`})
	if err != nil || !ok {
		t.Fatalf("through CEL: %v %v", ok, err)
	}
	if _, err := EvalCondition("govaluate(inputs.parameter_values['w'])", map[string]any{"w": `1 >`}); err == nil {
		t.Fatal("bad expression through CEL: no error")
	}
}

func TestFallbackAndRaw(t *testing.T) {
	lit := "{{tasks.x.outputs.parameters.y}}"
	task := &spec.TaskSpec{Inputs: &spec.TaskInputs{
		Parameters: map[string]*spec.InputParameter{
			"skipped": {TaskOutputParameter: &spec.TaskOutputParameter{ProducerTask: "x", OutputParameterKey: "y"}, Fallback: &lit},
			"field":   {ComponentInputParameter: "item", ParameterExpressionSelector: `parseJson(string_value)["a"]`, Fallback: &lit},
			"text":    {RuntimeValue: &spec.ValueOrRuntimeParam{Constant: "file {{$.inputs.parameters['field']}}"}},
		},
		Artifacts: map[string]*spec.InputArtifact{"doc": {RawParameter: "text"}},
	}}
	sc := &Scope{Params: map[string]any{"item": "not json"}, Siblings: map[string]*Result{"x": {Status: Status{State: runstate.Skipped}}}}
	in, err := ResolveInputs(task, nil, sc)
	if err != nil {
		t.Fatal(err)
	}
	if in.Params["skipped"] != lit || in.Params["field"] != lit {
		t.Fatalf("fallbacks: %v", in.Params)
	}
	a := in.Artifacts["doc"]
	if len(a) != 1 || a[0].Metadata[RawMetadata] != "file "+lit || a[0].Type.SchemaTitle != "system.Artifact" {
		t.Fatalf("raw artifact: %+v", a)
	}
	sc.Params["item"] = `{"a": 5}`
	if in, err = ResolveInputs(task, nil, sc); err != nil || in.Params["field"] != 5.0 {
		t.Fatalf("field: %v %v", in.Params["field"], err)
	}
}
