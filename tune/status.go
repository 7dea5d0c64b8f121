package tune

import (
	"encoding/json"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// StatusCondition is one entry of an experiment's status.conditions (Katib's
// shape). Status is "True" or "False".
type StatusCondition struct {
	Type               ConditionType `json:"type"`
	Status             string        `json:"status"`
	Reason             string        `json:"reason,omitempty"`
	Message            string        `json:"message,omitempty"`
	LastUpdateTime     time.Time     `json:"lastUpdateTime,omitzero"`
	LastTransitionTime time.Time     `json:"lastTransitionTime,omitzero"`
}

// OptimalTrial is status.currentOptimalTrial: the best trial's name,
// assignments and observation.
type OptimalTrial struct {
	BestTrialName        string                `json:"bestTrialName"`
	ParameterAssignments []ParameterAssignment `json:"parameterAssignments"`
	Observation          Observation           `json:"observation"`
}

// ExperimentStatus is an experiment's status in the shape of Katib's
// (TUNING.md §1.10), so the API can serve it. The counts are always present;
// the lists only when not empty.
type ExperimentStatus struct {
	StartTime           *time.Time        `json:"startTime,omitempty"`
	CompletionTime      *time.Time        `json:"completionTime,omitempty"`
	LastReconcileTime   *time.Time        `json:"lastReconcileTime,omitempty"`
	Conditions          []StatusCondition `json:"conditions,omitempty"`
	CurrentOptimalTrial *OptimalTrial     `json:"currentOptimalTrial,omitempty"`

	Trials                  int `json:"trials"`
	TrialsSucceeded         int `json:"trialsSucceeded"`
	TrialsFailed            int `json:"trialsFailed"`
	TrialMetricsUnavailable int `json:"trialMetricsUnavailable"` // sic: Katib's name
	TrialsEarlyStopped      int `json:"trialsEarlyStopped"`
	TrialsKilled            int `json:"trialsKilled"`
	TrialsPending           int `json:"trialsPending"`
	TrialsRunning           int `json:"trialsRunning"`

	PendingTrialList            []string `json:"pendingTrialList,omitempty"`
	RunningTrialList            []string `json:"runningTrialList,omitempty"`
	SucceededTrialList          []string `json:"succeededTrialList,omitempty"`
	FailedTrialList             []string `json:"failedTrialList,omitempty"`
	KilledTrialList             []string `json:"killedTrialList,omitempty"`
	EarlyStoppedTrialList       []string `json:"earlyStoppedTrialList,omitempty"`
	MetricsUnavailableTrialList []string `json:"metricsUnavailableTrialList,omitempty"`
}

// NewStatus is the status of an experiment just created at now: condition
// Created, start time now.
func NewStatus(now time.Time) ExperimentStatus {
	var s ExperimentStatus
	now = now.UTC()
	s.StartTime = &now
	s.setCondition(condCreated, "True", now)
	return s
}

// Condition returns the experiment's current condition: the last one set
// (what `kubectl get experiment` shows). Zero when there is none.
func (s *ExperimentStatus) Condition() Condition {
	if len(s.Conditions) == 0 {
		return Condition{}
	}
	c := s.Conditions[len(s.Conditions)-1]
	return Condition{Type: c.Type, Reason: c.Reason, Message: c.Message}
}

// Apply records a decision and the trials (after the caller acted on it) in
// the status at time now, as Katib's controller does: the conditions (a
// completed experiment's Running condition turns False; a restart removes
// Succeeded and Failed), the completion time, the counts, the lists and the
// optimal trial.
func (s *ExperimentStatus) Apply(d Decision, trials []Trial, now time.Time) {
	now = now.UTC()
	wasCompleted := s.Condition().Completed()
	switch c := d.Condition; c.Type {
	case ConditionSucceeded, ConditionFailed:
		if r := s.find(ConditionRunning); r != nil {
			s.setCondition(Condition{ConditionRunning, r.Reason, r.Message}, "False", now)
		}
		s.setCondition(c, "True", now)
		if !wasCompleted || s.CompletionTime == nil {
			s.CompletionTime = &now
		}
	case ConditionRestarting:
		s.remove(ConditionSucceeded)
		s.remove(ConditionFailed)
		s.setCondition(c, "True", now)
		s.CompletionTime = nil
	case "":
	default:
		s.setCondition(c, "True", now)
	}
	s.LastReconcileTime = &now
	s.count(trials)
	s.CurrentOptimalTrial = nil
	if b := d.Best; b != nil {
		ot := &OptimalTrial{BestTrialName: b.Trial.Name, ParameterAssignments: b.Trial.Assignments}
		if ot.ParameterAssignments == nil {
			ot.ParameterAssignments = []ParameterAssignment{}
		}
		if b.Trial.Observation != nil {
			ot.Observation = *b.Trial.Observation
		}
		s.CurrentOptimalTrial = ot
	}
}

func (s *ExperimentStatus) count(trials []Trial) {
	c := Count(trials)
	s.Trials, s.TrialsSucceeded, s.TrialsFailed = c.Trials, c.Succeeded, c.Failed
	s.TrialMetricsUnavailable, s.TrialsEarlyStopped, s.TrialsKilled = c.MetricsUnavailable, c.EarlyStopped, c.Killed
	s.TrialsPending, s.TrialsRunning = c.Pending, c.Running
	s.PendingTrialList, s.RunningTrialList, s.SucceededTrialList, s.FailedTrialList = nil, nil, nil, nil
	s.KilledTrialList, s.EarlyStoppedTrialList, s.MetricsUnavailableTrialList = nil, nil, nil
	for _, t := range trials {
		switch t.State {
		case TrialRunning:
			s.RunningTrialList = append(s.RunningTrialList, t.Name)
		case TrialSucceeded:
			s.SucceededTrialList = append(s.SucceededTrialList, t.Name)
		case TrialFailed:
			s.FailedTrialList = append(s.FailedTrialList, t.Name)
		case TrialKilled:
			s.KilledTrialList = append(s.KilledTrialList, t.Name)
		case TrialEarlyStopped:
			s.EarlyStoppedTrialList = append(s.EarlyStoppedTrialList, t.Name)
		case TrialMetricsUnavailable:
			s.MetricsUnavailableTrialList = append(s.MetricsUnavailableTrialList, t.Name)
		default:
			s.PendingTrialList = append(s.PendingTrialList, t.Name)
		}
	}
}

func (s *ExperimentStatus) find(t ConditionType) *StatusCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

func (s *ExperimentStatus) remove(t ConditionType) {
	out := s.Conditions[:0]
	for _, c := range s.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	s.Conditions = out
}

// setCondition is Katib's: nothing changes when the condition already has
// this status and reason; otherwise it moves to the end of the list, keeping
// its transition time when only the reason changed.
func (s *ExperimentStatus) setCondition(c Condition, status string, now time.Time) {
	nc := StatusCondition{Type: c.Type, Status: status, Reason: c.Reason, Message: c.Message, LastUpdateTime: now, LastTransitionTime: now}
	if cur := s.find(c.Type); cur != nil {
		if cur.Status == status && cur.Reason == c.Reason {
			return
		}
		if cur.Status == status {
			nc.LastTransitionTime = cur.LastTransitionTime
		}
	}
	s.remove(c.Type)
	s.Conditions = append(s.Conditions, nc)
}

// Result is what `sluice tune FILE --json` prints at the end.
type Result struct {
	State     ConditionType `json:"state"`
	BestTrial *ResultBest   `json:"bestTrial"`
	Trials    []ResultTrial `json:"trials"`
}

// ResultBest is the best trial in a Result.
type ResultBest struct {
	Name       string         `json:"name"`
	Parameters map[string]any `json:"parameters"`
	Objective  float64        `json:"objective"`
	RunID      string         `json:"runId"`
}

// ResultTrial is one trial in a Result; Objective is null when the trial has
// no objective value.
type ResultTrial struct {
	Name       string         `json:"name"`
	State      TrialState     `json:"state"`
	Parameters map[string]any `json:"parameters"`
	Objective  *float64       `json:"objective"`
	RunID      string         `json:"runId"`
}

// NewResult builds the --json result of an experiment in condition c with
// these trials (in creation order). Parameter values are typed by the
// parameter: numbers for int, double and discrete, strings for categorical.
func NewResult(e *Experiment, c Condition, trials []Trial) Result {
	r := Result{State: c.Type, Trials: make([]ResultTrial, 0, len(trials))}
	for _, t := range trials {
		rt := ResultTrial{Name: t.Name, State: t.State, Parameters: e.TypedAssignments(t.Assignments), RunID: t.RunID}
		if v, ok := e.ObjectiveValue(t.Observation); ok {
			rt.Objective = &v
		}
		r.Trials = append(r.Trials, rt)
	}
	if b := BestTrial(e, trials); b != nil {
		r.BestTrial = &ResultBest{Name: b.Trial.Name, Parameters: e.TypedAssignments(b.Trial.Assignments), Objective: b.Objective, RunID: b.Trial.RunID}
	}
	return r
}

// TypedAssignments returns assignments as a name → value map for JSON: a
// JSON number (with the assignment's exact digits) for int, double and
// discrete parameters, a string otherwise.
func (e *Experiment) TypedAssignments(as []ParameterAssignment) map[string]any {
	m := make(map[string]any, len(as))
	for _, a := range as {
		m[a.Name] = e.TypedValue(a.Name, a.Value)
	}
	return m
}

var jsonNumberRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`) })

// TypedValue returns a parameter's value for JSON: a json.Number for int,
// double and discrete parameters (the string itself when it is not a
// number), the string for categorical ones and unknown names.
func (e *Experiment) TypedValue(name, value string) any {
	p, ok := e.Parameter(name)
	if !ok || p.ParameterType == ParameterCategorical {
		return value
	}
	if jsonNumberRE().MatchString(value) {
		return json.Number(value)
	}
	if v, err := parseFinite(value); err == nil {
		return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return value
}
