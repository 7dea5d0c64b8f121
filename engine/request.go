package engine

import (
	"time"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// Request is a run to execute.
type Request struct {
	Pipeline *spec.Pipeline
	// Params are the run parameters (checked and typed by plan.RootParams).
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
	// Recorder, when set, keeps this run's task records.
	Recorder Recorder
	// RecordOnly leaves the task records to the Recorder: the engine
	// holds no record beyond the task's own turn (a run of 10,000 loop
	// iterations does not keep 20,000 records with their command lines,
	// inputs and outputs until it ends), and Result.Tasks is empty. The
	// server sets it: its store has every record.
	RecordOnly bool
	// Created and Scheduled feed the create/schedule time placeholders.
	Created   time.Time
	Scheduled time.Time
}

// Result is a finished run.
type Result struct {
	RunID   string         `json:"runId"`
	State   runstate.State `json:"state"`
	Error   string         `json:"error,omitempty"`
	Outputs plan.Outputs   `json:"outputs"`
	// Tasks are the task records in creation order (none with
	// Request.RecordOnly).
	Tasks        []*Task   `json:"tasks"`
	PipelineRoot string    `json:"pipelineRoot"`
	RunRoot      string    `json:"runRoot"`
	Warnings     []string  `json:"warnings,omitempty"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
}
