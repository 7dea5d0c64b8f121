package dsl

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/spec"
)

// SDKVersion is what compiled specs carry as sdkVersion.
const SDKVersion = "sluice-dsl-1"

// Compile turns the pipeline into a KFP pipeline spec. It returns every
// mistake found as [Errors] (each naming the task and input at fault).
// Kubernetes settings of tasks are not part of it: see
// [Pipeline.CompileWithPlatform].
func (p *Pipeline) Compile() (*spec.PipelineSpec, error) {
	ps, _, err := p.compileAll()
	return ps, err
}

// CompileWithPlatform compiles the pipeline into its spec and its platform
// spec — the Kubernetes settings of its tasks ([Task.UseSecretAsEnv] and
// friends), nil when no task has any —, as [spec.Load] returns them from the
// YAML: ready for the engine.
func (p *Pipeline) CompileWithPlatform() (*spec.Pipeline, error) {
	ps, plat, err := p.compileAll()
	if err != nil {
		return nil, err
	}
	return &spec.Pipeline{Spec: ps, Platform: plat, Kind: spec.KindIR}, nil
}

func (p *Pipeline) compileAll() (*spec.PipelineSpec, *spec.PlatformSpec, error) {
	if p.compiling {
		return nil, nil, Errors{{Msg: fmt.Sprintf("pipeline %q runs itself as a nested pipeline", p.name)}}
	}
	p.compiling = true
	defer func() { p.compiling = false }()
	c := &compiler{p: p, errs: slices.Clone(p.errs),
		specs: map[node]*spec.TaskSpec{}, gIn: map[*group]*spec.Interface{}, gOut: map[*group]*spec.Interface{},
		gDag: map[*group]*spec.DAGOutputs{}, deps: map[node]map[string]bool{},
		comps: map[string]*spec.ComponentSpec{}, execs: map[string]*spec.ExecutorSpec{},
		kube: map[*Task]map[string]any{}, platform: map[string]map[string]any{}}
	ps := c.compile()
	if len(c.errs) > 0 {
		return nil, nil, c.errs
	}
	if err := spec.Validate(ps); err != nil {
		return nil, nil, Errors{{Msg: "the compiled spec is invalid (a bug in package dsl): " + err.Error()}}
	}
	var plat *spec.PlatformSpec
	if len(c.platform) > 0 {
		k := &spec.SinglePlatformSpec{}
		k.DeploymentSpec.Executors = c.platform
		plat = &spec.PlatformSpec{Platforms: map[string]*spec.SinglePlatformSpec{"kubernetes": k}}
	}
	return ps, plat, nil
}

// YAML compiles the pipeline and writes it as IR YAML: the pipeline spec,
// then, when a task has Kubernetes settings, the platform spec as a second
// YAML document, as the KFP compiler writes them.
func (p *Pipeline) YAML() ([]byte, error) {
	ps, plat, err := p.compileAll()
	if err != nil {
		return nil, err
	}
	return marshalYAML(ps, plat)
}

type compiler struct {
	p     *Pipeline
	errs  Errors
	specs map[node]*spec.TaskSpec
	gIn   map[*group]*spec.Interface
	gOut  map[*group]*spec.Interface
	gDag  map[*group]*spec.DAGOutputs
	deps  map[node]map[string]bool
	comps map[string]*spec.ComponentSpec
	execs map[string]*spec.ExecutorSpec
	// kube is each task's Kubernetes executor config; platform the
	// platform spec's executors, by executor label.
	kube     map[*Task]map[string]any
	platform map[string]map[string]any
}

func (c *compiler) errorf(t *Task, input, format string, args ...any) {
	e := &Error{Input: input, Msg: fmt.Sprintf(format, args...)}
	if t != nil {
		e.Task = t.name
	}
	c.errs = append(c.errs, e)
}

func (c *compiler) compile() *spec.PipelineSpec {
	p := c.p
	root := p.root
	c.walk(root)
	if len(root.children) == 0 {
		c.errorf(nil, "", "the pipeline has no tasks")
	}
	// Pipeline outputs.
	for _, o := range p.outputs {
		c.pipelineOutput(o)
	}
	c.checkCycles(root)
	if len(c.errs) > 0 {
		return nil
	}
	rootIn, _ := interfaceSpec(p.params, nil)
	var rootOut *spec.Interface
	if out := c.gOut[root]; out != nil {
		rootOut = out
	}
	ps := &spec.PipelineSpec{
		PipelineInfo:        spec.PipelineInfo{Name: p.name, DisplayName: p.displayName, Description: p.description},
		Root:                &spec.ComponentSpec{InputDefinitions: rootIn, OutputDefinitions: rootOut, DAG: &spec.DAGSpec{Tasks: map[string]*spec.TaskSpec{}, Outputs: c.gDag[root]}},
		SchemaVersion:       "2.1.0",
		SDKVersion:          SDKVersion,
		DefaultPipelineRoot: p.pipelineRoot,
	}
	// Components in the KFP compiler's order: groups breadth first, in
	// each group its subgroups, then its tasks.
	queue := []*group{root}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		var dag *spec.DAGSpec
		if g == root {
			dag = ps.Root.DAG
		} else {
			dag = &spec.DAGSpec{Tasks: map[string]*spec.TaskSpec{}, Outputs: c.gDag[g]}
			c.specs[g].ComponentRef.Name = c.addComponent("comp-"+g.name, &spec.ComponentSpec{InputDefinitions: c.gIn[g], OutputDefinitions: c.gOut[g], DAG: dag})
		}
		for _, n := range g.children {
			if sg, ok := n.(*group); ok {
				queue = append(queue, sg)
			}
		}
		for _, n := range g.children {
			if t, ok := n.(*Task); ok && t.exitFor == nil {
				c.specs[t].ComponentRef.Name = c.taskComponent(t)
			}
		}
		for _, n := range g.children {
			ts := c.specs[n]
			if d := c.deps[n]; len(d) > 0 {
				ts.DependentTasks = slices.Sorted(maps.Keys(d))
			}
			dag.Tasks[n.key()] = ts
		}
	}
	// Exit tasks last, as the KFP compiler adds them after everything else.
	for _, n := range root.children {
		if t, ok := n.(*Task); ok && t.exitFor != nil {
			c.specs[t].ComponentRef.Name = c.taskComponent(t)
		}
	}
	ps.Components = c.comps
	ps.DeploymentSpec.Executors = c.execs
	return ps
}

func uniqueKey[V any](m map[string]V, base string) string {
	name := base
	for i := 2; ; i++ {
		if _, taken := m[name]; !taken {
			return name
		}
		name = base + "-" + strconv.Itoa(i)
	}
}

func (c *compiler) addComponent(base string, cs *spec.ComponentSpec) string {
	k := uniqueKey(c.comps, base)
	c.comps[k] = cs
	return k
}

// taskComponent adds the component (and executor) a task runs, returning
// its key. Every task gets its own, as with the KFP compiler.
func (c *compiler) taskComponent(t *Task) string {
	d := t.def
	switch {
	case d.exec != nil:
		ex := cloneJSON(d.exec)
		if ex.Container != nil {
			// set_env_variable replaces a variable the component sets.
			for _, e := range t.env {
				i := slices.IndexFunc(ex.Container.Env, func(x spec.EnvVar) bool { return x.Name == e.Name })
				if i >= 0 {
					ex.Container.Env[i].Value = e.Value
				} else {
					ex.Container.Env = append(ex.Container.Env, e)
				}
			}
			if t.resources != nil {
				ex.Container.Resources = t.resources
			}
		}
		label := uniqueKey(c.execs, "exec-"+t.name)
		c.execs[label] = ex
		if k := c.kube[t]; k != nil {
			c.platform[label] = k
		}
		var in, out *spec.Interface
		if d.spec == nil && d.graph == nil {
			in, out = c.defInterface(d)
		}
		return c.addComponent("comp-"+t.name, &spec.ComponentSpec{InputDefinitions: in, OutputDefinitions: out, ExecutorLabel: label})
	case d.graph != nil:
		sub, plat, err := d.graph.compileAll()
		if err != nil {
			for _, e := range err.(Errors) {
				c.errorf(t, "", "nested pipeline %q: %s", d.graph.name, e.Error())
			}
			return ""
		}
		return c.merge(t, sub, plat)
	case d.spec != nil:
		var plat *spec.PlatformSpec
		if d.platform != nil {
			plat = cloneJSON(d.platform)
		}
		return c.merge(t, cloneJSON(d.spec), plat)
	}
	return ""
}

// defInterface is the IR interface of a component's declarations.
func (c *compiler) defInterface(d *compDef) (*spec.Interface, *spec.Interface) {
	return interfaceSpec(d.inputs, d.outputs)
}

// merge adds a compiled pipeline's components and executors, renamed where
// their names are taken, with the Kubernetes settings of its executors, and
// returns the key of its root component.
func (c *compiler) merge(t *Task, sub *spec.PipelineSpec, plat *spec.PlatformSpec) string {
	execRename := map[string]string{}
	for _, old := range slices.Sorted(maps.Keys(sub.DeploymentSpec.Executors)) {
		k := uniqueKey(c.execs, old)
		execRename[old] = k
		c.execs[k] = sub.DeploymentSpec.Executors[old]
	}
	if plat != nil && plat.Platforms["kubernetes"] != nil {
		for old, cfg := range plat.Platforms["kubernetes"].DeploymentSpec.Executors {
			if k, ok := execRename[old]; ok && len(cfg) > 0 {
				c.platform[k] = cfg
			}
		}
	}
	compRename := map[string]string{}
	reserved := maps.Clone(c.comps)
	for _, old := range slices.Sorted(maps.Keys(sub.Components)) {
		k := uniqueKey(reserved, old)
		compRename[old] = k
		reserved[k] = nil
	}
	fix := func(cs *spec.ComponentSpec) {
		if cs.ExecutorLabel != "" {
			cs.ExecutorLabel = execRename[cs.ExecutorLabel]
		}
		if cs.DAG != nil {
			for _, ts := range cs.DAG.Tasks {
				if n, ok := compRename[ts.ComponentRef.Name]; ok {
					ts.ComponentRef.Name = n
				}
			}
		}
	}
	for _, old := range slices.Sorted(maps.Keys(sub.Components)) {
		cs := sub.Components[old]
		fix(cs)
		c.comps[compRename[old]] = cs
	}
	fix(sub.Root)
	return c.addComponent("comp-"+t.name, sub.Root)
}

func cloneJSON[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	n := new(T)
	if err := json.Unmarshal(b, n); err != nil {
		panic(err)
	}
	return n
}

// spec returns the task spec of a node, creating it.
func (c *compiler) spec(n node) *spec.TaskSpec {
	if ts := c.specs[n]; ts != nil {
		return ts
	}
	ts := &spec.TaskSpec{TaskInfo: spec.TaskInfo{Name: n.key()}}
	c.specs[n] = ts
	return ts
}

func (c *compiler) addDep(consumer, producer node) {
	if consumer == producer {
		return
	}
	if c.deps[consumer] == nil {
		c.deps[consumer] = map[string]bool{}
	}
	c.deps[consumer][producer.key()] = true
}

func setParam(ts *spec.TaskSpec, name string, in *spec.InputParameter) {
	if ts.Inputs == nil {
		ts.Inputs = &spec.TaskInputs{}
	}
	if ts.Inputs.Parameters == nil {
		ts.Inputs.Parameters = map[string]*spec.InputParameter{}
	}
	ts.Inputs.Parameters[name] = in
}

func setArtifact(ts *spec.TaskSpec, name string, in *spec.InputArtifact) {
	if ts.Inputs == nil {
		ts.Inputs = &spec.TaskInputs{}
	}
	if ts.Inputs.Artifacts == nil {
		ts.Inputs.Artifacts = map[string]*spec.InputArtifact{}
	}
	ts.Inputs.Artifacts[name] = in
}

// walk builds the task specs of g's subtree.
func (c *compiler) walk(g *group) {
	for _, n := range g.children {
		switch x := n.(type) {
		case *Task:
			c.task(x)
		case *group:
			if len(x.children) == 0 {
				c.errs = append(c.errs, &Error{Msg: fmt.Sprintf("%s (%s) has no tasks", x.name, x.kind)})
			}
			c.group(x)
			c.walk(x)
		}
	}
}

func (c *compiler) task(t *Task) {
	ts := c.spec(t)
	if t.display != "" {
		ts.TaskInfo.Name = t.display
	}
	ts.CachingOptions = &spec.CachingOptions{EnableCache: !t.noCache, CacheKey: t.cacheKey}
	for _, name := range slices.Sorted(maps.Keys(t.args)) {
		a := t.args[name]
		switch {
		case a.ch != nil:
			r, ok := c.resolve(*a.ch, t.group, t, name)
			if !ok {
				continue
			}
			if r.typ.IsArtifact() {
				setArtifact(ts, name, c.artRef(t.group, r, t))
			} else {
				setParam(ts, name, c.paramRef(t.group, r, t))
			}
		case a.tmpl != nil:
			var sb strings.Builder
			for _, part := range a.tmpl.parts {
				ch, isCh := part.(Channel)
				if !isCh {
					sb.WriteString(part.(string))
					continue
				}
				r, ok := c.resolve(ch, t.group, t, name)
				if !ok {
					continue
				}
				extra := "pipelinechannel--" + r.name
				sb.WriteString(InputValue(extra))
				setParam(ts, extra, c.paramRef(t.group, r, t))
			}
			setParam(ts, name, &spec.InputParameter{RuntimeValue: &spec.ValueOrRuntimeParam{Constant: sb.String()}})
		default:
			setParam(ts, name, &spec.InputParameter{RuntimeValue: &spec.ValueOrRuntimeParam{Constant: a.value}})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.resArgs)) {
		r, ok := c.resolve(t.resArgs[name], t.group, t, name)
		if !ok {
			continue
		}
		extra := "pipelinechannel--" + r.name
		setParam(ts, name, &spec.InputParameter{RuntimeValue: &spec.ValueOrRuntimeParam{Constant: InputValue(extra)}})
		setParam(ts, extra, c.paramRef(t.group, r, t))
	}
	for _, u := range t.after {
		c.after(t, u)
	}
	// As the KFP compiler does, the values a condition tests are also
	// inputs of every group between it and each task it guards.
	for g := t.group; g != nil; g = g.parent {
		for _, term := range g.terms {
			for _, side := range []any{term.c.left, term.c.right} {
				if ch, ok := side.(Channel); ok && ch.valid() {
					if r, ok := c.resolve(ch, g.parent, nil, ""); ok {
						c.available(t.group, r)
					}
				}
			}
		}
	}
	if k := c.kubeConfig(t); k != nil {
		c.kube[t] = k
	}
	if t.retry != nil {
		if t.def.exec == nil || t.def.exec.Container == nil {
			c.errorf(t, "", "SetRetry: only container tasks are retried")
		}
		ts.RetryPolicy = t.retry
	}
	var status []string
	for _, in := range t.def.inputs {
		if in.Type.param == spec.TypeTaskFinalStatus {
			status = append(status, in.Name)
		}
	}
	switch {
	case t.exitFor != nil:
		c.addDep(t, t.exitFor)
		ts.TriggerPolicy = &spec.TriggerPolicy{Strategy: spec.StrategyAllCompleted}
		for _, s := range status {
			setParam(ts, s, &spec.InputParameter{TaskFinalStatus: &spec.TaskFinalStatusRef{ProducerTask: t.exitFor.name}})
		}
	case t.ignoreUpstream:
		ts.TriggerPolicy = &spec.TriggerPolicy{Strategy: spec.StrategyAllCompleted}
		if len(status) > 0 {
			ups := slices.Sorted(maps.Keys(c.deps[t]))
			if len(ups) != 1 {
				c.errorf(t, status[0], "a PipelineTaskFinalStatus input needs exactly one upstream task (this task has %d)", len(ups))
			}
			for _, s := range status {
				if len(ups) > 0 {
					setParam(ts, s, &spec.InputParameter{TaskFinalStatus: &spec.TaskFinalStatusRef{ProducerTask: ups[0]}})
				}
			}
		}
	case len(status) > 0:
		c.errorf(t, status[0], "a PipelineTaskFinalStatus input is only given to an exit task (ExitHandler) or a task that ignores upstream failure")
	}
}

func (c *compiler) group(g *group) {
	ts := c.spec(g)
	if g.display != "" {
		ts.TaskInfo.Name = g.display
	}
	switch g.kind {
	case groupCondition:
		var terms []string
		for _, term := range g.terms {
			s, ok := c.condition(g, term.c)
			if !ok {
				return
			}
			if term.neg {
				s = "!(" + s + ")"
			}
			terms = append(terms, s)
		}
		ts.TriggerPolicy = &spec.TriggerPolicy{Condition: strings.Join(terms, " && ")}
	case groupLoop:
		c.declareInput(g, "pipelinechannel--"+g.item.name, g.item.typ)
		if g.items == nil {
			ts.ParameterIterator = &spec.ParameterIterator{ItemInput: "pipelinechannel--" + g.item.name}
			ts.ParameterIterator.Items.Raw = pyJSON(g.raw)
		} else if r, ok := c.resolve(*g.items, g.parent, nil, ""); ok {
			name := c.groupInput(g, r)
			if r.typ.IsArtifact() {
				ts.ArtifactIterator = &spec.ArtifactIterator{ItemInput: "pipelinechannel--" + g.item.name}
				ts.ArtifactIterator.Items.InputArtifact = name
			} else {
				ts.ParameterIterator = &spec.ParameterIterator{ItemInput: "pipelinechannel--" + g.item.name}
				ts.ParameterIterator.Items.InputParameter = name
			}
		}
		if g.parallelism > 0 {
			ts.IteratorPolicy = &spec.IteratorPolicy{ParallelismLimit: g.parallelism}
		}
	}
}

// condition renders one comparison as the KFP compiler does, with the
// channels as inputs of condition group g.
func (c *compiler) condition(g *group, cond Cond) (string, bool) {
	type operand struct {
		text string
		typ  string
		lit  bool
	}
	var ops [2]operand
	for i, side := range []any{cond.left, cond.right} {
		if ch, ok := side.(Channel); ok {
			r, ok := c.resolve(ch, g.parent, nil, "")
			if !ok {
				return "", false
			}
			name := c.groupInput(g, r)
			text := "inputs.parameter_values['" + name + "']"
			pt := r.typ.param
			if ch.kind == chanField {
				pt = spec.TypeString
			}
			if pt == spec.TypeInteger {
				text = "int(" + text + ")"
			}
			ops[i] = operand{text, pt, false}
			continue
		}
		switch v := side.(type) {
		case string:
			ops[i] = operand{"'" + v + "'", spec.TypeString, true}
		case bool:
			ops[i] = operand{strconv.FormatBool(v), spec.TypeBoolean, true}
		default:
			t, j, err := constValue(v)
			if err != nil || (t.param != spec.TypeInteger && t.param != spec.TypeDouble) {
				c.errs = append(c.errs, &Error{Msg: fmt.Sprintf("%s: a condition compares with a string, number or bool, not %T", g.name, v)})
				return "", false
			}
			ops[i] = operand{pyFloat(j.(float64), t.param == spec.TypeDouble), t.param, true}
		}
	}
	canon := ops[0].typ
	if ops[0].typ != ops[1].typ {
		switch {
		case ops[0].typ == spec.TypeString || ops[1].typ == spec.TypeString:
			canon = spec.TypeString
		case ops[0].typ == spec.TypeBoolean || ops[1].typ == spec.TypeBoolean:
			canon = spec.TypeBoolean
		default:
			canon = spec.TypeDouble
		}
	}
	for i := range ops {
		o := &ops[i]
		if o.typ == canon {
			continue
		}
		switch {
		case !o.lit && canon != spec.TypeDouble:
			c.errs = append(c.errs, &Error{Msg: fmt.Sprintf("%s: cannot compare a %s value with a %s one", g.name, Type{param: o.typ}, Type{param: canon})})
			return "", false
		case canon == spec.TypeString:
			o.text = "'" + o.text + "'"
		case canon == spec.TypeBoolean:
			if f, err := strconv.ParseFloat(o.text, 64); err == nil && f == 0 {
				o.text = "true"
			} else {
				o.text = "false"
			}
		default:
			o.text = "double(" + o.text + ")"
		}
	}
	return ops[0].text + " " + cond.op + " " + ops[1].text, true
}

// after records that t runs after u, on the children of their closest
// common group.
func (c *compiler) after(t, u *Task) {
	common := t.group
	for !common.encloses(u.group) {
		common = common.parent
	}
	for g := u.group; g != common; g = g.parent {
		if g.kind == groupCondition || g.kind == groupBranches {
			c.errorf(t, "", "After(%q): that task is inside %s (a condition), which %q is not in: a task outside a condition cannot depend on a task inside it", u.name, g.name, t.name)
			return
		}
	}
	c.addDep(common.childToward(t), common.childToward(u))
}

// checkCycles reports dependency cycles in each DAG.
func (c *compiler) checkCycles(g *group) {
	byName := map[string]node{}
	for _, n := range g.children {
		byName[n.key()] = n
	}
	state := map[string]int{}
	var stack []string
	var visit func(k string) bool
	visit = func(k string) bool {
		switch state[k] {
		case 1:
			i := slices.Index(stack, k)
			cyc := append(slices.Clone(stack[i:]), k)
			c.errs = append(c.errs, &Error{Task: k, Msg: "dependency cycle: " + strings.Join(cyc, " -> ")})
			return true
		case 2:
			return false
		}
		state[k] = 1
		stack = append(stack, k)
		for _, d := range slices.Sorted(maps.Keys(c.deps[byName[k]])) {
			if visit(d) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[k] = 2
		return false
	}
	for _, n := range g.children {
		if visit(n.key()) {
			break
		}
	}
	for _, n := range g.children {
		if sg, ok := n.(*group); ok {
			c.checkCycles(sg)
		}
	}
}
