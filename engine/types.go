package engine

import (
	"time"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
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
	// iteration index as a segment inside loops ("for-loop-2/0/double").
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
	// LogPath is the file holding the task's stdout and stderr.
	LogPath string `json:"logPath,omitempty"`
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

// Request is a run to execute.
type Request struct {
	Pipeline *spec.Pipeline
	// Params are the run parameters, already typed (see plan.ParseParam).
	// Parameters not given take their defaults.
	Params map[string]any
	// Artifacts are the pipeline's input artifacts, if it declares any.
	Artifacts map[string][]*spec.RuntimeArtifact
	// PipelineRoot is where artifacts go (a local directory); empty means
	// the spec's defaultPipelineRoot if it is local, else the engine's.
	PipelineRoot string
	RunID        string
	RunName      string
	// Completed holds the outputs of steps that already succeeded in an
	// earlier attempt of this run, by task id: they are not run again.
	// This is how a run resumes after a restart or a retry.
	Completed map[string]*plan.Outputs
	// NoCache turns caching off for this run.
	NoCache bool
	// Observer, when set, hears this run's task changes (instead of the
	// engine's Observer).
	Observer Observer
	// Created and Scheduled feed the create/schedule time placeholders.
	Created   time.Time
	Scheduled time.Time
}

// Result is a finished run.
type Result struct {
	RunID        string         `json:"runId"`
	State        runstate.State `json:"state"`
	Error        string         `json:"error,omitempty"`
	Outputs      plan.Outputs   `json:"outputs"`
	Tasks        []*Task        `json:"tasks"`
	PipelineRoot string         `json:"pipelineRoot"`
	RunRoot      string         `json:"runRoot"`
	Warnings     []string       `json:"warnings,omitempty"`
	Started      time.Time      `json:"started"`
	Finished     time.Time      `json:"finished"`
}

// Observer hears about task state changes as they happen. Calls are
// serialized; the Task is a copy.
type Observer interface {
	TaskChanged(t Task)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(t Task)

// TaskChanged calls f.
func (f ObserverFunc) TaskChanged(t Task) { f(t) }
