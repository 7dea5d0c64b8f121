package tune

import (
	"slices"
	"time"
)

// TrialState is a trial's condition (Katib's trial condition types).
type TrialState string

// Trial states. Created (pending) and Running are active; the others are
// completed.
const (
	TrialCreated            TrialState = "Created"
	TrialRunning            TrialState = "Running"
	TrialSucceeded          TrialState = "Succeeded"
	TrialFailed             TrialState = "Failed"
	TrialKilled             TrialState = "Killed"
	TrialEarlyStopped       TrialState = "EarlyStopped"
	TrialMetricsUnavailable TrialState = "MetricsUnavailable"
)

// Active says whether the trial is pending or running.
func (s TrialState) Active() bool { return s == TrialCreated || s == TrialRunning }

// Completed says whether the trial has ended (Succeeded, Failed, Killed,
// EarlyStopped or MetricsUnavailable).
func (s TrialState) Completed() bool {
	switch s {
	case TrialSucceeded, TrialFailed, TrialKilled, TrialEarlyStopped, TrialMetricsUnavailable:
		return true
	}
	return false
}

// Reason returns Katib's reason string for a trial in this state.
func (s TrialState) Reason() string {
	switch s {
	case TrialMetricsUnavailable:
		return "MetricsUnavailable"
	case "":
		return ""
	}
	return "Trial" + string(s)
}

// Trial is what the lifecycle needs to know of one trial.
type Trial struct {
	Name        string
	State       TrialState
	Assignments []ParameterAssignment
	// Observation is the trial's reduced metrics; nil when it has none yet.
	Observation    *Observation
	RunID          string
	CreationTime   time.Time
	CompletionTime time.Time // zero while active
	// Labels are the labels the algorithm gave the suggestion the trial was
	// created from (search.Suggestion.Labels); keep them with the trial.
	Labels map[string]string
}

// ConditionType is an experiment's condition (Katib's names).
type ConditionType string

// Experiment conditions.
const (
	ConditionCreated    ConditionType = "Created"
	ConditionRunning    ConditionType = "Running"
	ConditionRestarting ConditionType = "Restarting"
	ConditionSucceeded  ConditionType = "Succeeded"
	ConditionFailed     ConditionType = "Failed"
)

// Katib's experiment condition reasons.
const (
	ReasonCreated              = "ExperimentCreated"
	ReasonRunning              = "ExperimentRunning"
	ReasonRestarting           = "ExperimentRestarting"
	ReasonGoalReached          = "ExperimentGoalReached"
	ReasonMaxTrialsReached     = "ExperimentMaxTrialsReached"
	ReasonSuggestionEndReached = "ExperimentSuggestionEndReached"
	ReasonFailed               = "ExperimentFailed"
)

// Condition is an experiment's current condition with Katib's reason and
// message.
type Condition struct {
	Type    ConditionType `json:"type"`
	Reason  string        `json:"reason,omitempty"`
	Message string        `json:"message,omitempty"`
}

// Completed says whether the experiment has ended.
func (c Condition) Completed() bool {
	return c.Type == ConditionSucceeded || c.Type == ConditionFailed
}

// Katib's condition messages.
var (
	condCreated    = Condition{ConditionCreated, ReasonCreated, "Experiment is created"}
	condRunning    = Condition{ConditionRunning, ReasonRunning, "Experiment is running"}
	condRestarting = Condition{ConditionRestarting, ReasonRestarting, "Experiment is restarting"}
	condGoal       = Condition{ConditionSucceeded, ReasonGoalReached, "Experiment has succeeded because Objective goal has reached"}
	condMaxFailed  = Condition{ConditionFailed, ReasonFailed, "Experiment has failed because max failed count has reached"}
	condMaxTrials  = Condition{ConditionSucceeded, ReasonMaxTrialsReached, "Experiment has succeeded because max trial count has reached"}
	condEnd        = Condition{ConditionSucceeded, ReasonSuggestionEndReached, "Experiment has succeeded because suggestion service has reached the end"}
)

// Options are what the lifecycle needs to know beyond the trials.
type Options struct {
	// Exhausted: the algorithm has no assignment left (grid, hyperband).
	Exhausted bool
	// SuggestionError: the algorithm failed; the experiment fails with it.
	SuggestionError error
	// LetActiveFinish keeps Katib's behaviour when the experiment ends:
	// active trials run to their end (and may still change the best trial).
	// By default Sluice kills them, so the budget means what it says.
	LetActiveFinish bool
}

// Counts are an experiment's trials by state.
type Counts struct {
	Trials             int
	Pending            int // Created
	Running            int
	Succeeded          int
	Failed             int
	Killed             int
	EarlyStopped       int
	MetricsUnavailable int
}

// Active returns the pending and running trials.
func (c Counts) Active() int { return c.Pending + c.Running }

// Completed returns the trials that have ended, MetricsUnavailable included.
func (c Counts) Completed() int {
	return c.Succeeded + c.Failed + c.Killed + c.EarlyStopped + c.MetricsUnavailable
}

// FailedForLimit returns the failures maxFailedTrialCount counts: Failed and
// MetricsUnavailable.
func (c Counts) FailedForLimit() int { return c.Failed + c.MetricsUnavailable }

// Count tallies trials by state.
func Count(trials []Trial) Counts {
	var c Counts
	for _, t := range trials {
		c.Trials++
		switch t.State {
		case TrialCreated, "":
			c.Pending++
		case TrialRunning:
			c.Running++
		case TrialSucceeded:
			c.Succeeded++
		case TrialFailed:
			c.Failed++
		case TrialKilled:
			c.Killed++
		case TrialEarlyStopped:
			c.EarlyStopped++
		case TrialMetricsUnavailable:
			c.MetricsUnavailable++
		default:
			c.Pending++
		}
	}
	return c
}

// Best is the current optimal trial and its objective value.
type Best struct {
	Trial     Trial
	Objective float64
}

// BestTrial returns the current optimal trial: among Succeeded and
// EarlyStopped trials with an objective value, the best by the objective's
// type; of equal values the one that completed first wins (Katib keeps the
// first it meets and replaces it only with a strictly better one; Sluice
// meets them in completion order). nil when no trial has a value.
func BestTrial(e *Experiment, trials []Trial) *Best {
	if e.Spec.Objective == nil {
		return nil
	}
	order := make([]int, 0, len(trials))
	for i, t := range trials {
		if t.State == TrialSucceeded || t.State == TrialEarlyStopped {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ta, tb := trials[a].CompletionTime, trials[b].CompletionTime
		switch {
		case ta.IsZero() && tb.IsZero():
			return 0
		case ta.IsZero():
			return 1
		case tb.IsZero():
			return -1
		}
		return ta.Compare(tb)
	})
	var best *Best
	for _, i := range order {
		v, ok := e.ObjectiveValue(trials[i].Observation)
		if !ok {
			continue
		}
		if best == nil || better(e.Spec.Objective.Type, v, best.Objective) {
			best = &Best{Trial: trials[i], Objective: v}
		}
	}
	return best
}

func better(t ObjectiveType, a, b float64) bool {
	if t == Maximize {
		return a > b
	}
	return a < b
}

// GoalReached says whether the objective value v meets the experiment's goal
// (minimize: v ≤ goal; maximize: v ≥ goal). False without a goal.
func (e *Experiment) GoalReached(v float64) bool {
	o := e.Spec.Objective
	if o == nil || o.Goal == nil {
		return false
	}
	if o.Type == Maximize {
		return v >= *o.Goal
	}
	return v <= *o.Goal
}

// Decision is what to do now.
type Decision struct {
	// Condition is the experiment's condition after this step.
	Condition Condition
	// Create is how many new trials to ask the algorithm for and start.
	Create int
	// Kill names active trials to cancel and record as Killed: all of them
	// when the experiment ends (unless Options.LetActiveFinish).
	Kill []string
	// Delete names the newest active trials beyond a lowered
	// parallelTrialCount: cancel their runs and remove the trials (Katib
	// deletes them), so they neither count nor appear.
	Delete []string
	// Best is the current optimal trial (nil when none has a value yet).
	Best *Best
	// Counts are the trials by state.
	Counts Counts
}

// Decide is the experiment's control step (TUNING.md §1.9), pure: given the
// experiment, its current condition and its trials in creation order, it
// returns the next condition, how many trials to create, which to kill or
// delete, and the best trial. Call it after every change of a trial.
//
// While the experiment has not completed the rules apply in Katib's order:
// (1) a goal met by the best trial → Succeeded, ExperimentGoalReached;
// (2) maxFailedTrialCount set and F ≠ 0 and F ≥ maxFailedTrialCount, F =
// Failed + MetricsUnavailable → Failed, ExperimentFailed; (3) maxTrialCount
// set and all completed trials ≥ maxTrialCount → Succeeded,
// ExperimentMaxTrialsReached; (4) the algorithm is exhausted and no trial is
// active → Succeeded, ExperimentSuggestionEndReached; (5) the algorithm
// failed → Failed, ExperimentFailed; otherwise Running, creating
// min(parallel, maxTrialCount − completed) − active trials (none while the
// algorithm is exhausted or an early-stopped trial lacks its observation).
//
// A completed experiment stays completed, except one that Succeeded with
// ExperimentMaxTrialsReached whose maxTrialCount was raised above its number
// of trials: it becomes Restarting, and the next step Running.
func Decide(e *Experiment, current Condition, trials []Trial, opts Options) Decision {
	d := Decision{Counts: Count(trials), Best: BestTrial(e, trials)}
	c := d.Counts
	maxTrials, hasMax := e.MaxTrials()
	if current.Completed() {
		if current.Type == ConditionSucceeded && current.Reason == ReasonMaxTrialsReached && hasMax && maxTrials > c.Trials {
			d.Condition = condRestarting
			return d
		}
		d.Condition = current
		d.Kill = killActive(trials, opts)
		return d
	}
	maxFailed, hasMaxFailed := e.MaxFailedTrials()
	switch {
	case d.Best != nil && e.GoalReached(d.Best.Objective):
		d.Condition = condGoal
	case hasMaxFailed && c.FailedForLimit() != 0 && c.FailedForLimit() >= maxFailed:
		d.Condition = condMaxFailed
	case hasMax && c.Completed() >= maxTrials:
		d.Condition = condMaxTrials
	case opts.Exhausted && c.Active() == 0:
		d.Condition = condEnd
	case opts.SuggestionError != nil:
		d.Condition = Condition{ConditionFailed, ReasonFailed, "Suggestion has failed: " + opts.SuggestionError.Error()}
	default:
		d.Condition = condRunning
	}
	if d.Condition.Completed() {
		d.Kill = killActive(trials, opts)
		return d
	}
	parallel := e.Parallel()
	if c.Active() > parallel {
		extra := c.Active() - parallel
		for i := len(trials) - 1; i >= 0 && extra > 0; i-- {
			if trials[i].State.Active() || trials[i].State == "" {
				d.Delete = append(d.Delete, trials[i].Name)
				extra--
			}
		}
		return d
	}
	if opts.Exhausted || awaitingObservation(trials) {
		return d
	}
	want := parallel
	if hasMax {
		want = min(parallel, maxTrials-c.Completed())
	}
	d.Create = max0(want - c.Active())
	return d
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// awaitingObservation: Katib requests no suggestion while an early-stopped
// trial still lacks its observation.
func awaitingObservation(trials []Trial) bool {
	for _, t := range trials {
		if t.State == TrialEarlyStopped && t.Observation == nil {
			return true
		}
	}
	return false
}

func killActive(trials []Trial, opts Options) []string {
	if opts.LetActiveFinish {
		return nil
	}
	var names []string
	for _, t := range trials {
		if t.State.Active() || t.State == "" {
			names = append(names, t.Name)
		}
	}
	return names
}
