package plan

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

func TestCoerce(t *testing.T) {
	tests := []struct {
		v    any
		typ  string
		want any
		err  bool
	}{
		{3.0, spec.TypeInteger, int64(3), false},
		{3.5, spec.TypeInteger, nil, true},
		{"42", spec.TypeInteger, int64(42), false},
		{"x", spec.TypeInteger, nil, true},
		{true, spec.TypeInteger, nil, true},
		{int64(2), spec.TypeDouble, 2.0, false},
		{"2.5", spec.TypeDouble, 2.5, false},
		{"true", spec.TypeBoolean, true, false},
		{1.0, spec.TypeBoolean, nil, true},
		{"[1, 2]", spec.TypeList, []any{1.0, 2.0}, false},
		{"{}", spec.TypeList, nil, true},
		{`{"a": 1}`, spec.TypeStruct, map[string]any{"a": 1.0}, false},
		{[]any{1.0}, spec.TypeStruct, nil, true},
		{3.0, spec.TypeString, "3", false},
		{[]any{"a"}, spec.TypeString, `["a"]`, false},
		{"hi", spec.TypeString, "hi", false},
	}
	for _, tt := range tests {
		got, err := Coerce(tt.v, tt.typ)
		if (err != nil) != tt.err || (!tt.err && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("Coerce(%#v, %s) = %#v, %v; want %#v, err %v", tt.v, tt.typ, got, err, tt.want, tt.err)
		}
	}
}

func TestParseParam(t *testing.T) {
	if v, err := ParseParam("[1,2]", spec.TypeList); err != nil || !reflect.DeepEqual(v, []any{1.0, 2.0}) {
		t.Fatalf("list: %v %v", v, err)
	}
	if v, err := ParseParam("7", spec.TypeInteger); err != nil || v != int64(7) {
		t.Fatalf("int: %v %v", v, err)
	}
	if _, err := ParseParam("seven", spec.TypeInteger); err == nil {
		t.Fatal("mistyped int accepted")
	}
	if v, _ := ParseParam("[not json", spec.TypeString); v != "[not json" {
		t.Fatalf("string: %v", v)
	}
}

func TestEvalCondition(t *testing.T) {
	params := map[string]any{"s": "heads", "i": int64(7), "f": 0.5, "b": true}
	tests := []struct {
		expr string
		want bool
	}{
		{"inputs.parameter_values['s'] == 'heads'", true},
		{"inputs.parameter_values['s'] != 'heads'", false},
		{"int(inputs.parameter_values['i']) > 5", true},
		{"!(int(inputs.parameter_values['i']) > 5) && int(inputs.parameter_values['i']) < 10", false},
		{"double(int(inputs.parameter_values['i'])) >= 7.0", true},
		{"inputs.parameter_values['f'] < 0.6", true},
		{"inputs.parameter_values['b'] == true", true},
	}
	for _, tt := range tests {
		got, err := EvalCondition(tt.expr, params)
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
	if _, err := EvalCondition("inputs.parameter_values['missing'] == 1", params); err == nil {
		t.Error("missing input: no error")
	}
	if _, err := EvalCondition("1 +", params); err == nil {
		t.Error("syntax error: no error")
	}
}

func TestSelectorAndItems(t *testing.T) {
	v, err := applySelector(`parseJson(string_value)["a"]`, map[string]any{"a": "1"})
	if err != nil || v != "1" {
		t.Fatalf("selector on map: %v %v", v, err)
	}
	v, err = applySelector(`parseJson(string_value)["b"]`, `{"b": 2}`)
	if err != nil || v != 2.0 {
		t.Fatalf("selector on JSON text: %v %v", v, err)
	}
	if _, err := applySelector(`size(x)`, "1"); err == nil {
		t.Fatal("unsupported selector accepted")
	}
	it := &spec.ParameterIterator{ItemInput: "x"}
	it.Items.Raw = `[{"a": 1}, {"a": 2}]`
	items, err := ParameterItems(it, nil)
	if err != nil || len(items) != 2 {
		t.Fatalf("raw items: %v %v", items, err)
	}
	it.Items.Raw, it.Items.InputParameter = "", "list"
	items, err = ParameterItems(it, map[string]any{"list": "[1, 2, 3]"})
	if err != nil || len(items) != 3 {
		t.Fatalf("string list items: %v %v", items, err)
	}
}

func TestDAGOutputsOneOfAndCollect(t *testing.T) {
	d := &spec.DAGSpec{Outputs: &spec.DAGOutputs{Parameters: map[string]*spec.DAGOutputParameter{
		"out": {ValueFromOneof: &struct {
			ParameterSelectors []spec.ParameterSelector `json:"parameterSelectors,omitempty"`
		}{ParameterSelectors: []spec.ParameterSelector{{ProducerSubtask: "a", OutputParameterKey: "x"}, {ProducerSubtask: "b", OutputParameterKey: "x"}}}},
	}}}
	children := map[string]*Result{
		"a": {Status: Status{State: runstate.Skipped}},
		"b": {Status: Status{State: runstate.Succeeded}, Outputs: Outputs{Parameters: map[string]any{"x": "from-b"}}},
	}
	if got := DAGOutputs(d, children).Parameters["out"]; got != "from-b" {
		t.Fatalf("OneOf = %v", got)
	}
	defs := &spec.Interface{Parameters: map[string]*spec.ParameterSpec{"p": {ParameterType: spec.TypeList}},
		Artifacts: map[string]*spec.ArtifactSpec{"a": {}}}
	iters := []Outputs{
		{Parameters: map[string]any{"p": 1.0}, Artifacts: map[string][]*spec.RuntimeArtifact{"a": {{URI: "/1"}}}},
		{Parameters: map[string]any{}},
		{Parameters: map[string]any{"p": 3.0}, Artifacts: map[string][]*spec.RuntimeArtifact{"a": {{URI: "/3"}}}},
	}
	c := Collect(iters, defs)
	if !reflect.DeepEqual(c.Parameters["p"], []any{1.0, 3.0}) || len(c.Artifacts["a"]) != 2 || c.Artifacts["a"][1].URI != "/3" {
		t.Fatalf("Collect = %+v", c)
	}
}

// TestDecideProperties drives random DAGs with random task outcomes through
// Decide until nothing is pending, and checks the scheduling invariants.
func TestDecideProperties(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := 1 + rng.IntN(12)
		d := &spec.DAGSpec{Tasks: map[string]*spec.TaskSpec{}}
		for i := 0; i < n; i++ {
			ts := &spec.TaskSpec{}
			for j := 0; j < i; j++ {
				if rng.IntN(3) == 0 {
					ts.DependentTasks = append(ts.DependentTasks, fmt.Sprint("t", j))
				}
			}
			if rng.IntN(5) == 0 {
				ts.TriggerPolicy = &spec.TriggerPolicy{Strategy: spec.StrategyAllCompleted}
			}
			d.Tasks[fmt.Sprint("t", i)] = ts
		}
		states := map[string]Status{}
		for round := 0; ; round++ {
			if round > 3*n+3 {
				t.Fatalf("seed %d: no progress", seed)
			}
			decs := Decide(d, states)
			if len(decs) == 0 {
				break
			}
			progressed := false
			for _, dec := range decs {
				ts := d.Tasks[dec.Task]
				all := ts.TriggerPolicy != nil
				for _, u := range spec.Upstream(ts) {
					us := states[u]
					if dec.Action != Wait && !us.State.Terminal() {
						t.Fatalf("seed %d: %s decided %v before upstream %s finished", seed, dec.Task, dec.Action, u)
					}
					if dec.Action == Start && !all && !us.ok() {
						t.Fatalf("seed %d: %s started after upstream %s ended %s", seed, dec.Task, u, us.State)
					}
				}
				switch dec.Action {
				case Start:
					outcome := []runstate.State{runstate.Succeeded, runstate.Failed, runstate.Skipped}[rng.IntN(3)]
					states[dec.Task] = Status{State: outcome}
					progressed = true
				case SkipUpstream:
					states[dec.Task] = Status{State: runstate.Skipped, UpstreamFailed: true}
					progressed = true
				case Cancel:
					states[dec.Task] = Status{State: runstate.Canceled}
					progressed = true
				}
			}
			if !progressed {
				t.Fatalf("seed %d: only waits with nothing running: %v", seed, decs)
			}
		}
		failed := false
		for k := range d.Tasks {
			if !states[k].State.Terminal() {
				t.Fatalf("seed %d: %s never finished", seed, k)
			}
			failed = failed || states[k].State == runstate.Failed
		}
		if (Outcome(states) == runstate.Failed) != failed {
			t.Fatalf("seed %d: outcome %s with failed=%v", seed, Outcome(states), failed)
		}
	}
}
