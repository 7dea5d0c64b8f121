package argo

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/spec/ir"
)

// artSrc is where an artifact argument comes from: an input artifact of
// the calling component, an output of a sibling task, or raw text.
type artSrc struct {
	param string
	task  string
	key   string
	raw   []part
	isRaw bool
}

// callArgs are a call's arguments, in the caller's scope.
type callArgs struct {
	params map[string][]part
	arts   map[string]*artSrc
}

// taskBuilder builds one IR task's inputs. Parts that mix text and
// references become f-string constants whose references are extra inputs
// ("channels") named by the placeholder text.
type taskBuilder struct {
	task     *ir.TaskSpec
	channels map[string]*ref
}

func newTask(key, display, comp string) *taskBuilder {
	if display == "" {
		display = key
	}
	return &taskBuilder{task: &ir.TaskSpec{TaskInfo: ir.TaskInfo{Name: display}, ComponentRef: ir.ComponentRef{Name: comp},
		Inputs: &ir.TaskInputs{Parameters: map[string]*ir.InputParameter{}, Artifacts: map[string]*ir.InputArtifact{}}},
		channels: map[string]*ref{}}
}

func refBinding(r *ref, fallback string) *ir.InputParameter {
	fb := fallback
	if r.task != "" {
		return &ir.InputParameter{TaskOutputParameter: &ir.TaskOutputParameter{ProducerTask: r.task, OutputParameterKey: r.key}, Fallback: &fb}
	}
	b := &ir.InputParameter{ComponentInputParameter: r.param, Fallback: &fb}
	if r.sel != "" {
		b.ParameterExpressionSelector = `parseJson(string_value)["` + r.sel + `"]`
	}
	return b
}

// channel returns the name of the task input that carries the reference
// of p, adding it if needed.
func (b *taskBuilder) channel(p part) string {
	name := p.text
	for i := 2; ; i++ {
		r, ok := b.channels[name]
		if !ok {
			b.channels[name] = p.ref
			b.task.Inputs.Parameters[name] = refBinding(p.ref, p.text)
			return name
		}
		if *r == *p.ref {
			return name
		}
		name = fmt.Sprintf("%s#%d", p.text, i)
	}
}

// bind sets the task's input name to the value of ps.
func (b *taskBuilder) bind(name string, ps []part) {
	ps = merge(ps)
	switch {
	case len(ps) == 0:
		b.task.Inputs.Parameters[name] = &ir.InputParameter{RuntimeValue: &ir.ValueOrRuntimeParam{Constant: ""}}
	case isConst(ps):
		b.task.Inputs.Parameters[name] = &ir.InputParameter{RuntimeValue: &ir.ValueOrRuntimeParam{Constant: constText(ps)}}
	case len(ps) == 1:
		b.task.Inputs.Parameters[name] = refBinding(ps[0].ref, ps[0].text)
	default:
		var s strings.Builder
		for _, p := range ps {
			if p.ref == nil {
				s.WriteString(p.lit)
				continue
			}
			s.WriteString("{{$.inputs.parameters['" + b.channel(p) + "']}}")
		}
		b.task.Inputs.Parameters[name] = &ir.InputParameter{RuntimeValue: &ir.ValueOrRuntimeParam{Constant: s.String()}}
	}
}

// bindArt sets the task's input artifact name from src.
func (b *taskBuilder) bindArt(name string, src *artSrc) {
	switch {
	case src.isRaw:
		p := "raw:" + name
		b.bind(p, src.raw)
		b.task.Inputs.Artifacts[name] = &ir.InputArtifact{RawParameter: p}
	case src.task != "":
		b.task.Inputs.Artifacts[name] = &ir.InputArtifact{TaskOutputArtifact: &ir.TaskOutputArtifact{ProducerTask: src.task, OutputArtifactKey: src.key}}
	default:
		b.task.Inputs.Artifacts[name] = &ir.InputArtifact{ComponentInputArtifact: src.param}
	}
}

// finish drops empty input maps.
func (b *taskBuilder) finish() *ir.TaskSpec {
	if len(b.task.Inputs.Parameters) == 0 {
		b.task.Inputs.Parameters = nil
	}
	if len(b.task.Inputs.Artifacts) == 0 {
		b.task.Inputs.Artifacts = nil
	}
	if b.task.Inputs.Parameters == nil && b.task.Inputs.Artifacts == nil {
		b.task.Inputs = nil
	}
	return b.task
}

// childDefault parses a template's own default (an input parameter's
// value, an input artifact's raw data) with the call's arguments as the
// template's inputs.
func (tr *translator) childDefault(s string, root bool, t *template, args *callArgs) []part {
	ps, _ := parse(s, tr.globalLookup(root, func(name, text string) ([]part, bool, error) {
		if n, ok := strings.CutPrefix(name, "inputs.parameters."); ok {
			if v, ok := args.params[n]; ok {
				return v, true, nil
			}
			for _, p := range t.Inputs.Parameters {
				if p.Name == n && p.Value != nil {
					return lit(string(*p.Value)), true, nil
				}
			}
		}
		return nil, false, nil
	}))
	return ps
}

// bindInputs binds every input a template declares from args (in the
// caller's scope; root says the caller is the root component), then the
// workflow parameters the template needs.
func (tr *translator) bindInputs(b *taskBuilder, field string, root bool, name string, args *callArgs) error {
	t := tr.templates[name]
	for _, p := range t.Inputs.Parameters {
		v, ok := args.params[p.Name]
		switch {
		case ok:
		case p.Value != nil:
			v = tr.childDefault(string(*p.Value), root, t, args)
		case p.Default != nil:
			v = tr.childDefault(string(*p.Default), root, t, args)
		default:
			return errorf(field, "template %q needs input parameter %q, which is not supplied", name, p.Name)
		}
		b.bind(p.Name, v)
	}
	for _, a := range t.Inputs.Artifacts {
		switch src := tr.inputArtifact(a, root, t, args); {
		case src != nil:
			b.bindArt(a.Name, src)
		case !a.Optional:
			return errorf(field, "template %q needs input artifact %q, which is not supplied", name, a.Name)
		}
	}
	tr.bindNeeds(b, root, name)
	return nil
}

// inputArtifact is where input artifact a of template t called with args
// comes from: its argument, else its raw data (root says the caller is the
// root component); nil when it has neither.
func (tr *translator) inputArtifact(a artifact, root bool, t *template, args *callArgs) *artSrc {
	if src, ok := args.arts[a.Name]; ok {
		return src
	}
	if a.Raw != nil {
		return &artSrc{isRaw: true, raw: tr.childDefault(a.Raw.Data, root, t, args)}
	}
	return nil
}

// bindNeeds passes down the workflow parameters template name needs.
func (tr *translator) bindNeeds(b *taskBuilder, root bool, name string) {
	for _, p := range tr.needs[name] {
		src := p
		if !root {
			src = wfParamInput(p)
		}
		b.bind(wfParamInput(p), []part{{ref: &ref{param: src}, text: "{{workflow.parameters." + p + "}}"}})
	}
}

// call builds the task key that runs template name with args.
func (tr *translator) call(field string, root bool, key, name string, args *callArgs, loop *loopInfo) (*ir.TaskSpec, error) {
	t := tr.templates[name]
	if loop != nil {
		return tr.loopCall(field, root, key, name, args, loop)
	}
	comp, err := tr.component(name, nil)
	if err != nil {
		return nil, err
	}
	b := newTask(key, displayName(t, key), comp)
	if err := tr.bindInputs(b, field, root, name, args); err != nil {
		return nil, err
	}
	if t.DAG == nil {
		if err := stepOptions(b.task, t, "spec.templates["+name+"]"); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

func displayName(t *template, key string) string {
	if n := string(t.Metadata.Annotations["pipelines.kubeflow.org/task_display_name"]); n != "" {
		return n
	}
	return key
}

// inputDefs declares a template's inputs (all text) plus extra hidden ones.
func (tr *translator) inputDefs(t *template, skip map[string]bool, extra []string) *ir.Interface {
	in := &ir.Interface{Parameters: map[string]*ir.ParameterSpec{}, Artifacts: map[string]*ir.ArtifactSpec{}}
	for _, p := range t.Inputs.Parameters {
		if !skip[p.Name] {
			in.Parameters[p.Name] = &ir.ParameterSpec{ParameterType: ir.TypeString}
		}
	}
	for _, a := range t.Inputs.Artifacts {
		if !skip["artifact:"+a.Name] {
			in.Artifacts[a.Name] = &ir.ArtifactSpec{ArtifactType: ir.ArtifactType{SchemaTitle: ir.SchemaArtifact, SchemaVersion: "0.0.1"}, IsOptional: a.Optional}
		}
	}
	for _, p := range tr.needs[t.Name] {
		in.Parameters[wfParamInput(p)] = &ir.ParameterSpec{ParameterType: ir.TypeString}
	}
	for _, e := range extra {
		in.Parameters[e] = &ir.ParameterSpec{ParameterType: ir.TypeString}
	}
	if len(in.Parameters) == 0 {
		in.Parameters = nil
	}
	if len(in.Artifacts) == 0 {
		in.Artifacts = nil
	}
	if in.Parameters == nil && in.Artifacts == nil {
		return nil
	}
	return in
}

// outputDefs declares a template's outputs.
func outputDefs(t *template) *ir.Interface {
	out := &ir.Interface{Parameters: map[string]*ir.ParameterSpec{}, Artifacts: map[string]*ir.ArtifactSpec{}}
	for _, p := range t.Outputs.Parameters {
		out.Parameters[p.Name] = &ir.ParameterSpec{ParameterType: ir.TypeString}
	}
	for _, a := range t.Outputs.Artifacts {
		out.Artifacts[a.Name] = &ir.ArtifactSpec{ArtifactType: ir.ArtifactType{SchemaTitle: artifactSchema(a.Name), SchemaVersion: "0.0.1"}, IsOptional: a.Optional}
	}
	if len(out.Parameters) == 0 {
		out.Parameters = nil
	}
	if len(out.Artifacts) == 0 {
		out.Artifacts = nil
	}
	if out.Parameters == nil && out.Artifacts == nil {
		return nil
	}
	return out
}

// artifactSchema types KFP v1's two special outputs so that the UI and the
// API recognise them: metrics as system.Metrics (their values also land in
// the artifact's metadata), visualizations as kfp.v1.UIMetadata.
func artifactSchema(name string) string {
	switch name {
	case "mlpipeline-metrics":
		return ir.SchemaMetrics
	case "mlpipeline-ui-metadata":
		return ir.SchemaUIMetadata
	}
	return ir.SchemaArtifact
}

// component returns the component that runs template name. derived, for
// a loop body, says how some of its inputs are computed from the loop
// item and channels instead of being passed.
func (tr *translator) component(name string, derived *derivedInputs) (string, error) {
	key := name
	if derived != nil {
		b, _ := json.Marshal(derived)
		key += "\x00" + string(b)
	}
	if c, ok := tr.comps[key]; ok {
		return c, nil
	}
	if len(tr.comps) >= maxComponents {
		return "", errorf("spec.templates", "the workflow expands to more than %d components", maxComponents)
	}
	t := tr.templates[name]
	cname := tr.newName("comp-" + name)
	tr.comps[key] = cname
	if t.DAG == nil {
		return cname, tr.containerComponent(cname, name)
	}
	sc := &dagScope{params: map[string][]part{}, arts: map[string]*artSrc{}}
	skip := map[string]bool{}
	var extra []string
	for _, p := range t.Inputs.Parameters {
		sc.params[p.Name] = []part{{ref: &ref{param: p.Name}, text: "{{inputs.parameters." + p.Name + "}}"}}
	}
	for _, a := range t.Inputs.Artifacts {
		sc.arts[a.Name] = &artSrc{param: a.Name}
	}
	if derived != nil {
		for n, ps := range derived.Params {
			sc.params[n] = ps.parts()
			skip[n] = true
		}
		for n, ps := range derived.Raw {
			sc.arts[n] = &artSrc{isRaw: true, raw: ps.parts()}
			skip["artifact:"+n] = true
		}
		extra = append([]string{itemInput}, derived.Channels...)
	}
	comp := &ir.ComponentSpec{InputDefinitions: tr.inputDefs(t, skip, extra), OutputDefinitions: outputDefs(t)}
	tr.out.Components[cname] = comp
	d, err := tr.dagBody(name, sc)
	if err != nil {
		return "", err
	}
	comp.DAG = d
	return cname, nil
}

// derivedInputs are a loop body's inputs computed per item, in the body's
// terms (JSON-encodable: part of the component's identity).
type derivedInputs struct {
	Params   map[string]jsonParts `json:"params,omitempty"`
	Raw      map[string]jsonParts `json:"raw,omitempty"`
	Channels []string             `json:"channels,omitempty"`
}

type jsonPart struct {
	Lit   string `json:"lit,omitempty"`
	Param string `json:"param,omitempty"`
	Sel   string `json:"sel,omitempty"`
	Text  string `json:"text,omitempty"`
}

type jsonParts []jsonPart

func toJSONParts(ps []part) jsonParts {
	out := jsonParts{}
	for _, p := range ps {
		if p.ref == nil {
			out = append(out, jsonPart{Lit: p.lit})
			continue
		}
		out = append(out, jsonPart{Param: p.ref.param, Sel: p.ref.sel, Text: p.text})
	}
	return out
}

func (js jsonParts) parts() []part {
	var out []part
	for _, j := range js {
		if j.Param == "" {
			out = append(out, part{lit: j.Lit})
			continue
		}
		out = append(out, part{ref: &ref{param: j.Param, sel: j.Sel}, text: j.Text})
	}
	return out
}

// loopInfo describes a loop task: where its items come from.
type loopInfo struct {
	raw         string // constant items (JSON list)
	items       []part // items computed at run time (withParam, or withItems with placeholders)
	parallelism int
}

// loopCall builds a loop task: an iterator over the items whose body runs
// template name once per item. Arguments that use the item are computed
// inside the body; the rest are passed by the loop task.
func (tr *translator) loopCall(field string, root bool, key, name string, args *callArgs, loop *loopInfo) (*ir.TaskSpec, error) {
	t := tr.templates[name]
	outer := newTask(key, displayName(t, key), "")
	derived := &derivedInputs{Params: map[string]jsonParts{}, Raw: map[string]jsonParts{}}
	passed := &callArgs{params: map[string][]part{}, arts: map[string]*artSrc{}}
	toBody := func(ps []part) []part {
		out := make([]part, 0, len(ps))
		for _, p := range ps {
			switch {
			case p.ref == nil:
				out = append(out, p)
			case p.ref.item:
				out = append(out, part{ref: &ref{param: itemInput, sel: p.ref.sel}, text: p.text})
			default:
				out = append(out, part{ref: &ref{param: outer.channel(p)}, text: p.text})
			}
		}
		return out
	}
	usesItem := func(ps []part) bool {
		for _, p := range ps {
			if p.ref != nil && p.ref.item {
				return true
			}
		}
		return false
	}
	for _, n := range slices.Sorted(maps.Keys(args.params)) {
		if ps := args.params[n]; usesItem(ps) {
			derived.Params[n] = toJSONParts(toBody(ps))
		} else {
			passed.params[n] = ps
		}
	}
	for _, n := range slices.Sorted(maps.Keys(args.arts)) {
		if src := args.arts[n]; src.isRaw && usesItem(src.raw) {
			derived.Raw[n] = toJSONParts(toBody(src.raw))
		} else {
			passed.arts[n] = src
		}
	}
	// The arguments the body does not compute are bound on the loop task
	// (defaults included), so that each iteration sees them.
	var body string
	var err error
	if t.DAG != nil {
		sub := &callArgs{params: map[string][]part{}, arts: map[string]*artSrc{}}
		for n, ps := range passed.params {
			sub.params[n] = ps
		}
		for n, a := range passed.arts {
			sub.arts[n] = a
		}
		for _, p := range t.Inputs.Parameters {
			if _, d := derived.Params[p.Name]; d {
				sub.params[p.Name] = lit("") // computed in the body
			}
		}
		for _, a := range t.Inputs.Artifacts {
			if _, d := derived.Raw[a.Name]; d {
				sub.arts[a.Name] = &artSrc{isRaw: true}
			}
		}
		if err := tr.bindInputs(outer, field, root, name, sub); err != nil {
			return nil, err
		}
		for n := range derived.Params {
			delete(outer.task.Inputs.Parameters, n)
		}
		for n := range derived.Raw {
			delete(outer.task.Inputs.Artifacts, n)
			delete(outer.task.Inputs.Parameters, "raw:"+n)
		}
		derived.Channels = slices.Sorted(maps.Keys(outer.channels))
		body, err = tr.component(name, derived)
	} else {
		body, err = tr.loopWrapper(field, root, key, name, outer, passed, derived, toBody)
	}
	if err != nil {
		return nil, err
	}
	outer.task.ComponentRef.Name = body
	it := &ir.ParameterIterator{ItemInput: itemInput}
	if loop.items == nil {
		it.Items.Raw = loop.raw
	} else {
		outer.bind("{{items}}", loop.items)
		it.Items.InputParameter = "{{items}}"
	}
	outer.task.ParameterIterator = it
	if loop.parallelism > 0 {
		outer.task.IteratorPolicy = &ir.IteratorPolicy{ParallelismLimit: loop.parallelism}
	}
	return outer.finish(), nil
}

// loopWrapper is the body of a loop over a container template: a DAG
// with one task running it, its item-dependent arguments computed there.
func (tr *translator) loopWrapper(field string, root bool, key, name string, outer *taskBuilder, passed *callArgs, derived *derivedInputs, toBody func([]part) []part) (string, error) {
	t := tr.templates[name]
	inner := &callArgs{params: map[string][]part{}, arts: map[string]*artSrc{}}
	wrapper := &ir.ComponentSpec{InputDefinitions: &ir.Interface{Parameters: map[string]*ir.ParameterSpec{itemInput: {ParameterType: ir.TypeString}}, Artifacts: map[string]*ir.ArtifactSpec{}}}
	for n, ps := range passed.params {
		outer.bind(n, ps)
		wrapper.InputDefinitions.Parameters[n] = &ir.ParameterSpec{ParameterType: ir.TypeString}
		inner.params[n] = []part{{ref: &ref{param: n}, text: "{{inputs.parameters." + n + "}}"}}
	}
	for n, a := range passed.arts {
		outer.bindArt(n, a)
		wrapper.InputDefinitions.Artifacts[n] = &ir.ArtifactSpec{ArtifactType: ir.ArtifactType{SchemaTitle: ir.SchemaArtifact, SchemaVersion: "0.0.1"}}
		if a.isRaw {
			wrapper.InputDefinitions.Parameters["raw:"+n] = &ir.ParameterSpec{ParameterType: ir.TypeString}
		}
		inner.arts[n] = &artSrc{param: n}
	}
	for n, js := range derived.Params {
		inner.params[n] = js.parts()
	}
	for n, js := range derived.Raw {
		inner.arts[n] = &artSrc{isRaw: true, raw: js.parts()}
	}
	tr.bindNeeds(outer, root, name)
	for _, p := range tr.needs[name] {
		wrapper.InputDefinitions.Parameters[wfParamInput(p)] = &ir.ParameterSpec{ParameterType: ir.TypeString}
	}
	for ch := range outer.channels {
		wrapper.InputDefinitions.Parameters[ch] = &ir.ParameterSpec{ParameterType: ir.TypeString}
	}
	if len(wrapper.InputDefinitions.Artifacts) == 0 {
		wrapper.InputDefinitions.Artifacts = nil
	}
	task, err := tr.call(field, false, key, name, inner, nil)
	if err != nil {
		return "", err
	}
	_ = toBody
	wrapper.DAG = &ir.DAGSpec{Tasks: map[string]*ir.TaskSpec{key: task}}
	wname := tr.newName("comp-" + name + "-loop")
	tr.out.Components[wname] = wrapper
	_ = t
	return wname, nil
}
