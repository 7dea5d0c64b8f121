package plan

import (
	"sort"

	"github.com/sluicehq/sluice/spec"
)

// Action is what the scheduler should do with a pending task.
type Action int

// Actions.
const (
	Wait         Action = iota // an upstream task has not finished
	Start                      // all upstream tasks allow it to run
	SkipUpstream               // an upstream failed: do not run it (SKIPPED)
	Cancel                     // an upstream was canceled
)

// Decision is the action for one task.
type Decision struct {
	Task   string
	Action Action
}

// Decide returns, for every task of the DAG that is still PENDING, what to do
// with it given the states of its siblings. Tasks with no status are pending.
// Results are sorted by task key.
func Decide(dag *spec.DAGSpec, states map[string]Status) []Decision {
	var out []Decision
	for key, t := range dag.Tasks {
		st := states[key]
		if st.State != "" && st.State != Pending {
			continue
		}
		out = append(out, Decision{Task: key, Action: decide(t, states)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Task < out[j].Task })
	return out
}

func decide(t *spec.TaskSpec, states map[string]Status) Action {
	all := t.TriggerPolicy != nil && t.TriggerPolicy.Strategy == spec.StrategyAllCompleted
	waiting, failed, canceled := false, false, false
	for _, u := range spec.Upstream(t) {
		st := states[u]
		switch {
		case !st.State.Terminal():
			waiting = true
		case st.State == Canceled:
			canceled = true
		case !st.ok():
			failed = true
		}
	}
	switch {
	case waiting:
		// Under the default strategy a failed upstream settles the matter
		// only once everything else has finished too, so that the outcome
		// does not depend on timing.
		return Wait
	case canceled && !all:
		return Cancel
	case failed && !all:
		return SkipUpstream
	}
	return Start
}

// Outcome returns the state of a DAG whose tasks are all terminal: FAILED if
// any task failed, else CANCELED if any was canceled, else SUCCEEDED.
func Outcome(states map[string]Status) State {
	out := Succeeded
	for _, st := range states {
		switch st.State {
		case Failed:
			return Failed
		case Canceled:
			out = Canceled
		}
	}
	return out
}
