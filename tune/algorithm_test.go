package tune

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/tune/search"
)

func TestSpaceAndSuggester(t *testing.T) {
	e := loadFile(t, "quad-tpe.yaml")
	sp, err := e.Space()
	if err != nil {
		t.Fatal(err)
	}
	if sp.Len() != 4 || sp.Index("optimizer") != 3 {
		t.Errorf("space of %d parameters", sp.Len())
	}
	if e.Direction() != search.Minimize || lifeExp(Maximize, nil, 1, 0, 0).Direction() != search.Maximize {
		t.Error("directions")
	}
	s, err := e.Suggester(1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Suggest(context.Background(), nil, 3)
	if err != nil || len(res.Suggestions) != 3 {
		t.Fatalf("suggest: %+v, %v", res, err)
	}
	for _, sg := range res.Suggestions {
		args, err := e.RunArguments("t", Assignments(sg.Assignment))
		if err != nil {
			t.Fatalf("arguments of %v: %v", sg.Assignment, err)
		}
		if x, _ := strconv.ParseFloat(args["x"], 64); x < -5 || x > 5 || (args["optimizer"] != "sgd" && args["optimizer"] != "adam") {
			t.Errorf("arguments %v out of the space", args)
		}
	}

	es, ok, err := e.EarlyStopping()
	if err != nil || !ok || es.MinTrialsRequired != 3 || es.StartStep != 5 {
		t.Errorf("early stopping %+v %v %v", es, ok, err)
	}
	if _, ok, err := loadFile(t, "minimal.yaml").EarlyStopping(); ok || err != nil {
		t.Errorf("no early stopping: %v %v", ok, err)
	}

	// The algorithms' own checks are part of Load, with the experiment's fields.
	for _, tc := range []struct{ doc, want string }{
		{strings.Replace(minimalYAML, "{algorithmName: random}", "{algorithmName: tpe, algorithmSettings: [{name: gama, value: '0.2'}]}", 1), "spec.algorithm.algorithmSettings[gama]: "},
		{strings.Replace(minimalYAML, "{algorithmName: random}", "{algorithmName: tpe, algorithmSettings: [{name: gamma, value: '2'}]}", 1), "spec.algorithm.algorithmSettings[gamma]: "},
		{strings.Replace(minimalYAML, "{algorithmName: random}", "{algorithmName: grid}", 1), "spec.parameters[0]"},
		{strings.Replace(strings.Replace(minimalYAML, "{algorithmName: random}", "{algorithmName: grid}", 1), `max: "5"}`, `max: "5", step: "1"}`, 1) + "  maxTrialCount: 100\n", "spec.maxTrialCount: must not exceed the grid's 44 points, got 100"},
		{strings.Replace(minimalYAML, "  algorithm:", "  earlyStopping: {algorithmName: medianstop, algorithmSettings: [{name: start_step, value: '-1'}]}\n  algorithm:", 1), "spec.earlyStopping.algorithmSettings"},
	} {
		_, err := Load([]byte(tc.doc))
		checkErr(t, err, tc.want)
	}
}

func TestSearchTrials(t *testing.T) {
	e := lifeExp(Minimize, nil, 3, 0, 0)
	e.Spec.Objective.MetricStrategies = []MetricStrategy{{"loss", StrategyLatest}}
	tr := trials("C R S:0.5 F MU K ES:0.2 ES")
	tr[2].Observation = &Observation{Metrics: []Metric{{"loss", 0.1, 0.9, 0.5, true}}}
	tr[2].Labels = map[string]string{"generation": "1"}
	got := e.SearchTrials(tr)
	want := []search.State{search.Pending, search.Running, search.Succeeded, search.Failed, search.MetricsUnavailable, search.Killed, search.EarlyStopped, search.EarlyStopped}
	for i, st := range got {
		if st.State != want[i] || st.Name != tr[i].Name || st.Assignment[0].Value != tr[i].Assignments[0].Value {
			t.Errorf("%d: %+v", i, st)
		}
	}
	if !got[2].HasValue || got[2].Value != 0.5 || got[2].Labels["generation"] != "1" {
		t.Errorf("succeeded trial %+v (want latest 0.5 and its labels)", got[2])
	}
	if got[3].HasValue || got[4].HasValue || got[7].HasValue || !got[6].HasValue {
		t.Errorf("values: %+v", got)
	}
}

func TestCurve(t *testing.T) {
	e := mustLoad(t, strings.Replace(minimalYAML, "objectiveMetricName: loss", "objectiveMetricName: eval.loss", 1))
	c := e.Curve("t1", []MetricLog{{Task: "eval", Name: "loss", Value: 3}, {Task: "train", Name: "loss", Value: 9}, {Name: "eval.loss", Value: 2}, {Task: "eval", Name: "acc", Value: 1}})
	if c.Trial != "t1" || fmt.Sprint(c.Values) != "[3 2]" {
		t.Errorf("curve %+v", c)
	}
}

// TestExperimentLoop runs the bookkeeping experiment of TUNING.md §7.4 with
// the pure parts only — Decide, the TPE suggester, RunArguments, the
// Collector, FinalState — and an in-process "run" that prints the quad2d loss
// over five steps: exactly 12 trials, never more than 3 active, every
// argument within bounds, each observation matching what was printed, the
// best trial the argmin; with goal 100 it ends after the first trial.
func TestExperimentLoop(t *testing.T) {
	doc := `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: quad}
spec:
  objective: {type: minimize, objectiveMetricName: loss%s}
  algorithm: {algorithmName: tpe, algorithmSettings: [{name: random_state, value: "7"}]}
  parallelTrialCount: 3
  maxTrialCount: 12
  maxFailedTrialCount: 2
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "-5", max: "5"}}
    - {name: y, parameterType: double, feasibleSpace: {min: "-5", max: "5"}}
  trialTemplate: {pipeline: {file: quad.yaml}}
`
	run := func(t *testing.T, goal string) (ExperimentStatus, []Trial, *Experiment) {
		e := mustLoad(t, fmt.Sprintf(doc, goal))
		sug, err := e.Suggester(0)
		if err != nil {
			t.Fatal(err)
		}
		clock := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
		st := NewStatus(clock)
		var tr []Trial
		printed := map[string][]float64{}
		for range 100 {
			clock = clock.Add(time.Second)
			d := Decide(e, st.Condition(), tr, Options{})
			if d.Counts.Active()+d.Create > 3 {
				t.Fatalf("%d active + %d new", d.Counts.Active(), d.Create)
			}
			if d.Create > 0 {
				res, err := sug.Suggest(context.Background(), e.SearchTrials(tr), d.Create)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range res.Suggestions {
					tr = append(tr, Trial{Name: fmt.Sprintf("quad-%d", len(tr)), State: TrialRunning, Assignments: Assignments(s.Assignment), CreationTime: clock, Labels: s.Labels})
				}
			}
			for _, name := range d.Kill {
				i := indexOf(tr, name)
				tr[i].State, tr[i].CompletionTime = TrialKilled, clock
			}
			st.Apply(d, tr, clock)
			if st.Condition().Completed() {
				break
			}
			// The oldest running trial ends.
			i := 0
			for tr[i].State != TrialRunning {
				i++
			}
			args, err := e.RunArguments(tr[i].Name, tr[i].Assignments)
			if err != nil {
				t.Fatal(err)
			}
			x, _ := strconv.ParseFloat(args["x"], 64)
			y, _ := strconv.ParseFloat(args["y"], 64)
			if math.Abs(x) > 5 || math.Abs(y) > 5 {
				t.Fatalf("arguments out of bounds: %v", args)
			}
			c, _ := NewCollector(e)
			f := (x-1)*(x-1) + (y+2)*(y+2)
			for k := 1; k <= 5; k++ {
				v := f * (1 + 1/float64(k))
				printed[tr[i].Name] = append(printed[tr[i].Name], v)
				c.Write("quad", fmt.Appendf(nil, "%s step=%d loss=%s\n", clock.Add(time.Duration(k)*time.Millisecond).Format(time.RFC3339Nano), k, strconv.FormatFloat(v, 'g', -1, 64)))
			}
			o := c.Observation()
			tr[i].Observation, tr[i].State, tr[i].CompletionTime = &o, e.FinalState(RunSucceeded, &o), clock
			if m := o.Metrics[0]; m.Min != f*1.2 || m.Max != f*2 || m.Latest != f*1.2 {
				t.Fatalf("observation %+v of printed %v", m, printed[tr[i].Name])
			}
		}
		return st, tr, e
	}

	st, tr, e := run(t, "")
	if st.Condition() != condMaxTrials || len(tr) != 12 || st.TrialsSucceeded != 12 {
		t.Fatalf("ended %+v with %d trials", st.Condition(), len(tr))
	}
	best := tr[0]
	for _, x := range tr {
		if v, _ := e.ObjectiveValue(x.Observation); v < mustValue(e, best) {
			best = x
		}
	}
	if st.CurrentOptimalTrial.BestTrialName != best.Name {
		t.Errorf("optimal %s, argmin %s", st.CurrentOptimalTrial.BestTrialName, best.Name)
	}

	st, tr, _ = run(t, ", goal: 100")
	if st.Condition() != condGoal || st.TrialsSucceeded != 1 || st.TrialsKilled != 2 || len(tr) != 3 {
		t.Errorf("goal 100: %+v, %d succeeded, %d killed, %d trials", st.Condition(), st.TrialsSucceeded, st.TrialsKilled, len(tr))
	}
}

func mustValue(e *Experiment, t Trial) float64 {
	v, _ := e.ObjectiveValue(t.Observation)
	return v
}
