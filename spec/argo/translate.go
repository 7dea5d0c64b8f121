package argo

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/spec/ir"
)

// IsWorkflow reports whether a decoded document is an Argo Workflow
// (apiVersion argoproj.io/…, kind Workflow).
func IsWorkflow(doc map[string]any) bool {
	api, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	return strings.HasPrefix(api, "argoproj.io/") && kind == "Workflow"
}

// Result is a translated workflow: the IR pipeline spec and platform spec.
type Result struct {
	Pipeline *ir.PipelineSpec
	// Platform is nil when no step has Kubernetes settings.
	Platform *ir.PlatformSpec
}

// Limits on what one workflow may ask for, so that a hostile file cannot
// make translation expensive.
const (
	maxTemplates  = 2000
	maxComponents = 5000
)

// translator holds the state of one translation.
type translator struct {
	wf        *workflow
	templates map[string]*template
	raw       map[string]map[string]any // templates as decoded JSON
	tasks     map[string][]*dagTask     // DAG tasks by template
	params    []parameter               // workflow parameters, in order
	isParam   map[string]bool
	wfArts    map[string]*artifact
	needs     map[string][]string // workflow parameters each template uses, transitively
	out       *ir.PipelineSpec
	platform  map[string]map[string]any // executor label -> kubernetes settings
	comps     map[string]string         // component key -> component name
	names     map[string]bool           // component and executor names used
}

// Translate turns a decoded Argo Workflow document (as spec's YAML/JSON
// decoder returns it) into IR. Errors are *Error naming the field.
func Translate(doc map[string]any) (*Result, error) {
	if !IsWorkflow(doc) {
		return nil, errorf("kind", "not an Argo Workflow (apiVersion argoproj.io/v1alpha1, kind Workflow)")
	}
	tr := &translator{wf: &workflow{}, templates: map[string]*template{}, raw: map[string]map[string]any{},
		tasks: map[string][]*dagTask{}, isParam: map[string]bool{}, wfArts: map[string]*artifact{},
		platform: map[string]map[string]any{}, comps: map[string]string{}, names: map[string]bool{}}
	if err := decode(doc, tr.wf, ""); err != nil {
		return nil, err
	}
	if err := tr.check(); err != nil {
		return nil, err
	}
	if err := tr.readTemplates(); err != nil {
		return nil, err
	}
	if err := tr.readArguments(); err != nil {
		return nil, err
	}
	tr.computeNeeds()
	if err := tr.build(); err != nil {
		return nil, err
	}
	res := &Result{Pipeline: tr.out}
	if len(tr.platform) > 0 {
		ps := &ir.PlatformSpec{Platforms: map[string]*ir.SinglePlatformSpec{"kubernetes": {}}}
		ps.Platforms["kubernetes"].DeploymentSpec.Executors = tr.platform
		res.Platform = ps
	}
	return res, nil
}

func (tr *translator) check() error {
	w := tr.wf
	md := w.Metadata
	if md.Annotations["pipelines.kubeflow.org/v2_pipeline"] == "true" || md.Labels["pipelines.kubeflow.org/v2_pipeline"] == "true" {
		return errorf("metadata.annotations", "this is a KFP v2-compatible workflow (kfp 1.x compiled with mode=V2_COMPATIBLE), a mode KFP 2 dropped: compile the pipeline with kfp 2.x to IR YAML, or with kfp 1.x in its default v1 mode")
	}
	s := &w.Spec
	switch {
	case s.WorkflowTemplateRef != nil:
		return errorf("spec.workflowTemplateRef", "workflows that refer to a WorkflowTemplate are not supported: the workflow must hold its templates")
	case s.TemplateDefaults != nil:
		return errorf("spec.templateDefaults", "not supported")
	case s.Hooks != nil:
		return errorf("spec.hooks", "lifecycle hooks are not supported (KFP v1 compiles exit handlers to spec.onExit)")
	case s.Entrypoint == "":
		return errorf("spec.entrypoint", "missing: the workflow does not say which template to run")
	case len(s.Templates) == 0:
		return errorf("spec.templates", "the workflow has no templates")
	case len(s.Templates) > maxTemplates:
		return errorf("spec.templates", "%d templates: at most %d are supported", len(s.Templates), maxTemplates)
	}
	return nil
}

func (tr *translator) readTemplates() error {
	for i, raw := range tr.wf.Spec.Templates {
		field := fmt.Sprintf("spec.templates[%d]", i)
		m, ok := raw.(map[string]any)
		if !ok {
			return errorf(field, "expected a mapping (a template)")
		}
		name, _ := m["name"].(string)
		if err := checkName(field+".name", "template", name); err != nil {
			return err
		}
		field = "spec.templates[" + name + "]"
		if tr.templates[name] != nil {
			return errorf(field, "two templates are named %q", name)
		}
		t := &template{}
		if err := decode(m, t, field); err != nil {
			return err
		}
		tr.templates[name], tr.raw[name] = t, m
		if t.DAG != nil {
			seen := map[string]bool{}
			for j, rt := range t.DAG.Tasks {
				tf := fmt.Sprintf("%s.dag.tasks[%d]", field, j)
				tm, ok := rt.(map[string]any)
				if !ok {
					return errorf(tf, "expected a mapping (a task)")
				}
				tn, _ := tm["name"].(string)
				if err := checkName(tf+".name", "task", tn); err != nil {
					return err
				}
				tf = field + ".dag.tasks[" + tn + "]"
				if seen[tn] {
					return errorf(tf, "two tasks are named %q", tn)
				}
				seen[tn] = true
				dt := &dagTask{}
				if err := decode(tm, dt, tf); err != nil {
					return err
				}
				tr.tasks[name] = append(tr.tasks[name], dt)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(tr.templates)) {
		if err := tr.checkTemplate(name); err != nil {
			return err
		}
	}
	if tr.templates[tr.wf.Spec.Entrypoint] == nil {
		return errorf("spec.entrypoint", "unknown template %q", tr.wf.Spec.Entrypoint)
	}
	if e := tr.wf.Spec.OnExit; e != "" && tr.templates[e] == nil {
		return errorf("spec.onExit", "unknown template %q", e)
	}
	return nil
}

// checkTemplate checks what does not depend on where the template is used.
func (tr *translator) checkTemplate(name string) error {
	t := tr.templates[name]
	field := "spec.templates[" + name + "]"
	kinds := 0
	for _, k := range []bool{t.DAG != nil, t.Container != nil, t.Script != nil, t.Resource != nil} {
		if k {
			kinds++
		}
	}
	switch {
	case t.Steps != nil:
		return errorf(field+".steps", "steps templates are not supported (KFP v1 compiles pipelines to dag templates)")
	case t.Suspend != nil, t.Data != nil, t.HTTP != nil, t.ContainerSet != nil, t.Plugin != nil:
		return errorf(field, "template kind not supported: Sluice runs dag, container and script templates")
	case kinds == 0:
		return errorf(field, "the template has no dag, container, script or resource")
	case kinds > 1:
		return errorf(field, "the template has more than one of dag, container, script and resource")
	}
	seen := map[string]bool{}
	for i, p := range t.Inputs.Parameters {
		if err := checkParamName(fmt.Sprintf("%s.inputs.parameters[%d].name", field, i), "input parameter", p.Name); err != nil {
			return err
		}
		if seen[p.Name] {
			return errorf(field+".inputs.parameters", "two inputs are named %q", p.Name)
		}
		seen[p.Name] = true
	}
	seen = map[string]bool{}
	for i, a := range t.Inputs.Artifacts {
		f := fmt.Sprintf("%s.inputs.artifacts[%d]", field, i)
		if err := checkParamName(f+".name", "input artifact", a.Name); err != nil {
			return err
		}
		if seen[a.Name] {
			return errorf(field+".inputs.artifacts", "two inputs are named %q", a.Name)
		}
		seen[a.Name] = true
		if err := checkSource(f, &a, false); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, p := range t.Outputs.Parameters {
		if err := checkParamName(fmt.Sprintf("%s.outputs.parameters[%d].name", field, i), "output parameter", p.Name); err != nil {
			return err
		}
		if seen[p.Name] {
			return errorf(field+".outputs.parameters", "two outputs are named %q", p.Name)
		}
		seen[p.Name] = true
	}
	seen = map[string]bool{}
	for i, a := range t.Outputs.Artifacts {
		f := fmt.Sprintf("%s.outputs.artifacts[%d]", field, i)
		if err := checkParamName(f+".name", "output artifact", a.Name); err != nil {
			return err
		}
		if seen[a.Name] {
			return errorf(field+".outputs.artifacts", "two outputs are named %q", a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

// checkSource refuses artifact sources other than raw text and from.
func checkSource(field string, a *artifact, allowFrom bool) error {
	for _, s := range []struct {
		v    any
		name string
	}{{a.S3, "s3"}, {a.GCS, "gcs"}, {a.HTTP, "http"}, {a.Git, "git"}, {a.Artifactory, "artifactory"},
		{a.HDFS, "hdfs"}, {a.OSS, "oss"}, {a.Azure, "azure"}, {a.FromExpr, "fromExpression"}} {
		if s.v != nil {
			return errorf(field+"."+s.name, "artifact %q: artifacts from a repository are not supported (only raw data and outputs of other tasks)", a.Name)
		}
	}
	if a.From != "" && !allowFrom {
		return errorf(field+".from", "artifact %q: from is only valid in a task's arguments", a.Name)
	}
	return nil
}

func (tr *translator) readArguments() error {
	args := tr.wf.Spec.Arguments
	for i, p := range args.Parameters {
		f := fmt.Sprintf("spec.arguments.parameters[%d]", i)
		if err := checkParamName(f+".name", "parameter", p.Name); err != nil {
			return err
		}
		if tr.isParam[p.Name] {
			return errorf(f+".name", "two parameters are named %q", p.Name)
		}
		if p.ValueFrom != nil {
			return errorf(f+".valueFrom", "parameter %q: valueFrom is not supported for workflow parameters", p.Name)
		}
		tr.isParam[p.Name] = true
		tr.params = append(tr.params, p)
	}
	for i, a := range args.Artifacts {
		f := fmt.Sprintf("spec.arguments.artifacts[%d]", i)
		if err := checkParamName(f+".name", "artifact", a.Name); err != nil {
			return err
		}
		if err := checkSource(f, &a, false); err != nil {
			return err
		}
		if a.Raw == nil {
			return errorf(f, "artifact %q: only raw artifacts are supported as workflow arguments", a.Name)
		}
		if tr.wfArts[a.Name] != nil {
			return errorf(f+".name", "two artifacts are named %q", a.Name)
		}
		tr.wfArts[a.Name] = &args.Artifacts[i]
	}
	return nil
}

// computeNeeds works out, for every template, the workflow parameters it
// or anything it calls refers to: each component below the root receives
// them as hidden inputs.
func (tr *translator) computeNeeds() {
	direct := map[string]map[string]bool{}
	for name, m := range tr.raw {
		b, _ := json.Marshal(m)
		set := map[string]bool{}
		for _, p := range wfParamsIn(string(b)) {
			if tr.isParam[p] {
				set[p] = true
			}
		}
		direct[name] = set
	}
	for changed := true; changed; {
		changed = false
		for name := range tr.templates {
			for _, t := range tr.tasks[name] {
				for p := range direct[t.Template] {
					if !direct[name][p] {
						direct[name][p] = true
						changed = true
					}
				}
			}
		}
	}
	tr.needs = map[string][]string{}
	for name, set := range direct {
		tr.needs[name] = slices.Sorted(maps.Keys(set))
	}
}

var (
	unsafeName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9-]+`) })
	dashRuns   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`-+`) })
)

// pipelineName is the IR pipeline name: the workflow's generateName (or
// name) as a lowercase DNS-style name.
func (tr *translator) pipelineName() (string, error) {
	md := tr.wf.Metadata
	n := md.GenerateName
	if n == "" {
		n = md.Name
	}
	n = strings.Trim(unsafeName().ReplaceAllString(strings.ToLower(n), "-"), "-")
	n = dashRuns().ReplaceAllString(n, "-")
	if len(n) > 100 {
		n = strings.Trim(n[:100], "-")
	}
	if n == "" {
		n = strings.Trim(unsafeName().ReplaceAllString(strings.ToLower(tr.wf.Spec.Entrypoint), "-"), "-")
	}
	if n == "" {
		return "", errorf("metadata.generateName", "the workflow has no name")
	}
	return n, nil
}

// pipelineSpecNote is the pipeline_spec annotation kfp writes (display
// only).
type pipelineSpecNote struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Inputs      []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"inputs"`
}

func (tr *translator) build() error {
	name, err := tr.pipelineName()
	if err != nil {
		return err
	}
	var note pipelineSpecNote
	if s := string(tr.wf.Metadata.Annotations["pipelines.kubeflow.org/pipeline_spec"]); s != "" {
		_ = json.Unmarshal([]byte(s), &note) // informational only
	}
	desc := map[string]string{}
	for _, in := range note.Inputs {
		desc[in.Name] = in.Description
	}
	tr.out = &ir.PipelineSpec{
		PipelineInfo:   ir.PipelineInfo{Name: name, DisplayName: note.Name, Description: note.Description},
		Components:     map[string]*ir.ComponentSpec{},
		DeploymentSpec: ir.DeploymentSpec{Executors: map[string]*ir.ExecutorSpec{}},
		SchemaVersion:  "2.1.0",
		SDKVersion:     "kfp-" + string(tr.wf.Metadata.Annotations["pipelines.kubeflow.org/kfp_sdk_version"]),
	}
	if tr.out.SDKVersion == "kfp-" {
		tr.out.SDKVersion = ""
	}
	if p := tr.wf.Spec.Parallelism; p != nil {
		n, err := p.int("spec.parallelism")
		if err != nil {
			return err
		}
		tr.out.Parallelism = int(n)
	}
	root := &ir.ComponentSpec{InputDefinitions: &ir.Interface{Parameters: map[string]*ir.ParameterSpec{}}}
	for _, p := range tr.params {
		ps := &ir.ParameterSpec{ParameterType: ir.TypeString, Description: desc[p.Name]}
		if p.Value != nil {
			ps.DefaultValue = tr.rootDefault(string(*p.Value))
		}
		root.InputDefinitions.Parameters[p.Name] = ps
	}
	if len(root.InputDefinitions.Parameters) == 0 {
		root.InputDefinitions = nil
	}
	dag, err := tr.rootDAG()
	if err != nil {
		return err
	}
	if d := tr.wf.Spec.ActiveDeadlineSeconds; d != nil {
		n, err := d.int("spec.activeDeadlineSeconds")
		if err != nil {
			return err
		}
		dag.TimeoutSeconds = n
	}
	root.DAG = dag
	tr.out.Root = root
	if len(tr.out.Components) > maxComponents {
		return errorf("spec.templates", "the workflow expands to more than %d components", maxComponents)
	}
	return nil
}

// rootDefault is a workflow parameter's default with the workflow-wide
// placeholders (the run id of dsl.RUN_ID_PLACEHOLDER) made IR system
// placeholders; the engine fills them in.
func (tr *translator) rootDefault(v string) string {
	ps, _ := parse(v, func(name, text string) ([]part, bool, error) {
		if g, ok := globals[name]; ok {
			return lit(g), true, nil
		}
		return nil, false, nil
	})
	return constText(ps)
}

// rootDAG is the root component's DAG: the entrypoint's tasks (a DAG
// entrypoint is flattened into the root, as Argo shows its nodes), or one
// task for a container entrypoint, plus the exit handler.
func (tr *translator) rootDAG() (*ir.DAGSpec, error) {
	entry := tr.wf.Spec.Entrypoint
	t := tr.templates[entry]
	field := "spec.templates[" + entry + "]"
	args := tr.workflowArgs()
	var d *ir.DAGSpec
	if t.DAG != nil {
		sc, err := tr.callScope(field, t, args, true)
		if err != nil {
			return nil, fmt.Errorf("%w (spec.entrypoint gets the workflow's arguments by name)", err)
		}
		sc.root = true
		if d, err = tr.dagBody(entry, sc); err != nil {
			return nil, err
		}
	} else {
		d = &ir.DAGSpec{Tasks: map[string]*ir.TaskSpec{}}
		task, err := tr.call("spec.entrypoint", true, entry, entry, args, nil)
		if err != nil {
			return nil, err
		}
		d.Tasks[entry] = task
	}
	if exit := tr.wf.Spec.OnExit; exit != "" {
		key := "onExit"
		for d.Tasks[key] != nil {
			key += "-"
		}
		task, err := tr.call("spec.onExit", true, exit, exit, tr.workflowArgs(), nil)
		if err != nil {
			return nil, err
		}
		task.DependentTasks = slices.Sorted(maps.Keys(d.Tasks))
		task.TriggerPolicy = &ir.TriggerPolicy{Strategy: ir.StrategyAllCompleted}
		d.Tasks[key] = task
	}
	return d, nil
}

// workflowArgs are the workflow's arguments as a call's arguments: the
// parameters by name, the raw artifacts with their text.
func (tr *translator) workflowArgs() *callArgs {
	a := &callArgs{params: map[string][]part{}, arts: map[string]*artSrc{}}
	for _, p := range tr.params {
		a.params[p.Name] = []part{{ref: &ref{param: p.Name}, text: "{{workflow.parameters." + p.Name + "}}"}}
	}
	for name, art := range tr.wfArts {
		ps, _ := parse(art.Raw.Data, tr.globalLookup(true, nil))
		a.arts[name] = &artSrc{raw: ps, isRaw: true}
	}
	return a
}

// globalLookup resolves the workflow-wide placeholders; next (if any)
// resolves the rest.
func (tr *translator) globalLookup(root bool, next lookup) lookup {
	return func(name, text string) ([]part, bool, error) {
		if g, ok := globals[name]; ok {
			return lit(g), true, nil
		}
		if p, ok := strings.CutPrefix(name, "workflow.parameters."); ok {
			if !tr.isParam[p] {
				return nil, false, nil
			}
			if root {
				return []part{{ref: &ref{param: p}, text: text}}, true, nil
			}
			return []part{{ref: &ref{param: wfParamInput(p)}, text: text}}, true, nil
		}
		if next != nil {
			return next(name, text)
		}
		return nil, false, nil
	}
}

// newName returns an unused component or executor name from base.
func (tr *translator) newName(base string) string {
	n := base
	for i := 2; tr.names[n]; i++ {
		n = fmt.Sprintf("%s-%d", base, i)
	}
	tr.names[n] = true
	return n
}
