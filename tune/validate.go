package tune

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/sluicehq/sluice/tune/search"
)

// Algorithms returns the names of the search algorithms Sluice runs (Katib's
// names; package tune/search implements them and checks their settings).
func Algorithms() []string { return search.Names() }

// katibOnly are Katib algorithms Sluice does not run, with the reason.
var katibOnly = map[string]string{
	"pbt":   "population based training needs trials that share checkpoints on a volume",
	"enas":  "neural architecture search (nasConfig) is not supported",
	"darts": "neural architecture search (nasConfig) is not supported",
}

// EarlyStoppingAlgorithms returns the early-stopping rules Sluice runs.
func EarlyStoppingAlgorithms() []string { return []string{"medianstop"} }

var experimentNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`) })

// Limits on names (Sluice: Katib leaves most of them unbounded).
const (
	maxExperimentName = 40
	maxNameLen        = 256
	maxMetricNameLen  = 256
	maxValueLen       = 1024 // a categorical or discrete value
	maxSettingLen     = 4096
	maxListLen        = 10000
	maxParameters     = 1000
	maxFilters        = 16
)

// Validate checks an experiment (after SetDefaults) and returns the first
// problem as a *FieldError naming the field: what Katib's webhook checks,
// what Sluice needs (a pipeline to run, log ranges above zero, no parameter
// listed twice), and the space, the algorithm's settings and the
// early-stopping settings as tune/space, tune/search and tune/earlystop read
// them.
func (e *Experiment) Validate() error {
	if e.APIVersion != APIVersion {
		if e.APIVersion == "" {
			return fieldErr("apiVersion", "required: %s", APIVersion)
		}
		return fieldErr("apiVersion", "must be %s, not %q", APIVersion, e.APIVersion)
	}
	if e.Kind != Kind {
		return fieldErr("kind", "must be %s, not %q", Kind, e.Kind)
	}
	if err := validateExperimentName(e.Metadata.Name); err != nil {
		return err
	}
	s := &e.Spec
	if len(s.NasConfig) > 0 && string(s.NasConfig) != "null" {
		return fieldErr("spec.nasConfig", "neural architecture search is not supported; declare spec.parameters")
	}
	if err := validateObjective(s.Objective); err != nil {
		return err
	}
	if err := validateAlgorithm(s.Algorithm); err != nil {
		return err
	}
	if err := validateEarlyStopping(s.EarlyStopping); err != nil {
		return err
	}
	if err := validateParameters(s.Parameters); err != nil {
		return err
	}
	if err := validateCounts(s); err != nil {
		return err
	}
	// The space and the settings as the algorithm and the rule read them
	// (a step larger than the range, unknown or out-of-range settings, a grid
	// larger than maxTrialCount, CMA-ES without two numeric parameters).
	if _, err := e.Suggester(0); err != nil {
		return err
	}
	if _, _, err := e.EarlyStopping(); err != nil {
		return err
	}
	switch s.ResumePolicy {
	case ResumeNever, ResumeLongRunning, ResumeFromVolume, "":
	default:
		return fieldErr("spec.resumePolicy", "must be Never, LongRunning or FromVolume, not %q", s.ResumePolicy)
	}
	if err := validateCollector(s.MetricsCollectorSpec); err != nil {
		return err
	}
	return e.validateTemplate()
}

func validateExperimentName(n string) error {
	const f = "metadata.name"
	switch {
	case n == "":
		return fieldErr(f, "required")
	case len(n) > maxExperimentName:
		return fieldErr(f, "%q… is %d characters; the limit is %d", strings.ToValidUTF8(n[:maxExperimentName], ""), len(n), maxExperimentName)
	case !experimentNameRE().MatchString(n):
		return fieldErr(f, "%q must be lower-case letters, digits and '-', start with a letter and end with a letter or digit", n)
	}
	return nil
}

// checkName refuses empty names, control characters, white space and braces
// (a name is substituted into ${trialParameters.NAME} and passed to a pipeline).
func checkName(f, what, n string, limit int) error {
	if n == "" {
		return fieldErr(f, "%s is required", what)
	}
	if len(n) > limit {
		return fieldErr(f, "%s is %d bytes; the limit is %d", what, len(n), limit)
	}
	for _, r := range n {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '{' || r == '}' || r == unicode.ReplacementChar {
			return fieldErr(f, "%s %q must not contain white space, control characters or braces", what, n)
		}
	}
	return nil
}

func checkMetricName(f, n string) error {
	if n == "" {
		return fieldErr(f, "a metric name is required")
	}
	if len(n) > maxMetricNameLen {
		return fieldErr(f, "the metric name is %d bytes; the limit is %d", len(n), maxMetricNameLen)
	}
	for _, r := range n {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fieldErr(f, "the metric name %q must not contain control characters", n)
		}
	}
	return nil
}

func validateObjective(o *ObjectiveSpec) error {
	if o == nil {
		return fieldErr("spec.objective", "required: the metric to optimise (objectiveMetricName) and its direction (type: minimize or maximize)")
	}
	switch o.Type {
	case Minimize, Maximize:
	case "":
		return fieldErr("spec.objective.type", "required: minimize or maximize")
	default:
		return fieldErr("spec.objective.type", "must be minimize or maximize, not %q", o.Type)
	}
	if o.ObjectiveMetricName == "" {
		return fieldErr("spec.objective.objectiveMetricName", "required: the name of the metric to optimise")
	}
	if err := checkMetricName("spec.objective.objectiveMetricName", o.ObjectiveMetricName); err != nil {
		return err
	}
	if o.Goal != nil && (math.IsNaN(*o.Goal) || math.IsInf(*o.Goal, 0)) {
		return fieldErr("spec.objective.goal", "must be a finite number")
	}
	seen := map[string]bool{o.ObjectiveMetricName: true}
	for i, n := range o.AdditionalMetricNames {
		f := fmt.Sprintf("spec.objective.additionalMetricNames[%d]", i)
		if err := checkMetricName(f, n); err != nil {
			return err
		}
		if n == o.ObjectiveMetricName {
			return fieldErr(f, "%q is the objective metric; list it only as objectiveMetricName", n)
		}
		if seen[n] {
			return fieldErr(f, "%q is listed twice", n)
		}
		seen[n] = true
	}
	strat := map[string]bool{}
	for i, m := range o.MetricStrategies {
		f := fmt.Sprintf("spec.objective.metricStrategies[%d]", i)
		if !seen[m.Name] {
			return fieldErr(f+".name", "%q is neither the objective metric nor an additional metric", m.Name)
		}
		if strat[m.Name] {
			return fieldErr(f+".name", "%q has two strategies", m.Name)
		}
		strat[m.Name] = true
		switch m.Value {
		case StrategyMin, StrategyMax, StrategyLatest:
		default:
			return fieldErr(f+".value", "must be min, max or latest, not %q", m.Value)
		}
	}
	return nil
}

func validateAlgorithm(a *AlgorithmSpec) error {
	if a == nil {
		return fieldErr("spec.algorithm", "required: algorithmName is one of %s", strings.Join(Algorithms(), ", "))
	}
	const f = "spec.algorithm.algorithmName"
	switch {
	case a.AlgorithmName == "":
		return fieldErr(f, "required: one of %s", strings.Join(Algorithms(), ", "))
	case slices.Contains(Algorithms(), a.AlgorithmName):
	case katibOnly[a.AlgorithmName] != "":
		return fieldErr(f, "%q is a Katib algorithm Sluice does not run (%s); use one of %s", a.AlgorithmName, katibOnly[a.AlgorithmName], strings.Join(Algorithms(), ", "))
	default:
		return fieldErr(f, "unknown algorithm %q (known: %s)", a.AlgorithmName, strings.Join(Algorithms(), ", "))
	}
	return checkSettings("spec.algorithm.algorithmSettings", len(a.AlgorithmSettings), func(i int) (string, string) {
		return a.AlgorithmSettings[i].Name, a.AlgorithmSettings[i].Value
	})
}

func validateEarlyStopping(es *EarlyStoppingSpec) error {
	if es == nil {
		return nil
	}
	const f = "spec.earlyStopping.algorithmName"
	switch {
	case es.AlgorithmName == "":
		return fieldErr(f, "required: medianstop")
	case !slices.Contains(EarlyStoppingAlgorithms(), es.AlgorithmName):
		return fieldErr(f, "unknown early-stopping algorithm %q (known: %s)", es.AlgorithmName, strings.Join(EarlyStoppingAlgorithms(), ", "))
	}
	return checkSettings("spec.earlyStopping.algorithmSettings", len(es.AlgorithmSettings), func(i int) (string, string) {
		return es.AlgorithmSettings[i].Name, es.AlgorithmSettings[i].Value
	})
}

func checkSettings(f string, n int, get func(int) (string, string)) error {
	seen := map[string]bool{}
	for i := range n {
		name, value := get(i)
		ff := fmt.Sprintf("%s[%d]", f, i)
		if err := checkName(ff+".name", "the setting name", name, maxNameLen); err != nil {
			return err
		}
		if seen[name] {
			return fieldErr(ff+".name", "the setting %q is given twice", name)
		}
		seen[name] = true
		if len(value) > maxSettingLen {
			return fieldErr(ff+".value", "is %d bytes; the limit is %d", len(value), maxSettingLen)
		}
	}
	return nil
}

func validateParameters(ps []ParameterSpec) error {
	if len(ps) == 0 {
		return fieldErr("spec.parameters", "required: at least one parameter to search")
	}
	if len(ps) > maxParameters {
		return fieldErr("spec.parameters", "%d parameters; the limit is %d", len(ps), maxParameters)
	}
	seen := map[string]int{}
	for i := range ps {
		f := fmt.Sprintf("spec.parameters[%d]", i)
		p := &ps[i]
		if err := checkName(f+".name", "the parameter name", p.Name, maxNameLen); err != nil {
			return err
		}
		if j, ok := seen[p.Name]; ok {
			return fieldErr(f+".name", "the parameter %q is listed twice (also spec.parameters[%d])", p.Name, j)
		}
		seen[p.Name] = i
		if err := validateSpace(f, p); err != nil {
			return err
		}
	}
	return nil
}

func validateSpace(f string, p *ParameterSpec) error {
	fs := &p.FeasibleSpace
	ff := f + ".feasibleSpace"
	switch p.ParameterType {
	case ParameterInt, ParameterDouble:
		if len(fs.List) > 0 {
			return fieldErr(ff+".list", "not allowed for a %s parameter (use min and max)", p.ParameterType)
		}
		if fs.Min == "" {
			return fieldErr(ff+".min", "required for a %s parameter", p.ParameterType)
		}
		if fs.Max == "" {
			return fieldErr(ff+".max", "required for a %s parameter", p.ParameterType)
		}
		lo, err := parseBound(ff+".min", p.ParameterType, fs.Min)
		if err != nil {
			return err
		}
		hi, err := parseBound(ff+".max", p.ParameterType, fs.Max)
		if err != nil {
			return err
		}
		if !(lo < hi) {
			return fieldErr(ff+".min", "must be less than max (min %s, max %s)", fs.Min, fs.Max)
		}
		if fs.Step != "" {
			st, err := parseBound(ff+".step", p.ParameterType, fs.Step)
			if err != nil {
				return err
			}
			if st <= 0 {
				return fieldErr(ff+".step", "must be greater than 0, not %s", fs.Step)
			}
		}
		switch fs.Distribution {
		case DistributionUniform, DistributionNormal, "":
		case DistributionLogUniform, DistributionLogNormal:
			if lo <= 0 {
				return fieldErr(ff+".min", "must be greater than 0 for a %s distribution (log of %s)", fs.Distribution, fs.Min)
			}
		default:
			return fieldErr(ff+".distribution", "must be uniform, logUniform, normal or logNormal, not %q", fs.Distribution)
		}
	case ParameterCategorical, ParameterDiscrete:
		for _, x := range []struct{ name, v string }{{"min", fs.Min}, {"max", fs.Max}, {"step", fs.Step}} {
			if x.v != "" {
				return fieldErr(ff+"."+x.name, "not allowed for a %s parameter (use list)", p.ParameterType)
			}
		}
		if fs.Distribution != "" && fs.Distribution != DistributionUniform {
			return fieldErr(ff+".distribution", "a %s parameter has no distribution (%q)", p.ParameterType, fs.Distribution)
		}
		if len(fs.List) == 0 {
			return fieldErr(ff+".list", "required: the values of a %s parameter", p.ParameterType)
		}
		if len(fs.List) > maxListLen {
			return fieldErr(ff+".list", "%d values; the limit is %d", len(fs.List), maxListLen)
		}
		seen := map[string]bool{}
		for j, v := range fs.List {
			fj := fmt.Sprintf("%s.list[%d]", ff, j)
			if len(v) > maxValueLen {
				return fieldErr(fj, "is %d bytes; the limit is %d", len(v), maxValueLen)
			}
			if p.ParameterType == ParameterDiscrete {
				if _, err := parseFinite(v); err != nil {
					return fieldErr(fj, "%q is not a number (a discrete parameter's values are numbers; use categorical for strings)", v)
				}
			}
			if seen[v] {
				return fieldErr(fj, "%q is listed twice", v)
			}
			seen[v] = true
		}
	case "":
		return fieldErr(f+".parameterType", "required: int, double, categorical or discrete")
	default:
		return fieldErr(f+".parameterType", "must be int, double, categorical or discrete, not %q", p.ParameterType)
	}
	return nil
}

// parseBound reads a min, max or step: a base-10 integer for int parameters,
// a finite decimal number for doubles.
func parseBound(f string, t ParameterType, s string) (float64, error) {
	if t == ParameterInt {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, fieldErr(f, "%q is not an integer", s)
		}
		if n > 1<<53 || n < -(1<<53) {
			return 0, fieldErr(f, "%s is out of range (|n| ≤ 2^53)", s)
		}
		return float64(n), nil
	}
	v, err := parseFinite(s)
	if err != nil {
		return 0, fieldErr(f, "%q is not a finite number", s)
	}
	return v, nil
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not finite")
	}
	return v, nil
}

func validateCounts(s *ExperimentSpec) error {
	if s.MaxTrialCount != nil && *s.MaxTrialCount <= 0 {
		return fieldErr("spec.maxTrialCount", "must be greater than 0, not %d (leave it out for no limit)", *s.MaxTrialCount)
	}
	if p := s.ParallelTrialCount; p != nil {
		switch {
		case *p <= 0:
			return fieldErr("spec.parallelTrialCount", "must be greater than 0, not %d", *p)
		case *p > MaxParallelTrialCount:
			return fieldErr("spec.parallelTrialCount", "%d is above the limit of %d", *p, MaxParallelTrialCount)
		case s.MaxTrialCount != nil && *p > *s.MaxTrialCount:
			return fieldErr("spec.parallelTrialCount", "%d is more than maxTrialCount (%d)", *p, *s.MaxTrialCount)
		}
	}
	if f := s.MaxFailedTrialCount; f != nil {
		switch {
		case *f < 0:
			return fieldErr("spec.maxFailedTrialCount", "must not be negative, not %d", *f)
		case s.MaxTrialCount != nil && *f > *s.MaxTrialCount:
			return fieldErr("spec.maxFailedTrialCount", "%d is more than maxTrialCount (%d)", *f, *s.MaxTrialCount)
		}
	}
	return nil
}

func validateCollector(mc *MetricsCollectorSpec) error {
	if mc == nil || mc.Collector == nil {
		return nil
	}
	const f = "spec.metricsCollectorSpec"
	kind := mc.Collector.Kind
	switch kind {
	case CollectorStdOut, CollectorFile, CollectorPush, CollectorNone, CollectorKFPMetrics:
	case CollectorTensorFlowEvent, CollectorPrometheus, CollectorCustom:
		return fieldErr(f+".collector.kind", "%s is not supported: use StdOut (name=value lines), File (TEXT or JSON lines), Push or KFPMetrics (Metrics artifacts and mlpipeline-metrics only)", kind)
	case "":
		return fieldErr(f+".collector.kind", "required: StdOut, File, Push or KFPMetrics")
	default:
		return fieldErr(f+".collector.kind", "unknown collector %q (known: StdOut, File, Push, KFPMetrics)", kind)
	}
	if len(mc.Collector.CustomCollector) > 0 {
		return fieldErr(f+".collector.customCollector", "only for the Custom collector, which is not supported")
	}
	src := mc.Source
	if src == nil {
		return nil
	}
	if len(src.HTTPGet) > 0 {
		return fieldErr(f+".source.httpGet", "only for the PrometheusMetric collector, which is not supported")
	}
	format := FormatText
	if fp := src.FileSystemPath; fp != nil {
		ff := f + ".source.fileSystemPath"
		if kind != CollectorFile {
			return fieldErr(ff, "only for the File collector (collector.kind is %s)", kind)
		}
		if fp.Kind != FileSystemFile {
			return fieldErr(ff+".kind", "must be File, not %q", fp.Kind)
		}
		if err := checkMetricsPath(ff+".path", fp.Path); err != nil {
			return err
		}
		switch fp.Format {
		case FormatText, FormatJSON:
			format = fp.Format
		default:
			return fieldErr(ff+".format", "must be TEXT or JSON, not %q", fp.Format)
		}
	}
	if flt := src.Filter; flt != nil && len(flt.MetricsFormat) > 0 {
		ff := f + ".source.filter.metricsFormat"
		if kind != CollectorStdOut && kind != CollectorFile {
			return fieldErr(ff, "only for the StdOut and File collectors")
		}
		if format == FormatJSON {
			return fieldErr(ff, "not allowed with the JSON format (the keys are the metric names)")
		}
		if len(flt.MetricsFormat) > maxFilters {
			return fieldErr(ff, "%d expressions; the limit is %d", len(flt.MetricsFormat), maxFilters)
		}
		for i, re := range flt.MetricsFormat {
			if _, err := compileFilter(re); err != nil {
				return fieldErr(fmt.Sprintf("%s[%d]", ff, i), "%v", err)
			}
		}
	}
	return nil
}

// checkMetricsPath: Katib wants an absolute path; Sluice reads it inside the
// trial's task directory (MetricsFile), so it must not climb out with "..".
func checkMetricsPath(f, p string) error {
	if p == "" {
		return fieldErr(f, "required: an absolute path such as %s", DefaultMetricsFilePath)
	}
	if !strings.HasPrefix(p, "/") {
		return fieldErr(f, "%q must be an absolute path", p)
	}
	if strings.ContainsRune(p, 0) || path.Clean(p) != p || strings.HasSuffix(p, "/") || p == "/" {
		return fieldErr(f, "%q must be a clean path to a file (no '..', '.', '//' or trailing '/')", p)
	}
	return nil
}

func compileFilter(s string) (*regexp.Regexp, error) {
	if len(s) > maxSettingLen {
		return nil, fmt.Errorf("the expression is %d bytes; the limit is %d", len(s), maxSettingLen)
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	if re.NumSubexp() < 2 {
		return nil, fmt.Errorf("%q must have at least two groups: the metric name, then its value", s)
	}
	return re, nil
}
