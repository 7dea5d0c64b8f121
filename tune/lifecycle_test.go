package tune

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// lifeExp builds an experiment for the lifecycle tests: "min"/"max" type,
// optional goal, counts (0 = unset for max and maxFailed; -1 maxFailed = 0).
func lifeExp(typ ObjectiveType, goal *float64, parallel, maxTrials, maxFailed int) *Experiment {
	e := &Experiment{APIVersion: APIVersion, Kind: Kind, Metadata: Metadata{Name: "exp"}}
	e.Spec.Objective = &ObjectiveSpec{Type: typ, ObjectiveMetricName: "loss", Goal: goal}
	e.Spec.Algorithm = &AlgorithmSpec{AlgorithmName: "random"}
	e.Spec.Parameters = []ParameterSpec{{Name: "x", ParameterType: ParameterDouble, FeasibleSpace: FeasibleSpace{Min: "0", Max: "1"}}}
	e.Spec.TrialTemplate = &TrialTemplate{Pipeline: &PipelineRef{File: "p.yaml"}}
	p := int32(parallel)
	e.Spec.ParallelTrialCount = &p
	if maxTrials > 0 {
		m := int32(maxTrials)
		e.Spec.MaxTrialCount = &m
	}
	switch {
	case maxFailed > 0:
		m := int32(maxFailed)
		e.Spec.MaxFailedTrialCount = &m
	case maxFailed < 0:
		e.Spec.MaxFailedTrialCount = new(int32)
	}
	e.SetDefaults()
	if err := e.Validate(); err != nil {
		panic(err)
	}
	return e
}

func f64(v float64) *float64 { return &v }

func obs(v float64) *Observation {
	return &Observation{Metrics: []Metric{{Name: "loss", Min: v, Max: v, Latest: v, Available: true}}}
}

// trials reads a compact list: C (created), R (running), R:0.1 (running with
// an intermediate value), S:0.5 (succeeded with objective 0.5), F, F:0.5, MU,
// K, K:0.1, ES:0.3, ES (early stopped, no observation yet). Trial i is named
// t<i>, created at second i and, when completed, completed at second 100+i.
func trials(spec string) []Trial {
	var out []Trial
	t0 := time.Unix(1767600000, 0).UTC()
	for i, f := range strings.Fields(spec) {
		code, val, hasVal := strings.Cut(f, ":")
		tr := Trial{Name: "t" + strconv.Itoa(i), Assignments: []ParameterAssignment{{"x", "0." + strconv.Itoa(i)}},
			RunID: "run-" + strconv.Itoa(i), CreationTime: t0.Add(time.Duration(i) * time.Second)}
		tr.State = map[string]TrialState{"C": TrialCreated, "R": TrialRunning, "S": TrialSucceeded, "F": TrialFailed,
			"MU": TrialMetricsUnavailable, "K": TrialKilled, "ES": TrialEarlyStopped}[code]
		if tr.State == "" {
			panic("bad trial code " + f)
		}
		if hasVal {
			v, _ := strconv.ParseFloat(val, 64)
			tr.Observation = obs(v)
		} else if tr.State == TrialMetricsUnavailable {
			tr.Observation = &Observation{Metrics: []Metric{{Name: "loss"}}}
		}
		if tr.State.Completed() {
			tr.CompletionTime = t0.Add(time.Duration(100+i) * time.Second)
		}
		out = append(out, tr)
	}
	return out
}

var running = Condition{ConditionRunning, ReasonRunning, "Experiment is running"}

// TestDecide: every rule of TUNING.md §1.9, with the exact outcome.
func TestDecide(t *testing.T) {
	tests := []struct {
		name      string
		exp       *Experiment
		current   Condition
		trials    string
		opts      Options
		cond      Condition
		create    int
		kill      string // names, space-separated
		delete    string
		best      string
		bestValue float64
	}{
		// Starting.
		{name: "created: start parallel trials", exp: lifeExp(Minimize, nil, 3, 0, 0), current: condCreated,
			cond: running, create: 3},
		{name: "new trials up to the budget", exp: lifeExp(Minimize, nil, 3, 5, 0), trials: "S:1 S:2 F K",
			current: running, cond: running, create: 1, best: "t0", bestValue: 1},
		{name: "active trials fill the slots", exp: lifeExp(Minimize, nil, 3, 10, 0), trials: "R C S:1",
			current: running, cond: running, create: 1, best: "t2", bestValue: 1},
		{name: "no slot free", exp: lifeExp(Minimize, nil, 2, 10, 0), trials: "R R S:1",
			current: running, cond: running, create: 0, best: "t2", bestValue: 1},
		{name: "budget left smaller than the slots", exp: lifeExp(Minimize, nil, 3, 5, 0), trials: "S:1 S:2 S:3 R",
			current: running, cond: running, create: 1, best: "t0", bestValue: 1},
		{name: "budget all started", exp: lifeExp(Minimize, nil, 3, 5, 0), trials: "S:1 S:2 S:3 R R",
			current: running, cond: running, create: 0, best: "t0", bestValue: 1},
		{name: "MetricsUnavailable counts as completed when creating (Katib leaves it out)", exp: lifeExp(Minimize, nil, 3, 3, 0), trials: "MU MU",
			current: running, cond: running, create: 1},
		{name: "no max: always parallel", exp: lifeExp(Minimize, nil, 2, 0, 0), trials: "S:1 S:2 S:3 S:4 F F F F R",
			current: running, cond: running, create: 1, best: "t0", bestValue: 1},
		{name: "early-stopped trial without observation holds creation", exp: lifeExp(Minimize, nil, 3, 10, 0), trials: "ES S:1",
			current: running, cond: running, create: 0, best: "t1", bestValue: 1},
		{name: "early-stopped trial with observation does not", exp: lifeExp(Minimize, nil, 3, 10, 0), trials: "ES:0.5 S:1",
			current: running, cond: running, create: 3, best: "t0", bestValue: 0.5},
		{name: "parallel lowered: the newest active trials go", exp: lifeExp(Minimize, nil, 2, 10, 0), trials: "R S:1 R C C",
			current: running, cond: running, create: 0, delete: "t4 t3", best: "t1", bestValue: 1},

		// Rule 1: goal.
		{name: "goal reached (minimize, best ≤ goal): active trials killed", exp: lifeExp(Minimize, f64(0.1), 3, 10, 0), trials: "S:0.5 S:0.05 R C",
			current: running, cond: condGoal, kill: "t2 t3", best: "t1", bestValue: 0.05},
		{name: "goal met exactly", exp: lifeExp(Minimize, f64(0.1), 3, 10, 0), trials: "S:0.1",
			current: running, cond: condGoal, best: "t0", bestValue: 0.1},
		{name: "goal reached, Katib's way: active trials run on", exp: lifeExp(Minimize, f64(0.1), 3, 10, 0), trials: "S:0.05 R",
			current: running, opts: Options{LetActiveFinish: true}, cond: condGoal, best: "t0", bestValue: 0.05},
		{name: "goal reached (maximize, best ≥ goal)", exp: lifeExp(Maximize, f64(0.9), 3, 10, 0), trials: "S:0.5 S:0.95",
			current: running, cond: condGoal, best: "t1", bestValue: 0.95},
		{name: "goal not reached (maximize)", exp: lifeExp(Maximize, f64(0.9), 3, 10, 0), trials: "S:0.5 S:0.85 R",
			current: running, cond: running, create: 2, best: "t1", bestValue: 0.85},
		{name: "goal reached by an early-stopped trial", exp: lifeExp(Minimize, f64(0.1), 3, 10, 0), trials: "ES:0.01 S:0.5",
			current: running, cond: condGoal, best: "t0", bestValue: 0.01},
		{name: "a running trial's intermediate value is not the best", exp: lifeExp(Minimize, f64(0.1), 3, 10, 0), trials: "R:0.01 S:0.5",
			current: running, cond: running, create: 2, best: "t1", bestValue: 0.5},
		{name: "failed and killed trials' values are not the best", exp: lifeExp(Minimize, f64(0.1), 3, 10, 0), trials: "F:0.01 K:0.02 S:0.5",
			current: running, cond: running, create: 3, best: "t2", bestValue: 0.5},
		{name: "goal before max failed", exp: lifeExp(Minimize, f64(0.1), 3, 10, 1), trials: "F S:0.05",
			current: running, cond: condGoal, best: "t1", bestValue: 0.05},

		// Rule 2: failures.
		{name: "max failed reached: Failed + MetricsUnavailable", exp: lifeExp(Minimize, nil, 3, 10, 2), trials: "F MU R S:1",
			current: running, cond: condMaxFailed, kill: "t2", best: "t3", bestValue: 1},
		{name: "max failed not reached", exp: lifeExp(Minimize, nil, 3, 10, 3), trials: "F MU R S:1",
			current: running, cond: running, create: 2, best: "t3", bestValue: 1},
		{name: "killed and early-stopped are not failures", exp: lifeExp(Minimize, nil, 3, 10, 1), trials: "K ES:1 K",
			current: running, cond: running, create: 3, best: "t1", bestValue: 1},
		{name: "maxFailedTrialCount 0: the first failure fails", exp: lifeExp(Minimize, nil, 3, 10, -1), trials: "S:1 F",
			current: running, cond: condMaxFailed, best: "t0", bestValue: 1},
		{name: "maxFailedTrialCount 0 and no failure: F ≠ 0 is false", exp: lifeExp(Minimize, nil, 3, 10, -1), trials: "S:1",
			current: running, cond: running, create: 3, best: "t0", bestValue: 1},
		{name: "no maxFailedTrialCount: failures never fail", exp: lifeExp(Minimize, nil, 3, 0, 0), trials: "F F F F F MU MU",
			current: running, cond: running, create: 3},
		{name: "max failed before max trials", exp: lifeExp(Minimize, nil, 1, 2, 1), trials: "S:1 F",
			current: running, cond: condMaxFailed, best: "t0", bestValue: 1},

		// Rule 3: budget.
		{name: "max trials reached: every completed state counts", exp: lifeExp(Minimize, nil, 3, 5, 0), trials: "S:1 F K ES:2 MU",
			current: running, cond: condMaxTrials, best: "t0", bestValue: 1},
		{name: "max trials reached with a lowered budget: active killed", exp: lifeExp(Minimize, nil, 1, 2, 0), trials: "S:1 S:2 R",
			current: running, cond: condMaxTrials, kill: "t2", best: "t0", bestValue: 1},
		{name: "max trials before exhausted", exp: lifeExp(Minimize, nil, 2, 2, 0), trials: "S:1 S:2",
			current: running, opts: Options{Exhausted: true}, cond: condMaxTrials, best: "t0", bestValue: 1},

		// Rule 4: the algorithm has no more.
		{name: "exhausted with active trials: wait", exp: lifeExp(Minimize, nil, 3, 0, 0), trials: "S:1 R",
			current: running, opts: Options{Exhausted: true}, cond: running, create: 0, best: "t0", bestValue: 1},
		{name: "exhausted and nothing active", exp: lifeExp(Minimize, nil, 3, 0, 0), trials: "S:1 S:2",
			current: running, opts: Options{Exhausted: true}, cond: condEnd, best: "t0", bestValue: 1},

		// Rule 5: the algorithm failed.
		{name: "suggestion failed", exp: lifeExp(Minimize, nil, 3, 0, 0), trials: "S:1 R",
			current: running, opts: Options{SuggestionError: errors.New("grid: 400 points > maxTrialCount")},
			cond: Condition{ConditionFailed, ReasonFailed, "Suggestion has failed: grid: 400 points > maxTrialCount"}, kill: "t1", best: "t0", bestValue: 1},
		{name: "exhausted before suggestion failed", exp: lifeExp(Minimize, nil, 3, 0, 0), trials: "S:1",
			current: running, opts: Options{Exhausted: true, SuggestionError: errors.New("x")}, cond: condEnd, best: "t0", bestValue: 1},

		// A completed experiment stays completed.
		{name: "succeeded stays; stragglers killed", exp: lifeExp(Minimize, f64(0.1), 3, 10, 1), current: condGoal, trials: "S:0.05 F R",
			cond: condGoal, kill: "t2", best: "t0", bestValue: 0.05},
		{name: "failed stays; stragglers run on (Katib)", exp: lifeExp(Minimize, nil, 3, 10, 1), current: condMaxFailed, trials: "F R S:0.01",
			opts: Options{LetActiveFinish: true}, cond: condMaxFailed, best: "t2", bestValue: 0.01},
		{name: "failed is not restarted by a higher budget", exp: lifeExp(Minimize, nil, 3, 10, 1), current: condMaxFailed, trials: "F",
			cond: condMaxFailed},

		// Restart: max trials raised above the number of trials.
		{name: "budget raised: Restarting", exp: lifeExp(Minimize, nil, 2, 5, 0), current: condMaxTrials, trials: "S:1 S:2 S:3",
			cond: condRestarting, best: "t0", bestValue: 1},
		{name: "restarting: Running again", exp: lifeExp(Minimize, nil, 2, 5, 0), current: condRestarting, trials: "S:1 S:2 S:3",
			cond: running, create: 2, best: "t0", bestValue: 1},
		{name: "budget not above the trials: stays", exp: lifeExp(Minimize, nil, 3, 3, 0), current: condMaxTrials, trials: "S:1 S:2 S:3",
			cond: condMaxTrials, best: "t0", bestValue: 1},
		{name: "goal reached is not restarted", exp: lifeExp(Minimize, f64(0.1), 3, 10, 0), current: condGoal, trials: "S:0.05",
			cond: condGoal, best: "t0", bestValue: 0.05},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := trials(tc.trials)
			d := Decide(tc.exp, tc.current, tr, tc.opts)
			if d.Condition != tc.cond {
				t.Errorf("condition %+v, want %+v", d.Condition, tc.cond)
			}
			if d.Create != tc.create {
				t.Errorf("create %d, want %d", d.Create, tc.create)
			}
			if got := strings.Join(d.Kill, " "); got != tc.kill {
				t.Errorf("kill %q, want %q", got, tc.kill)
			}
			if got := strings.Join(d.Delete, " "); got != tc.delete {
				t.Errorf("delete %q, want %q", got, tc.delete)
			}
			switch {
			case tc.best == "" && d.Best != nil:
				t.Errorf("best %s, want none", d.Best.Trial.Name)
			case tc.best != "" && (d.Best == nil || d.Best.Trial.Name != tc.best || d.Best.Objective != tc.bestValue):
				t.Errorf("best %+v, want %s = %v", d.Best, tc.best, tc.bestValue)
			}
			if d.Counts != Count(tr) {
				t.Errorf("counts %+v", d.Counts)
			}
		})
	}
}

// TestBestTrial: Katib's rule (the first met wins, replaced only by a strictly
// better one) with Sluice's order (completion time).
func TestBestTrial(t *testing.T) {
	min := lifeExp(Minimize, nil, 3, 0, 0)
	max := lifeExp(Maximize, nil, 3, 0, 0)
	tr := trials("S:0.5 S:0.2 ES:0.2 S:0.9 MU F:0.01")
	if b := BestTrial(min, tr); b.Trial.Name != "t1" || b.Objective != 0.2 {
		t.Errorf("minimize: %+v", b)
	}
	if b := BestTrial(max, tr); b.Trial.Name != "t3" || b.Objective != 0.9 {
		t.Errorf("maximize: %+v", b)
	}
	// A tie goes to the trial that completed first, whatever the list order.
	tr[2].CompletionTime = tr[1].CompletionTime.Add(-time.Second)
	if b := BestTrial(min, tr); b.Trial.Name != "t2" {
		t.Errorf("tie: %s, want t2 (completed first)", b.Trial.Name)
	}
	// Without completion times, list order.
	for i := range tr {
		tr[i].CompletionTime = time.Time{}
	}
	if b := BestTrial(min, tr); b.Trial.Name != "t1" {
		t.Errorf("tie without times: %s, want t1", b.Trial.Name)
	}
	if b := BestTrial(min, trials("F:0.1 R:0.1 MU C")); b != nil {
		t.Errorf("best of no value: %+v", b)
	}
	// The strategy decides the value: latest instead of min.
	latest := lifeExp(Minimize, nil, 3, 0, 0)
	latest.Spec.Objective.MetricStrategies = []MetricStrategy{{"loss", StrategyLatest}}
	tr = []Trial{{Name: "a", State: TrialSucceeded, Observation: &Observation{Metrics: []Metric{{"loss", 0.1, 3, 2, true}}}},
		{Name: "b", State: TrialSucceeded, Observation: &Observation{Metrics: []Metric{{"loss", 0.5, 1, 1, true}}}}}
	if b := BestTrial(latest, tr); b.Trial.Name != "b" || b.Objective != 1 {
		t.Errorf("latest: %+v", b)
	}
	if b := BestTrial(min, tr); b.Trial.Name != "a" || b.Objective != 0.1 {
		t.Errorf("min: %+v", b)
	}
}

// TestDecideProperties runs random experiments to their end through Decide:
// running trials never exceed parallelTrialCount, trials never exceed
// maxTrialCount, nothing is created once the experiment has completed, only
// active trials are killed or deleted, the experiment ends when its budget
// is spent, and each ending has its cause.
func TestDecideProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		parallel := rapid.IntRange(1, 5).Draw(rt, "parallel")
		maxTrials := rapid.IntRange(0, 15).Draw(rt, "maxTrials") // 0: unset
		if maxTrials > 0 && maxTrials < parallel {
			maxTrials = parallel
		}
		maxFailed := rapid.IntRange(-1, 6).Draw(rt, "maxFailed") // 0: unset, -1: zero
		if maxTrials > 0 && maxFailed > maxTrials {
			maxFailed = maxTrials
		}
		typ := rapid.SampledFrom([]ObjectiveType{Minimize, Maximize}).Draw(rt, "type")
		var goal *float64
		if rapid.Bool().Draw(rt, "hasGoal") {
			goal = f64(rapid.Float64Range(0, 1).Draw(rt, "goal"))
		}
		e := lifeExp(typ, goal, parallel, maxTrials, maxFailed)
		opts := Options{LetActiveFinish: rapid.Bool().Draw(rt, "letFinish")}
		exhaustAt := rapid.IntRange(1, 40).Draw(rt, "exhaustAt") // the algorithm runs out after this many trials
		noMax := maxTrials == 0

		cond := condCreated
		var tr []Trial
		created := 0
		clock := time.Unix(1767600000, 0)
		lowerAt := rapid.IntRange(0, 60).Draw(rt, "lowerAt") // parallelTrialCount is lowered at this step
		for step := 0; step < 500; step++ {
			if step == lowerAt && parallel > 1 {
				parallel = rapid.IntRange(1, parallel-1).Draw(rt, "lowered")
				p := int32(parallel)
				e.Spec.ParallelTrialCount = &p
			}
			opts.Exhausted = len(tr) >= exhaustAt
			before := fmt.Sprint(tr)
			d := Decide(e, cond, tr, opts)
			if fmt.Sprint(tr) != before {
				rt.Fatalf("Decide changed its input")
			}
			if d2 := Decide(e, cond, tr, opts); !reflect.DeepEqual(d, d2) {
				rt.Fatalf("Decide is not deterministic")
			}
			c := Count(tr)
			if d.Create < 0 || (d.Condition.Type != ConditionRunning && d.Create != 0) {
				rt.Fatalf("create %d in condition %s", d.Create, d.Condition.Type)
			}
			if d.Create > 0 && c.Active()+d.Create > parallel {
				rt.Fatalf("%d active + %d new > parallel %d", c.Active(), d.Create, parallel)
			}
			if !noMax && c.Trials+d.Create > maxTrials {
				rt.Fatalf("%d trials + %d new > maxTrialCount %d", c.Trials, d.Create, maxTrials)
			}
			if opts.Exhausted && d.Create != 0 {
				rt.Fatalf("created %d after the algorithm ran out", d.Create)
			}
			switch d.Condition.Reason {
			case ReasonGoalReached:
				if d.Best == nil || !e.GoalReached(d.Best.Objective) {
					rt.Fatalf("goal reached without a best trial meeting it")
				}
			case ReasonFailed:
				if mf, ok := e.MaxFailedTrials(); !ok || c.FailedForLimit() < mf || c.FailedForLimit() == 0 {
					rt.Fatalf("failed with %d failures (max %d)", c.FailedForLimit(), mf)
				}
			case ReasonMaxTrialsReached:
				if noMax || c.Completed() < maxTrials {
					rt.Fatalf("max trials reached with %d completed of %d", c.Completed(), maxTrials)
				}
			case ReasonSuggestionEndReached:
				if c.Active() != 0 || !opts.Exhausted {
					rt.Fatalf("suggestion end with %d active", c.Active())
				}
			}
			if d.Condition.Completed() && !opts.LetActiveFinish && len(d.Kill) != c.Active() {
				rt.Fatalf("experiment ended with %d active, killed %d", c.Active(), len(d.Kill))
			}
			// Apply the decision as the wiring will.
			clock = clock.Add(time.Second)
			for _, name := range append(append([]string{}, d.Kill...), d.Delete...) {
				i := indexOf(tr, name)
				if i < 0 || !tr[i].State.Active() {
					rt.Fatalf("kill/delete of %s, which is not active", name)
				}
			}
			for _, name := range d.Kill {
				i := indexOf(tr, name)
				tr[i].State, tr[i].CompletionTime = TrialKilled, clock
			}
			for _, name := range d.Delete {
				i := indexOf(tr, name)
				tr = append(tr[:i], tr[i+1:]...)
			}
			for range d.Create {
				tr = append(tr, Trial{Name: fmt.Sprintf("t%d", created), State: TrialCreated, CreationTime: clock})
				created++
			}
			if n := Count(tr).Active(); n > parallel && !(d.Condition.Completed() && opts.LetActiveFinish) {
				rt.Fatalf("%d active after the decision > parallel %d", n, parallel)
			}
			cond = d.Condition
			if cond.Completed() && Count(tr).Active() == 0 {
				break
			}
			// One trial moves on.
			var active []int
			for i := range tr {
				if tr[i].State.Active() {
					active = append(active, i)
				}
			}
			if len(active) == 0 {
				if cond.Completed() || opts.Exhausted {
					continue
				}
				rt.Fatalf("nothing active, nothing created, condition %+v", cond)
			}
			i := active[rapid.IntRange(0, len(active)-1).Draw(rt, "which")]
			if tr[i].State == TrialCreated {
				tr[i].State = TrialRunning
				continue
			}
			end := rapid.SampledFrom([]TrialState{TrialSucceeded, TrialSucceeded, TrialFailed, TrialMetricsUnavailable, TrialEarlyStopped}).Draw(rt, "end")
			tr[i].State, tr[i].CompletionTime = end, clock
			if end == TrialSucceeded || end == TrialEarlyStopped {
				tr[i].Observation = obs(rapid.Float64Range(0, 1).Draw(rt, "value"))
			}
			if Count(tr).Running > parallel && !(cond.Completed() && opts.LetActiveFinish) {
				rt.Fatalf("%d running > parallel %d", Count(tr).Running, parallel)
			}
		}
		if !noMax && !cond.Completed() {
			rt.Fatalf("experiment with maxTrialCount %d did not end: %+v, %+v", maxTrials, cond, Count(tr))
		}
		if !noMax && len(tr) > maxTrials {
			rt.Fatalf("%d trials > maxTrialCount %d", len(tr), maxTrials)
		}
	})
}

func indexOf(tr []Trial, name string) int {
	for i := range tr {
		if tr[i].Name == name {
			return i
		}
	}
	return -1
}
