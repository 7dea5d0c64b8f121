package runstate

// State is a run or task state.
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
	// Paused is a state KFP servers may report; Sluice never sets it.
	Paused State = "PAUSED"
)

// Terminal reports whether s is a final state: SUCCEEDED, SKIPPED, FAILED
// or CANCELED (a run leaves one only when it is retried).
func (s State) Terminal() bool {
	return s == Succeeded || s == Skipped || s == Failed || s == Canceled
}
