package dsl

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/spec"
)

// Component is what a task runs: a [*Container], a [*LoadedComponent] (a
// component YAML file), or a [*Pipeline] (a nested pipeline).
type Component interface {
	definition() *compDef
}

// compDef is a component's interface and implementation.
type compDef struct {
	name    string
	inputs  []Input
	outputs []Output
	errs    []string // problems with the definition itself

	exec  *spec.ExecutorSpec // container or importer
	graph *Pipeline          // a Go pipeline used as a component
	spec  *spec.PipelineSpec // a loaded pipeline used as a component
	// platform is the loaded pipeline's platform spec (its tasks'
	// Kubernetes settings), if it has one; kubeBase the Kubernetes settings
	// of a loaded component's executor, which tasks running it start from.
	platform *spec.PlatformSpec
	kubeBase map[string]any
}

func (d *compDef) input(name string) (Input, bool) {
	for _, in := range d.inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}

func (d *compDef) output(name string) (Output, bool) {
	for _, o := range d.outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

func (d *compDef) inputNames() []string {
	var s []string
	for _, in := range d.inputs {
		s = append(s, in.Name)
	}
	return s
}

func (d *compDef) outputNames() []string {
	var s []string
	for _, o := range d.outputs {
		s = append(s, o.Name)
	}
	return s
}

// Container is a container component (@dsl.container_component in KFP):
// an image, a command and arguments with placeholders for its inputs and
// outputs.
//
//	square := &dsl.Container{
//		Name:    "square",
//		Image:   "alpine:3.20",
//		Inputs:  []dsl.Input{{Name: "x", Type: dsl.Int}},
//		Outputs: []dsl.Output{{Name: "y", Type: dsl.Int}},
//		Command: []string{"sh", "-c", `echo $(($0 * $0)) > "$1"`,
//			dsl.InputValue("x"), dsl.OutputPath("y")},
//	}
type Container struct {
	// Name names the component; tasks running it are named after it
	// (made k8s-safe: "Square numbers" gives "square-numbers").
	Name        string
	Description string
	Image       string
	Command     []string
	Args        []string
	Inputs      []Input
	Outputs     []Output
}

var placeholderRef = regexp.MustCompile(`\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\]`)

func (c *Container) definition() *compDef {
	d := &compDef{name: c.Name, inputs: c.Inputs, outputs: c.Outputs}
	if strings.TrimSpace(c.Name) == "" {
		d.errs = append(d.errs, "the container component has no Name")
	}
	if c.Image == "" {
		d.errs = append(d.errs, "no Image")
	}
	d.errs = append(d.errs, checkDecls(c.Inputs, c.Outputs)...)
	outs := map[string]Output{}
	for _, o := range c.Outputs {
		outs[o.Name] = o
	}
	ins := map[string]Input{}
	for _, in := range c.Inputs {
		ins[in.Name] = in
	}
	fix := func(elems []string) []string {
		var r []string
		for _, e := range elems {
			// OutputPath is written in the artifact form; a parameter
			// output's path is its output file.
			for name, o := range outs {
				if !o.Type.IsArtifact() {
					e = strings.ReplaceAll(e, "{{$.outputs.artifacts['"+name+"'].path}}", "{{$.outputs.parameters['"+name+"'].output_file}}")
				}
			}
			for _, m := range placeholderRef.FindAllStringSubmatch(e, -1) {
				dir, kind, name := m[1], m[2], m[3]
				var t Type
				var ok bool
				if dir == "inputs" {
					var in Input
					in, ok = ins[name]
					t = in.Type
				} else {
					var o Output
					o, ok = outs[name]
					t = o.Type
				}
				switch {
				case !ok:
					d.errs = append(d.errs, fmt.Sprintf("a placeholder refers to %s %q, which is not declared", strings.TrimSuffix(dir, "s"), name))
				case kind == "parameters" && t.IsArtifact():
					d.errs = append(d.errs, fmt.Sprintf("%s %q is an artifact (%s): use %s", strings.TrimSuffix(dir, "s"), name, t, map[string]string{"inputs": "InputPath or InputURI", "outputs": "OutputPath or OutputURI"}[dir]))
				case kind == "artifacts" && !t.IsArtifact():
					d.errs = append(d.errs, fmt.Sprintf("%s %q is a parameter (%s): use %s", strings.TrimSuffix(dir, "s"), name, t, map[string]string{"inputs": "InputValue", "outputs": "OutputPath"}[dir]))
				}
			}
			for _, m := range ifPresentName.FindAllStringSubmatch(e, -1) {
				if _, ok := ins[m[1]]; !ok {
					d.errs = append(d.errs, fmt.Sprintf("IfPresent refers to input %q, which is not declared", m[1]))
				}
			}
			r = append(r, e)
		}
		return r
	}
	d.exec = &spec.ExecutorSpec{Container: &spec.ContainerSpec{Image: c.Image, Command: fix(c.Command), Args: fix(c.Args)}}
	return d
}

var ifPresentName = regexp.MustCompile(`"IfPresent": \{"InputName": "([^"]*)"`)

// checkDecls checks input and output declarations: names present and
// unique, types valid, defaults of the declared type.
func checkDecls(ins []Input, outs []Output) []string {
	var errs []string
	seen := map[string]bool{}
	for _, in := range ins {
		switch {
		case in.Name == "":
			errs = append(errs, "an input has no name")
		case seen[in.Name]:
			errs = append(errs, fmt.Sprintf("input %q is declared twice", in.Name))
		case !in.Type.valid():
			errs = append(errs, fmt.Sprintf("input %q has no Type", in.Name))
		case in.Default != nil:
			if _, err := checkConst(in.Default, in.Type); err != nil {
				errs = append(errs, fmt.Sprintf("input %q: default %v", in.Name, err))
			}
		}
		seen[in.Name] = true
	}
	seen = map[string]bool{}
	for _, o := range outs {
		switch {
		case o.Name == "":
			errs = append(errs, "an output has no name")
		case seen[o.Name]:
			errs = append(errs, fmt.Sprintf("output %q is declared twice", o.Name))
		case !o.Type.valid():
			errs = append(errs, fmt.Sprintf("output %q has no Type", o.Name))
		}
		seen[o.Name] = true
	}
	return errs
}

// Placeholders for a Container's Command and Args. Each is the IR
// placeholder string, so they can also be embedded in a longer string.

// InputValue is the value of parameter input name, as text.
func InputValue(name string) string { return "{{$.inputs.parameters['" + name + "']}}" }

// InputPath is the local path of artifact input name.
func InputPath(name string) string { return "{{$.inputs.artifacts['" + name + "'].path}}" }

// InputURI is the URI of artifact input name.
func InputURI(name string) string { return "{{$.inputs.artifacts['" + name + "'].uri}}" }

// OutputPath is the path the container writes output name to: the file
// holding a parameter output's value, or an artifact output's local path.
func OutputPath(name string) string { return "{{$.outputs.artifacts['" + name + "'].path}}" }

// OutputURI is the URI of artifact output name.
func OutputURI(name string) string { return "{{$.outputs.artifacts['" + name + "'].uri}}" }

// ExecutorInput is the whole ExecutorInput as JSON ({{$}}).
const ExecutorInput = "{{$}}"

// System placeholders (dsl.PIPELINE_JOB_NAME_PLACEHOLDER etc. in KFP), usable
// as task input constants and in Command and Args.
const (
	PipelineJobName          = "{{$.pipeline_job_name}}"
	PipelineJobResourceName  = "{{$.pipeline_job_resource_name}}"
	PipelineJobID            = "{{$.pipeline_job_uuid}}"
	PipelineTaskName         = "{{$.pipeline_task_name}}"
	PipelineTaskID           = "{{$.pipeline_task_uuid}}"
	PipelineJobCreateTimeUTC = "{{$.pipeline_job_create_time_utc}}"
	PipelineRoot             = "{{$.pipeline_root}}"
	WorkspacePath            = "{{$.workspace_path}}"
)

// Concat joins its items into one argument when the task runs (ConcatPlaceholder).
// Items are strings, placeholders, or other Concat/IfPresent results.
func Concat(items ...string) string {
	return pyJSON(orderedMap{{"Concat", structItems(items)}})
}

// IfPresent is replaced by the then arguments when the task was given input
// name, else by the otherwise arguments (IfPresentPlaceholder).
func IfPresent(name string, then []string, otherwise []string) string {
	m := orderedMap{{"InputName", name}, {"Then", structItems(then)}}
	if otherwise != nil {
		m = append(m, kv{"Else", structItems(otherwise)})
	}
	return pyJSON(orderedMap{{"IfPresent", m}})
}

// structItems turns nested Concat/IfPresent strings back into objects.
func structItems(items []string) []any {
	r := make([]any, 0, len(items))
	for _, it := range items {
		if strings.HasPrefix(it, `{"Concat": `) || strings.HasPrefix(it, `{"IfPresent": `) {
			var v any
			if json.Unmarshal([]byte(it), &v) == nil {
				r = append(r, orderedFromJSON(it))
				continue
			}
		}
		r = append(r, it)
	}
	return r
}

// LoadedComponent is a component read from a YAML file: a v1 component, a
// compiled v2 component (an IR pipeline with one component), or a compiled
// pipeline, which runs as a nested pipeline.
type LoadedComponent struct {
	def *compDef
}

func (l *LoadedComponent) definition() *compDef { return l.def }

// Name is the component's name.
func (l *LoadedComponent) Name() string { return l.def.name }

// Inputs are the component's inputs.
func (l *LoadedComponent) Inputs() []Input { return slices.Clone(l.def.inputs) }

// Outputs are the component's outputs.
func (l *LoadedComponent) Outputs() []Output { return slices.Clone(l.def.outputs) }

// LoadComponentFile reads a component YAML file (load_component_from_file
// in KFP): a v1 component, a compiled v2 component, or a compiled pipeline.
func LoadComponentFile(path string) (*LoadedComponent, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := LoadComponent(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// LoadComponent reads a component from YAML text (load_component_from_text).
func LoadComponent(data []byte) (*LoadedComponent, error) {
	p, err := spec.Load(data)
	if err != nil {
		return nil, err
	}
	ps := p.Spec
	d := &compDef{name: ps.PipelineInfo.Name}
	if p.Kind == spec.KindV1Component && ps.PipelineInfo.DisplayName != "" {
		d.name = ps.PipelineInfo.DisplayName
	}
	var one *spec.ComponentSpec
	if ps.Root.DAG != nil && len(ps.Root.DAG.Tasks) == 1 && len(ps.Components) == 1 {
		for _, t := range ps.Root.DAG.Tasks {
			if c := ps.Components[t.ComponentRef.Name]; c != nil && c.ExecutorLabel != "" {
				one = c
			}
		}
	}
	if one != nil {
		d.exec = ps.DeploymentSpec.Executors[one.ExecutorLabel]
		d.inputs, d.outputs = declsFromSpec(one.InputDefinitions, one.OutputDefinitions)
		if p.Platform != nil && p.Platform.Platforms["kubernetes"] != nil {
			d.kubeBase = p.Platform.Platforms["kubernetes"].DeploymentSpec.Executors[one.ExecutorLabel]
		}
	} else {
		d.spec, d.platform = ps, p.Platform
		d.inputs, d.outputs = declsFromSpec(ps.Root.InputDefinitions, ps.Root.OutputDefinitions)
	}
	return &LoadedComponent{def: d}, nil
}

func declsFromSpec(in, out *spec.Interface) ([]Input, []Output) {
	var ins []Input
	var outs []Output
	if in != nil {
		for _, n := range slices.Sorted(maps.Keys(in.Parameters)) {
			p := in.Parameters[n]
			t := paramTypeFromSpec(p)
			ins = append(ins, Input{Name: n, Type: t, Default: p.DefaultValue, Optional: p.IsOptional, Description: p.Description})
		}
		for _, n := range slices.Sorted(maps.Keys(in.Artifacts)) {
			a := in.Artifacts[n]
			ins = append(ins, Input{Name: n, Type: artifactTypeFromSpec(a), Optional: a.IsOptional, Description: a.Description})
		}
	}
	if out != nil {
		for _, n := range slices.Sorted(maps.Keys(out.Parameters)) {
			outs = append(outs, Output{Name: n, Type: paramTypeFromSpec(out.Parameters[n]), Description: out.Parameters[n].Description})
		}
		for _, n := range slices.Sorted(maps.Keys(out.Artifacts)) {
			outs = append(outs, Output{Name: n, Type: artifactTypeFromSpec(out.Artifacts[n]), Description: out.Artifacts[n].Description})
		}
	}
	return ins, outs
}

// interfaceSpec is the IR form of input and output declarations.
func interfaceSpec(ins []Input, outs []Output) (in, out *spec.Interface) {
	if len(ins) > 0 {
		in = &spec.Interface{}
		for _, i := range ins {
			if i.Type.IsArtifact() {
				if in.Artifacts == nil {
					in.Artifacts = map[string]*spec.ArtifactSpec{}
				}
				in.Artifacts[i.Name] = &spec.ArtifactSpec{ArtifactType: i.Type.artifactSpec(), IsArtifactList: i.Type.list,
					IsOptional: i.Optional || i.Default != nil, Description: i.Description}
				continue
			}
			if in.Parameters == nil {
				in.Parameters = map[string]*spec.ParameterSpec{}
			}
			ps := &spec.ParameterSpec{ParameterType: i.Type.param, Description: i.Description,
				IsOptional: i.Optional || i.Default != nil || i.Type.param == spec.TypeTaskFinalStatus}
			if i.Default != nil {
				ps.DefaultValue, _ = checkConst(i.Default, i.Type)
			}
			in.Parameters[i.Name] = ps
		}
	}
	if len(outs) > 0 {
		out = &spec.Interface{}
		for _, o := range outs {
			if o.Type.IsArtifact() {
				if out.Artifacts == nil {
					out.Artifacts = map[string]*spec.ArtifactSpec{}
				}
				out.Artifacts[o.Name] = &spec.ArtifactSpec{ArtifactType: o.Type.artifactSpec(), IsArtifactList: o.Type.list, Description: o.Description}
				continue
			}
			if out.Parameters == nil {
				out.Parameters = map[string]*spec.ParameterSpec{}
			}
			out.Parameters[o.Name] = &spec.ParameterSpec{ParameterType: o.Type.param, Description: o.Description}
		}
	}
	return in, out
}
