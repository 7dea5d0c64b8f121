package argo

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/Knetic/govaluate"

	"github.com/sluicehq/sluice/internal/graph"
	"github.com/sluicehq/sluice/spec/ir"
)

// dagScope says how a DAG template's {{inputs…}} resolve in the component
// being built.
type dagScope struct {
	root   bool
	params map[string][]part
	arts   map[string]*artSrc
}

// callScope is the scope of a DAG template called with args (the
// flattened entrypoint: its inputs are the workflow's arguments).
func (tr *translator) callScope(field string, t *template, args *callArgs, root bool) (*dagScope, error) {
	sc := &dagScope{root: root, params: map[string][]part{}, arts: map[string]*artSrc{}}
	for _, p := range t.Inputs.Parameters {
		v, ok := args.params[p.Name]
		switch {
		case ok:
		case p.Value != nil:
			v = tr.childDefault(string(*p.Value), root, t, args)
		default:
			return nil, errorf(field+".inputs.parameters", "input parameter %q is not supplied", p.Name)
		}
		sc.params[p.Name] = v
	}
	for _, a := range t.Inputs.Artifacts {
		switch src := tr.inputArtifact(a, root, t, args); {
		case src != nil:
			sc.arts[a.Name] = src
		case !a.Optional:
			return nil, errorf(field+".inputs.artifacts", "input artifact %q is not supplied", a.Name)
		}
	}
	return sc, nil
}

// taskLookup resolves the placeholders of a DAG task's fields.
func (tr *translator) taskLookup(sc *dagScope, dagName string, siblings map[string]*dagTask, itemOK bool) lookup {
	tmplField := "spec.templates[" + dagName + "]"
	return tr.globalLookup(sc.root, func(name, text string) ([]part, bool, error) {
		switch {
		case strings.HasPrefix(name, "inputs.parameters."):
			n := strings.TrimPrefix(name, "inputs.parameters.")
			v, ok := sc.params[n]
			if !ok {
				return nil, false, errorf(tmplField, "%s: the template has no input parameter %q", text, n)
			}
			return v, true, nil
		case strings.HasPrefix(name, "tasks."):
			rest := strings.Split(strings.TrimPrefix(name, "tasks."), ".")
			if len(rest) != 4 || rest[1] != "outputs" || rest[2] != "parameters" {
				return nil, false, nil // status, results and artifacts are not values here
			}
			if err := tr.checkOutput(tmplField, text, siblings, rest[0], rest[3], false); err != nil {
				return nil, false, err
			}
			return []part{{ref: &ref{task: rest[0], key: rest[3]}, text: text}}, true, nil
		case name == "item" || strings.HasPrefix(name, "item."):
			if !itemOK {
				return nil, false, errorf(tmplField, "%s is only valid in a task with withItems or withParam", text)
			}
			return []part{{ref: &ref{item: true, sel: strings.TrimPrefix(strings.TrimPrefix(name, "item"), ".")}, text: text}}, true, nil
		}
		return nil, false, nil
	})
}

// checkOutput checks that a sibling task's template declares an output.
func (tr *translator) checkOutput(field, text string, siblings map[string]*dagTask, task, out string, art bool) error {
	st := siblings[task]
	if st == nil {
		return errorf(field, "%s: there is no task %q in this DAG", text, task)
	}
	t := tr.templates[st.Template]
	if t == nil {
		return nil // reported on the task itself
	}
	if art {
		for _, a := range t.Outputs.Artifacts {
			if a.Name == out {
				return nil
			}
		}
		return errorf(field, "%s: template %q has no output artifact %q", text, st.Template, out)
	}
	for _, p := range t.Outputs.Parameters {
		if p.Name == out {
			return nil
		}
	}
	return errorf(field, "%s: template %q has no output parameter %q", text, st.Template, out)
}

// dagBody translates the tasks and outputs of DAG template name.
func (tr *translator) dagBody(name string, sc *dagScope) (*ir.DAGSpec, error) {
	t := tr.templates[name]
	tf := "spec.templates[" + name + "]"
	d := &ir.DAGSpec{Tasks: map[string]*ir.TaskSpec{}}
	if t.Parallelism != nil {
		n, err := t.Parallelism.int(tf + ".parallelism")
		if err != nil {
			return nil, err
		}
		d.Parallelism = int(n)
	}
	if d := t.DAG; d.Target != "" {
		return nil, errorf(tf+".dag.target", "not supported")
	}
	tasks := tr.tasks[name]
	if len(tasks) == 0 {
		return nil, errorf(tf+".dag.tasks", "the DAG has no tasks")
	}
	siblings := map[string]*dagTask{}
	for _, dt := range tasks {
		siblings[dt.Name] = dt
	}
	deps := map[string][]string{}
	for _, dt := range tasks {
		field := tf + ".dag.tasks[" + dt.Name + "]"
		task, err := tr.dagTask(field, name, sc, siblings, dt, d.Parallelism)
		if err != nil {
			return nil, err
		}
		for _, dep := range dt.Dependencies {
			if siblings[dep] == nil {
				return nil, errorf(field+".dependencies", "there is no task %q in this DAG", dep)
			}
		}
		task.DependentTasks = slices.Compact(slices.Sorted(slices.Values(dt.Dependencies)))
		d.Tasks[dt.Name] = task
		deps[dt.Name] = upstream(task)
	}
	if cyc := graph.FindCycle(deps); cyc != nil {
		return nil, errorf(tf+".dag.tasks", "dependency cycle: %s", strings.Join(cyc, " -> "))
	}
	outs, err := tr.dagOutputs(tf, t, siblings)
	if err != nil {
		return nil, err
	}
	d.Outputs = outs
	return d, nil
}

// dagTask translates one task of a DAG.
func (tr *translator) dagTask(field, dagName string, sc *dagScope, siblings map[string]*dagTask, dt *dagTask, parallelism int) (*ir.TaskSpec, error) {
	switch {
	case dt.Depends != "":
		return nil, errorf(field+".depends", "not supported: use dependencies (KFP v1 compiles .after() to dependencies)")
	case dt.WithSequence != nil:
		return nil, errorf(field+".withSequence", "not supported: use withItems or withParam")
	case dt.ContinueOn != nil:
		return nil, errorf(field+".continueOn", "not supported")
	case dt.OnExit != "":
		return nil, errorf(field+".onExit", "task exit handlers are not supported (KFP v1 compiles exit handlers to spec.onExit)")
	case dt.Hooks != nil:
		return nil, errorf(field+".hooks", "not supported")
	case dt.TemplateRef != nil:
		return nil, errorf(field+".templateRef", "templates of other WorkflowTemplates are not supported")
	case dt.Inline != nil:
		return nil, errorf(field+".inline", "inline templates are not supported")
	case dt.Template == "":
		return nil, errorf(field+".template", "missing")
	case dt.WithItems != nil && dt.WithParam != "":
		return nil, errorf(field, "has both withItems and withParam")
	}
	child := tr.templates[dt.Template]
	if child == nil {
		return nil, errorf(field+".template", "unknown template %q", dt.Template)
	}
	isLoop := dt.WithItems != nil || dt.WithParam != ""
	env := tr.taskLookup(sc, dagName, siblings, isLoop)
	args := &callArgs{params: map[string][]part{}, arts: map[string]*artSrc{}}
	for i, p := range dt.Arguments.Parameters {
		pf := fmt.Sprintf("%s.arguments.parameters[%d]", field, i)
		if err := checkParamName(pf+".name", "parameter", p.Name); err != nil {
			return nil, err
		}
		if p.ValueFrom != nil {
			return nil, errorf(pf+".valueFrom", "not supported in task arguments: use value")
		}
		v := ""
		if p.Value != nil {
			v = string(*p.Value)
		}
		ps, err := parse(v, env)
		if err != nil {
			return nil, wrapField(err, pf+".value")
		}
		args.params[p.Name] = ps
	}
	for i, a := range dt.Arguments.Artifacts {
		af := fmt.Sprintf("%s.arguments.artifacts[%d]", field, i)
		if err := checkParamName(af+".name", "artifact", a.Name); err != nil {
			return nil, err
		}
		if err := checkSource(af, &a, true); err != nil {
			return nil, err
		}
		src, err := tr.artArg(af, dagName, sc, siblings, &a, env)
		if err != nil {
			return nil, err
		}
		args.arts[a.Name] = src
	}
	var loop *loopInfo
	if isLoop {
		var err error
		if loop, err = tr.loopItems(field, dt, tr.taskLookup(sc, dagName, siblings, false)); err != nil {
			return nil, err
		}
		loop.parallelism = parallelism
	}
	task, err := tr.call(field, sc.root, dt.Name, dt.Template, args, loop)
	if err != nil {
		return nil, err
	}
	if dt.When != "" {
		if err := tr.when(field, task, dt.When, tr.taskLookup(sc, dagName, siblings, false)); err != nil {
			return nil, err
		}
	}
	return task, nil
}

// wrapField names field in an error that names only its template.
func wrapField(err error, field string) error {
	if e, ok := err.(*ir.Error); ok {
		return &ir.Error{Field: field, Msg: e.Msg}
	}
	return err
}

// artArg reads one artifact argument of a task.
func (tr *translator) artArg(field, dagName string, sc *dagScope, siblings map[string]*dagTask, a *artifact, env lookup) (*artSrc, error) {
	if a.Raw != nil {
		ps, err := parse(a.Raw.Data, env)
		if err != nil {
			return nil, wrapField(err, field+".raw.data")
		}
		return &artSrc{isRaw: true, raw: ps}, nil
	}
	segs := segments(a.From)
	if a.From == "" || len(segs) != 1 || segs[0].name == "" {
		return nil, errorf(field+".from", "artifact %q: expected {{tasks.T.outputs.artifacts.A}} or {{inputs.artifacts.A}}, found %q", a.Name, a.From)
	}
	name, text := segs[0].name, segs[0].text
	if n, ok := strings.CutPrefix(name, "inputs.artifacts."); ok {
		src, ok := sc.arts[n]
		if !ok {
			return nil, errorf(field+".from", "%s: the template has no input artifact %q", text, n)
		}
		return src, nil
	}
	rest := strings.Split(strings.TrimPrefix(name, "tasks."), ".")
	if !strings.HasPrefix(name, "tasks.") || len(rest) != 4 || rest[1] != "outputs" || rest[2] != "artifacts" {
		return nil, errorf(field+".from", "artifact %q: expected {{tasks.T.outputs.artifacts.A}} or {{inputs.artifacts.A}}, found %q", a.Name, a.From)
	}
	if err := tr.checkOutput(field+".from", text, siblings, rest[0], rest[3], true); err != nil {
		return nil, err
	}
	return &artSrc{task: rest[0], key: rest[3]}, nil
}

// loopItems reads a loop task's items: constant JSON, or a value computed
// at run time (withParam, or withItems with placeholders).
func (tr *translator) loopItems(field string, dt *dagTask, env lookup) (*loopInfo, error) {
	if dt.WithItems != nil {
		b, err := json.Marshal(dt.WithItems)
		if err != nil {
			return nil, errorf(field+".withItems", "%v", err)
		}
		ps, err := parse(string(b), env)
		if err != nil {
			return nil, wrapField(err, field+".withItems")
		}
		if isConst(ps) {
			return &loopInfo{raw: string(b)}, nil
		}
		return &loopInfo{items: ps}, nil
	}
	ps, err := parse(dt.WithParam, env)
	if err != nil {
		return nil, wrapField(err, field+".withParam")
	}
	if isConst(ps) {
		s := constText(ps)
		var l []any
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return nil, errorf(field+".withParam", "%q is not a JSON list", abbrev(s))
		}
		return &loopInfo{raw: s}, nil
	}
	return &loopInfo{items: ps}, nil
}

func abbrev(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// whenInput is the task input holding a condition's text after
// substitution; the condition evaluates it with govaluate.
const whenInput = "{{when}}"

// when sets a task's condition: its text with references substituted at
// run time, evaluated as Argo does (govaluate). The syntax is checked now.
func (tr *translator) when(field string, task *ir.TaskSpec, expr string, env lookup) error {
	ps, err := parse(expr, env)
	if err != nil {
		return wrapField(err, field+".when")
	}
	probe := make([]part, len(ps))
	for i, p := range ps {
		if p.ref != nil {
			p = part{lit: "0"}
		}
		probe[i] = p
	}
	if err := CheckWhen(constText(probe)); err != nil {
		return errorf(field+".when", "%q: %v", expr, err)
	}
	b := &taskBuilder{task: task, channels: map[string]*ref{}}
	if task.Inputs == nil {
		task.Inputs = &ir.TaskInputs{Parameters: map[string]*ir.InputParameter{}}
	}
	if task.Inputs.Parameters == nil {
		task.Inputs.Parameters = map[string]*ir.InputParameter{}
	}
	for name, in := range task.Inputs.Parameters {
		if in.ComponentInputParameter != "" || in.TaskOutputParameter != nil {
			if p := in.Fallback; p != nil && strings.HasPrefix(name, "{{") {
				b.channels[name] = refOf(in)
			}
		}
	}
	b.bind(whenInput, ps)
	task.TriggerPolicy = &ir.TriggerPolicy{Condition: "govaluate(inputs.parameter_values['" + whenInput + "'])"}
	return nil
}

func refOf(in *ir.InputParameter) *ref {
	if in.TaskOutputParameter != nil {
		return &ref{task: in.TaskOutputParameter.ProducerTask, key: in.TaskOutputParameter.OutputParameterKey}
	}
	r := &ref{param: in.ComponentInputParameter}
	if s := in.ParameterExpressionSelector; s != "" {
		r.sel = strings.TrimSuffix(strings.TrimPrefix(s, `parseJson(string_value)["`), `"]`)
	}
	return r
}

// CheckWhen checks a condition's syntax the way Argo reads it: govaluate,
// with bare words taken as strings.
func CheckWhen(expr string) error {
	e, err := govaluate.NewEvaluableExpression(expr)
	if err != nil {
		return err
	}
	toks := e.Tokens()
	for i, t := range toks {
		if t.Kind == govaluate.VARIABLE {
			toks[i].Kind = govaluate.STRING
		}
	}
	_, err = govaluate.NewEvaluableExpressionFromTokens(toks)
	return err
}

// dagOutputs translates a DAG template's outputs.
func (tr *translator) dagOutputs(field string, t *template, siblings map[string]*dagTask) (*ir.DAGOutputs, error) {
	if len(t.Outputs.Parameters) == 0 && len(t.Outputs.Artifacts) == 0 {
		return nil, nil
	}
	out := &ir.DAGOutputs{Parameters: map[string]*ir.DAGOutputParameter{}, Artifacts: map[string]*ir.DAGOutputArtifact{}}
	for i, p := range t.Outputs.Parameters {
		pf := fmt.Sprintf("%s.outputs.parameters[%d]", field, i)
		var src string
		if p.ValueFrom != nil {
			src = p.ValueFrom.Parameter
		}
		segs := segments(src)
		rest := []string{}
		if len(segs) == 1 && segs[0].name != "" {
			rest = strings.Split(strings.TrimPrefix(segs[0].name, "tasks."), ".")
		}
		if len(rest) != 4 || !strings.HasPrefix(segs[0].name, "tasks.") || rest[1] != "outputs" || rest[2] != "parameters" {
			return nil, errorf(pf+".valueFrom.parameter", "output %q: a DAG's output must be {{tasks.T.outputs.parameters.P}}, found %q", p.Name, src)
		}
		if err := tr.checkOutput(pf+".valueFrom.parameter", segs[0].text, siblings, rest[0], rest[3], false); err != nil {
			return nil, err
		}
		out.Parameters[p.Name] = &ir.DAGOutputParameter{ValueFromParameter: &ir.ParameterSelector{ProducerSubtask: rest[0], OutputParameterKey: rest[3]}}
	}
	for i, a := range t.Outputs.Artifacts {
		af := fmt.Sprintf("%s.outputs.artifacts[%d]", field, i)
		segs := segments(a.From)
		rest := []string{}
		if len(segs) == 1 && segs[0].name != "" {
			rest = strings.Split(strings.TrimPrefix(segs[0].name, "tasks."), ".")
		}
		if len(rest) != 4 || !strings.HasPrefix(segs[0].name, "tasks.") || rest[1] != "outputs" || rest[2] != "artifacts" {
			return nil, errorf(af+".from", "output %q: a DAG's output artifact must be {{tasks.T.outputs.artifacts.A}}, found %q", a.Name, a.From)
		}
		if err := tr.checkOutput(af+".from", segs[0].text, siblings, rest[0], rest[3], true); err != nil {
			return nil, err
		}
		out.Artifacts[a.Name] = &ir.DAGOutputArtifact{ArtifactSelectors: []ir.ArtifactSelector{{ProducerSubtask: rest[0], OutputArtifactKey: rest[3]}}}
	}
	return out, nil
}

// upstream lists the sibling tasks a task waits for.
func upstream(t *ir.TaskSpec) []string {
	deps := slices.Clone(t.DependentTasks)
	if t.Inputs != nil {
		for _, in := range t.Inputs.Parameters {
			if in.TaskOutputParameter != nil {
				deps = append(deps, in.TaskOutputParameter.ProducerTask)
			}
		}
		for _, in := range t.Inputs.Artifacts {
			if in.TaskOutputArtifact != nil {
				deps = append(deps, in.TaskOutputArtifact.ProducerTask)
			}
		}
	}
	slices.Sort(deps)
	return slices.Compact(deps)
}
