package wire

import (
	"encoding/json"
)

// The JSON types of KFP's v1beta1 REST API (the one kfp 1.x's kfp.Client
// speaks): snake_case names, int64 as strings, enums as names, resource
// references where v2beta1 has fields.

// Resource types and relationships of V1ResourceKey and
// V1ResourceReference, by number.
var (
	V1ResourceTypeNames = []string{"UNKNOWN_RESOURCE_TYPE", "EXPERIMENT", "JOB", "PIPELINE", "PIPELINE_VERSION", "NAMESPACE"}
	V1RelationshipNames = []string{"UNKNOWN_RELATIONSHIP", "OWNER", "CREATOR"}
	// V1StorageStateNames are a run's storage states (AVAILABLE is 0). An
	// experiment's are V1ExperimentStorageStateNames.
	V1StorageStateNames           = []string{"STORAGESTATE_AVAILABLE", "STORAGESTATE_ARCHIVED"}
	V1ExperimentStorageStateNames = []string{"STORAGESTATE_UNSPECIFIED", "STORAGESTATE_AVAILABLE", "STORAGESTATE_ARCHIVED"}
	// V1JobModeNames are Job.mode's names.
	V1JobModeNames = []string{"UNKNOWN_MODE", "ENABLED", "DISABLED"}
	// V1MetricFormatNames are RunMetric.format's names.
	V1MetricFormatNames = []string{"UNSPECIFIED", "RAW", "PERCENTAGE"}
)

// V1ResourceKey names a resource. ID is always written ("" for the
// namespace of a single-user server).
type V1ResourceKey struct {
	Type Enum   `json:"type,omitempty"`
	ID   string `json:"id"`
}

// V1ResourceReference links a resource to another (its experiment, its
// pipeline version, ...).
type V1ResourceReference struct {
	Key          *V1ResourceKey `json:"key,omitempty"`
	Name         string         `json:"name,omitempty"`
	Relationship Enum           `json:"relationship,omitempty"`
}

// V1Parameter is a pipeline or run parameter: every value is text.
type V1Parameter struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// V1URL is where a pipeline's package is.
type V1URL struct {
	PipelineURL string `json:"pipeline_url,omitempty"`
}

// V1Experiment groups runs.
type V1Experiment struct {
	ID                 string                `json:"id,omitempty"`
	Name               string                `json:"name,omitempty"`
	Description        string                `json:"description,omitempty"`
	CreatedAt          Timestamp             `json:"created_at,omitzero"`
	ResourceReferences []V1ResourceReference `json:"resource_references,omitempty"`
	StorageState       Enum                  `json:"storage_state,omitempty"`
}

// V1PipelineVersion is one uploaded package of a pipeline.
type V1PipelineVersion struct {
	ID                 string                `json:"id,omitempty"`
	Name               string                `json:"name,omitempty"`
	CreatedAt          Timestamp             `json:"created_at,omitzero"`
	Parameters         []V1Parameter         `json:"parameters,omitempty"`
	CodeSourceURL      string                `json:"code_source_url,omitempty"`
	PackageURL         *V1URL                `json:"package_url,omitempty"`
	ResourceReferences []V1ResourceReference `json:"resource_references,omitempty"`
	Description        string                `json:"description,omitempty"`
}

// V1Pipeline is a pipeline with its default (latest) version.
type V1Pipeline struct {
	ID                 string                `json:"id,omitempty"`
	CreatedAt          Timestamp             `json:"created_at,omitzero"`
	Name               string                `json:"name,omitempty"`
	Description        string                `json:"description,omitempty"`
	Parameters         []V1Parameter         `json:"parameters,omitempty"`
	URL                *V1URL                `json:"url,omitempty"`
	Error              string                `json:"error,omitempty"`
	DefaultVersion     *V1PipelineVersion    `json:"default_version,omitempty"`
	ResourceReferences []V1ResourceReference `json:"resource_references,omitempty"`
}

// V1RuntimeConfig holds the typed parameters of an IR pipeline's run.
type V1RuntimeConfig struct {
	Parameters   json.RawMessage `json:"parameters,omitempty"`
	PipelineRoot string          `json:"pipeline_root,omitempty"`
}

// V1PipelineSpec is what a run or job runs: a pipeline (by id) or a
// manifest given inline, and its parameters.
type V1PipelineSpec struct {
	PipelineID       string           `json:"pipeline_id,omitempty"`
	PipelineName     string           `json:"pipeline_name,omitempty"`
	WorkflowManifest string           `json:"workflow_manifest,omitempty"`
	PipelineManifest string           `json:"pipeline_manifest,omitempty"`
	Parameters       []V1Parameter    `json:"parameters,omitempty"`
	RuntimeConfig    *V1RuntimeConfig `json:"runtime_config,omitempty"`
}

// V1RunMetric is one metric a run's step reported (mlpipeline-metrics).
type V1RunMetric struct {
	Name        string   `json:"name,omitempty"`
	NodeID      string   `json:"node_id,omitempty"`
	NumberValue *float64 `json:"number_value,omitempty"`
	Format      Enum     `json:"format,omitempty"`
}

// V1Run is one execution of a pipeline. Status is Argo's phase name
// (Pending, Running, Succeeded, Failed, Skipped, Terminating, Unknown).
type V1Run struct {
	ID                 string                `json:"id,omitempty"`
	Name               string                `json:"name,omitempty"`
	StorageState       Enum                  `json:"storage_state,omitempty"`
	Description        string                `json:"description,omitempty"`
	PipelineSpec       *V1PipelineSpec       `json:"pipeline_spec,omitempty"`
	ResourceReferences []V1ResourceReference `json:"resource_references,omitempty"`
	ServiceAccount     string                `json:"service_account,omitempty"`
	CreatedAt          Timestamp             `json:"created_at,omitzero"`
	ScheduledAt        Timestamp             `json:"scheduled_at,omitzero"`
	FinishedAt         Timestamp             `json:"finished_at,omitzero"`
	Status             string                `json:"status,omitempty"`
	Error              string                `json:"error,omitempty"`
	Metrics            []V1RunMetric         `json:"metrics,omitempty"`
}

// V1PipelineRuntime is a run's live state: WorkflowManifest is the JSON
// text of an Argo Workflow whose status.nodes is the run's node tree.
type V1PipelineRuntime struct {
	PipelineManifest string `json:"pipeline_manifest,omitempty"`
	WorkflowManifest string `json:"workflow_manifest,omitempty"`
}

// V1RunDetail is a run with its runtime (GetRun, CreateRun).
type V1RunDetail struct {
	Run             *V1Run             `json:"run,omitempty"`
	PipelineRuntime *V1PipelineRuntime `json:"pipeline_runtime,omitempty"`
}

// V1CronSchedule starts a job's runs on a cron expression.
type V1CronSchedule struct {
	StartTime Timestamp `json:"start_time,omitzero"`
	EndTime   Timestamp `json:"end_time,omitzero"`
	Cron      string    `json:"cron,omitempty"`
}

// V1PeriodicSchedule starts a job's runs every IntervalSecond seconds.
type V1PeriodicSchedule struct {
	StartTime      Timestamp `json:"start_time,omitzero"`
	EndTime        Timestamp `json:"end_time,omitzero"`
	IntervalSecond Int64     `json:"interval_second,omitzero"`
}

// V1Trigger is a job's schedule: one of the two is set.
type V1Trigger struct {
	CronSchedule     *V1CronSchedule     `json:"cron_schedule,omitempty"`
	PeriodicSchedule *V1PeriodicSchedule `json:"periodic_schedule,omitempty"`
}

// V1Job is a recurring run.
type V1Job struct {
	ID                 string                `json:"id,omitempty"`
	Name               string                `json:"name,omitempty"`
	Description        string                `json:"description,omitempty"`
	PipelineSpec       *V1PipelineSpec       `json:"pipeline_spec,omitempty"`
	ResourceReferences []V1ResourceReference `json:"resource_references,omitempty"`
	ServiceAccount     string                `json:"service_account,omitempty"`
	MaxConcurrency     Int64                 `json:"max_concurrency,omitzero"`
	Trigger            *V1Trigger            `json:"trigger,omitempty"`
	Mode               Enum                  `json:"mode,omitempty"`
	CreatedAt          Timestamp             `json:"created_at,omitzero"`
	UpdatedAt          Timestamp             `json:"updated_at,omitzero"`
	Status             string                `json:"status,omitempty"`
	Error              string                `json:"error,omitempty"`
	Enabled            bool                  `json:"enabled,omitempty"`
	NoCatchup          bool                  `json:"no_catchup,omitempty"`
}

// V1ListExperimentsResponse is a page of experiments.
type V1ListExperimentsResponse struct {
	Experiments   []V1Experiment `json:"experiments,omitempty"`
	TotalSize     int            `json:"total_size,omitempty"`
	NextPageToken string         `json:"next_page_token,omitempty"`
}

// V1ListPipelinesResponse is a page of pipelines.
type V1ListPipelinesResponse struct {
	Pipelines     []V1Pipeline `json:"pipelines,omitempty"`
	TotalSize     int          `json:"total_size,omitempty"`
	NextPageToken string       `json:"next_page_token,omitempty"`
}

// V1ListPipelineVersionsResponse is a page of pipeline versions.
type V1ListPipelineVersionsResponse struct {
	Versions      []V1PipelineVersion `json:"versions,omitempty"`
	TotalSize     int                 `json:"total_size,omitempty"`
	NextPageToken string              `json:"next_page_token,omitempty"`
}

// V1ListRunsResponse is a page of runs (without their runtime).
type V1ListRunsResponse struct {
	Runs          []V1Run `json:"runs,omitempty"`
	TotalSize     int     `json:"total_size,omitempty"`
	NextPageToken string  `json:"next_page_token,omitempty"`
}

// V1ListJobsResponse is a page of jobs.
type V1ListJobsResponse struct {
	Jobs          []V1Job `json:"jobs,omitempty"`
	TotalSize     int     `json:"total_size,omitempty"`
	NextPageToken string  `json:"next_page_token,omitempty"`
}

// V1GetTemplateResponse is a pipeline's (or version's) package as YAML.
type V1GetTemplateResponse struct {
	Template string `json:"template,omitempty"`
}

// V1ReadArtifactResponse is an artifact of a run's node: the bytes of a
// gzipped tar holding its file (Argo's .tgz), base64 on the wire.
type V1ReadArtifactResponse struct {
	Data []byte `json:"data,omitempty"`
}

// V1ErrorDetail is one entry of a v1 error's details.
type V1ErrorDetail struct {
	Type    string `json:"@type"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// V1Error is the error body of the v1beta1 API (kfp 1.8's grpc-gateway):
// the message twice, as "error" and "message", with the gRPC code.
type V1Error struct {
	Error   string          `json:"error"`
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Details []V1ErrorDetail `json:"details"`
}
