package argo

// The part of KFP IR the translation writes, with the JSON names of
// spec's types (spec decodes it; its tests check every translated corpus
// file decodes with no unknown field). spec imports this package, so these
// mirror its types instead of using them.

type pipelineSpec struct {
	PipelineInfo   pipelineInfo              `json:"pipelineInfo"`
	Root           *componentSpec            `json:"root"`
	Components     map[string]*componentSpec `json:"components,omitempty"`
	DeploymentSpec deploymentSpec            `json:"deploymentSpec"`
	SchemaVersion  string                    `json:"schemaVersion"`
	SDKVersion     string                    `json:"sdkVersion,omitempty"`
	Parallelism    int                       `json:"parallelism,omitempty"`
}

type pipelineInfo struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	Description string `json:"description,omitempty"`
}

type deploymentSpec struct {
	Executors map[string]*executorSpec `json:"executors,omitempty"`
}

type componentSpec struct {
	InputDefinitions  *iface   `json:"inputDefinitions,omitempty"`
	OutputDefinitions *iface   `json:"outputDefinitions,omitempty"`
	DAG               *dagSpec `json:"dag,omitempty"`
	ExecutorLabel     string   `json:"executorLabel,omitempty"`
}

type iface struct {
	Parameters map[string]*paramSpec    `json:"parameters,omitempty"`
	Artifacts  map[string]*artifactSpec `json:"artifacts,omitempty"`
}

type paramSpec struct {
	ParameterType string `json:"parameterType"`
	DefaultValue  any    `json:"defaultValue,omitempty"`
	IsOptional    bool   `json:"isOptional,omitempty"`
	Description   string `json:"description,omitempty"`
}

type artifactSpec struct {
	ArtifactType artifactType `json:"artifactType"`
	IsOptional   bool         `json:"isOptional,omitempty"`
}

type artifactType struct {
	SchemaTitle   string `json:"schemaTitle"`
	SchemaVersion string `json:"schemaVersion"`
}

type dagSpec struct {
	Tasks          map[string]*taskSpec `json:"tasks"`
	Outputs        *dagOutputs          `json:"outputs,omitempty"`
	Parallelism    int                  `json:"parallelism,omitempty"`
	TimeoutSeconds int64                `json:"timeoutSeconds,omitempty"`
}

type dagOutputs struct {
	Parameters map[string]*dagOutputParameter `json:"parameters,omitempty"`
	Artifacts  map[string]*dagOutputArtifact  `json:"artifacts,omitempty"`
}

type dagOutputParameter struct {
	ValueFromParameter *parameterSelector `json:"valueFromParameter"`
}

type parameterSelector struct {
	ProducerSubtask    string `json:"producerSubtask"`
	OutputParameterKey string `json:"outputParameterKey"`
}

type dagOutputArtifact struct {
	ArtifactSelectors []artifactSelector `json:"artifactSelectors"`
}

type artifactSelector struct {
	ProducerSubtask   string `json:"producerSubtask"`
	OutputArtifactKey string `json:"outputArtifactKey"`
}

type taskSpec struct {
	TaskInfo          taskInfo           `json:"taskInfo"`
	ComponentRef      componentRef       `json:"componentRef"`
	Inputs            *taskInputs        `json:"inputs,omitempty"`
	DependentTasks    []string           `json:"dependentTasks,omitempty"`
	CachingOptions    *cachingOptions    `json:"cachingOptions,omitempty"`
	TriggerPolicy     *triggerPolicy     `json:"triggerPolicy,omitempty"`
	ParameterIterator *parameterIterator `json:"parameterIterator,omitempty"`
	IteratorPolicy    *iteratorPolicy    `json:"iteratorPolicy,omitempty"`
	RetryPolicy       *retryPolicy       `json:"retryPolicy,omitempty"`
}

type taskInfo struct {
	Name string `json:"name"`
}

type componentRef struct {
	Name string `json:"name"`
}

type taskInputs struct {
	Parameters map[string]*inputParameter `json:"parameters,omitempty"`
	Artifacts  map[string]*inputArtifact  `json:"artifacts,omitempty"`
}

type inputParameter struct {
	ComponentInputParameter     string               `json:"componentInputParameter,omitempty"`
	TaskOutputParameter         *taskOutputParameter `json:"taskOutputParameter,omitempty"`
	RuntimeValue                *runtimeValue        `json:"runtimeValue,omitempty"`
	ParameterExpressionSelector string               `json:"parameterExpressionSelector,omitempty"`
	Fallback                    *string              `json:"fallback,omitempty"`
}

type taskOutputParameter struct {
	ProducerTask       string `json:"producerTask"`
	OutputParameterKey string `json:"outputParameterKey"`
}

type runtimeValue struct {
	Constant any `json:"constant"`
}

type inputArtifact struct {
	ComponentInputArtifact string              `json:"componentInputArtifact,omitempty"`
	TaskOutputArtifact     *taskOutputArtifact `json:"taskOutputArtifact,omitempty"`
	RawParameter           string              `json:"rawParameter,omitempty"`
}

type taskOutputArtifact struct {
	ProducerTask      string `json:"producerTask"`
	OutputArtifactKey string `json:"outputArtifactKey"`
}

type cachingOptions struct {
	EnableCache bool `json:"enableCache"`
}

type triggerPolicy struct {
	Condition string `json:"condition,omitempty"`
	Strategy  string `json:"strategy,omitempty"`
}

type parameterIterator struct {
	ItemInput string `json:"itemInput"`
	Items     struct {
		Raw            string `json:"raw,omitempty"`
		InputParameter string `json:"inputParameter,omitempty"`
	} `json:"items"`
}

type iteratorPolicy struct {
	ParallelismLimit int `json:"parallelismLimit,omitempty"`
}

type retryPolicy struct {
	MaxRetryCount      int     `json:"maxRetryCount,omitempty"`
	BackoffDuration    string  `json:"backoffDuration,omitempty"`
	BackoffFactor      float64 `json:"backoffFactor,omitempty"`
	BackoffMaxDuration string  `json:"backoffMaxDuration,omitempty"`
}

type executorSpec struct {
	Container       *containerSpec `json:"container"`
	Unsupported     string         `json:"unsupported,omitempty"`
	NeedsKubernetes string         `json:"needsKubernetes,omitempty"`
}

type containerSpec struct {
	Image       string        `json:"image"`
	Command     []string      `json:"command,omitempty"`
	Args        []string      `json:"args,omitempty"`
	Env         []envSpec     `json:"env,omitempty"`
	Resources   *resourceSpec `json:"resources,omitempty"`
	OutputFiles []outputFile  `json:"outputFiles,omitempty"`
}

type envSpec struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type resourceSpec struct {
	ResourceCPULimit      string       `json:"resourceCpuLimit,omitempty"`
	ResourceMemoryLimit   string       `json:"resourceMemoryLimit,omitempty"`
	ResourceCPURequest    string       `json:"resourceCpuRequest,omitempty"`
	ResourceMemoryRequest string       `json:"resourceMemoryRequest,omitempty"`
	Accelerator           *accelerator `json:"accelerator,omitempty"`
}

type accelerator struct {
	ResourceType  string `json:"resourceType,omitempty"`
	ResourceCount string `json:"resourceCount,omitempty"`
}

type outputFile struct {
	Path      string  `json:"path,omitempty"`
	Artifact  string  `json:"artifact,omitempty"`
	Parameter string  `json:"parameter,omitempty"`
	Default   *string `json:"default,omitempty"`
	Optional  bool    `json:"optional,omitempty"`
	Format    string  `json:"format,omitempty"`
}

// platformSpec is the IR platform document: Kubernetes settings by
// executor label, in kfp-kubernetes' form.
type platformSpec struct {
	Platforms map[string]*singlePlatform `json:"platforms"`
}

type singlePlatform struct {
	DeploymentSpec struct {
		Executors map[string]map[string]any `json:"executors"`
	} `json:"deploymentSpec"`
}

const (
	typeString        = "STRING"
	strategyCompleted = "ALL_UPSTREAM_TASKS_COMPLETED"
	schemaArtifact    = "system.Artifact"
	schemaMetrics     = "system.Metrics"
	// SchemaUIMetadata is the artifact type of a KFP v1 step's
	// mlpipeline-ui-metadata output (its visualizations, as JSON).
	SchemaUIMetadata = "kfp.v1.UIMetadata"
	formatMetrics    = "kfp-v1-metrics"
)
