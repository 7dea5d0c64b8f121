package dsl

import (
	"fmt"
	"math"
	"reflect"

	"github.com/sluicehq/sluice/spec"
)

// Type is the type of an input or output: a parameter type (String, Int,
// Float, Bool, List, Struct, TaskFinalStatus) or an artifact type (Artifact,
// Dataset, Model, ...). The zero Type is invalid.
type Type struct {
	param    string // IR parameter type; "" for an artifact
	artifact string // artifact schema title
	list     bool   // a list of artifacts
	elem     *Type  // element type of a LIST parameter, when known
}

// Parameter types.
var (
	String          = Type{param: spec.TypeString}
	Int             = Type{param: spec.TypeInteger}
	Float           = Type{param: spec.TypeDouble}
	Bool            = Type{param: spec.TypeBoolean}
	List            = Type{param: spec.TypeList}
	Struct          = Type{param: spec.TypeStruct}
	TaskFinalStatus = Type{param: spec.TypeTaskFinalStatus}
)

// Artifact types (the KFP system.* schemas).
var (
	Artifact                    = ArtifactType("system.Artifact")
	Dataset                     = ArtifactType("system.Dataset")
	Model                       = ArtifactType("system.Model")
	Metrics                     = ArtifactType("system.Metrics")
	ClassificationMetrics       = ArtifactType("system.ClassificationMetrics")
	SlicedClassificationMetrics = ArtifactType("system.SlicedClassificationMetrics")
	HTML                        = ArtifactType("system.HTML")
	Markdown                    = ArtifactType("system.Markdown")
)

// ArtifactType is an artifact type with the given schema title, such as
// "google.VertexDataset".
func ArtifactType(schemaTitle string) Type { return Type{artifact: schemaTitle} }

// ListOf is a list of t: a LIST parameter whose items are t (used to type a
// ParallelFor's items), or, for an artifact type, a list of artifacts
// (Input[List[Dataset]] in KFP).
func ListOf(t Type) Type {
	if t.artifact != "" {
		t.list = true
		return t
	}
	e := t
	return Type{param: spec.TypeList, elem: &e}
}

// IsArtifact reports whether t is an artifact type.
func (t Type) IsArtifact() bool { return t.artifact != "" }

func (t Type) valid() bool { return t.param != "" || t.artifact != "" }

// String names the type as the KFP SDK's Python annotations do: str, int,
// float, bool, list, dict, PipelineTaskFinalStatus, or the artifact schema
// title (with List[...] around a list of artifacts).
func (t Type) String() string {
	if t.artifact != "" {
		if t.list {
			return "List[" + t.artifact + "]"
		}
		return t.artifact
	}
	switch t.param {
	case spec.TypeString:
		return "str"
	case spec.TypeInteger:
		return "int"
	case spec.TypeDouble:
		return "float"
	case spec.TypeBoolean:
		return "bool"
	case spec.TypeList:
		return "list"
	case spec.TypeStruct:
		return "dict"
	case spec.TypeTaskFinalStatus:
		return "PipelineTaskFinalStatus"
	case "":
		return "invalid type"
	}
	return t.param
}

func (t Type) equal(u Type) bool {
	return t.param == u.param && t.artifact == u.artifact && t.list == u.list
}

// compatible reports whether a value of type given may feed an input of type
// want, with the KFP compiler's rules: parameters must have the same type (an
// int may feed a float); artifacts the same schema unless either side is
// system.Artifact; a list of artifacts only feeds a list. A final status
// may feed a dict.
func compatible(given, want Type) bool {
	if given.IsArtifact() != want.IsArtifact() {
		return false
	}
	if !given.IsArtifact() {
		return given.param == want.param || (given.param == spec.TypeInteger && want.param == spec.TypeDouble) ||
			(given.param == spec.TypeTaskFinalStatus && want.param == spec.TypeStruct)
	}
	if given.list != want.list {
		return false
	}
	return given.artifact == want.artifact || given.artifact == "system.Artifact" || want.artifact == "system.Artifact"
}

func (t Type) artifactSpec() spec.ArtifactType {
	return spec.ArtifactType{SchemaTitle: t.artifact, SchemaVersion: "0.0.1"}
}

// typeFromSpec is the Type of a declared IR parameter or artifact.
func paramTypeFromSpec(p *spec.ParameterSpec) Type {
	return Type{param: p.ParameterType}
}

func artifactTypeFromSpec(a *spec.ArtifactSpec) Type {
	title := a.ArtifactType.SchemaTitle
	if title == "" {
		title = "system.Artifact"
	}
	return Type{artifact: title, list: a.IsArtifactList}
}

// Input declares one input of a component or pipeline.
type Input struct {
	Name string
	Type Type
	// Default is the value used when the task does not supply the input
	// (nil: none). An input with a default is optional.
	Default any
	// Optional marks an input without a default that may be left out.
	Optional    bool
	Description string
}

// Output declares one output of a component.
type Output struct {
	Name        string
	Type        Type
	Description string
}

// constType returns the parameter type of a Go constant and its JSON form
// (what the IR holds), or an error naming the Go type.
func constValue(v any) (Type, any, error) {
	switch x := v.(type) {
	case string:
		return String, x, nil
	case bool:
		return Bool, x, nil
	case int:
		return Int, float64(x), nil
	case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		f := reflect.ValueOf(x).Convert(reflect.TypeFor[float64]()).Float()
		return Int, f, nil
	case float32:
		return Float, float64(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Type{}, nil, fmt.Errorf("%v cannot be written in a pipeline spec (JSON numbers only)", x)
		}
		return Float, x, nil
	case nil:
		return Type{}, nil, fmt.Errorf("nil is not a value")
	}
	j, err := jsonValue(v)
	if err != nil {
		return Type{}, nil, err
	}
	switch j.(type) {
	case []any:
		return List, j, nil
	case map[string]any:
		return Struct, j, nil
	case string:
		return String, j, nil
	case bool:
		return Bool, j, nil
	case float64:
		return Float, j, nil
	}
	return Type{}, nil, fmt.Errorf("a %T cannot be a pipeline value", v)
}

// checkConst checks a constant against an input type and returns its JSON
// form.
func checkConst(v any, want Type) (any, error) {
	if want.IsArtifact() {
		return nil, fmt.Errorf("is an artifact (%s): it needs a task output or an importer, not a constant (%s)", want, describeConst(v))
	}
	got, j, err := constValue(v)
	if err != nil {
		return nil, err
	}
	switch {
	case got.param == want.param:
	case got.param == spec.TypeInteger && want.param == spec.TypeDouble:
	case got.param == spec.TypeDouble && want.param == spec.TypeInteger && j.(float64) == math.Trunc(j.(float64)):
	default:
		return nil, fmt.Errorf("wants %s, got %s %s", want, got, describeConst(v))
	}
	return j, nil
}

func describeConst(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
