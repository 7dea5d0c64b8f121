package tune

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
)

// MaxExperimentSize bounds the size of an experiment file.
const MaxExperimentSize = 1 << 20

// ErrInvalid is wrapped by every FieldError: errors.Is(err, ErrInvalid)
// tells bad input (HTTP 400, exit status 2) from other failures.
var ErrInvalid = errors.New("invalid experiment")

// FieldError is a problem with an experiment, naming the field at fault with
// its path (spec.parameters[1].feasibleSpace.min) or, for the short
// command-line form, the flag.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Load reads an experiment file (YAML or JSON), applies Katib's defaults and
// validates it. Every error is a *FieldError.
func Load(data []byte) (*Experiment, error) {
	e, err := Parse(data)
	if err != nil {
		return nil, err
	}
	e.SetDefaults()
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// Parse decodes an experiment file without defaulting or validating it.
//
// YAML is read as YAML 1.2 (go.yaml.in/yaml/v3): only true and false are
// booleans, so a parameter named y or n, or a categorical value yes, stays a
// string (YAML 1.1 readers, sigs.k8s.io/yaml among them, turn `name: y` into
// "true"). The document is then decoded strictly into the types with
// sigs.k8s.io/json, the decoder Kubernetes' API server uses: unknown or
// duplicate fields and fields spelled with another case are errors, as with
// kubectl's default field validation, because a misspelt field
// (maxTrialCounts) would otherwise be dropped silently and change what runs.
// Three places are deliberately open: metadata keeps name, namespace, labels
// and annotations and drops the other object-metadata fields, status is
// dropped, and trialSpec is kept as it is (any Kubernetes object), so an
// experiment exported with `kubectl get -o yaml` loads. Where Katib wants a
// string (feasibleSpace min/max/step/list, setting values, arguments), an
// unquoted YAML number or boolean is taken with its exact text (0.10, 1e-3,
// 012 stay as written).
func Parse(data []byte) (*Experiment, error) {
	if len(data) > MaxExperimentSize {
		return nil, fieldErr("", "the experiment file is %d bytes; the limit is %d", len(data), MaxExperimentSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fieldErr("", "the experiment file is empty: expected a Katib Experiment (apiVersion: %s, kind: %s)", APIVersion, Kind)
	}
	tree, err := decodeYAML(data)
	if err != nil {
		return nil, err
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return nil, fieldErr("", "the file is not an experiment: expected a mapping with apiVersion, kind, metadata and spec, found %s", jsonKind(tree))
	}
	normalizeTree(top)
	js, err := json.Marshal(top)
	if err != nil {
		return nil, fieldErr("", "invalid experiment: %v", err)
	}
	e := new(Experiment)
	strict, err := kjson.UnmarshalStrict(js, e)
	if err != nil {
		return nil, decodeError(err)
	}
	if len(strict) > 0 {
		return nil, strictError(strict[0])
	}
	return e, nil
}

// normalizeTree prepares the decoded document for strict decoding: drops
// status and the metadata fields Sluice does not keep, and turns numbers and
// booleans into their text where Katib wants strings.
func normalizeTree(top map[string]any) {
	delete(top, "status")
	if md, ok := top["metadata"].(map[string]any); ok {
		for k := range md {
			switch k {
			case "name", "namespace", "labels", "annotations":
			default:
				delete(md, k)
			}
		}
	}
	spec, ok := top["spec"].(map[string]any)
	if !ok {
		return // reported by the strict decoder or by Validate
	}
	if params, ok := spec["parameters"].([]any); ok {
		for _, p := range params {
			pm, _ := p.(map[string]any)
			fs, ok := pm["feasibleSpace"].(map[string]any)
			if !ok {
				continue
			}
			for _, k := range []string{"min", "max", "step"} {
				textOf(fs, k)
			}
			if list, ok := fs["list"].([]any); ok {
				for j, v := range list {
					if s, ok := v.(yamlScalar); ok {
						list[j] = s.text
					}
				}
			}
		}
	}
	for _, key := range []string{"algorithm", "earlyStopping"} {
		a, _ := spec[key].(map[string]any)
		settings, _ := a["algorithmSettings"].([]any)
		for _, s := range settings {
			if sm, ok := s.(map[string]any); ok {
				textOf(sm, "value")
			}
		}
	}
	tt, _ := spec["trialTemplate"].(map[string]any)
	if args, ok := tt["arguments"].(map[string]any); ok {
		for k := range args {
			textOf(args, k)
		}
	}
}

func textOf(m map[string]any, key string) {
	if s, ok := m[key].(yamlScalar); ok {
		m[key] = s.text
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case string:
		return "a string"
	case yamlScalar:
		if _, err := strconv.ParseBool(v.(yamlScalar).json); err == nil {
			return "a boolean"
		}
		return "a number"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func strictError(err error) error {
	var fe kjson.FieldError
	msg := err.Error()
	if errors.As(err, &fe) {
		path := fe.FieldPath()
		switch {
		case strings.HasPrefix(msg, "unknown field"):
			return fieldErr(path, "unknown field%s", knownFieldsHint(path))
		case strings.HasPrefix(msg, "duplicate field"):
			return fieldErr(path, "the field is given twice")
		}
		return fieldErr(path, "%s", msg)
	}
	return fieldErr("", "%s", msg)
}

// typeErrorRE reads the standard library's (and sigs.k8s.io/json's) type
// error: "json: cannot unmarshal number into Go struct field X.spec.a.b of type string".
var typeErrorRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`cannot unmarshal (\w+)( \S+)? into Go (?:struct field \w+\.(\S+)|value) of type (\S+)`)
})

func decodeError(err error) error {
	m := typeErrorRE().FindStringSubmatch(err.Error())
	if m == nil {
		return fieldErr("", "invalid experiment: %v", err)
	}
	path := m[3]
	want := m[4]
	switch {
	case strings.HasPrefix(want, "int"), strings.HasPrefix(want, "*int"):
		if lit := strings.TrimSpace(m[2]); lit != "" && m[1] == "number" {
			return fieldErr(path, "must be an integer from %d to %d, not %s", math.MinInt32, math.MaxInt32, lit)
		}
		want = "an integer"
	case strings.HasPrefix(want, "float"), strings.HasPrefix(want, "*float"):
		want = "a number"
	case want == "string" || strings.HasPrefix(want, "tune."):
		if strings.HasPrefix(want, "tune.") && !isStringType(want) {
			want = "a mapping"
		} else {
			want = "a string"
		}
	case want == "bool":
		want = "true or false"
	case strings.HasPrefix(want, "[]"):
		want = "a list"
	case strings.HasPrefix(want, "map["):
		want = "a mapping"
	}
	got := m[1]
	switch got {
	case "array":
		got = "a list"
	case "object":
		got = "a mapping"
	case "number", "string", "bool":
		got = "a " + got
	}
	if path == "" {
		return fieldErr("", "the file is not an experiment: expected a mapping, found %s", got)
	}
	for _, mapField := range []string{".arguments", ".labels", ".annotations", ".primaryPodLabels"} {
		if strings.HasSuffix(path, mapField) && want == "a string" {
			return fieldErr(path, "each value must be a string, not %s", got)
		}
	}
	return fieldErr(path, "must be %s, not %s", want, got)
}

func isStringType(t string) bool {
	switch strings.TrimPrefix(t, "tune.") {
	case "ObjectiveType", "StrategyType", "ParameterType", "Distribution", "CollectorKind",
		"FileFormat", "FileSystemKind", "ResumePolicy":
		return true
	}
	return false
}

// knownFields lists the fields of each object, for the unknown-field hint.
var knownFields = map[string][]string{
	"":                                        {"apiVersion", "kind", "metadata", "spec"},
	"spec":                                    {"objective", "algorithm", "earlyStopping", "parameters", "trialTemplate", "parallelTrialCount", "maxTrialCount", "maxFailedTrialCount", "metricsCollectorSpec", "resumePolicy", "nasConfig"},
	"spec.objective":                          {"type", "goal", "objectiveMetricName", "additionalMetricNames", "metricStrategies"},
	"spec.algorithm":                          {"algorithmName", "algorithmSettings"},
	"spec.earlyStopping":                      {"algorithmName", "algorithmSettings"},
	"spec.parameters":                         {"name", "parameterType", "feasibleSpace"},
	"spec.parameters.feasibleSpace":           {"min", "max", "step", "list", "distribution"},
	"spec.trialTemplate":                      {"pipeline", "arguments", "trialParameters", "primaryContainerName", "trialSpec", "configMap", "retain", "primaryPodLabels", "successCondition", "failureCondition"},
	"spec.trialTemplate.pipeline":             {"file", "name", "version"},
	"spec.trialTemplate.trialParameters":      {"name", "description", "reference"},
	"spec.metricsCollectorSpec":               {"collector", "source"},
	"spec.metricsCollectorSpec.collector":     {"kind", "customCollector"},
	"spec.metricsCollectorSpec.source":        {"fileSystemPath", "filter", "httpGet"},
	"spec.metricsCollectorSpec.source.filter": {"metricsFormat"},
	"spec.metricsCollectorSpec.source.fileSystemPath": {"path", "kind", "format"},
}

var indexRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[\d+\]`) })

func knownFieldsHint(path string) string {
	parent := ""
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent = path[:i]
	}
	parent = indexRE().ReplaceAllString(parent, "")
	fields, ok := knownFields[parent]
	if !ok {
		return ""
	}
	fields = append([]string(nil), fields...)
	sort.Strings(fields)
	return " (known: " + strings.Join(fields, ", ") + ")"
}

// IsExperiment says whether a file is a Katib Experiment (a YAML or JSON
// mapping with kind Experiment and a kubeflow.org apiVersion) rather than a
// pipeline, so `sluice tune FILE` can tell its two forms apart. It does not
// validate the experiment.
func IsExperiment(data []byte) bool {
	if len(data) > MaxExperimentSize {
		return false
	}
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return false
	}
	return head.Kind == Kind && strings.HasPrefix(head.APIVersion, "kubeflow.org/")
}
