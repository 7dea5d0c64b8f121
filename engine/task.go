package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/usage"
)

// Kinds of tasks.
const (
	KindContainer = "container"
	KindImporter  = "importer"
	KindDAG       = "dag"
	KindLoop      = "loop"
	KindIteration = "iteration"
)

// Task is the record of one task instance in a run. Engine callbacks get
// copies; they never alias engine state.
type Task struct {
	// ID is the task's path in the run: task keys joined by "/", with the
	// iteration index as a segment inside loops ("for-loop-2/0/double");
	// a "/" or "%" in a key is escaped ("%2F", "%25").
	ID       string `json:"id"`
	ParentID string `json:"parentId,omitempty"`
	// Key is the task key in its DAG; Name the display name.
	Key            string         `json:"key"`
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
	Component      string         `json:"component,omitempty"`
	IterationIndex *int           `json:"iterationIndex,omitempty"`
	State          runstate.State `json:"state"`
	Cached         bool           `json:"cached"`
	Started        time.Time      `json:"started,omitzero"`
	Finished       time.Time      `json:"finished,omitzero"`
	Attempts       int            `json:"attempts,omitempty"`
	Image          string         `json:"image,omitempty"`
	Argv           []string       `json:"argv,omitempty"`
	ExitCode       *int           `json:"exitCode,omitempty"`
	Error          string         `json:"error,omitempty"`
	// Inputs and Outputs are the resolved parameters and artifacts.
	Inputs  *plan.Outputs `json:"inputs,omitempty"`
	Outputs *plan.Outputs `json:"outputs,omitempty"`
	// LogURI is where the task's stdout and stderr are: a local file, or
	// an object in the run's bucket.
	LogURI string `json:"logUri,omitempty"`
	// LogTail is the end of the log of a step that ran and failed (see
	// LogTail): why it failed, shown with its error by the CLI, the API
	// and the UI.
	LogTail string `json:"logTail,omitempty"`
	// Resources is what the task's last attempt used, when the executor
	// measured it.
	Resources *usage.Usage `json:"resources,omitempty"`

	// stepEnded is when the last attempt's process ended, taken before
	// its step slot is freed: the task's Finished, so that no task that
	// took the slot after it started before it finished.
	stepEnded time.Time
}

// Duration is how long the task ran (zero before it started).
func (t *Task) Duration() time.Duration {
	if t.Started.IsZero() {
		return 0
	}
	end := t.Finished
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(t.Started)
}

// Recorder keeps the records of a run's tasks (the server writes them to
// its store; `sluice run` prints them). The engine calls RecordTask for
// every change of a task, in order for each task, one call at a time, and
// acts only once it has returned: a step's process starts only after its
// RUNNING record is kept. An error ends the run FAILED with that error:
// nothing more is started and what runs is stopped. The Task is a copy; ctx
// is not canceled when the run is.
type Recorder interface {
	RecordTask(ctx context.Context, t Task) error
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(ctx context.Context, t Task) error

// RecordTask calls f.
func (f RecorderFunc) RecordTask(ctx context.Context, t Task) error { return f(ctx, t) }

// TaskError is the failure of a task: the first one ends its DAG FAILED
// with it, and a DAG task (sub-pipeline, condition, loop) that failed
// passes on the TaskError of the task inside it that failed first.
type TaskError struct {
	// Task is the id of the task that failed.
	Task string
	Err  error
}

func (e *TaskError) Error() string { return fmt.Sprintf("task %s failed: %v", e.Task, e.Err) }
func (e *TaskError) Unwrap() error { return e.Err }

// RecordError is a task change the Recorder could not keep: it ends the
// run FAILED.
type RecordError struct {
	Task string
	Err  error
}

func (e *RecordError) Error() string { return fmt.Sprintf("record task %s: %v", e.Task, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }
