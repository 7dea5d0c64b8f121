package tune

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/pflag"
)

// ShortForm is the short command-line form of an experiment over one
// pipeline file:
//
//	sluice tune PIPELINE.yaml --param lr=double:0.001:0.1:log --param layers=int:1:4 \
//	    --param opt=categorical:sgd,adam --objective r2 --maximize \
//	    --algorithm tpe --max-trials 20 --parallel 2
//
// A --param is NAME=TYPE:SPEC:
//
//	int:MIN:MAX[:STEP][:DIST]       layers=int:1:4, batch=int:16:256:16, units=int:8:512:log
//	double:MIN:MAX[:STEP][:DIST]    lr=double:0.001:0.1:log, dropout=double:0:0.5:0.1
//	categorical:V1,V2,...           opt=categorical:sgd,adam (everything after the first ':' is the list)
//	discrete:N1,N2,...              batch=discrete:16,32,64
//
// DIST is uniform (the default), log (logUniform), normal or lognormal
// (logNormal); the optional fields after MAX may come in either order. Each
// parameter is passed to the pipeline parameter of the same name; --arg
// NAME=VALUE passes a fixed value (or a template using ${trialParameters.P})
// to another pipeline parameter. The result is the same Experiment value as
// the equivalent experiment file, defaulted and validated.
type ShortForm struct {
	Name                  string   // --name (default: from the pipeline file name)
	Params                []string // --param NAME=TYPE:SPEC
	Args                  []string // --arg NAME=VALUE
	Objective             string   // --objective METRIC
	Maximize              bool     // --maximize
	Minimize              bool     // --minimize
	Goal                  *float64 // --goal X
	Metrics               []string // --metric NAME (additional metrics)
	Strategies            []string // --strategy METRIC=min|max|latest
	Algorithm             string   // --algorithm NAME (default random)
	Settings              []string // --setting NAME=VALUE
	EarlyStopping         string   // --early-stopping medianstop
	EarlyStoppingSettings []string // --early-stopping-setting NAME=VALUE
	MaxTrials             *int32   // --max-trials N (default: no limit)
	Parallel              *int32   // --parallel N (default 3)
	MaxFailed             *int32   // --max-failed N (default: no limit)
}

// AddFlags registers the short form's flags on fs, bound to f.
func (f *ShortForm) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Name, "name", "", "experiment name (default: from the pipeline file name)")
	fs.StringArrayVar(&f.Params, "param", nil, "searched parameter NAME=TYPE:SPEC: int:MIN:MAX[:STEP][:log], double:MIN:MAX[:STEP][:log|normal|lognormal], categorical:A,B, discrete:1,2 (repeatable)")
	fs.StringArrayVar(&f.Args, "arg", nil, "fixed pipeline argument NAME=VALUE; VALUE may use ${trialParameters.P} (repeatable)")
	fs.StringVar(&f.Objective, "objective", "", "the metric to optimise")
	fs.BoolVar(&f.Maximize, "maximize", false, "a higher objective is better")
	fs.BoolVar(&f.Minimize, "minimize", false, "a lower objective is better")
	fs.Var(optFloat{&f.Goal}, "goal", "stop when the best objective reaches this value")
	fs.StringArrayVar(&f.Metrics, "metric", nil, "an additional metric to collect (repeatable)")
	fs.StringArrayVar(&f.Strategies, "strategy", nil, "METRIC=min|max|latest: which report of a metric counts (repeatable)")
	fs.StringVar(&f.Algorithm, "algorithm", "random", "search algorithm: "+strings.Join(Algorithms(), ", "))
	fs.StringArrayVar(&f.Settings, "setting", nil, "algorithm setting NAME=VALUE (repeatable)")
	fs.StringVar(&f.EarlyStopping, "early-stopping", "", "early-stopping rule: medianstop")
	fs.StringArrayVar(&f.EarlyStoppingSettings, "early-stopping-setting", nil, "early-stopping setting NAME=VALUE (repeatable)")
	fs.Var(optInt{&f.MaxTrials}, "max-trials", "most trials to run (default: no limit)")
	fs.Var(optInt{&f.Parallel}, "parallel", "trials running at once (default 3)")
	fs.Var(optInt{&f.MaxFailed}, "max-failed", "the experiment fails after this many failed trials (default: no limit)")
}

// Experiment builds the experiment the flags describe over the pipeline file
// at pipeline. Its pipeline reference is filepath.Base(pipeline), relative to
// filepath.Dir(pipeline) — pass that directory to PipelinePath, as for an
// experiment file. Errors name the flag.
func (f *ShortForm) Experiment(pipeline string) (*Experiment, error) {
	if pipeline == "" {
		return nil, fieldErr("PIPELINE", "required: the pipeline file each trial runs")
	}
	e := &Experiment{APIVersion: APIVersion, Kind: Kind}
	e.Metadata.Name = f.Name
	if e.Metadata.Name == "" {
		e.Metadata.Name = nameFromFile(pipeline)
	}
	if len(f.Params) == 0 {
		return nil, fieldErr("--param", "required: at least one searched parameter NAME=TYPE:SPEC (e.g. --param lr=double:0.001:0.1:log)")
	}
	for _, raw := range f.Params {
		p, err := ParseParam(raw)
		if err != nil {
			return nil, err
		}
		e.Spec.Parameters = append(e.Spec.Parameters, p)
	}
	if f.Objective == "" {
		return nil, fieldErr("--objective", "required: the metric to optimise")
	}
	obj := &ObjectiveSpec{ObjectiveMetricName: f.Objective, Goal: f.Goal, AdditionalMetricNames: f.Metrics}
	switch {
	case f.Maximize && f.Minimize:
		return nil, fieldErr("--maximize", "give --maximize or --minimize, not both")
	case f.Maximize:
		obj.Type = Maximize
	case f.Minimize:
		obj.Type = Minimize
	default:
		return nil, fieldErr("--maximize", "required: --maximize or --minimize (is a higher %s better?)", f.Objective)
	}
	for _, s := range f.Strategies {
		k, v, err := splitPair("--strategy", s)
		if err != nil {
			return nil, err
		}
		obj.MetricStrategies = append(obj.MetricStrategies, MetricStrategy{Name: k, Value: StrategyType(v)})
	}
	e.Spec.Objective = obj
	alg := f.Algorithm
	if alg == "" {
		alg = "random"
	}
	e.Spec.Algorithm = &AlgorithmSpec{AlgorithmName: alg}
	for _, s := range f.Settings {
		k, v, err := splitPair("--setting", s)
		if err != nil {
			return nil, err
		}
		e.Spec.Algorithm.AlgorithmSettings = append(e.Spec.Algorithm.AlgorithmSettings, AlgorithmSetting{Name: k, Value: v})
	}
	if f.EarlyStopping != "" || len(f.EarlyStoppingSettings) > 0 {
		es := &EarlyStoppingSpec{AlgorithmName: f.EarlyStopping}
		if es.AlgorithmName == "" {
			return nil, fieldErr("--early-stopping", "required with --early-stopping-setting: medianstop")
		}
		for _, s := range f.EarlyStoppingSettings {
			k, v, err := splitPair("--early-stopping-setting", s)
			if err != nil {
				return nil, err
			}
			es.AlgorithmSettings = append(es.AlgorithmSettings, EarlyStoppingSetting{Name: k, Value: v})
		}
		e.Spec.EarlyStopping = es
	}
	e.Spec.MaxTrialCount = f.MaxTrials
	e.Spec.ParallelTrialCount = f.Parallel
	e.Spec.MaxFailedTrialCount = f.MaxFailed
	if f.Parallel == nil && f.MaxTrials != nil && *f.MaxTrials > 0 && *f.MaxTrials < DefaultParallelTrialCount {
		e.Spec.ParallelTrialCount = f.MaxTrials // --max-trials 2 alone runs 2 at once, not an error
	}
	tt := &TrialTemplate{Pipeline: &PipelineRef{File: filepath.ToSlash(filepath.Base(pipeline))}}
	if len(f.Args) > 0 {
		tt.Arguments = map[string]string{}
		for _, p := range e.Spec.Parameters {
			tt.Arguments[p.Name] = placeholderPrefix + p.Name + "}"
		}
		for _, a := range f.Args {
			k, v, err := splitPair("--arg", a)
			if err != nil {
				return nil, err
			}
			if _, searched := e.Parameter(k); searched {
				return nil, fieldErr("--arg "+k, "%q is a searched parameter (--param); it cannot also be fixed", k)
			}
			if _, dup := tt.Arguments[k]; dup {
				return nil, fieldErr("--arg "+k, "given twice")
			}
			tt.Arguments[k] = v
		}
	}
	e.Spec.TrialTemplate = tt
	e.SetDefaults()
	if err := e.Validate(); err != nil {
		return nil, f.flagError(err, nil)
	}
	return e, nil
}

// Override applies the budget flags (--max-trials, --parallel, --max-failed:
// the fields Katib lets you edit on a live experiment) to an experiment read
// from a file, and refuses the flags that describe a search (--param,
// --objective, …), which belong in the file. The result is validated.
func (f *ShortForm) Override(e *Experiment) error {
	for _, x := range []struct {
		flag string
		set  bool
	}{
		{"--name", f.Name != ""}, {"--param", len(f.Params) > 0}, {"--arg", len(f.Args) > 0},
		{"--objective", f.Objective != ""}, {"--maximize", f.Maximize}, {"--minimize", f.Minimize},
		{"--goal", f.Goal != nil}, {"--metric", len(f.Metrics) > 0}, {"--strategy", len(f.Strategies) > 0},
		{"--algorithm", f.Algorithm != "" && f.Algorithm != "random"}, {"--setting", len(f.Settings) > 0},
		{"--early-stopping", f.EarlyStopping != ""}, {"--early-stopping-setting", len(f.EarlyStoppingSettings) > 0},
	} {
		if x.set {
			return fieldErr(x.flag, "not allowed with an experiment file (only --max-trials, --parallel and --max-failed override it); edit the file instead")
		}
	}
	if f.MaxTrials != nil {
		e.Spec.MaxTrialCount = f.MaxTrials
	}
	if f.Parallel != nil {
		e.Spec.ParallelTrialCount = f.Parallel
	}
	if f.MaxFailed != nil {
		e.Spec.MaxFailedTrialCount = f.MaxFailed
	}
	if err := e.Validate(); err != nil {
		return f.flagError(err, map[string]bool{"--max-trials": f.MaxTrials != nil, "--parallel": f.Parallel != nil, "--max-failed": f.MaxFailed != nil})
	}
	return nil
}

// ParseParam reads one --param value, NAME=TYPE:SPEC (see ShortForm). Errors
// name the flag and the value.
func ParseParam(s string) (ParameterSpec, error) {
	flag := fmt.Sprintf("--param %q", s)
	name, rest, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return ParameterSpec{}, fieldErr(flag, "expected NAME=TYPE:SPEC, e.g. lr=double:0.001:0.1:log")
	}
	typ, spec, ok := strings.Cut(rest, ":")
	if !ok {
		return ParameterSpec{}, fieldErr(flag, "expected TYPE:SPEC after %s= (int:1:4, double:0.001:0.1:log, categorical:a,b, discrete:16,32)", name)
	}
	p := ParameterSpec{Name: name, ParameterType: ParameterType(typ)}
	switch p.ParameterType {
	case ParameterInt, ParameterDouble:
		fields := strings.Split(spec, ":")
		if len(fields) < 2 || len(fields) > 4 {
			return p, fieldErr(flag, "expected %s:MIN:MAX[:STEP][:DIST]", typ)
		}
		p.FeasibleSpace.Min, p.FeasibleSpace.Max = fields[0], fields[1]
		for _, x := range fields[2:] {
			var d Distribution
			switch strings.ToLower(x) {
			case "uniform":
				d = DistributionUniform
			case "log", "loguniform":
				d = DistributionLogUniform
			case "normal":
				d = DistributionNormal
			case "lognormal":
				d = DistributionLogNormal
			}
			switch {
			case d != "" && p.FeasibleSpace.Distribution == "":
				p.FeasibleSpace.Distribution = d
			case d != "":
				return p, fieldErr(flag, "two distributions (%s and %s)", p.FeasibleSpace.Distribution, x)
			case p.FeasibleSpace.Step == "" && x != "":
				p.FeasibleSpace.Step = x
			default:
				return p, fieldErr(flag, "%q is neither a step nor a distribution (uniform, log, normal, lognormal)", x)
			}
		}
	case ParameterCategorical, ParameterDiscrete:
		if spec == "" {
			return p, fieldErr(flag, "expected %s:V1,V2,...", typ)
		}
		p.FeasibleSpace.List = strings.Split(spec, ",")
		for _, v := range p.FeasibleSpace.List {
			if v == "" {
				return p, fieldErr(flag, "an empty value in the list (values are separated by single commas)")
			}
		}
	default:
		return p, fieldErr(flag, "unknown type %q (int, double, categorical, discrete)", typ)
	}
	if err := validateParameters([]ParameterSpec{p}); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return p, fieldErr(flag, "%s", strings.TrimPrefix(fe.Error(), "spec.parameters[0]."))
		}
		return p, err
	}
	return p, nil
}

func splitPair(flag, s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", fieldErr(flag, "expected NAME=VALUE, not %q", s)
	}
	return k, v, nil
}

var flagFields = []struct{ prefix, flag string }{
	{"metadata.name", "--name"},
	{"spec.objective.objectiveMetricName", "--objective"},
	{"spec.objective.goal", "--goal"},
	{"spec.objective.additionalMetricNames", "--metric"},
	{"spec.objective.metricStrategies", "--strategy"},
	{"spec.algorithm.algorithmSettings", "--setting"},
	{"spec.algorithm", "--algorithm"},
	{"spec.earlyStopping.algorithmSettings", "--early-stopping-setting"},
	{"spec.earlyStopping", "--early-stopping"},
	{"spec.parallelTrialCount", "--parallel"},
	{"spec.maxTrialCount", "--max-trials"},
	{"spec.maxFailedTrialCount", "--max-failed"},
	{"spec.trialTemplate.pipeline", "PIPELINE"},
	{"spec.trialTemplate.arguments", "--arg"},
	{"spec.parameters", "--param"},
}

var paramIndexRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^spec\.parameters\[(\d+)\]`) })

// flagError renames the field of a validation error to the flag that set it;
// with given, only to a flag that was given (the field may come from a file).
func (f *ShortForm) flagError(err error, given map[string]bool) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	if m := paramIndexRE().FindStringSubmatch(fe.Field); m != nil {
		if i, _ := strconv.Atoi(m[1]); i < len(f.Params) {
			return fieldErr(fmt.Sprintf("--param %q", f.Params[i]), "%s", fe.Msg)
		}
	}
	if rest, ok := strings.CutPrefix(fe.Field, "spec.trialTemplate.arguments."); ok {
		return fieldErr("--arg "+rest, "%s", fe.Msg)
	}
	for _, x := range flagFields {
		if strings.HasPrefix(fe.Field, x.prefix) {
			if given != nil && !given[x.flag] {
				return err
			}
			return fieldErr(x.flag, "%s", fe.Msg)
		}
	}
	return err
}

var nonNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9]+`) })

// nameFromFile derives an experiment name from a pipeline file name
// ("Train_Model.v2.yaml" → "train-model-v2").
func nameFromFile(p string) string {
	base := filepath.Base(p)
	for _, ext := range []string{".tar.gz", ".yaml", ".yml", ".json", ".zip", ".tgz"} {
		if b, ok := strings.CutSuffix(strings.ToLower(base), ext); ok {
			base = base[:len(b)]
			break
		}
	}
	n := strings.Trim(nonNameRE().ReplaceAllString(strings.ToLower(base), "-"), "-")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "tune-" + n
	}
	if len(n) > maxExperimentName {
		n = n[:maxExperimentName]
	}
	return strings.TrimRight(n, "-")
}

// optInt is an optional int32 flag.
type optInt struct{ p **int32 }

func (o optInt) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.Itoa(int(**o.p))
}

func (o optInt) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	v := int32(n)
	*o.p = &v
	return nil
}

func (optInt) Type() string { return "int" }

// optFloat is an optional float64 flag.
type optFloat struct{ p **float64 }

func (o optFloat) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatFloat(**o.p, 'g', -1, 64)
}

func (o optFloat) Set(s string) error {
	v, err := parseFinite(s)
	if err != nil {
		return fmt.Errorf("%q is not a finite number", s)
	}
	*o.p = &v
	return nil
}

func (optFloat) Type() string { return "number" }
