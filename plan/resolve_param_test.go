package plan

import (
	"testing"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

func TestResolveParam(t *testing.T) {
	sc := &Scope{
		Params:   map[string]any{"name": "db", "cfg": map[string]any{"zone": "eu"}},
		Siblings: map[string]*Result{"make": {Status: Status{State: runstate.Succeeded}, Outputs: Outputs{Parameters: map[string]any{"pvc": "claim-1"}}}},
		System:   map[string]string{"pipeline_job_name": "job-7"},
	}
	for _, tc := range []struct {
		in   spec.InputParameter
		want any
	}{
		{spec.InputParameter{ComponentInputParameter: "name"}, "db"},
		{spec.InputParameter{ComponentInputParameter: "missing"}, nil},
		{spec.InputParameter{TaskOutputParameter: &spec.TaskOutputParameter{ProducerTask: "make", OutputParameterKey: "pvc"}}, "claim-1"},
		{spec.InputParameter{RuntimeValue: &spec.ValueOrRuntimeParam{Constant: "{{$.pipeline_job_name}}-secret"}}, "job-7-secret"},
		{spec.InputParameter{ComponentInputParameter: "cfg", ParameterExpressionSelector: "parseJson(string_value)[\"zone\"]"}, "eu"},
	} {
		got, err := ResolveParam(&tc.in, sc)
		if err != nil || got != tc.want {
			t.Errorf("%+v: %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}
