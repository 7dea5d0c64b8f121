package wire

import (
	"encoding/json"
	"time"
)

// Sluice's tuning routes (/apis/sluice/v1/tuning/...): experiments of
// trials, named apart from KFP's experiments. Spec and status keep Katib's
// shapes (an Experiment's spec; its status with conditions, counts and
// currentOptimalTrial), as JSON the tune package reads.

// TuningExperiment is a tuning experiment.
type TuningExperiment struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// Condition is the current condition: Created, Running, Restarting,
	// Succeeded or Failed; Reason and Message are Katib's.
	Condition         string     `json:"condition"`
	Reason            string     `json:"reason,omitempty"`
	Message           string     `json:"message,omitempty"`
	CreatedAt         *time.Time `json:"created_at,omitempty"`
	CompletedAt       *time.Time `json:"completed_at,omitempty"`
	PipelineID        string     `json:"pipeline_id,omitempty"`
	PipelineVersionID string     `json:"pipeline_version_id,omitempty"`
	// Spec is the Katib Experiment, with Katib's defaults applied.
	Spec json.RawMessage `json:"spec"`
	// Status is Katib's status of the experiment.
	Status json.RawMessage `json:"status,omitempty"`
	// BestTrial is the current optimal trial (absent while none has an
	// objective value).
	BestTrial *TuningTrial `json:"best_trial,omitempty"`
	// Cache is what the step cache saved the trials.
	Cache *TuningCache `json:"cache,omitempty"`
}

// TuningCache is what the step cache saved an experiment's trials: the
// steps served from the cache and the time those steps took where they ran.
type TuningCache struct {
	SavedSeconds float64 `json:"saved_seconds"`
	CachedSteps  int     `json:"cached_steps"`
	Steps        int     `json:"steps"`
	// UnmeasuredSteps are cached steps that never ran in this experiment
	// (cached before it): their time is not in SavedSeconds.
	UnmeasuredSteps int `json:"unmeasured_steps,omitempty"`
}

// Assignment is one parameter's value in a trial (a string, as in Katib).
type Assignment struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TuningTrial is one trial of an experiment.
type TuningTrial struct {
	Name    string `json:"name"`
	State   string `json:"state"` // Created, Running, Succeeded, Failed, MetricsUnavailable, EarlyStopped, Killed
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Parameters are the values typed by their parameter (numbers for int,
	// double and discrete, strings for categorical); ParameterAssignments
	// the same values as Katib's strings.
	Parameters           map[string]any `json:"parameters"`
	ParameterAssignments []Assignment   `json:"parameter_assignments"`
	// Objective is the objective metric's value by its strategy (null
	// when the trial has none).
	Objective *float64 `json:"objective"`
	// Observation is Katib's {metrics: [{name, min, max, latest}]}.
	Observation json.RawMessage   `json:"observation,omitempty"`
	RunID       string            `json:"run_id,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	CreatedAt   *time.Time        `json:"created_at,omitempty"`
	StartedAt   *time.Time        `json:"started_at,omitempty"`
	CompletedAt *time.Time        `json:"completed_at,omitempty"`
	// CachedSteps counts the trial's steps served from the cache.
	CachedSteps int `json:"cached_steps,omitempty"`
}

// ListTuningExperimentsResponse is a page of tuning experiments.
type ListTuningExperimentsResponse struct {
	Experiments   []TuningExperiment `json:"experiments"`
	TotalSize     int                `json:"total_size,omitempty"`
	NextPageToken string             `json:"next_page_token,omitempty"`
}

// ListTuningTrialsResponse is an experiment's trials in creation order.
type ListTuningTrialsResponse struct {
	Trials []TuningTrial `json:"trials"`
}

// CreateTuningExperimentRequest creates a tuning experiment. Experiment is
// a Katib Experiment as a JSON object, or a string holding its YAML. Its
// spec.trialTemplate.pipeline names a pipeline stored on the server
// ({name, version}); or it names a file ({file}) and PipelineSpec carries
// that file's pipeline (what `sluice tune submit` sends).
type CreateTuningExperimentRequest struct {
	Experiment   json.RawMessage `json:"experiment"`
	PipelineSpec json.RawMessage `json:"pipeline_spec,omitempty"`
	PipelineRoot string          `json:"pipeline_root,omitempty"`
	NoCache      bool            `json:"no_cache,omitempty"`
	// Seed seeds the search algorithm when its settings have no
	// random_state (0: random).
	Seed uint64 `json:"seed,omitempty"`
}

// TuningBudget edits an experiment's trial counts (PATCH): the fields
// Katib lets you change on a live experiment. Absent fields stay.
type TuningBudget struct {
	MaxTrialCount       *int32 `json:"max_trial_count,omitempty"`
	ParallelTrialCount  *int32 `json:"parallel_trial_count,omitempty"`
	MaxFailedTrialCount *int32 `json:"max_failed_trial_count,omitempty"`
}
