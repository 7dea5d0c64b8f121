package wire

import (
	"encoding/json"

	"github.com/sluicehq/sluice/runstate"
)

// Status is a google.rpc.Status inside a resource (Run.error, ...).
type Status struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Pipeline is a pipeline: a name for a list of versions.
type Pipeline struct {
	PipelineID  string            `json:"pipeline_id,omitempty"`
	DisplayName string            `json:"display_name,omitempty"`
	Name        string            `json:"name,omitempty"`
	Description string            `json:"description,omitempty"`
	CreatedAt   Timestamp         `json:"created_at,omitzero"`
	Namespace   string            `json:"namespace,omitempty"`
	Error       *Status           `json:"error,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// PackageURL is where a pipeline version's package was fetched from.
type PackageURL struct {
	PipelineURL string `json:"pipeline_url,omitempty"`
}

// PipelineVersion is one uploaded pipeline spec. PipelineSpec is its
// stored form (spec.MarshalStored): the bare PipelineSpec object, or
// {"pipeline_spec": ..., "platform_spec": ...}.
type PipelineVersion struct {
	PipelineID        string            `json:"pipeline_id,omitempty"`
	PipelineVersionID string            `json:"pipeline_version_id,omitempty"`
	DisplayName       string            `json:"display_name,omitempty"`
	Name              string            `json:"name,omitempty"`
	Description       string            `json:"description,omitempty"`
	CreatedAt         Timestamp         `json:"created_at,omitzero"`
	PackageURL        *PackageURL       `json:"package_url,omitempty"`
	CodeSourceURL     string            `json:"code_source_url,omitempty"`
	PipelineSpec      json.RawMessage   `json:"pipeline_spec,omitempty"`
	Error             *Status           `json:"error,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
}

// Experiment groups runs.
type Experiment struct {
	ExperimentID     string    `json:"experiment_id,omitempty"`
	DisplayName      string    `json:"display_name,omitempty"`
	Description      string    `json:"description,omitempty"`
	CreatedAt        Timestamp `json:"created_at,omitzero"`
	Namespace        string    `json:"namespace,omitempty"`
	StorageState     string    `json:"storage_state,omitempty"`
	LastRunCreatedAt Timestamp `json:"last_run_created_at,omitzero"`
}

// PipelineVersionReference names a stored pipeline version (an empty
// version means the latest).
type PipelineVersionReference struct {
	PipelineID        string `json:"pipeline_id,omitempty"`
	PipelineVersionID string `json:"pipeline_version_id,omitempty"`
}

// RuntimeConfig holds a run's parameter values (a JSON object, kept as
// sent so that integers stay exact) and pipeline root.
type RuntimeConfig struct {
	Parameters   json.RawMessage `json:"parameters,omitempty"`
	PipelineRoot string          `json:"pipeline_root,omitempty"`
}

// RuntimeStatus is one entry of a state history.
type RuntimeStatus struct {
	UpdateTime Timestamp      `json:"update_time,omitzero"`
	State      runstate.State `json:"state,omitempty"`
	Error      *Status        `json:"error,omitempty"`
}

// ExecutorDetail names the jobs (pods) that ran a task (KFP servers only).
type ExecutorDetail struct {
	MainJob                   string   `json:"main_job,omitempty"`
	PreCachingCheckJob        string   `json:"pre_caching_check_job,omitempty"`
	FailedMainJobs            []string `json:"failed_main_jobs,omitempty"`
	FailedPreCachingCheckJobs []string `json:"failed_pre_caching_check_jobs,omitempty"`
}

// ArtifactList lists ML Metadata artifact ids (KFP servers only).
type ArtifactList struct {
	ArtifactIDs []Int64 `json:"artifact_ids,omitempty"`
}

// ChildTask is a task started by another (a DAG's or a loop's).
type ChildTask struct {
	TaskID  string `json:"task_id,omitempty"`
	PodName string `json:"pod_name,omitempty"`
}

// TaskDetail is one task of a run, as run_details lists it.
type TaskDetail struct {
	RunID          string                  `json:"run_id,omitempty"`
	TaskID         string                  `json:"task_id,omitempty"`
	DisplayName    string                  `json:"display_name,omitempty"`
	CreateTime     Timestamp               `json:"create_time,omitzero"`
	StartTime      Timestamp               `json:"start_time,omitzero"`
	EndTime        Timestamp               `json:"end_time,omitzero"`
	ExecutorDetail *ExecutorDetail         `json:"executor_detail,omitempty"`
	State          runstate.State          `json:"state,omitempty"`
	ExecutionID    Int64                   `json:"execution_id,omitzero"`
	Error          *Status                 `json:"error,omitempty"`
	Inputs         map[string]ArtifactList `json:"inputs,omitempty"`
	Outputs        map[string]ArtifactList `json:"outputs,omitempty"`
	ParentTaskID   string                  `json:"parent_task_id,omitempty"`
	StateHistory   []RuntimeStatus         `json:"state_history,omitempty"`
	PodName        string                  `json:"pod_name,omitempty"`
	ChildTasks     []ChildTask             `json:"child_tasks,omitempty"`
}

// RunDetails holds a run's tasks.
type RunDetails struct {
	PipelineContextID    Int64        `json:"pipeline_context_id,omitzero"`
	PipelineRunContextID Int64        `json:"pipeline_run_context_id,omitzero"`
	TaskDetails          []TaskDetail `json:"task_details,omitempty"`
}

// Run is one execution of a pipeline.
type Run struct {
	ExperimentID             string                    `json:"experiment_id,omitempty"`
	RunID                    string                    `json:"run_id,omitempty"`
	DisplayName              string                    `json:"display_name,omitempty"`
	StorageState             string                    `json:"storage_state,omitempty"`
	Description              string                    `json:"description,omitempty"`
	PipelineVersionID        string                    `json:"pipeline_version_id,omitempty"`
	PipelineSpec             json.RawMessage           `json:"pipeline_spec,omitempty"`
	PipelineVersionReference *PipelineVersionReference `json:"pipeline_version_reference,omitempty"`
	RuntimeConfig            *RuntimeConfig            `json:"runtime_config,omitempty"`
	ServiceAccount           string                    `json:"service_account,omitempty"`
	CreatedAt                Timestamp                 `json:"created_at,omitzero"`
	ScheduledAt              Timestamp                 `json:"scheduled_at,omitzero"`
	FinishedAt               Timestamp                 `json:"finished_at,omitzero"`
	State                    runstate.State            `json:"state,omitempty"`
	Error                    *Status                   `json:"error,omitempty"`
	RunDetails               *RunDetails               `json:"run_details,omitempty"`
	RecurringRunID           string                    `json:"recurring_run_id,omitempty"`
	StateHistory             []RuntimeStatus           `json:"state_history,omitempty"`
	// Labels is a Sluice extension: what the run belongs to besides its
	// experiment (a tuning trial's run has sluice/tuning-experiment and
	// sluice/trial). Filter on them as labels.<key>.
	Labels map[string]string `json:"labels,omitempty"`
}

// Tasks returns the run's tasks (nil when it has none yet).
func (r *Run) Tasks() []TaskDetail {
	if r.RunDetails == nil {
		return nil
	}
	return r.RunDetails.TaskDetails
}

// CronSchedule starts runs on a cron expression.
type CronSchedule struct {
	StartTime Timestamp `json:"start_time,omitzero"`
	EndTime   Timestamp `json:"end_time,omitzero"`
	Cron      string    `json:"cron,omitempty"`
}

// PeriodicSchedule starts runs every IntervalSecond seconds.
type PeriodicSchedule struct {
	StartTime      Timestamp `json:"start_time,omitzero"`
	EndTime        Timestamp `json:"end_time,omitzero"`
	IntervalSecond Int64     `json:"interval_second,omitzero"`
}

// Trigger is a recurring run's schedule: one of the two is set.
type Trigger struct {
	CronSchedule     *CronSchedule     `json:"cron_schedule,omitempty"`
	PeriodicSchedule *PeriodicSchedule `json:"periodic_schedule,omitempty"`
}

// ModeNames are the names of RecurringRun.Mode, by number.
var ModeNames = []string{"MODE_UNSPECIFIED", "ENABLE", "DISABLE"}

// RecurringRun starts runs on a schedule.
type RecurringRun struct {
	RecurringRunID           string                    `json:"recurring_run_id,omitempty"`
	DisplayName              string                    `json:"display_name,omitempty"`
	Description              string                    `json:"description,omitempty"`
	PipelineVersionID        string                    `json:"pipeline_version_id,omitempty"`
	PipelineSpec             json.RawMessage           `json:"pipeline_spec,omitempty"`
	PipelineVersionReference *PipelineVersionReference `json:"pipeline_version_reference,omitempty"`
	RuntimeConfig            *RuntimeConfig            `json:"runtime_config,omitempty"`
	ServiceAccount           string                    `json:"service_account,omitempty"`
	MaxConcurrency           Int64                     `json:"max_concurrency,omitzero"`
	Trigger                  *Trigger                  `json:"trigger,omitempty"`
	Mode                     Enum                      `json:"mode,omitempty"`
	CreatedAt                Timestamp                 `json:"created_at,omitzero"`
	UpdatedAt                Timestamp                 `json:"updated_at,omitzero"`
	Status                   string                    `json:"status,omitempty"`
	Error                    *Status                   `json:"error,omitempty"`
	NoCatchup                bool                      `json:"no_catchup,omitempty"`
	Namespace                string                    `json:"namespace,omitempty"`
	ExperimentID             string                    `json:"experiment_id,omitempty"`
}

// ListPipelinesResponse is a page of pipelines.
type ListPipelinesResponse struct {
	Pipelines     []Pipeline `json:"pipelines,omitempty"`
	TotalSize     int        `json:"total_size,omitempty"`
	NextPageToken string     `json:"next_page_token,omitempty"`
}

// ListPipelineVersionsResponse is a page of pipeline versions.
type ListPipelineVersionsResponse struct {
	PipelineVersions []PipelineVersion `json:"pipeline_versions,omitempty"`
	TotalSize        int               `json:"total_size,omitempty"`
	NextPageToken    string            `json:"next_page_token,omitempty"`
}

// ListExperimentsResponse is a page of experiments.
type ListExperimentsResponse struct {
	Experiments   []Experiment `json:"experiments,omitempty"`
	TotalSize     int          `json:"total_size,omitempty"`
	NextPageToken string       `json:"next_page_token,omitempty"`
}

// ListRunsResponse is a page of runs.
type ListRunsResponse struct {
	Runs          []Run  `json:"runs,omitempty"`
	TotalSize     int    `json:"total_size,omitempty"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// ListRecurringRunsResponse is a page of recurring runs. The list's key is
// camelCase on the wire ("recurringRuns"), as in KFP.
type ListRecurringRunsResponse struct {
	RecurringRuns []RecurringRun `json:"recurringRuns,omitempty"`
	TotalSize     int            `json:"total_size,omitempty"`
	NextPageToken string         `json:"next_page_token,omitempty"`
}
