package spec

import "github.com/sluicehq/sluice/spec/ir"

// The pipeline spec model is defined in spec/ir, a leaf that spec/argo
// can import too (spec imports spec/argo, so the model cannot live here).
// These aliases keep its one definition under spec's names, so that the
// packages that load a pipeline with spec and then walk it (plan, engine,
// launcher, dsl, api, executors) name everything of a pipeline through one
// package. They are aliases, not copies: spec.PipelineSpec is
// ir.PipelineSpec.
type (
	PipelineSpec        = ir.PipelineSpec
	PipelineInfo        = ir.PipelineInfo
	DeploymentSpec      = ir.DeploymentSpec
	ComponentSpec       = ir.ComponentSpec
	Interface           = ir.Interface
	ParameterSpec       = ir.ParameterSpec
	ArtifactSpec        = ir.ArtifactSpec
	ArtifactType        = ir.ArtifactType
	DAGSpec             = ir.DAGSpec
	DAGOutputs          = ir.DAGOutputs
	DAGOutputParameter  = ir.DAGOutputParameter
	ParameterSelector   = ir.ParameterSelector
	DAGOutputArtifact   = ir.DAGOutputArtifact
	ArtifactSelector    = ir.ArtifactSelector
	TaskSpec            = ir.TaskSpec
	TaskInfo            = ir.TaskInfo
	ComponentRef        = ir.ComponentRef
	TaskInputs          = ir.TaskInputs
	InputParameter      = ir.InputParameter
	TaskOutputParameter = ir.TaskOutputParameter
	TaskFinalStatusRef  = ir.TaskFinalStatusRef
	ValueOrRuntimeParam = ir.ValueOrRuntimeParam
	TypedValue          = ir.TypedValue
	InputArtifact       = ir.InputArtifact
	TaskOutputArtifact  = ir.TaskOutputArtifact
	CachingOptions      = ir.CachingOptions
	TriggerPolicy       = ir.TriggerPolicy
	ParameterIterator   = ir.ParameterIterator
	ArtifactIterator    = ir.ArtifactIterator
	IteratorPolicy      = ir.IteratorPolicy
	RetryPolicy         = ir.RetryPolicy
	ExecutorSpec        = ir.ExecutorSpec
	ContainerSpec       = ir.ContainerSpec
	OutputFile          = ir.OutputFile
	EnvVar              = ir.EnvVar
	ResourceSpec        = ir.ResourceSpec
	Accelerator         = ir.Accelerator
	ImporterSpec        = ir.ImporterSpec
	PlatformSpec        = ir.PlatformSpec
	SinglePlatformSpec  = ir.SinglePlatformSpec
)

// The model's constants, under spec's names (see above).
const (
	TypeDouble           = ir.TypeDouble
	TypeInteger          = ir.TypeInteger
	TypeString           = ir.TypeString
	TypeBoolean          = ir.TypeBoolean
	TypeList             = ir.TypeList
	TypeStruct           = ir.TypeStruct
	TypeTaskFinalStatus  = ir.TypeTaskFinalStatus
	TypeTaskConfig       = ir.TypeTaskConfig
	StrategyAllSucceeded = ir.StrategyAllSucceeded
	StrategyAllCompleted = ir.StrategyAllCompleted
	FormatKFPv1Metrics   = ir.FormatKFPv1Metrics
	SchemaArtifact       = ir.SchemaArtifact
	SchemaMetrics        = ir.SchemaMetrics
	SchemaUIMetadata     = ir.SchemaUIMetadata
)
