package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ConvertV1Component turns a decoded v1 component YAML document into a
// one-step pipeline, following the mapping kfp 2.x applies when it loads such
// a file: parameter-typed inputs become parameters, everything else
// artifacts; placeholders become IR placeholders, concat and if/isPresent
// become Concat and IfPresent JSON elements.
func ConvertV1Component(doc map[string]any) (*PipelineSpec, error) {
	name, _ := doc["name"].(string)
	if strings.TrimSpace(name) == "" {
		return nil, errorf("name", "the component has no name")
	}
	impl, _ := doc["implementation"].(map[string]any)
	ctr, _ := impl["container"].(map[string]any)
	if ctr == nil {
		if _, ok := impl["graph"]; ok {
			return nil, errorf("implementation.graph", "v1 graph components are not supported: only container implementations")
		}
		return nil, errorf("implementation.container", "container implementation not found")
	}
	image, _ := ctr["image"].(string)
	if image == "" {
		return nil, errorf("implementation.container.image", "missing")
	}
	c := &v1conv{params: map[string]*ParameterSpec{}, arts: map[string]*ArtifactSpec{},
		outParams: map[string]*ParameterSpec{}, outArts: map[string]*ArtifactSpec{}}
	in := &Interface{Parameters: c.params, Artifacts: c.arts}
	out := &Interface{Parameters: c.outParams, Artifacts: c.outArts}
	if err := c.ports("inputs", doc["inputs"], true); err != nil {
		return nil, err
	}
	if err := c.ports("outputs", doc["outputs"], false); err != nil {
		return nil, err
	}
	cs := &ContainerSpec{Image: image}
	var err error
	if cs.Command, err = c.args("implementation.container.command", ctr["command"]); err != nil {
		return nil, err
	}
	if cs.Args, err = c.args("implementation.container.args", ctr["args"]); err != nil {
		return nil, err
	}
	if env, ok := ctr["env"].(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(env)) {
			cs.Env = append(cs.Env, EnvVar{Name: k, Value: scalarString(env[k])})
		}
	}
	safe := SafeName(name)
	if safe == "" {
		safe = "component"
	}
	compKey, execLabel := "comp-"+safe, "exec-"+safe
	task := &TaskSpec{
		TaskInfo:       TaskInfo{Name: safe},
		ComponentRef:   ComponentRef{Name: compKey},
		CachingOptions: &CachingOptions{EnableCache: true},
		Inputs:         &TaskInputs{Parameters: map[string]*InputParameter{}, Artifacts: map[string]*InputArtifact{}},
	}
	for n := range c.params {
		task.Inputs.Parameters[n] = &InputParameter{ComponentInputParameter: n}
	}
	for n := range c.arts {
		task.Inputs.Artifacts[n] = &InputArtifact{ComponentInputArtifact: n}
	}
	outs := &DAGOutputs{Parameters: map[string]*DAGOutputParameter{}, Artifacts: map[string]*DAGOutputArtifact{}}
	for n := range c.outParams {
		outs.Parameters[n] = &DAGOutputParameter{ValueFromParameter: &ParameterSelector{ProducerSubtask: safe, OutputParameterKey: n}}
	}
	for n := range c.outArts {
		outs.Artifacts[n] = &DAGOutputArtifact{ArtifactSelectors: []ArtifactSelector{{ProducerSubtask: safe, OutputArtifactKey: n}}}
	}
	desc, _ := doc["description"].(string)
	return &PipelineSpec{
		PipelineInfo: PipelineInfo{Name: safe, DisplayName: name, Description: strings.TrimSpace(desc)},
		Root: &ComponentSpec{
			InputDefinitions:  in,
			OutputDefinitions: out,
			DAG:               &DAGSpec{Tasks: map[string]*TaskSpec{safe: task}, Outputs: outs},
		},
		Components:     map[string]*ComponentSpec{compKey: {InputDefinitions: in, OutputDefinitions: out, ExecutorLabel: execLabel}},
		DeploymentSpec: DeploymentSpec{Executors: map[string]*ExecutorSpec{execLabel: {Container: cs}}},
		SchemaVersion:  "2.1.0",
	}, nil
}

type v1conv struct {
	params, outParams map[string]*ParameterSpec
	arts, outArts     map[string]*ArtifactSpec
}

// V1ParameterType maps a v1 type name to an IR parameter type, or "" when the
// type is an artifact type.
func V1ParameterType(t any) string {
	s, ok := t.(string)
	if !ok {
		return ""
	}
	switch strings.ToLower(s) {
	case "integer", "int":
		return TypeInteger
	case "double", "float":
		return TypeDouble
	case "string", "str", "text":
		return TypeString
	case "bool", "boolean":
		return TypeBoolean
	case "dict", "jsonobject":
		return TypeStruct
	case "list", "jsonarray":
		return TypeList
	case "pipelinetaskfinalstatus":
		return TypeTaskFinalStatus
	}
	return ""
}

// V1ArtifactType maps a v1 type name to an artifact schema title.
func V1ArtifactType(t any) string {
	s, _ := t.(string)
	switch strings.ToLower(s) {
	case "model":
		return "system.Model"
	case "dataset":
		return "system.Dataset"
	case "metrics":
		return SchemaMetrics
	case "classificationmetrics":
		return "system.ClassificationMetrics"
	case "slicedclassificationmetrics":
		return "system.SlicedClassificationMetrics"
	case "html":
		return "system.HTML"
	case "markdown":
		return "system.Markdown"
	}
	if strings.HasPrefix(s, "google.") {
		return s
	}
	return SchemaArtifact
}

func (c *v1conv) ports(field string, v any, inputs bool) error {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return errorf(field, "expected a list")
	}
	for i, item := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		m, ok := item.(map[string]any)
		if !ok {
			return errorf(f, "expected a mapping with a name")
		}
		raw, _ := m["name"].(string)
		name := SanitizeInputName(raw)
		if name == "" {
			return errorf(f+".name", "missing")
		}
		if c.params[name] != nil || c.arts[name] != nil || c.outParams[name] != nil || c.outArts[name] != nil {
			return errorf(f+".name", "duplicate name %q", raw)
		}
		desc, _ := m["description"].(string)
		pt := V1ParameterType(m["type"])
		if !inputs {
			if pt != "" {
				c.outParams[name] = &ParameterSpec{ParameterType: pt, Description: desc}
			} else {
				c.outArts[name] = &ArtifactSpec{ArtifactType: ArtifactType{SchemaTitle: V1ArtifactType(m["type"]), SchemaVersion: "0.0.1"}, Description: desc}
			}
			continue
		}
		optional, _ := m["optional"].(bool)
		def, hasDef := m["default"]
		if hasDef && def != nil {
			optional = true
		}
		if pt == "" {
			c.arts[name] = &ArtifactSpec{ArtifactType: ArtifactType{SchemaTitle: V1ArtifactType(m["type"]), SchemaVersion: "0.0.1"}, IsOptional: optional, Description: desc}
			continue
		}
		p := &ParameterSpec{ParameterType: pt, IsOptional: optional || pt == TypeTaskFinalStatus, Description: desc}
		if hasDef && def != nil {
			v, err := parseV1Default(pt, def)
			if err != nil {
				return errorf(f+".default", "%v", err)
			}
			p.DefaultValue = v
		}
		c.params[name] = p
	}
	return nil
}

func parseV1Default(pt string, def any) (any, error) {
	s, isStr := def.(string)
	if !isStr {
		// Non-string YAML defaults are cast like kfp does (int(), float(),
		// str()), so that the default has the parameter's type.
		switch x := def.(type) {
		case float64:
			switch pt {
			case TypeInteger:
				return math.Trunc(x), nil
			case TypeString:
				return scalarString(x), nil
			}
		case bool:
			n, py := 0.0, "False"
			if x {
				n, py = 1, "True"
			}
			switch pt {
			case TypeInteger, TypeDouble:
				return n, nil
			case TypeString:
				return py, nil
			}
		}
		return def, nil
	}
	switch pt {
	case TypeInteger:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return float64(n), nil
	case TypeDouble:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a (finite) number", s)
		}
		return f, nil
	case TypeBoolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "y", "yes", "t", "true", "on", "1":
			return true, nil
		case "n", "no", "f", "false", "off", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean", s)
	case TypeList, TypeStruct:
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			return v, nil
		}
	}
	return s, nil
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// args converts a v1 command or args list.
func (c *v1conv) args(field string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errorf(field, "expected a list")
	}
	var out []string
	for i, item := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		x, err := c.convert(f, item, true)
		if err != nil {
			return nil, err
		}
		switch s := x.(type) {
		case string:
			out = append(out, s)
		default:
			b, _ := json.Marshal(s)
			out = append(out, string(b))
		}
	}
	return out, nil
}

// convert turns one v1 argument into an IR string or a Concat/IfPresent
// structure (map). top says whether IfPresent branches are argument lists.
func (c *v1conv) convert(f string, item any, top bool) (any, error) {
	switch x := item.(type) {
	case string:
		return x, nil
	case float64, bool:
		return scalarString(x), nil
	case map[string]any:
		if len(x) != 1 {
			return nil, errorf(f, "a placeholder must have exactly one key, found %d", len(x))
		}
		for k, v := range x {
			ref := SanitizeInputName(scalarString(v))
			switch k {
			case "inputValue":
				if c.params[ref] == nil {
					if c.arts[ref] != nil {
						return nil, errorf(f, "%s %q: the input has an artifact type (%s); use inputPath or inputUri for artifact inputs", k, ref, c.arts[ref].ArtifactType.SchemaTitle)
					}
					return nil, c.unknown(f, k, ref, "input parameter")
				}
				return "{{$.inputs.parameters['" + ref + "']}}", nil
			case "inputPath", "inputUri":
				if c.arts[ref] == nil {
					if c.params[ref] != nil {
						return nil, errorf(f, "%s %q: the input has a parameter type (%s); only artifact inputs have a path or URI", k, ref, c.params[ref].ParameterType)
					}
					return nil, c.unknown(f, k, ref, "input")
				}
				if k == "inputPath" {
					return "{{$.inputs.artifacts['" + ref + "'].path}}", nil
				}
				return "{{$.inputs.artifacts['" + ref + "'].uri}}", nil
			case "outputPath":
				if c.outParams[ref] != nil {
					return "{{$.outputs.parameters['" + ref + "'].output_file}}", nil
				}
				if c.outArts[ref] != nil {
					return "{{$.outputs.artifacts['" + ref + "'].path}}", nil
				}
				return nil, c.unknown(f, k, ref, "output")
			case "outputUri":
				if c.outArts[ref] == nil {
					return nil, c.unknown(f, k, ref, "output artifact")
				}
				return "{{$.outputs.artifacts['" + ref + "'].uri}}", nil
			case "executorInput":
				return "{{$}}", nil
			case "concat":
				items, ok := v.([]any)
				if !ok {
					return nil, errorf(f+".concat", "expected a list")
				}
				parts := make([]any, 0, len(items))
				for i, it := range items {
					p, err := c.convert(fmt.Sprintf("%s.concat[%d]", f, i), it, false)
					if err != nil {
						return nil, err
					}
					parts = append(parts, p)
				}
				return map[string]any{"Concat": parts}, nil
			case "if":
				return c.convertIf(f+".if", v, top)
			default:
				return nil, errorf(f, "unknown placeholder %q", k)
			}
		}
	}
	return nil, errorf(f, "unsupported argument %s", describe(item))
}

func (c *v1conv) unknown(f, kind, ref, what string) error {
	return errorf(f, "%s refers to %q, which is not a declared %s", kind, ref, what)
}

func (c *v1conv) convertIf(f string, v any, top bool) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(f, "expected a mapping with cond and then")
	}
	branch := func(name string) (any, error) {
		b, ok := m[name]
		if !ok || b == nil {
			return nil, nil
		}
		if list, ok := b.([]any); ok {
			out := make([]any, 0, len(list))
			for i, it := range list {
				p, err := c.convert(fmt.Sprintf("%s.%s[%d]", f, name, i), it, false)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			}
			return out, nil
		}
		return c.convert(f+"."+name, b, false)
	}
	then, err := branch("then")
	if err != nil {
		return nil, err
	}
	els, err := branch("else")
	if err != nil {
		return nil, err
	}
	cond, ok := m["cond"]
	if !ok {
		return nil, errorf(f+".cond", "missing")
	}
	if cm, ok := cond.(map[string]any); ok {
		if name, ok := cm["isPresent"]; ok {
			ref := SanitizeInputName(scalarString(name))
			if c.params[ref] == nil && c.arts[ref] == nil {
				return nil, c.unknown(f+".cond", "isPresent", ref, "input")
			}
			ip := map[string]any{"InputName": ref}
			if then != nil {
				ip["Then"] = then
			}
			if els != nil {
				ip["Else"] = els
			}
			return map[string]any{"IfPresent": ip}, nil
		}
		return nil, errorf(f+".cond", "only isPresent conditions (or a literal true/false) are supported")
	}
	// A literal condition is decided now.
	truth := false
	switch x := cond.(type) {
	case bool:
		truth = x
	case string:
		truth = strings.EqualFold(x, "true")
	default:
		return nil, errorf(f+".cond", "unsupported condition %s", describe(cond))
	}
	chosen := els
	if truth {
		chosen = then
	}
	if chosen == nil {
		chosen = []any{}
	}
	if _, isList := chosen.([]any); !isList {
		chosen = []any{chosen}
	}
	// Reuse IfPresent-free expansion: a Concat of nothing would add an empty
	// argument, so a literal condition becomes a list spliced by the caller.
	return map[string]any{"IfPresent": map[string]any{"InputName": "", "Then": chosen, "Else": chosen}}, nil
}
