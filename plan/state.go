package plan

import "github.com/sluicehq/sluice/runstate"

// Status is what the scheduler knows about one sibling task.
type Status struct {
	State runstate.State
	// UpstreamFailed marks a task that was not run because an upstream task
	// failed (reported as SKIPPED, but it must not count as a clean skip).
	UpstreamFailed bool
}

// ok reports whether a finished upstream lets a default-strategy task run:
// it succeeded, or it was skipped by its own condition.
func (s Status) ok() bool {
	return s.State == runstate.Succeeded || (s.State == runstate.Skipped && !s.UpstreamFailed)
}
