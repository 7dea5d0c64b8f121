package plan

// State is a run or task state, named as KFP names them.
type State string

// States.
const (
	Pending   State = "PENDING"
	Running   State = "RUNNING"
	Succeeded State = "SUCCEEDED"
	Skipped   State = "SKIPPED"
	Failed    State = "FAILED"
	Canceling State = "CANCELING"
	Canceled  State = "CANCELED"
)

// Terminal reports whether s is a final state.
func (s State) Terminal() bool {
	return s == Succeeded || s == Skipped || s == Failed || s == Canceled
}

// Status is what the scheduler knows about one sibling task.
type Status struct {
	State State
	// UpstreamFailed marks a task that was not run because an upstream task
	// failed (reported as SKIPPED, but it must not count as a clean skip).
	UpstreamFailed bool
}

// ok reports whether a finished upstream lets a default-strategy task run:
// it succeeded, or it was skipped by its own condition.
func (s Status) ok() bool {
	return s.State == Succeeded || (s.State == Skipped && !s.UpstreamFailed)
}
