package tune

import (
	"encoding/json"
	"path"
	"path/filepath"
	"strings"
)

// APIVersion and Kind identify a Katib Experiment document.
const (
	APIVersion = "kubeflow.org/v1beta1"
	Kind       = "Experiment"
)

// Experiment is a Katib Experiment (kubeflow.org/v1beta1) with Sluice's
// trial-template extension. Field names and JSON names are Katib's.
type Experiment struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   Metadata       `json:"metadata"`
	Spec       ExperimentSpec `json:"spec"`
}

// Metadata is the part of Kubernetes' object metadata an experiment keeps.
// Other metadata fields (uid, resourceVersion, …) are accepted and dropped.
type Metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ExperimentSpec is what an experiment searches, how, and within which budget.
type ExperimentSpec struct {
	Objective            *ObjectiveSpec        `json:"objective,omitempty"`
	Algorithm            *AlgorithmSpec        `json:"algorithm,omitempty"`
	EarlyStopping        *EarlyStoppingSpec    `json:"earlyStopping,omitempty"`
	Parameters           []ParameterSpec       `json:"parameters,omitempty"`
	NasConfig            json.RawMessage       `json:"nasConfig,omitempty"` // refused by Validate: NAS is not supported
	TrialTemplate        *TrialTemplate        `json:"trialTemplate,omitempty"`
	ParallelTrialCount   *int32                `json:"parallelTrialCount,omitempty"`
	MaxTrialCount        *int32                `json:"maxTrialCount,omitempty"`
	MaxFailedTrialCount  *int32                `json:"maxFailedTrialCount,omitempty"`
	MetricsCollectorSpec *MetricsCollectorSpec `json:"metricsCollectorSpec,omitempty"`
	ResumePolicy         ResumePolicy          `json:"resumePolicy,omitempty"`
}

// ObjectiveType says whether the objective metric is minimized or maximized.
type ObjectiveType string

// Objective types.
const (
	Minimize ObjectiveType = "minimize"
	Maximize ObjectiveType = "maximize"
)

// ObjectiveSpec names the metric to optimise and the metrics to collect.
type ObjectiveSpec struct {
	Type                  ObjectiveType    `json:"type"`
	Goal                  *float64         `json:"goal,omitempty"`
	ObjectiveMetricName   string           `json:"objectiveMetricName"`
	AdditionalMetricNames []string         `json:"additionalMetricNames,omitempty"`
	MetricStrategies      []MetricStrategy `json:"metricStrategies,omitempty"`
}

// StrategyType says which reduction of a metric's reports is "the" value.
type StrategyType string

// Metric strategies.
const (
	StrategyMin    StrategyType = "min"
	StrategyMax    StrategyType = "max"
	StrategyLatest StrategyType = "latest"
)

// MetricStrategy is the strategy of one metric.
type MetricStrategy struct {
	Name  string       `json:"name"`
	Value StrategyType `json:"value"`
}

// AlgorithmSpec names the search algorithm and its settings.
type AlgorithmSpec struct {
	AlgorithmName     string             `json:"algorithmName"`
	AlgorithmSettings []AlgorithmSetting `json:"algorithmSettings,omitempty"`
}

// AlgorithmSetting is one setting of an algorithm; values are strings, as in
// Katib, and are checked by the algorithm itself.
type AlgorithmSetting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// EarlyStoppingSpec names the early-stopping rule and its settings.
type EarlyStoppingSpec struct {
	AlgorithmName     string                 `json:"algorithmName"`
	AlgorithmSettings []EarlyStoppingSetting `json:"algorithmSettings,omitempty"`
}

// EarlyStoppingSetting is one setting of the early-stopping rule.
type EarlyStoppingSetting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ParameterType is the type of a searched parameter.
type ParameterType string

// Parameter types.
const (
	ParameterInt         ParameterType = "int"
	ParameterDouble      ParameterType = "double"
	ParameterCategorical ParameterType = "categorical"
	ParameterDiscrete    ParameterType = "discrete" // a categorical whose values are numbers
)

// Distribution is how values are drawn from an int or double range.
type Distribution string

// Distributions.
const (
	DistributionUniform    Distribution = "uniform"
	DistributionLogUniform Distribution = "logUniform"
	DistributionNormal     Distribution = "normal"
	DistributionLogNormal  Distribution = "logNormal"
)

// ParameterSpec is one searched parameter.
type ParameterSpec struct {
	Name          string        `json:"name"`
	ParameterType ParameterType `json:"parameterType"`
	FeasibleSpace FeasibleSpace `json:"feasibleSpace"`
}

// FeasibleSpace is a parameter's range (int, double) or list (categorical,
// discrete). Numbers are decimal strings, as in Katib.
type FeasibleSpace struct {
	Max          string       `json:"max,omitempty"`
	Min          string       `json:"min,omitempty"`
	List         []string     `json:"list,omitempty"`
	Step         string       `json:"step,omitempty"`
	Distribution Distribution `json:"distribution,omitempty"`
}

// TrialTemplate says what each trial runs. Pipeline and Arguments are Sluice's
// extension; the Katib fields are kept (TrialSpec and ConfigMap are not run).
type TrialTemplate struct {
	Retain               bool                 `json:"retain,omitempty"`
	TrialSpec            json.RawMessage      `json:"trialSpec,omitempty"`
	ConfigMap            *ConfigMapSource     `json:"configMap,omitempty"`
	TrialParameters      []TrialParameterSpec `json:"trialParameters,omitempty"`
	PrimaryPodLabels     map[string]string    `json:"primaryPodLabels,omitempty"`
	PrimaryContainerName string               `json:"primaryContainerName,omitempty"`
	SuccessCondition     string               `json:"successCondition,omitempty"`
	FailureCondition     string               `json:"failureCondition,omitempty"`

	// Pipeline is what each trial runs (Sluice extension).
	Pipeline *PipelineRef `json:"pipeline,omitempty"`
	// Arguments maps pipeline parameter names to strings in which
	// ${trialParameters.NAME} is substituted (Sluice extension).
	Arguments map[string]string `json:"arguments,omitempty"`
}

// ConfigMapSource is Katib's reference to a template in a config map (kept,
// not used).
type ConfigMapSource struct {
	ConfigMapName      string `json:"configMapName,omitempty"`
	ConfigMapNamespace string `json:"configMapNamespace,omitempty"`
	TemplatePath       string `json:"templatePath,omitempty"`
}

// TrialParameterSpec names a value substituted into the trial template:
// Reference is an experiment parameter name or a metadata reference
// (${trialSpec.Name}, ${trialSpec.Namespace}).
type TrialParameterSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Reference   string `json:"reference"`
}

// PipelineRef names the pipeline every trial runs: a file (relative to the
// experiment file) or, on a server, a pipeline and optionally its version.
type PipelineRef struct {
	File    string `json:"file,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// CollectorKind is where a trial's metric lines come from.
type CollectorKind string

// Collector kinds. StdOut, File, Push (and its former name None) and
// KFPMetrics (Sluice) are supported; the others are refused by Validate.
const (
	CollectorStdOut          CollectorKind = "StdOut"
	CollectorFile            CollectorKind = "File"
	CollectorPush            CollectorKind = "Push"
	CollectorNone            CollectorKind = "None"
	CollectorKFPMetrics      CollectorKind = "KFPMetrics"
	CollectorTensorFlowEvent CollectorKind = "TensorFlowEvent"
	CollectorPrometheus      CollectorKind = "PrometheusMetric"
	CollectorCustom          CollectorKind = "Custom"
)

// MetricsCollectorSpec says how a trial's metrics are collected.
type MetricsCollectorSpec struct {
	Source    *SourceSpec    `json:"source,omitempty"`
	Collector *CollectorSpec `json:"collector,omitempty"`
}

// SourceSpec is where and how metrics are read.
type SourceSpec struct {
	HTTPGet        json.RawMessage `json:"httpGet,omitempty"` // PrometheusMetric only (refused)
	FileSystemPath *FileSystemPath `json:"fileSystemPath,omitempty"`
	Filter         *FilterSpec     `json:"filter,omitempty"`
}

// FilterSpec holds the regular expressions that find metrics in text lines.
type FilterSpec struct {
	MetricsFormat []string `json:"metricsFormat,omitempty"`
}

// FileFormat is the format of a metrics file.
type FileFormat string

// File formats.
const (
	FormatText FileFormat = "TEXT"
	FormatJSON FileFormat = "JSON"
)

// FileSystemKind says whether a metrics path is a file or a directory.
type FileSystemKind string

// File-system kinds.
const (
	FileSystemFile      FileSystemKind = "File"
	FileSystemDirectory FileSystemKind = "Directory"
)

// FileSystemPath is the metrics file of the File collector.
type FileSystemPath struct {
	Path   string         `json:"path,omitempty"`
	Kind   FileSystemKind `json:"kind,omitempty"`
	Format FileFormat     `json:"format,omitempty"`
}

// CollectorSpec is the collector's kind.
type CollectorSpec struct {
	Kind            CollectorKind   `json:"kind"`
	CustomCollector json.RawMessage `json:"customCollector,omitempty"` // Custom only (refused)
}

// ResumePolicy is Katib's resume policy. Sluice keeps every experiment's
// state, so all three behave alike; the field is kept and checked.
type ResumePolicy string

// Resume policies.
const (
	ResumeNever       ResumePolicy = "Never"
	ResumeLongRunning ResumePolicy = "LongRunning"
	ResumeFromVolume  ResumePolicy = "FromVolume"
)

// Defaults Katib's webhook applies (TUNING.md §1.1).
const (
	DefaultParallelTrialCount = 3
	DefaultMetricsFilePath    = "/var/log/katib/metrics.log"
	// DefaultMetricsFormat is Katib's default TEXT filter, byte for byte.
	DefaultMetricsFormat = `([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)`
)

// MaxParallelTrialCount bounds parallelTrialCount (Sluice: a spec must not be
// able to ask for millions of runs at once).
const MaxParallelTrialCount = 1000

// ParameterAssignment is a trial's value of one parameter (a string, as Katib
// passes it: ints in base 10, doubles in their shortest form).
type ParameterAssignment struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SetDefaults fills what Katib's mutating webhook fills: parallelTrialCount 3,
// resumePolicy Never, the metric strategies, the StdOut collector (and the
// File collector's path, kind and format), and the uniform distribution. An
// additional metric without a strategy gets latest (Katib gives it the
// objective's min/max; see docs/TUNING.md). SetDefaults is
// idempotent and leaves invalid values for Validate to report.
func (e *Experiment) SetDefaults() {
	s := &e.Spec
	if s.ParallelTrialCount == nil {
		n := int32(DefaultParallelTrialCount)
		s.ParallelTrialCount = &n
	}
	if s.ResumePolicy == "" {
		s.ResumePolicy = ResumeNever
	}
	if o := s.Objective; o != nil {
		has := map[string]bool{}
		for _, m := range o.MetricStrategies {
			has[m.Name] = true
		}
		if !has[o.ObjectiveMetricName] {
			v := StrategyLatest
			switch o.Type {
			case Minimize:
				v = StrategyMin
			case Maximize:
				v = StrategyMax
			}
			o.MetricStrategies = append(o.MetricStrategies, MetricStrategy{Name: o.ObjectiveMetricName, Value: v})
			has[o.ObjectiveMetricName] = true
		}
		for _, n := range o.AdditionalMetricNames {
			if !has[n] {
				o.MetricStrategies = append(o.MetricStrategies, MetricStrategy{Name: n, Value: StrategyLatest})
				has[n] = true
			}
		}
	}
	if s.MetricsCollectorSpec == nil {
		s.MetricsCollectorSpec = &MetricsCollectorSpec{}
	}
	mc := s.MetricsCollectorSpec
	if mc.Collector == nil {
		mc.Collector = &CollectorSpec{Kind: CollectorStdOut}
	}
	if mc.Collector.Kind == CollectorFile {
		if mc.Source == nil {
			mc.Source = &SourceSpec{}
		}
		if mc.Source.FileSystemPath == nil {
			mc.Source.FileSystemPath = &FileSystemPath{}
		}
		fp := mc.Source.FileSystemPath
		if fp.Kind == "" {
			fp.Kind = FileSystemFile
		}
		if fp.Path == "" {
			fp.Path = DefaultMetricsFilePath
		}
		if fp.Format == "" {
			fp.Format = FormatText
		}
	}
	for i := range s.Parameters {
		if s.Parameters[i].FeasibleSpace.Distribution == "" {
			s.Parameters[i].FeasibleSpace.Distribution = DistributionUniform
		}
	}
}

// Parallel returns parallelTrialCount (its default when unset).
func (e *Experiment) Parallel() int {
	if e.Spec.ParallelTrialCount == nil {
		return DefaultParallelTrialCount
	}
	return int(*e.Spec.ParallelTrialCount)
}

// MaxTrials returns maxTrialCount and whether it is set (unset: unbounded).
func (e *Experiment) MaxTrials() (int, bool) {
	if e.Spec.MaxTrialCount == nil {
		return 0, false
	}
	return int(*e.Spec.MaxTrialCount), true
}

// MaxFailedTrials returns maxFailedTrialCount and whether it is set (unset:
// failures never fail the experiment).
func (e *Experiment) MaxFailedTrials() (int, bool) {
	if e.Spec.MaxFailedTrialCount == nil {
		return 0, false
	}
	return int(*e.Spec.MaxFailedTrialCount), true
}

// Strategy returns the strategy of a metric named in metricStrategies (after
// SetDefaults every objective and additional metric has one).
func (e *Experiment) Strategy(metric string) (StrategyType, bool) {
	if e.Spec.Objective == nil {
		return "", false
	}
	for _, m := range e.Spec.Objective.MetricStrategies {
		if m.Name == metric {
			return m.Value, true
		}
	}
	return "", false
}

// MetricNames returns the metrics a trial's observation holds: the objective
// first, then the additional metrics, then any other metric that has a
// strategy, without repeats.
func (e *Experiment) MetricNames() []string {
	o := e.Spec.Objective
	if o == nil {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	add(o.ObjectiveMetricName)
	for _, n := range o.AdditionalMetricNames {
		add(n)
	}
	for _, m := range o.MetricStrategies {
		add(m.Name)
	}
	return names
}

// Parameter returns the experiment parameter called name.
func (e *Experiment) Parameter(name string) (*ParameterSpec, bool) {
	for i := range e.Spec.Parameters {
		if e.Spec.Parameters[i].Name == name {
			return &e.Spec.Parameters[i], true
		}
	}
	return nil, false
}

// Collector returns the collector kind in effect (StdOut when unset).
func (e *Experiment) Collector() CollectorKind {
	mc := e.Spec.MetricsCollectorSpec
	if mc == nil || mc.Collector == nil || mc.Collector.Kind == "" {
		return CollectorStdOut
	}
	return mc.Collector.Kind
}

// MetricsFile returns where the File collector's metrics file of a task is:
// the absolute path the experiment names (default
// /var/log/katib/metrics.log) taken inside dir, the task's own directory, so
// that a trial never makes Sluice read a file outside it. False for the
// other collectors.
func (e *Experiment) MetricsFile(dir string) (string, bool) {
	if e.Collector() != CollectorFile {
		return "", false
	}
	p := DefaultMetricsFilePath
	if src := e.Spec.MetricsCollectorSpec.Source; src != nil && src.FileSystemPath != nil && src.FileSystemPath.Path != "" {
		p = src.FileSystemPath.Path
	}
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		return "", false
	}
	return filepath.Join(dir, filepath.FromSlash(rel)), true
}
