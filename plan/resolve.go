package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// Outputs are the parameters and artifacts a task (or DAG) produced.
type Outputs struct {
	Parameters map[string]any                     `json:"parameters,omitempty"`
	Artifacts  map[string][]*spec.RuntimeArtifact `json:"artifacts,omitempty"`
}

// Result is a finished sibling task as input resolution sees it.
type Result struct {
	Status
	Outputs
	// Error is why the task failed, for PipelineTaskFinalStatus.
	Error string
}

// Scope is what a task's inputs resolve against: its parent DAG's inputs
// and its finished siblings.
type Scope struct {
	Params    map[string]any
	Artifacts map[string][]*spec.RuntimeArtifact
	Siblings  map[string]*Result
	// System holds system placeholder values (pipeline_job_name, ...)
	// substituted into string constants.
	System map[string]string
	// RunName is reported as pipelineJobResourceName in final statuses.
	RunName string
}

// Inputs are a task's resolved inputs.
type Inputs struct {
	Params    map[string]any
	Artifacts map[string][]*spec.RuntimeArtifact
	// Present names the inputs the task supplied itself (defaults excluded).
	Present map[string]bool
}

// InputError is an input that cannot be resolved; it names the input.
type InputError struct {
	Input string
	Msg   string
}

func (e *InputError) Error() string { return fmt.Sprintf("input %q: %s", e.Input, e.Msg) }

// ResolveInputs resolves a task's input bindings in its scope, then applies
// the component's input definitions: defaults for inputs not supplied, type
// coercion, and an error for a required input without a value.
func ResolveInputs(t *spec.TaskSpec, comp *spec.ComponentSpec, sc *Scope) (*Inputs, error) {
	in := &Inputs{Params: map[string]any{}, Artifacts: map[string][]*spec.RuntimeArtifact{}, Present: map[string]bool{}}
	var constants, raw []string
	if t.Inputs != nil {
		for _, name := range slices.Sorted(maps.Keys(t.Inputs.Parameters)) {
			b := t.Inputs.Parameters[name]
			v, ok, isConst, err := resolveParam(name, b, sc)
			if err != nil {
				return nil, err
			}
			switch {
			case !ok && b.Fallback == nil:
				continue
			case !ok:
				v = *b.Fallback
			case b.ParameterExpressionSelector != "":
				if v, err = applySelector(b.ParameterExpressionSelector, v); err != nil {
					if b.Fallback == nil {
						return nil, &InputError{name, err.Error()}
					}
					v = *b.Fallback
				}
			}
			in.Params[name] = v
			if isConst {
				constants = append(constants, name)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(t.Inputs.Artifacts)) {
			b := t.Inputs.Artifacts[name]
			var arts []*spec.RuntimeArtifact
			switch {
			case b.RawParameter != "":
				raw = append(raw, name)
				continue
			case b.ComponentInputArtifact != "":
				arts = sc.Artifacts[b.ComponentInputArtifact]
			case b.TaskOutputArtifact != nil:
				r := sc.Siblings[b.TaskOutputArtifact.ProducerTask]
				if r != nil && r.State == runstate.Succeeded {
					a, ok := r.Artifacts[b.TaskOutputArtifact.OutputArtifactKey]
					if !ok {
						return nil, &InputError{name, fmt.Sprintf("task %q has no output artifact %q", b.TaskOutputArtifact.ProducerTask, b.TaskOutputArtifact.OutputArtifactKey)}
					}
					arts = a
				}
			}
			if len(arts) > 0 {
				in.Artifacts[name] = arts
			}
		}
	}
	// f-string templates in constants refer to the task's other inputs.
	for _, name := range constants {
		if s, ok := in.Params[name].(string); ok && strings.Contains(s, "{{$.inputs.parameters[") {
			in.Params[name] = spec.SubstituteInputParams(s, in.Params)
		}
	}
	// Raw artifacts hold the text of another input; the engine writes the
	// file before a step reads it.
	for _, name := range raw {
		p := t.Inputs.Artifacts[name].RawParameter
		v, ok := in.Params[p]
		if !ok {
			return nil, &InputError{name, fmt.Sprintf("raw artifact: input parameter %q has no value", p)}
		}
		in.Artifacts[name] = []*spec.RuntimeArtifact{{Name: name,
			Type:     spec.ArtifactType{SchemaTitle: "system.Artifact", SchemaVersion: "0.0.1"},
			Metadata: map[string]any{RawMetadata: spec.FormatParam(v)}}}
	}
	for name, v := range in.Params {
		if v != nil {
			in.Present[name] = true
		} else {
			delete(in.Params, name)
		}
	}
	for name := range in.Artifacts {
		in.Present[name] = true
	}
	if comp == nil || comp.InputDefinitions == nil {
		return in, nil
	}
	for _, name := range slices.Sorted(maps.Keys(comp.InputDefinitions.Parameters)) {
		def := comp.InputDefinitions.Parameters[name]
		if name == itemInput(t) {
			continue // each iteration supplies it
		}
		v, ok := in.Params[name]
		if !ok {
			if def.DefaultValue != nil {
				v = def.DefaultValue
			} else if def.IsOptional || def.ParameterType == spec.TypeTaskFinalStatus || def.ParameterType == spec.TypeTaskConfig {
				if def.ParameterType == spec.TypeTaskConfig {
					in.Params[name] = map[string]any{}
				}
				continue
			} else {
				return nil, &InputError{name, "required input parameter has no value"}
			}
		}
		c, err := Coerce(v, def.ParameterType)
		if err != nil {
			return nil, &InputError{name, err.Error()}
		}
		in.Params[name] = c
	}
	for _, name := range slices.Sorted(maps.Keys(comp.InputDefinitions.Artifacts)) {
		def := comp.InputDefinitions.Artifacts[name]
		if len(in.Artifacts[name]) == 0 && !def.IsOptional && name != itemInput(t) {
			return nil, &InputError{name, "required input artifact has no value"}
		}
	}
	return in, nil
}

// itemInput is the loop item input of an iterator task ("" otherwise).
func itemInput(t *spec.TaskSpec) string {
	switch {
	case t.ParameterIterator != nil:
		return t.ParameterIterator.ItemInput
	case t.ArtifactIterator != nil:
		return t.ArtifactIterator.ItemInput
	}
	return ""
}

// CoerceOutputs converts output parameters to their declared types (values
// read back from JSON come as float64).
func CoerceOutputs(out *Outputs, defs *spec.Interface) error {
	if defs == nil {
		return nil
	}
	for name, v := range out.Parameters {
		d := defs.Parameters[name]
		if d == nil {
			continue
		}
		c, err := Coerce(v, d.ParameterType)
		if err != nil {
			return fmt.Errorf("output parameter %q: %v", name, err)
		}
		out.Parameters[name] = c
	}
	return nil
}

// ResolveParam resolves one input parameter spec in the scope, as
// ResolveParam does (an executor.ParamResolver).
func (sc *Scope) ResolveParam(b *spec.InputParameter) (any, error) { return ResolveParam(b, sc) }

// ResolveParam resolves one input parameter spec in a scope (the task's
// parent DAG), as task inputs are; a value that is not available (an
// optional input not given, a skipped producer) is nil.
func ResolveParam(b *spec.InputParameter, sc *Scope) (any, error) {
	v, ok, _, err := resolveParam("", b, sc)
	if err != nil {
		return nil, err
	}
	if !ok {
		if b.Fallback != nil {
			return *b.Fallback, nil
		}
		return nil, nil
	}
	if sel := b.ParameterExpressionSelector; sel != "" {
		v, err := applySelector(sel, v)
		if err != nil && b.Fallback != nil {
			return *b.Fallback, nil
		}
		return v, err
	}
	return v, nil
}

// RawMetadata is the metadata key under which a raw artifact (one made
// from text, spec.InputArtifact.RawParameter) carries its text until the
// engine writes it to a file.
const RawMetadata = "_sluice_raw"

func resolveParam(name string, b *spec.InputParameter, sc *Scope) (v any, ok, isConst bool, err error) {
	switch {
	case b.ComponentInputParameter != "":
		v, ok = sc.Params[b.ComponentInputParameter]
		return v, ok, false, nil
	case b.TaskOutputParameter != nil:
		p := b.TaskOutputParameter
		r := sc.Siblings[p.ProducerTask]
		if r == nil || r.State != runstate.Succeeded {
			return nil, false, false, nil
		}
		v, ok = r.Parameters[p.OutputParameterKey]
		if !ok {
			return nil, false, false, &InputError{name, fmt.Sprintf("task %q has no output parameter %q", p.ProducerTask, p.OutputParameterKey)}
		}
		return v, true, false, nil
	case b.TaskFinalStatus != nil:
		r := sc.Siblings[b.TaskFinalStatus.ProducerTask]
		return FinalStatus(b.TaskFinalStatus.ProducerTask, r, sc.RunName), true, false, nil
	case b.RuntimeValue != nil:
		if b.RuntimeValue.RuntimeParameter != "" && b.RuntimeValue.Constant == nil {
			v, ok = sc.Params[b.RuntimeValue.RuntimeParameter]
			return v, ok, false, nil
		}
		v = b.RuntimeValue.Constant
		if s, isStr := v.(string); isStr {
			v = SubstituteSystem(s, sc.System)
		}
		return v, true, true, nil
	}
	return nil, false, false, nil
}

// SubstituteSystem replaces system placeholders ({{$.pipeline_job_name}},
// {{$.workspace_path}}, ...) anywhere in s. Unknown ones are left as they are.
func SubstituteSystem(s string, sys map[string]string) string {
	if !strings.Contains(s, "{{$.") {
		return s
	}
	for k, v := range sys {
		s = strings.ReplaceAll(s, "{{$."+k+"}}", v)
	}
	return s
}

// FinalStatus is the PipelineTaskFinalStatus struct passed to exit tasks.
func FinalStatus(task string, r *Result, runName string) map[string]any {
	state, code, msg := "SUCCEEDED", 0, ""
	if r != nil {
		switch r.State {
		case runstate.Failed:
			state, code, msg = "FAILED", 1, r.Error
		case runstate.Canceled:
			state, code, msg = "CANCELLED", 1, "canceled"
		case runstate.Skipped:
			if r.UpstreamFailed {
				state, code, msg = "FAILED", 1, "not run: an upstream task failed"
			}
		}
	}
	if msg == "" && state != "SUCCEEDED" {
		msg = strings.ToLower(state)
	}
	return map[string]any{
		"state":                   state,
		"pipelineJobResourceName": runName,
		"pipelineTaskName":        task,
		"error":                   map[string]any{"code": float64(code), "message": msg},
	}
}

var selectorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^parseJson\(string_value\)\[["']([^"']*)["']\]$`) })

// applySelector applies a parameterExpressionSelector. The KFP compiler only
// emits parseJson(string_value)["key"] (a field of a loop item).
func applySelector(sel string, v any) (any, error) {
	m := selectorRE().FindStringSubmatch(strings.TrimSpace(sel))
	if m == nil {
		return nil, fmt.Errorf("unsupported parameterExpressionSelector %q (only parseJson(string_value)[\"key\"] is supported)", sel)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		s, isStr := v.(string)
		if !isStr || json.Unmarshal([]byte(s), &obj) != nil {
			return nil, fmt.Errorf("selector %q: value is not a JSON object", sel)
		}
	}
	f, ok := obj[m[1]]
	if !ok {
		return nil, fmt.Errorf("selector %q: the value has no field %q", sel, m[1])
	}
	return f, nil
}

// MaxLoopItems bounds the iterations of one loop (ParallelFor, Argo's
// withItems and withParam): each is a DAG instance with its own task
// records, so a list a spec or a step gives cannot make a run hold
// millions of them.
const MaxLoopItems = 10000

// ParameterItems returns the items of a parameter iterator: the raw JSON
// list, or the named task input (a list, or a string holding a JSON list);
// more than MaxLoopItems is an error.
func ParameterItems(it *spec.ParameterIterator, params map[string]any) ([]any, error) {
	var v any
	if it.Items.Raw != "" {
		v = it.Items.Raw
	} else {
		var ok bool
		if v, ok = params[it.Items.InputParameter]; !ok {
			return nil, fmt.Errorf("loop items input %q has no value", it.Items.InputParameter)
		}
	}
	l, err := Coerce(v, spec.TypeList)
	if err != nil {
		return nil, fmt.Errorf("loop items: %v", err)
	}
	items := l.([]any)
	if len(items) > MaxLoopItems {
		return nil, fmt.Errorf("loop items: %d items, more than the limit of %d iterations of one loop", len(items), MaxLoopItems)
	}
	return items, nil
}

// DAGOutputs resolves a DAG's outputs from its finished children. An output
// whose producer did not run is absent. For a OneOf the first selector whose
// producer succeeded wins.
func DAGOutputs(d *spec.DAGSpec, children map[string]*Result) Outputs {
	out := Outputs{Parameters: map[string]any{}, Artifacts: map[string][]*spec.RuntimeArtifact{}}
	if d == nil || d.Outputs == nil {
		return out
	}
	for name, o := range d.Outputs.Parameters {
		var sels []spec.ParameterSelector
		if o.ValueFromParameter != nil {
			sels = []spec.ParameterSelector{*o.ValueFromParameter}
		} else if o.ValueFromOneof != nil {
			sels = o.ValueFromOneof.ParameterSelectors
		}
		for _, s := range sels {
			r := children[s.ProducerSubtask]
			if r == nil || r.State != runstate.Succeeded {
				continue
			}
			if v, ok := r.Parameters[s.OutputParameterKey]; ok {
				out.Parameters[name] = v
				break
			}
		}
	}
	for name, o := range d.Outputs.Artifacts {
		for _, s := range o.ArtifactSelectors {
			r := children[s.ProducerSubtask]
			if r == nil || r.State != runstate.Succeeded {
				continue
			}
			if a := r.Artifacts[s.OutputArtifactKey]; len(a) > 0 {
				out.Artifacts[name] = a
				break
			}
		}
	}
	return out
}

// Collect merges loop iterations' outputs in iteration order: a parameter
// becomes the list of the iterations' values (iterations without the value
// contribute nothing); artifact lists are concatenated.
func Collect(iters []Outputs, defs *spec.Interface) Outputs {
	out := Outputs{Parameters: map[string]any{}, Artifacts: map[string][]*spec.RuntimeArtifact{}}
	if defs == nil {
		return out
	}
	for name := range defs.Parameters {
		list := []any{}
		for _, it := range iters {
			if v, ok := it.Parameters[name]; ok {
				list = append(list, v)
			}
		}
		out.Parameters[name] = list
	}
	for name := range defs.Artifacts {
		var list []*spec.RuntimeArtifact
		for _, it := range iters {
			list = append(list, it.Artifacts[name]...)
		}
		out.Artifacts[name] = list
	}
	return out
}
