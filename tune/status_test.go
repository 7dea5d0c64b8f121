package tune

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", name, got)
	}
}

// runQuad takes the quad-tpe experiment through a scripted run: trials start
// three at a time, one fails, one reports no metric, and the fifth meets the
// goal while two are still active.
func runQuad(t *testing.T) (*Experiment, ExperimentStatus, []Trial) {
	e := loadFile(t, "quad-tpe.yaml")
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	st := NewStatus(t0)
	var tr []Trial
	step := func(at int) Decision {
		now := t0.Add(time.Duration(at) * time.Minute)
		d := Decide(e, st.Condition(), tr, Options{})
		for _, name := range d.Kill {
			i := indexOf(tr, name)
			tr[i].State, tr[i].CompletionTime = TrialKilled, now
		}
		for range d.Create {
			n := len(tr)
			tr = append(tr, Trial{Name: "quad-tpe-" + string(rune('a'+n)), State: TrialCreated, CreationTime: now, RunID: "run-" + string(rune('a'+n)),
				Assignments: assign("x", []string{"0.5", "-3", "1.25", "4", "1.0001", "2.5"}[n], "y", "-2", "lr", "0.001", "optimizer", []string{"sgd", "adam"}[n%2])})
		}
		st.Apply(d, tr, now)
		return d
	}
	end := func(at int, name string, run RunOutcome, loss ...float64) {
		c, err := NewCollector(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range loss {
			c.Add(MetricLog{Task: "quad", Name: "loss", Value: v}, MetricLog{Task: "quad", Name: "step_time", Value: 0.1})
		}
		o := c.Observation()
		i := indexOf(tr, name)
		tr[i].Observation = &o
		tr[i].State = e.FinalState(run, &o)
		tr[i].CompletionTime = t0.Add(time.Duration(at) * time.Minute)
	}
	if d := step(0); d.Create != 3 {
		t.Fatalf("first step creates %d", d.Create)
	}
	for i := range tr {
		tr[i].State = TrialRunning
	}
	step(1)
	end(2, "quad-tpe-a", RunSucceeded, 0.9, 0.5, 0.3)
	end(3, "quad-tpe-b", RunFailed)
	step(3)
	end(4, "quad-tpe-c", RunSucceeded) // no loss printed: MetricsUnavailable
	step(4)
	tr[3].State, tr[4].State = TrialRunning, TrialRunning
	end(5, "quad-tpe-e", RunSucceeded, 0.2, 0.0008) // latest ≤ goal 0.001
	if d := step(6); d.Condition.Reason != ReasonGoalReached || !reflect.DeepEqual(d.Kill, []string{"quad-tpe-d", "quad-tpe-f"}) {
		t.Fatalf("final decision %+v", d)
	}
	return e, st, tr
}

func TestStatusGolden(t *testing.T) {
	_, st, _ := runQuad(t)
	if c := st.Condition(); c != condGoal {
		t.Errorf("condition %+v", c)
	}
	if st.CompletionTime == nil || !st.CompletionTime.Equal(time.Date(2026, 1, 5, 10, 6, 0, 0, time.UTC)) {
		t.Errorf("completion time %v", st.CompletionTime)
	}
	golden(t, "status.golden.json", st)
}

func TestResultGolden(t *testing.T) {
	e, st, tr := runQuad(t)
	r := NewResult(e, st.Condition(), tr)
	if r.BestTrial == nil || r.BestTrial.Name != "quad-tpe-e" || r.BestTrial.Objective != 0.0008 {
		t.Errorf("best %+v", r.BestTrial)
	}
	golden(t, "result.golden.json", r)

	// The shape scripts read: these keys, and no others.
	var generic struct {
		State     string           `json:"state"`
		BestTrial map[string]any   `json:"bestTrial"`
		Trials    []map[string]any `json:"trials"`
	}
	b, _ := json.Marshal(r)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string { return sortedKeys(m) }
	if got := keys(generic.BestTrial); !reflect.DeepEqual(got, []string{"name", "objective", "parameters", "runId"}) {
		t.Errorf("bestTrial keys %v", got)
	}
	for _, tr := range generic.Trials {
		if got := keys(tr); !reflect.DeepEqual(got, []string{"name", "objective", "parameters", "runId", "state"}) {
			t.Errorf("trial keys %v", got)
		}
	}
	if generic.Trials[1]["objective"] != nil || generic.Trials[0]["parameters"].(map[string]any)["x"] != 0.5 {
		t.Errorf("trials %v", generic.Trials)
	}

	// Nothing finished: bestTrial is null, trials an empty list.
	b, _ = json.Marshal(NewResult(e, condRunning, nil))
	if string(b) != `{"state":"Running","bestTrial":null,"trials":[]}` {
		t.Errorf("empty result %s", b)
	}
}

// TestStatusConditions: Katib's condition bookkeeping — Running turns False
// when the experiment completes, a restart removes Succeeded, transition
// times move only when the status changes.
func TestStatusConditions(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	st := NewStatus(t0)
	st.Apply(Decision{Condition: condRunning}, nil, at(1))
	st.Apply(Decision{Condition: condRunning}, nil, at(2)) // no change
	if r := st.find(ConditionRunning); !r.LastUpdateTime.Equal(at(1)) {
		t.Errorf("an unchanged condition was updated: %+v", r)
	}
	st.Apply(Decision{Condition: condMaxTrials}, nil, at(3))
	types := func() (out []string) {
		for _, c := range st.Conditions {
			out = append(out, string(c.Type)+"="+c.Status)
		}
		return out
	}
	if got := types(); !reflect.DeepEqual(got, []string{"Created=True", "Running=False", "Succeeded=True"}) {
		t.Errorf("after success: %v", got)
	}
	if r := st.find(ConditionRunning); r.Reason != ReasonRunning || !r.LastTransitionTime.Equal(at(3)) {
		t.Errorf("running condition %+v", r)
	}
	if st.CompletionTime == nil || !st.CompletionTime.Equal(at(3)) {
		t.Errorf("completion %v", st.CompletionTime)
	}
	st.Apply(Decision{Condition: condMaxTrials}, nil, at(4)) // still completed: the time stays
	if !st.CompletionTime.Equal(at(3)) {
		t.Errorf("completion moved to %v", st.CompletionTime)
	}
	st.Apply(Decision{Condition: condRestarting}, nil, at(5))
	if got := types(); !reflect.DeepEqual(got, []string{"Created=True", "Running=False", "Restarting=True"}) || st.CompletionTime != nil {
		t.Errorf("after restart: %v, completion %v", got, st.CompletionTime)
	}
	st.Apply(Decision{Condition: condRunning}, nil, at(6))
	if got := types(); !reflect.DeepEqual(got, []string{"Created=True", "Restarting=True", "Running=True"}) || st.Condition() != condRunning {
		t.Errorf("running again: %v", got)
	}
	st.Apply(Decision{Condition: condMaxFailed}, nil, at(7))
	if st.Condition() != condMaxFailed || st.Condition().Completed() != true {
		t.Errorf("failed: %+v", st.Condition())
	}
	var empty ExperimentStatus
	if empty.Condition() != (Condition{}) {
		t.Error("a status without conditions has one")
	}
}

func TestTypedValue(t *testing.T) {
	e := loadFile(t, "quad-tpe.yaml")
	e.Spec.Parameters = append(e.Spec.Parameters,
		ParameterSpec{Name: "n", ParameterType: ParameterInt}, ParameterSpec{Name: "b", ParameterType: ParameterDiscrete})
	for _, tc := range []struct {
		name, value string
		want        any
	}{
		{"x", "0.30000000000000004", json.Number("0.30000000000000004")},
		{"x", "1e-3", json.Number("1e-3")},
		{"x", ".5", json.Number("0.5")},
		{"x", "+2", json.Number("2")},
		{"x", "abc", "abc"},
		{"n", "007", json.Number("7")},
		{"b", "16", json.Number("16")},
		{"optimizer", "42", "42"},
		{"unknown", "1", "1"},
	} {
		if got := e.TypedValue(tc.name, tc.value); got != tc.want {
			t.Errorf("TypedValue(%s, %q) = %#v, want %#v", tc.name, tc.value, got, tc.want)
		}
	}
}
