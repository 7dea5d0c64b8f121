package tune

import (
	"errors"

	"github.com/sluicehq/sluice/tune/earlystop"
	"github.com/sluicehq/sluice/tune/search"
	"github.com/sluicehq/sluice/tune/space"
)

// The experiment seen by the search algorithms (tune/search, tune/space) and
// the early-stopping rule (tune/earlystop): conversions in one place, and
// their errors renamed to the experiment's field paths.

// Space returns the experiment's search space. Errors are *FieldError
// naming spec.parameters[i]….
func (e *Experiment) Space() (*space.Space, error) {
	params := make([]space.Parameter, 0, len(e.Spec.Parameters))
	for _, p := range e.Spec.Parameters {
		fs := p.FeasibleSpace
		params = append(params, space.Parameter{Name: p.Name, Type: space.Type(p.ParameterType), Min: fs.Min, Max: fs.Max,
			Step: fs.Step, List: fs.List, Distribution: space.Distribution(fs.Distribution)})
	}
	sp, err := space.New(params)
	return sp, specError(err)
}

// Direction returns the objective's direction for the algorithms.
func (e *Experiment) Direction() search.Direction {
	if e.Spec.Objective != nil && e.Spec.Objective.Type == Maximize {
		return search.Maximize
	}
	return search.Minimize
}

// Suggester returns the experiment's search algorithm over its space, with
// its settings checked (unknown names, values out of range, a grid larger
// than maxTrialCount, …). seed is used when the settings have no
// random_state; keep it with the experiment so a restart suggests the same.
// Errors are *FieldError naming spec.parameters… or spec.algorithm….
func (e *Experiment) Suggester(seed uint64) (search.Suggester, error) {
	sp, err := e.Space()
	if err != nil {
		return nil, err
	}
	alg := search.Algorithm{}
	if a := e.Spec.Algorithm; a != nil {
		alg.Name = a.AlgorithmName
		for _, s := range a.AlgorithmSettings {
			alg.Settings = append(alg.Settings, search.Setting{Name: s.Name, Value: s.Value})
		}
	}
	maxTrials, _ := e.MaxTrials()
	s, err := search.New(sp, alg, search.Options{Direction: e.Direction(), Seed: seed, MaxTrialCount: maxTrials})
	return s, specError(err)
}

// EarlyStopping returns the early-stopping rule's settings, checked; false
// when the experiment has no earlyStopping.
func (e *Experiment) EarlyStopping() (earlystop.Settings, bool, error) {
	es := e.Spec.EarlyStopping
	if es == nil {
		return earlystop.Settings{}, false, nil
	}
	var settings []search.Setting
	for _, s := range es.AlgorithmSettings {
		settings = append(settings, search.Setting{Name: s.Name, Value: s.Value})
	}
	s, err := earlystop.Parse(es.AlgorithmName, settings)
	if err != nil {
		return s, false, specError(err)
	}
	return s, true, nil
}

// SearchTrials returns the trials as the algorithms see them: every trial,
// in the same order, with its objective value by the objective's strategy.
func (e *Experiment) SearchTrials(trials []Trial) []search.Trial {
	out := make([]search.Trial, 0, len(trials))
	for _, t := range trials {
		st := search.Trial{Name: t.Name, State: searchState(t.State), Labels: t.Labels}
		for _, a := range t.Assignments {
			st.Assignment = append(st.Assignment, space.ParameterValue{Name: a.Name, Value: a.Value})
		}
		st.Value, st.HasValue = e.ObjectiveValue(t.Observation)
		out = append(out, st)
	}
	return out
}

func searchState(s TrialState) search.State {
	switch s {
	case TrialCreated, "":
		return search.Pending
	case TrialRunning:
		return search.Running
	case TrialSucceeded:
		return search.Succeeded
	case TrialFailed:
		return search.Failed
	case TrialEarlyStopped:
		return search.EarlyStopped
	case TrialMetricsUnavailable:
		return search.MetricsUnavailable
	case TrialKilled:
		return search.Killed
	}
	return search.Pending
}

// Assignments converts a suggestion's assignment to the trial's.
func Assignments(a space.Assignment) []ParameterAssignment {
	out := make([]ParameterAssignment, 0, len(a))
	for _, v := range a {
		out = append(out, ParameterAssignment{Name: v.Name, Value: v.Value})
	}
	return out
}

// Curve returns a trial's reports of the objective metric in the order they
// came, for the early-stopping rule.
func (e *Experiment) Curve(trial string, logs []MetricLog) earlystop.Curve {
	c := earlystop.Curve{Trial: trial}
	if e.Spec.Objective == nil {
		return c
	}
	for _, l := range logs {
		if matches(e.Spec.Objective.ObjectiveMetricName, l.Task, l.Name) {
			c.Values = append(c.Values, l.Value)
		}
	}
	return c
}

// specError renames a tune/space field error (parameters[0].name,
// algorithm.algorithmSettings[gamma]) to the experiment's path (spec.…).
func specError(err error) error {
	var fe *space.FieldError
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	return &FieldError{Field: "spec." + fe.Field, Msg: fe.Msg}
}
