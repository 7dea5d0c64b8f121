package wire

import (
	"encoding/json"
	"time"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/usage"
)

// Task is a task with everything Sluice records about it, as its own
// routes serve it (GET /apis/sluice/v1/runs/{id}/tasks, the run event
// stream).
type Task struct {
	TaskID      string          `json:"task_id"`
	ParentID    string          `json:"parent_task_id,omitempty"`
	Key         string          `json:"key"`
	DisplayName string          `json:"display_name"`
	Kind        string          `json:"kind"`
	State       runstate.State  `json:"state"`
	Cached      bool            `json:"cached,omitempty"`
	Attempts    int             `json:"attempts,omitempty"`
	Image       string          `json:"image,omitempty"`
	Command     []string        `json:"command,omitempty"`
	ExitCode    *int            `json:"exit_code,omitempty"`
	Error       string          `json:"error,omitempty"`
	Inputs      json.RawMessage `json:"inputs,omitempty"`
	Outputs     json.RawMessage `json:"outputs,omitempty"`
	HasLog      bool            `json:"has_log,omitempty"`
	// LogTail is the end of the log of a step that ran and failed: the
	// lines that say why.
	LogTail   string     `json:"log_tail,omitempty"`
	StartTime *time.Time `json:"start_time,omitempty"`
	EndTime   *time.Time `json:"end_time,omitempty"`
	// Resources is what the task's last attempt used (CPU seconds, peak
	// memory, wall time, ...), when it was measured.
	Resources *usage.Usage `json:"resources,omitempty"`
}

// IDs answers GET /apis/sluice/v1/ids?kind=KIND&prefix=PREFIX: the ids of
// that kind starting with the prefix, in order, and whether there are
// more than those.
type IDs struct {
	IDs  []string `json:"ids"`
	More bool     `json:"more,omitempty"`
}
