package plan

import (
	"sort"

	"github.com/sluicehq/sluice/runstate"
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

// Graph is a DAG's tasks with their upstream tasks worked out once, so
// that deciding after each completion does not redo it.
type Graph struct {
	keys  []string // sorted
	tasks map[string]*spec.TaskSpec
	up    map[string][]string
}

// NewGraph prepares a DAG for Decide.
func NewGraph(dag *spec.DAGSpec) *Graph {
	g := &Graph{tasks: dag.Tasks, up: make(map[string][]string, len(dag.Tasks))}
	for key, t := range dag.Tasks {
		g.keys = append(g.keys, key)
		g.up[key] = spec.Upstream(t)
	}
	sort.Strings(g.keys)
	return g
}

// Decide returns, for every task of the DAG that is still PENDING, what to do
// with it given the states of its siblings. Tasks with no status are pending.
// Results are sorted by task key.
func Decide(dag *spec.DAGSpec, states map[string]Status) []Decision {
	return NewGraph(dag).Decide(states)
}

// Decide is the package-level Decide on a prepared graph.
func (g *Graph) Decide(states map[string]Status) []Decision {
	var out []Decision
	for _, key := range g.keys {
		st := states[key]
		if st.State != "" && st.State != runstate.Pending {
			continue
		}
		out = append(out, Decision{Task: key, Action: decide(g.tasks[key], g.up[key], states)})
	}
	return out
}

func decide(t *spec.TaskSpec, upstream []string, states map[string]Status) Action {
	all := t.TriggerPolicy != nil && t.TriggerPolicy.Strategy == spec.StrategyAllCompleted
	waiting, failed, canceled := false, false, false
	for _, u := range upstream {
		st := states[u]
		switch {
		case !st.State.Terminal():
			waiting = true
		case st.State == runstate.Canceled:
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
func Outcome(states map[string]Status) runstate.State {
	out := runstate.Succeeded
	for _, st := range states {
		switch st.State {
		case runstate.Failed:
			return runstate.Failed
		case runstate.Canceled:
			out = runstate.Canceled
		}
	}
	return out
}
