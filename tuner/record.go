package tuner

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sluicehq/sluice/store"
	"github.com/sluicehq/sluice/tune"
)

// Stop reasons a trial records (store.Trial.Stop) before its run is
// canceled, so that a restarted service knows why the run ended CANCELED.
const (
	StopEarly   = "EarlyStopped" // the early-stopping rule stopped it
	StopKilled  = "Killed"       // the experiment ended (or was canceled)
	StopDeleted = "Deleted"      // parallelTrialCount was lowered: the trial goes
)

// Experiment decodes a stored experiment's spec.
func Experiment(r *store.TuningExperiment) (*tune.Experiment, error) {
	var e tune.Experiment
	if err := json.Unmarshal(r.Spec, &e); err != nil {
		return nil, fmt.Errorf("tuning experiment %s: spec: %w", r.ID, err)
	}
	e.SetDefaults()
	return &e, nil
}

// Status decodes a stored experiment's status (zero when it has none).
func Status(r *store.TuningExperiment) (tune.ExperimentStatus, error) {
	var s tune.ExperimentStatus
	if len(r.Status) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(r.Status, &s); err != nil {
		return s, fmt.Errorf("tuning experiment %s: status: %w", r.ID, err)
	}
	return s, nil
}

// Trial converts a stored trial to the lifecycle's view of it.
func Trial(r *store.Trial) (tune.Trial, error) {
	t := tune.Trial{Name: r.Name, State: tune.TrialState(r.State), RunID: r.RunID, CreationTime: r.CreatedAt,
		CompletionTime: r.CompletedAt, Labels: r.Labels}
	if t.State == "" {
		t.State = tune.TrialCreated
	}
	if len(r.Assignments) > 0 {
		if err := json.Unmarshal(r.Assignments, &t.Assignments); err != nil {
			return t, fmt.Errorf("trial %s: assignments: %w", r.Name, err)
		}
	}
	if len(r.Observation) > 0 {
		var o tune.Observation
		if err := json.Unmarshal(r.Observation, &o); err != nil {
			return t, fmt.Errorf("trial %s: observation: %w", r.Name, err)
		}
		t.Observation = &o
	}
	return t, nil
}

// Trials converts stored trials, in order, leaving out those being deleted
// (they neither count nor appear).
func Trials(rs []*store.Trial) ([]tune.Trial, error) {
	out := make([]tune.Trial, 0, len(rs))
	for _, r := range rs {
		if r.Stop == StopDeleted {
			continue
		}
		t, err := Trial(r)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Curve decodes a stored trial's objective reports.
func Curve(r *store.Trial) []float64 {
	var c []float64
	if len(r.Curve) > 0 {
		_ = json.Unmarshal(r.Curve, &c)
	}
	return c
}

// TaskTime is one step of a trial's run as the cache accounting sees it.
type TaskTime struct {
	ID      string  `json:"id"`
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached,omitempty"`
}

// TaskTimes decodes a stored trial's step timings.
func TaskTimes(r *store.Trial) []TaskTime {
	var ts []TaskTime
	if len(r.Tasks) > 0 {
		_ = json.Unmarshal(r.Tasks, &ts)
	}
	return ts
}

// Savings is what the step cache saved an experiment.
type Savings struct {
	// Saved is the time the cached steps took when they ran: for each step
	// served from the cache, the mean duration of the same step in the
	// experiment's trials where it ran.
	Saved time.Duration
	// CachedSteps counts the steps served from the cache; Steps all
	// finished steps of the trials.
	CachedSteps, Steps int
	// Unknown counts cached steps that never ran in this experiment (their
	// outputs were cached before it): their time is not in Saved.
	Unknown int
}

// CacheSavings adds up what the cache saved across an experiment's trials.
func CacheSavings(rs []*store.Trial) Savings {
	type acc struct {
		sum float64
		n   int
	}
	ran := map[string]*acc{}
	var all [][]TaskTime
	for _, r := range rs {
		ts := TaskTimes(r)
		all = append(all, ts)
		for _, t := range ts {
			if t.Cached {
				continue
			}
			a := ran[t.ID]
			if a == nil {
				a = &acc{}
				ran[t.ID] = a
			}
			a.sum += t.Seconds
			a.n++
		}
	}
	var s Savings
	var saved float64
	for _, ts := range all {
		for _, t := range ts {
			s.Steps++
			if !t.Cached {
				continue
			}
			s.CachedSteps++
			if a := ran[t.ID]; a != nil {
				saved += a.sum / float64(a.n)
			} else {
				s.Unknown++
			}
		}
	}
	s.Saved = time.Duration(saved * float64(time.Second))
	return s
}
