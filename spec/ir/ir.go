package ir

import "strconv"

// PipelineSpec is the first document of a compiled KFP pipeline (IR).
type PipelineSpec struct {
	PipelineInfo        PipelineInfo              `json:"pipelineInfo"`
	Root                *ComponentSpec            `json:"root,omitempty"`
	Components          map[string]*ComponentSpec `json:"components,omitempty"`
	DeploymentSpec      DeploymentSpec            `json:"deploymentSpec"`
	SchemaVersion       string                    `json:"schemaVersion,omitempty"`
	SDKVersion          string                    `json:"sdkVersion,omitempty"`
	DefaultPipelineRoot string                    `json:"defaultPipelineRoot,omitempty"`
	// Parallelism bounds how many steps of a run execute at once (0: no
	// bound beyond the engine's). A Sluice extension: KFP v1 workflows'
	// spec.parallelism.
	Parallelism int `json:"parallelism,omitempty"`
}

// PipelineInfo names the pipeline.
type PipelineInfo struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	Description string `json:"description,omitempty"`
}

// DeploymentSpec maps executor labels to executors.
type DeploymentSpec struct {
	Executors map[string]*ExecutorSpec `json:"executors,omitempty"`
}

// ComponentSpec is a component interface plus its implementation: either a
// DAG or a reference to an executor.
type ComponentSpec struct {
	InputDefinitions  *Interface `json:"inputDefinitions,omitempty"`
	OutputDefinitions *Interface `json:"outputDefinitions,omitempty"`
	DAG               *DAGSpec   `json:"dag,omitempty"`
	ExecutorLabel     string     `json:"executorLabel,omitempty"`
}

// Interface declares parameters and artifacts (inputs or outputs).
type Interface struct {
	Parameters map[string]*ParameterSpec `json:"parameters,omitempty"`
	Artifacts  map[string]*ArtifactSpec  `json:"artifacts,omitempty"`
}

// Parameter types, as their enum names appear in the IR.
const (
	TypeDouble          = "NUMBER_DOUBLE"
	TypeInteger         = "NUMBER_INTEGER"
	TypeString          = "STRING"
	TypeBoolean         = "BOOLEAN"
	TypeList            = "LIST"
	TypeStruct          = "STRUCT"
	TypeTaskFinalStatus = "TASK_FINAL_STATUS"
	TypeTaskConfig      = "TASK_CONFIG"
)

// ParameterSpec declares one parameter. DefaultValue is a decoded JSON value
// (nil when there is no default).
type ParameterSpec struct {
	ParameterType string `json:"parameterType,omitempty"`
	// Type is the deprecated schemaVersion 2.0.0 form: INT, DOUBLE, STRING.
	Type         string `json:"type,omitempty"`
	DefaultValue any    `json:"defaultValue,omitempty"`
	IsOptional   bool   `json:"isOptional,omitempty"`
	Description  string `json:"description,omitempty"`
}

// ArtifactSpec declares one artifact.
type ArtifactSpec struct {
	ArtifactType   ArtifactType `json:"artifactType"`
	IsArtifactList bool         `json:"isArtifactList,omitempty"`
	IsOptional     bool         `json:"isOptional,omitempty"`
	Description    string       `json:"description,omitempty"`
}

// ArtifactType is an artifact's schema.
type ArtifactType struct {
	SchemaTitle    string `json:"schemaTitle,omitempty"`
	SchemaVersion  string `json:"schemaVersion,omitempty"`
	InstanceSchema string `json:"instanceSchema,omitempty"`
}

// DAGSpec is a graph of tasks and the outputs it exports.
type DAGSpec struct {
	Tasks   map[string]*TaskSpec `json:"tasks,omitempty"`
	Outputs *DAGOutputs          `json:"outputs,omitempty"`
	// Parallelism bounds how many tasks of one instance of this DAG run at
	// once (0: unbounded). A Sluice extension: an Argo DAG template's
	// parallelism in KFP v1 workflows.
	Parallelism int `json:"parallelism,omitempty"`
	// TimeoutSeconds is the deadline of one instance of this DAG: when it
	// passes, its running steps are stopped and fail, and its tasks not yet
	// started do not run, except tasks that run whatever happens upstream
	// (exit handlers). A Sluice extension: a KFP v1 workflow's
	// activeDeadlineSeconds.
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
}

// DAGOutputs says where a DAG's outputs come from.
type DAGOutputs struct {
	Parameters map[string]*DAGOutputParameter `json:"parameters,omitempty"`
	Artifacts  map[string]*DAGOutputArtifact  `json:"artifacts,omitempty"`
}

// DAGOutputParameter is one DAG output parameter: from one subtask, or the
// one of several that ran (OneOf).
type DAGOutputParameter struct {
	ValueFromParameter *ParameterSelector `json:"valueFromParameter,omitempty"`
	ValueFromOneof     *struct {
		ParameterSelectors []ParameterSelector `json:"parameterSelectors,omitempty"`
	} `json:"valueFromOneof,omitempty"`
}

// ParameterSelector points at an output parameter of a subtask.
type ParameterSelector struct {
	ProducerSubtask    string `json:"producerSubtask"`
	OutputParameterKey string `json:"outputParameterKey"`
}

// DAGOutputArtifact is one DAG output artifact: one selector is direct,
// several are a OneOf.
type DAGOutputArtifact struct {
	ArtifactSelectors []ArtifactSelector `json:"artifactSelectors,omitempty"`
}

// ArtifactSelector points at an output artifact of a subtask.
type ArtifactSelector struct {
	ProducerSubtask   string `json:"producerSubtask"`
	OutputArtifactKey string `json:"outputArtifactKey"`
}

// TaskSpec is one task of a DAG.
type TaskSpec struct {
	TaskInfo          TaskInfo           `json:"taskInfo"`
	ComponentRef      ComponentRef       `json:"componentRef"`
	Inputs            *TaskInputs        `json:"inputs,omitempty"`
	DependentTasks    []string           `json:"dependentTasks,omitempty"`
	CachingOptions    *CachingOptions    `json:"cachingOptions,omitempty"`
	TriggerPolicy     *TriggerPolicy     `json:"triggerPolicy,omitempty"`
	ParameterIterator *ParameterIterator `json:"parameterIterator,omitempty"`
	ArtifactIterator  *ArtifactIterator  `json:"artifactIterator,omitempty"`
	IteratorPolicy    *IteratorPolicy    `json:"iteratorPolicy,omitempty"`
	RetryPolicy       *RetryPolicy       `json:"retryPolicy,omitempty"`
}

// TaskInfo holds the task's display name.
type TaskInfo struct {
	Name string `json:"name,omitempty"`
}

// ComponentRef names a component in PipelineSpec.Components.
type ComponentRef struct {
	Name string `json:"name"`
}

// TaskInputs binds a task's inputs.
type TaskInputs struct {
	Parameters map[string]*InputParameter `json:"parameters,omitempty"`
	Artifacts  map[string]*InputArtifact  `json:"artifacts,omitempty"`
}

// InputParameter is one parameter binding: exactly one of its sources is set.
type InputParameter struct {
	ComponentInputParameter     string               `json:"componentInputParameter,omitempty"`
	TaskOutputParameter         *TaskOutputParameter `json:"taskOutputParameter,omitempty"`
	RuntimeValue                *ValueOrRuntimeParam `json:"runtimeValue,omitempty"`
	TaskFinalStatus             *TaskFinalStatusRef  `json:"taskFinalStatus,omitempty"`
	ParameterExpressionSelector string               `json:"parameterExpressionSelector,omitempty"`
	// Fallback is the value when the source has none (its producer did not
	// run, or the selector finds no field). A Sluice extension: Argo leaves
	// a placeholder it cannot resolve as it is written, and KFP v1
	// workflows rely on it.
	Fallback *string `json:"fallback,omitempty"`
}

// TaskOutputParameter references a sibling task's output parameter.
type TaskOutputParameter struct {
	ProducerTask       string `json:"producerTask"`
	OutputParameterKey string `json:"outputParameterKey"`
}

// TaskFinalStatusRef references the task whose final status is passed.
type TaskFinalStatusRef struct {
	ProducerTask string `json:"producerTask"`
}

// ValueOrRuntimeParam is a constant or a runtime parameter reference. The
// deprecated typed form ({stringValue|intValue|doubleValue}) is read too.
type ValueOrRuntimeParam struct {
	Constant         any         `json:"constant,omitempty"`
	ConstantValue    *TypedValue `json:"constantValue,omitempty"`
	RuntimeParameter string      `json:"runtimeParameter,omitempty"`
}

// TypedValue is the deprecated ml_pipelines.Value message of schemaVersion 2.0.0.
type TypedValue struct {
	StringValue *string  `json:"stringValue,omitempty"`
	IntValue    *string  `json:"intValue,omitempty"`
	DoubleValue *float64 `json:"doubleValue,omitempty"`
}

// Value returns the plain value of a deprecated typed value.
func (v *TypedValue) Value() any {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.IntValue != nil:
		if n, err := strconv.ParseInt(*v.IntValue, 10, 64); err == nil {
			return float64(n)
		}
		return *v.IntValue
	case v.DoubleValue != nil:
		return *v.DoubleValue
	}
	return nil
}

// InputArtifact is one artifact binding.
type InputArtifact struct {
	ComponentInputArtifact string              `json:"componentInputArtifact,omitempty"`
	TaskOutputArtifact     *TaskOutputArtifact `json:"taskOutputArtifact,omitempty"`
	// RawParameter makes the artifact a file holding the value of the
	// task's input parameter of that name. A Sluice extension: Argo's raw
	// artifacts in KFP v1 workflows.
	RawParameter string `json:"rawParameter,omitempty"`
}

// TaskOutputArtifact references a sibling task's output artifact.
type TaskOutputArtifact struct {
	ProducerTask      string `json:"producerTask"`
	OutputArtifactKey string `json:"outputArtifactKey"`
}

// CachingOptions says whether a task may be served from the cache.
type CachingOptions struct {
	EnableCache bool   `json:"enableCache,omitempty"`
	CacheKey    string `json:"cacheKey,omitempty"`
}

// Trigger strategies.
const (
	StrategyAllSucceeded = "ALL_UPSTREAM_TASKS_SUCCEEDED"
	StrategyAllCompleted = "ALL_UPSTREAM_TASKS_COMPLETED"
)

// TriggerPolicy holds a task's condition and upstream strategy.
type TriggerPolicy struct {
	Condition string `json:"condition,omitempty"`
	Strategy  string `json:"strategy,omitempty"`
}

// ParameterIterator is a ParallelFor over a list of parameter values.
type ParameterIterator struct {
	ItemInput string `json:"itemInput"`
	Items     struct {
		Raw            string `json:"raw,omitempty"`
		InputParameter string `json:"inputParameter,omitempty"`
	} `json:"items"`
}

// ArtifactIterator is a ParallelFor over a list of artifacts.
type ArtifactIterator struct {
	ItemInput string `json:"itemInput"`
	Items     struct {
		InputArtifact string `json:"inputArtifact,omitempty"`
	} `json:"items"`
}

// IteratorPolicy limits how many iterations run at once (0 = unlimited).
type IteratorPolicy struct {
	ParallelismLimit int `json:"parallelismLimit,omitempty"`
}

// RetryPolicy is set_retry(): retry count and exponential backoff.
type RetryPolicy struct {
	MaxRetryCount      int     `json:"maxRetryCount,omitempty"`
	BackoffDuration    string  `json:"backoffDuration,omitempty"`
	BackoffFactor      float64 `json:"backoffFactor,omitempty"`
	BackoffMaxDuration string  `json:"backoffMaxDuration,omitempty"`
}

// ExecutorSpec is how a container component runs: a container or an importer.
type ExecutorSpec struct {
	Container *ContainerSpec `json:"container,omitempty"`
	Importer  *ImporterSpec  `json:"importer,omitempty"`
	Resolver  any            `json:"resolver,omitempty"`
	CustomJob any            `json:"customJob,omitempty"`
	// Unsupported, when set, says why no executor can run this step (the
	// step fails with it). NeedsKubernetes says why only the Kubernetes
	// executor can (other executors fail the step with it). Sluice
	// extensions, set for constructs of KFP v1 workflows.
	Unsupported     string `json:"unsupported,omitempty"`
	NeedsKubernetes string `json:"needsKubernetes,omitempty"`
}

// ContainerSpec is a container executor.
type ContainerSpec struct {
	Image     string        `json:"image"`
	Command   []string      `json:"command,omitempty"`
	Args      []string      `json:"args,omitempty"`
	Env       []EnvVar      `json:"env,omitempty"`
	Resources *ResourceSpec `json:"resources,omitempty"`
	// OutputFiles are outputs the step writes to files at paths of its own
	// (a Sluice extension, for KFP v1 workflows; see OutputFile).
	OutputFiles []OutputFile `json:"outputFiles,omitempty"`
}

// OutputFile is one file a step writes an output to (a Sluice extension:
// the outputs of an Argo container template). The step's command names
// the file by a placeholder (the artifact's path, or the parameter's
// output file); after the step the launcher checks the file is there and
// reads the parameter from it.
type OutputFile struct {
	// Path is the path the workflow declared (for messages).
	Path string `json:"path,omitempty"`
	// Artifact is the output artifact whose file this is; empty when the
	// file is the output parameter's own.
	Artifact string `json:"artifact,omitempty"`
	// Parameter is the output parameter read from the file: its text with
	// one trailing newline removed (Argo's rule).
	Parameter string `json:"parameter,omitempty"`
	// Default is the parameter's value when the file is missing.
	Default *string `json:"default,omitempty"`
	// Optional makes a missing file no error.
	Optional bool `json:"optional,omitempty"`
	// Format "kfp-v1-metrics" reads the file as KFP v1 metrics
	// ({"metrics": [{"name", "numberValue"}]}) into the artifact's metadata.
	Format string `json:"format,omitempty"`
}

// OutputFile formats.
const FormatKFPv1Metrics = "kfp-v1-metrics"

// Artifact schemas (ArtifactType.SchemaTitle) the translations write.
const (
	SchemaArtifact = "system.Artifact"
	SchemaMetrics  = "system.Metrics"
	// SchemaUIMetadata is the artifact type of a KFP v1 step's
	// mlpipeline-ui-metadata output (its visualizations, as JSON): a
	// Sluice extension.
	SchemaUIMetadata = "kfp.v1.UIMetadata"
)

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ResourceSpec holds resource requests and limits. The string fields may be
// placeholders resolved from the task's inputs.
type ResourceSpec struct {
	CPULimit              float64      `json:"cpuLimit,omitempty"`
	MemoryLimit           float64      `json:"memoryLimit,omitempty"`
	CPURequest            float64      `json:"cpuRequest,omitempty"`
	MemoryRequest         float64      `json:"memoryRequest,omitempty"`
	ResourceCPULimit      string       `json:"resourceCpuLimit,omitempty"`
	ResourceMemoryLimit   string       `json:"resourceMemoryLimit,omitempty"`
	ResourceCPURequest    string       `json:"resourceCpuRequest,omitempty"`
	ResourceMemoryRequest string       `json:"resourceMemoryRequest,omitempty"`
	Accelerator           *Accelerator `json:"accelerator,omitempty"`
}

// Accelerator is an accelerator request.
type Accelerator struct {
	Type          string `json:"type,omitempty"`
	Count         string `json:"count,omitempty"`
	ResourceType  string `json:"resourceType,omitempty"`
	ResourceCount string `json:"resourceCount,omitempty"`
}

// ImporterSpec is a dsl.importer executor.
type ImporterSpec struct {
	ArtifactURI         ValueOrRuntimeParam `json:"artifactUri"`
	TypeSchema          ArtifactType        `json:"typeSchema"`
	Reimport            bool                `json:"reimport,omitempty"`
	Metadata            map[string]any      `json:"metadata,omitempty"`
	DownloadToWorkspace bool                `json:"downloadToWorkspace,omitempty"`
}

// PlatformSpec is the optional second document: platform-specific settings
// keyed by platform ("kubernetes"). Kept as decoded JSON; the local executor
// records and warns about them.
type PlatformSpec struct {
	Platforms map[string]*SinglePlatformSpec `json:"platforms,omitempty"`
}

// SinglePlatformSpec holds one platform's settings.
type SinglePlatformSpec struct {
	DeploymentSpec struct {
		Executors map[string]map[string]any `json:"executors,omitempty"`
	} `json:"deploymentSpec"`
	PipelineConfig map[string]any `json:"pipelineConfig,omitempty"`
}
