package argo

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/spec/ir"
)

// errorf returns an *ir.Error, a problem with the workflow naming the
// part at fault ("spec.templates[flip].dag.tasks[print].when").
func errorf(field, format string, args ...any) error {
	return ir.Errorf(field, format, args...)
}

// The subset of Argo's Workflow that KFP v1 compiles, plus the fields whose
// presence must be refused rather than ignored.

type workflow struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       wfSpec     `json:"spec"`
}

type objectMeta struct {
	Name         string               `json:"name"`
	GenerateName string               `json:"generateName"`
	Annotations  map[string]anyString `json:"annotations"`
	Labels       map[string]anyString `json:"labels"`
}

type wfSpec struct {
	Entrypoint            string               `json:"entrypoint"`
	Templates             []any                `json:"templates"`
	Arguments             arguments            `json:"arguments"`
	OnExit                string               `json:"onExit"`
	Parallelism           *intOrString         `json:"parallelism"`
	ActiveDeadlineSeconds *intOrString         `json:"activeDeadlineSeconds"`
	NodeSelector          map[string]anyString `json:"nodeSelector"`
	Tolerations           []any                `json:"tolerations"`
	Affinity              map[string]any       `json:"affinity"`
	ImagePullSecrets      []struct {
		Name string `json:"name"`
	} `json:"imagePullSecrets"`
	Volumes             []volume `json:"volumes"`
	WorkflowTemplateRef any      `json:"workflowTemplateRef"`
	TemplateDefaults    any      `json:"templateDefaults"`
	Hooks               any      `json:"hooks"`
}

type arguments struct {
	Parameters []parameter `json:"parameters"`
	Artifacts  []artifact  `json:"artifacts"`
}

type parameter struct {
	Name        string     `json:"name"`
	Value       *anyString `json:"value"`
	Default     *anyString `json:"default"`
	ValueFrom   *valueFrom `json:"valueFrom"`
	Description string     `json:"description"`
}

type valueFrom struct {
	Path       string     `json:"path"`
	JSONPath   string     `json:"jsonPath"`
	Parameter  string     `json:"parameter"`
	Default    *anyString `json:"default"`
	Expression string     `json:"expression"`
	JQFilter   string     `json:"jqFilter"`
	Supplied   any        `json:"supplied"`
	Event      string     `json:"event"`
}

type artifact struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	From     string `json:"from"`
	Optional bool   `json:"optional"`
	Raw      *struct {
		Data string `json:"data"`
	} `json:"raw"`
	// Repository sources Sluice does not read.
	S3          any `json:"s3"`
	GCS         any `json:"gcs"`
	HTTP        any `json:"http"`
	Git         any `json:"git"`
	Artifactory any `json:"artifactory"`
	HDFS        any `json:"hdfs"`
	OSS         any `json:"oss"`
	Azure       any `json:"azure"`
	FromExpr    any `json:"fromExpression"`
}

type template struct {
	Name     string `json:"name"`
	Inputs   ioSpec `json:"inputs"`
	Outputs  ioSpec `json:"outputs"`
	Metadata struct {
		Annotations map[string]anyString `json:"annotations"`
		Labels      map[string]anyString `json:"labels"`
	} `json:"metadata"`
	DAG                   *dagTemplate         `json:"dag"`
	Container             *container           `json:"container"`
	Script                *script              `json:"script"`
	Resource              *resourceTemplate    `json:"resource"`
	Parallelism           *intOrString         `json:"parallelism"`
	ActiveDeadlineSeconds *intOrString         `json:"activeDeadlineSeconds"`
	RetryStrategy         *retryStrategy       `json:"retryStrategy"`
	NodeSelector          map[string]anyString `json:"nodeSelector"`
	Tolerations           []any                `json:"tolerations"`
	Affinity              map[string]any       `json:"affinity"`
	Volumes               []volume             `json:"volumes"`
	Sidecars              []any                `json:"sidecars"`
	InitContainers        []any                `json:"initContainers"`
	PodSpecPatch          string               `json:"podSpecPatch"`
	// Kinds and fields Sluice refuses.
	Steps        any `json:"steps"`
	Suspend      any `json:"suspend"`
	Data         any `json:"data"`
	HTTP         any `json:"http"`
	ContainerSet any `json:"containerSet"`
	Plugin       any `json:"plugin"`
}

type ioSpec struct {
	Parameters []parameter `json:"parameters"`
	Artifacts  []artifact  `json:"artifacts"`
}

type dagTemplate struct {
	Tasks    []any  `json:"tasks"`
	Target   string `json:"target"`
	FailFast *bool  `json:"failFast"`
}

type dagTask struct {
	Name         string    `json:"name"`
	Template     string    `json:"template"`
	Arguments    arguments `json:"arguments"`
	Dependencies []string  `json:"dependencies"`
	When         string    `json:"when"`
	WithItems    []any     `json:"withItems"`
	WithParam    string    `json:"withParam"`
	// Refused.
	Depends      string `json:"depends"`
	WithSequence any    `json:"withSequence"`
	ContinueOn   any    `json:"continueOn"`
	OnExit       string `json:"onExit"`
	Hooks        any    `json:"hooks"`
	TemplateRef  any    `json:"templateRef"`
	Inline       any    `json:"inline"`
}

type container struct {
	Image        string        `json:"image"`
	Command      []anyString   `json:"command"`
	Args         []anyString   `json:"args"`
	Env          []envVar      `json:"env"`
	EnvFrom      []any         `json:"envFrom"`
	Resources    resources     `json:"resources"`
	VolumeMounts []volumeMount `json:"volumeMounts"`
	WorkingDir   string        `json:"workingDir"`
}

type script struct {
	container
	Source string `json:"source"`
}

type resources struct {
	Limits   map[string]anyString `json:"limits"`
	Requests map[string]anyString `json:"requests"`
}

type envVar struct {
	Name      string     `json:"name"`
	Value     *anyString `json:"value"`
	ValueFrom *struct {
		FieldRef *struct {
			FieldPath string `json:"fieldPath"`
		} `json:"fieldRef"`
		SecretKeyRef     *keyRef `json:"secretKeyRef"`
		ConfigMapKeyRef  *keyRef `json:"configMapKeyRef"`
		ResourceFieldRef any     `json:"resourceFieldRef"`
	} `json:"valueFrom"`
}

type keyRef struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional"`
}

type volume struct {
	Name     string `json:"name"`
	EmptyDir *struct {
		Medium    string     `json:"medium"`
		SizeLimit *anyString `json:"sizeLimit"`
	} `json:"emptyDir"`
	PersistentVolumeClaim *struct {
		ClaimName string `json:"claimName"`
	} `json:"persistentVolumeClaim"`
	Secret *struct {
		SecretName string `json:"secretName"`
		Optional   *bool  `json:"optional"`
	} `json:"secret"`
	ConfigMap *struct {
		Name     string `json:"name"`
		Optional *bool  `json:"optional"`
	} `json:"configMap"`
}

type volumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	SubPath   string `json:"subPath"`
}

type resourceTemplate struct {
	Action   string `json:"action"`
	Manifest string `json:"manifest"`
}

type retryStrategy struct {
	Limit       *intOrString `json:"limit"`
	RetryPolicy string       `json:"retryPolicy"`
	Backoff     *struct {
		Duration    *intOrString `json:"duration"`
		Factor      *intOrString `json:"factor"`
		MaxDuration *intOrString `json:"maxDuration"`
	} `json:"backoff"`
}

// anyString reads a YAML scalar as text: Argo accepts numbers and booleans
// where it means strings (parameter values, labels, args).
type anyString string

func (a *anyString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = anyString(s)
	case string(b) == "null":
		*a = ""
	case string(b) == "true" || string(b) == "false" || len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*a = anyString(numberText(string(b)))
	default:
		return errors.New("expected a string, found a list or a mapping")
	}
	return nil
}

// numberText renders a JSON number as written in YAML: integral values
// without exponent or fraction.
func numberText(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// intOrString is a number, or a string that may hold one (Argo's
// IntOrString), kept as text.
type intOrString string

func (v *intOrString) UnmarshalJSON(b []byte) error {
	var a anyString
	if err := a.UnmarshalJSON(b); err != nil {
		return errors.New("expected a number or a string")
	}
	*v = intOrString(a)
	return nil
}

// int parses the value as a non-negative integer.
func (v *intOrString) int(field string) (int64, error) {
	if v == nil {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(*v)), 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(field, "expected a non-negative integer, found %q", string(*v))
	}
	return n, nil
}

// decode converts a decoded JSON value into out, naming field in errors.
func decode(v any, out any, field string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return errorf(field, "cannot encode: %v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			f := field
			if te.Field != "" {
				f = join(field, te.Field)
			}
			return errorf(f, "expected %s, found %s", goTypeWord(te.Type.String()), te.Value)
		}
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "json: ") {
			msg = msg[i+2:]
		}
		return errorf(field, "%s", strings.TrimPrefix(msg, "json: "))
	}
	return nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func goTypeWord(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "string", strings.HasSuffix(t, "anyString"):
		return "a string"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "float"), strings.HasSuffix(t, "intOrString"):
		return "a number"
	case t == "bool":
		return "a boolean"
	}
	return "a mapping"
}

// Names: Argo's rules for template and task names, and for parameter and
// artifact names. They also keep names safe as path segments.
var (
	nameRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][-a-zA-Z0-9]*$`) })
	paramRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[-a-zA-Z0-9_]+$`) })
)

const maxNameLen = 128

func checkName(field, kind, name string) error {
	if name == "" {
		return errorf(field, "missing %s name", kind)
	}
	if len(name) > maxNameLen || !nameRE().MatchString(name) {
		return errorf(field, "invalid %s name %s: letters, digits and '-', starting with a letter or digit, at most %d characters", kind, quoteName(name), maxNameLen)
	}
	return nil
}

// quoteName quotes a name for an error, shortened when it is too long to
// be shown whole (a hostile file's 30 MB name is not echoed back).
func quoteName(name string) string {
	if len(name) > maxNameLen {
		return strconv.Quote(strings.ToValidUTF8(name[:32], "")) + "… (" + strconv.Itoa(len(name)) + " bytes)"
	}
	return strconv.Quote(name)
}

func checkParamName(field, kind, name string) error {
	if name == "" {
		return errorf(field, "missing %s name", kind)
	}
	if len(name) > maxNameLen || !paramRE().MatchString(name) {
		return errorf(field, "invalid %s name %s: letters, digits, '-' and '_', at most %d characters", kind, quoteName(name), maxNameLen)
	}
	return nil
}
