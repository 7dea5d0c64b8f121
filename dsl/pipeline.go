package dsl

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/spec"
)

// Pipeline is a pipeline being defined (@dsl.pipeline in KFP). Build it
// with its methods, then [Pipeline.Compile] it, write it with
// [Pipeline.YAML], or hand it to [Main]. A Pipeline is also a [Component]:
// a task may run it as a nested pipeline.
//
// A Pipeline is not safe for concurrent use.
type Pipeline struct {
	name         string
	rawName      string
	displayName  string
	description  string
	pipelineRoot string
	params       []Input
	outputs      []pipeOutput
	root         *group
	cur          *group
	taskNames    map[string]bool
	groupID      int
	errs         Errors
	compiling    bool
}

type pipeOutput struct {
	name string
	ch   Channel
}

// NewPipeline starts a pipeline. Its name is made k8s-safe for the spec
// ("My pipeline" becomes "my-pipeline").
func NewPipeline(name string) *Pipeline {
	p := &Pipeline{name: spec.SafeName(name), rawName: name, taskNames: map[string]bool{}}
	p.root = &group{kind: groupRoot, name: "root"}
	p.cur = p.root
	switch {
	case p.name == "":
		p.errorf("the pipeline name %q has no letters or digits", name)
	case len(p.name) > 128:
		p.errorf("the pipeline name %q is longer than 128 characters", p.name)
	}
	return p
}

// Name is the pipeline's k8s-safe name (pipelineInfo.name).
func (p *Pipeline) Name() string { return p.name }

// SetDescription sets the pipeline's description.
func (p *Pipeline) SetDescription(d string) *Pipeline { p.description = d; return p }

// SetDisplayName sets the pipeline's display name.
func (p *Pipeline) SetDisplayName(d string) *Pipeline { p.displayName = d; return p }

// SetPipelineRoot sets the default pipeline root (where artifacts go).
func (p *Pipeline) SetPipelineRoot(root string) *Pipeline { p.pipelineRoot = root; return p }

func (p *Pipeline) errorf(format string, args ...any) {
	p.errs = append(p.errs, &Error{Msg: fmt.Sprintf(format, args...)})
}

func (p *Pipeline) taskErrorf(t *Task, input, format string, args ...any) {
	p.errs = append(p.errs, &Error{Task: t.name, Input: input, Msg: fmt.Sprintf(format, args...)})
}

// Param declares a pipeline parameter (or input artifact) in full: a
// required parameter has no Default and is not Optional.
func (p *Pipeline) Param(in Input) Channel {
	switch {
	case in.Name == "":
		p.errorf("a pipeline parameter has no name")
		return Channel{}
	case slices.ContainsFunc(p.params, func(x Input) bool { return x.Name == in.Name }):
		p.errorf("pipeline parameter %q is declared twice", in.Name)
		return Channel{}
	case !in.Type.valid():
		p.errorf("pipeline parameter %q has no Type", in.Name)
		return Channel{}
	}
	if in.Default != nil {
		if _, err := checkConst(in.Default, in.Type); err != nil {
			p.errorf("pipeline parameter %q: default %v", in.Name, err)
		}
	}
	p.params = append(p.params, in)
	return Channel{kind: chanParam, p: p, name: in.Name, typ: in.Type}
}

// StringParam declares a string parameter with a default.
func (p *Pipeline) StringParam(name, def string) Channel {
	return p.Param(Input{Name: name, Type: String, Default: def})
}

// IntParam declares an integer parameter with a default.
func (p *Pipeline) IntParam(name string, def int) Channel {
	return p.Param(Input{Name: name, Type: Int, Default: def})
}

// FloatParam declares a float parameter with a default.
func (p *Pipeline) FloatParam(name string, def float64) Channel {
	return p.Param(Input{Name: name, Type: Float, Default: def})
}

// BoolParam declares a boolean parameter with a default.
func (p *Pipeline) BoolParam(name string, def bool) Channel {
	return p.Param(Input{Name: name, Type: Bool, Default: def})
}

// ListParam declares a list parameter with a default (a slice, e.g.
// []int{1, 2, 3}); the slice's element type types the items of a
// ParallelFor over it.
func (p *Pipeline) ListParam(name string, def any) Channel {
	t := List
	if def != nil {
		if e, ok := elemType(def); ok {
			t = ListOf(e)
		}
	}
	return p.Param(Input{Name: name, Type: t, Default: def})
}

// DictParam declares a dict (STRUCT) parameter with a default.
func (p *Pipeline) DictParam(name string, def map[string]any) Channel {
	var d any
	if def != nil {
		d = def
	}
	return p.Param(Input{Name: name, Type: Struct, Default: d, Optional: def == nil})
}

// elemType is the parameter type of a slice's elements, when they all have
// one.
func elemType(s any) (Type, bool) {
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return Type{}, false
	}
	var t Type
	for i := range v.Len() {
		e := v.Index(i).Interface()
		et, _, err := constValue(e)
		if err != nil || (i > 0 && !et.equal(t)) {
			return Type{}, false
		}
		t = et
	}
	if v.Len() == 0 {
		switch v.Type().Elem().Kind() {
		case reflect.String:
			return String, true
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return Int, true
		case reflect.Float32, reflect.Float64:
			return Float, true
		case reflect.Bool:
			return Bool, true
		case reflect.Map, reflect.Struct:
			return Struct, true
		}
		return Type{}, false
	}
	return t, true
}

// Output declares a pipeline output (the pipeline function's return value
// in KFP) fed by a task output, or a [Collected] one.
func (p *Pipeline) Output(name string, c Channel) {
	switch {
	case name == "":
		p.errorf("a pipeline output has no name")
	case slices.ContainsFunc(p.outputs, func(o pipeOutput) bool { return o.name == name }):
		p.errorf("pipeline output %q is declared twice", name)
	case c.kind != chanOutput && c.kind != chanCollected && c.kind != chanOneOf:
		p.errorf("pipeline output %q: wants a task output, got %s", name, c)
	case c.p != p:
		p.errorf("pipeline output %q: %s belongs to another pipeline", name, c)
	default:
		p.outputs = append(p.outputs, pipeOutput{name: name, ch: c})
	}
}

func (p *Pipeline) definition() *compDef {
	d := &compDef{name: p.rawName, inputs: p.params, graph: p}
	for _, o := range p.outputs {
		d.outputs = append(d.outputs, Output{Name: o.name, Type: o.ch.Type()})
	}
	return d
}

// Task adds a task that runs component c with the given inputs. Inputs not
// given take the component's defaults. The task is named after the
// component, made k8s-safe and unique in the pipeline ("add", "add-2").
func (p *Pipeline) Task(c Component, in Inputs) *Task {
	if c == nil || (reflect.ValueOf(c).Kind() == reflect.Pointer && reflect.ValueOf(c).IsNil()) {
		p.errorf("Task: nil component")
		return &Task{p: p, def: &compDef{}, group: p.cur, args: map[string]arg{}}
	}
	return p.addTask(c.definition(), in)
}

func (p *Pipeline) addTask(d *compDef, in Inputs) *Task {
	base := spec.SafeName(d.name)
	if base == "" {
		base = "task"
	}
	t := &Task{p: p, def: d, name: p.uniqueTaskName(base), group: p.cur, args: map[string]arg{}}
	p.cur.children = append(p.cur.children, t)
	if d.graph == p {
		p.taskErrorf(t, "", "a pipeline cannot run itself")
	}
	for _, e := range d.errs {
		p.taskErrorf(t, "", "component %q: %s", d.name, e)
	}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		decl, ok := d.input(name)
		if !ok {
			p.taskErrorf(t, name, "no such input (component %q has: %s)", d.name, strings.Join(quoteAll(d.inputNames()), ", "))
			continue
		}
		t.bind(decl, in[name])
	}
	for _, decl := range d.inputs {
		if _, ok := in[decl.Name]; ok || decl.Optional || decl.Default != nil || decl.Type.param == spec.TypeTaskFinalStatus {
			continue
		}
		p.taskErrorf(t, decl.Name, "required input (%s) not given", decl.Type)
	}
	return t
}

func (p *Pipeline) uniqueTaskName(base string) string {
	name := base
	for i := 2; p.taskNames[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	p.taskNames[name] = true
	return name
}

func quoteAll(s []string) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	r := make([]string, len(s))
	for i, x := range s {
		r[i] = strconv.Quote(x)
	}
	return r
}

// Importer adds an importer task (dsl.importer in KFP): it makes an
// artifact of an existing URI, output "artifact".
func (p *Pipeline) Importer(imp Importer) *Task {
	t := imp.Type
	if !t.valid() {
		t = Artifact
	}
	d := &compDef{name: "importer", inputs: []Input{{Name: "uri", Type: String}},
		outputs: []Output{{Name: "artifact", Type: t}}}
	is := &spec.ImporterSpec{TypeSchema: t.artifactSpec(), Reimport: imp.Reimport}
	if !t.IsArtifact() || t.list {
		d.errs = append(d.errs, fmt.Sprintf("importer Type %s is not an artifact type", t))
	}
	in := Inputs{"uri": imp.URI}
	switch u := imp.URI.(type) {
	case string:
		is.ArtifactURI.Constant = u
	case Channel:
		is.ArtifactURI.RuntimeParameter = "uri"
	default:
		d.errs = append(d.errs, fmt.Sprintf("importer URI must be a string or a Channel, not %T", imp.URI))
		delete(in, "uri")
	}
	if len(imp.Metadata) > 0 {
		// Channels anywhere in the metadata become inputs "metadata",
		// "metadata-2", ... (one per distinct channel, in key order), and
		// their placeholders stand in the metadata.
		names := map[string]string{}
		var walk func(where string, v any) any
		walk = func(where string, v any) any {
			switch x := v.(type) {
			case Channel:
				if !x.valid() || x.p != p || x.Type().IsArtifact() {
					d.errs = append(d.errs, fmt.Sprintf("importer metadata %s: wants a parameter channel of this pipeline, got %s", where, x))
					return nil
				}
				key := x.fullName()
				name, ok := names[key]
				if !ok {
					name = "metadata"
					if n := len(names) + 1; n > 1 {
						name += "-" + strconv.Itoa(n)
					}
					names[key] = name
					d.inputs = append(d.inputs, Input{Name: name, Type: x.Type()})
					in[name] = x
				}
				return InputValue(name)
			case Template:
				var sb strings.Builder
				for _, part := range x.parts {
					if c, ok := part.(Channel); ok {
						s, _ := walk(where, c).(string)
						sb.WriteString(s)
					} else {
						sb.WriteString(part.(string))
					}
				}
				return sb.String()
			case map[string]any:
				m := map[string]any{}
				for _, k := range slices.Sorted(maps.Keys(x)) {
					m[k] = walk(where+"."+k, x[k])
				}
				return m
			case []any:
				l := make([]any, len(x))
				for i, e := range x {
					l[i] = walk(fmt.Sprintf("%s[%d]", where, i), e)
				}
				return l
			}
			j, err := jsonValue(v)
			if err != nil {
				d.errs = append(d.errs, fmt.Sprintf("importer metadata %s: %v", where, err))
				return nil
			}
			return j
		}
		is.Metadata = walk("", map[string]any(imp.Metadata)).(map[string]any)
	}
	d.exec = &spec.ExecutorSpec{Importer: is}
	return p.addTask(d, in)
}

// Importer describes an importer task.
type Importer struct {
	// URI is the artifact's URI: a string or a string Channel.
	URI any
	// Type is the artifact type (Artifact when unset).
	Type     Type
	Reimport bool
	// Metadata is the artifact's metadata; values may be Channels.
	Metadata map[string]any
}

// Option configures a control-flow group ([DisplayName], [Parallelism]) or a
// Kubernetes setting of a task ([Optional], [SubPath], [Medium],
// [SizeLimit]).
type Option func(*groupOptions)

type groupOptions struct {
	displayName string
	parallelism int
	// Options of Kubernetes settings (Task.UseSecretAsEnv and friends).
	optional                   bool
	subPath, medium, sizeLimit string
	set                        map[string]bool
}

// DisplayName sets the display name of a condition, loop or exit handler
// (taskInfo.name; ExitHandler(name=...) in KFP).
func DisplayName(name string) Option {
	return func(o *groupOptions) { o.displayName = name; o.set["DisplayName"] = true }
}

// Parallelism bounds how many iterations of a ParallelFor run at once.
func Parallelism(n int) Option {
	return func(o *groupOptions) { o.parallelism = n; o.set["Parallelism"] = true }
}

func (p *Pipeline) options(what string, opts []Option, allowed ...string) groupOptions {
	o := groupOptions{set: map[string]bool{}}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	for k := range o.set {
		if !slices.Contains(allowed, k) {
			p.errorf("%s: option %s does not apply", what, k)
		}
	}
	if o.parallelism < 0 {
		p.errorf("%s: Parallelism(%d) is negative", what, o.parallelism)
	}
	return o
}

func (p *Pipeline) nextID() int { p.groupID++; return p.groupID }

func (p *Pipeline) newGroup(kind groupKind, prefix string, o groupOptions) *group {
	g := &group{kind: kind, name: prefix + "-" + strconv.Itoa(p.nextID()), parent: p.cur, display: o.displayName}
	p.cur.children = append(p.cur.children, g)
	return g
}

func (p *Pipeline) runIn(g *group, body func()) {
	if body == nil {
		return
	}
	saved := p.cur
	p.cur = g
	defer func() { p.cur = saved }()
	body()
}

// If runs body's tasks only when c holds (dsl.If in KFP). Chain
// [Branches.Elif] and [Branches.Else] on the result.
func (p *Pipeline) If(c Cond, body func(), opts ...Option) *Branches {
	o := p.options("If", opts, "DisplayName")
	g := p.newGroup(groupCondition, "condition", o)
	g.terms = []condTerm{{c: c}}
	p.checkCond("If", c)
	p.runIn(g, body)
	return &Branches{p: p, first: g, parent: g.parent, prev: []Cond{c}}
}

// Branches is an If with its Elif and Else branches.
type Branches struct {
	p        *Pipeline
	parent   *group
	first    *group
	branches *group
	prev     []Cond
	closed   bool
}

func (b *Branches) wrap(what string) bool {
	p := b.p
	if b.closed {
		p.errorf("%s after Else", what)
		return false
	}
	if p.cur != b.parent {
		p.errorf("%s must be called where its If was", what)
		return false
	}
	if b.branches == nil {
		g := &group{kind: groupBranches, name: "condition-branches-" + strings.TrimPrefix(b.first.name, "condition-"), parent: b.parent}
		i := slices.Index(b.parent.children, node(b.first))
		b.parent.children[i] = g
		b.first.parent = g
		b.first.name = "condition-" + strconv.Itoa(p.nextID())
		g.children = []node{b.first}
		b.branches = g
	}
	return true
}

// Elif adds a branch that runs when no earlier branch's condition held and
// c holds (dsl.Elif).
func (b *Branches) Elif(c Cond, body func(), opts ...Option) *Branches {
	p := b.p
	o := p.options("Elif", opts, "DisplayName")
	if !b.wrap("Elif") {
		return b
	}
	p.checkCond("Elif", c)
	b.branch(o, append(slices.Clone(b.prev), c), true, body)
	b.prev = append(b.prev, c)
	return b
}

// Else adds the branch that runs when no other branch's condition held
// (dsl.Else).
func (b *Branches) Else(body func(), opts ...Option) {
	p := b.p
	o := p.options("Else", opts, "DisplayName")
	if !b.wrap("Else") {
		return
	}
	b.branch(o, b.prev, false, body)
	b.closed = true
}

func (b *Branches) branch(o groupOptions, conds []Cond, lastHolds bool, body func()) {
	p := b.p
	saved := p.cur
	p.cur = b.branches
	g := p.newGroup(groupCondition, "condition", o)
	p.cur = saved
	for i, c := range conds {
		g.terms = append(g.terms, condTerm{c: c, neg: !(lastHolds && i == len(conds)-1)})
	}
	p.runIn(g, body)
}

func (p *Pipeline) checkCond(what string, c Cond) {
	if c.op == "" {
		p.errorf("%s: empty condition (build one with Channel.Eq, Lt, ...)", what)
		return
	}
	for _, side := range []any{c.left, c.right} {
		ch, ok := side.(Channel)
		if !ok {
			if _, _, err := constValue(side); err != nil {
				p.errorf("%s: %v", what, err)
			}
			continue
		}
		switch {
		case !ch.valid():
			p.errorf("%s: the condition uses an invalid (zero) Channel", what)
		case ch.p != p:
			p.errorf("%s: %s belongs to another pipeline", what, ch)
		case ch.kind == chanField:
		case ch.Type().IsArtifact() || ch.Type().param == spec.TypeList || ch.Type().param == spec.TypeStruct:
			p.errorf("%s: conditions compare str, int, float or bool values; %s is a %s", what, ch, ch.Type())
		}
	}
}

// ParallelFor runs body once per item (dsl.ParallelFor): items is a Go
// slice (a raw list in the spec), a list parameter, a list task output, or a
// list of artifacts. body gets the item; use [Channel.Field] for fields of
// struct items. Task outputs inside the loop reach tasks outside it only
// through [Collected].
func (p *Pipeline) ParallelFor(items any, body func(item Channel), opts ...Option) {
	o := p.options("ParallelFor", opts, "DisplayName", "Parallelism")
	var item Channel
	var g *group
	if ch, ok := items.(Channel); ok {
		t := ch.Type()
		switch {
		case !ch.valid():
			p.errorf("ParallelFor: the items are an invalid (zero) Channel")
		case ch.p != p:
			p.errorf("ParallelFor: %s belongs to another pipeline", ch)
		case t.IsArtifact() && !t.list:
			p.errorf("ParallelFor: %s is one artifact (%s), not a list", ch, t)
		case !t.IsArtifact() && t.param != spec.TypeList && ch.kind != chanField:
			p.errorf("ParallelFor: %s is a %s, not a list", ch, t)
		}
		g = p.newGroup(groupLoop, "for-loop", o)
		g.items = &ch
		it := String
		switch {
		case t.IsArtifact():
			it = t
			it.list = false
		case t.elem != nil:
			it = *t.elem
		}
		item = Channel{kind: chanItem, p: p, name: ch.fullName() + "-loop-item", typ: it}
	} else {
		raw, err := jsonNumbers(items)
		list, ok := raw.([]any)
		if err != nil || !ok {
			p.errorf("ParallelFor: items must be a slice or a list Channel, not %T", items)
		}
		it, ok := elemType(items)
		if !ok {
			it = String
		}
		id := p.nextID()
		g = p.newGroup(groupLoop, "for-loop", o)
		g.raw = list
		item = Channel{kind: chanItem, p: p, name: "loop-item-param-" + strconv.Itoa(id), typ: it}
	}
	g.parallelism = o.parallelism
	item.loop = g
	g.item = item
	p.runIn(g, func() {
		if body != nil {
			body(item)
		}
	})
}

// ExitHandler runs body's tasks, then exit whatever happened to them
// (dsl.ExitHandler). exit must be a task added at the pipeline's top level
// before ExitHandler is called; an input of type TaskFinalStatus on it gets
// the group's final status.
func (p *Pipeline) ExitHandler(exit *Task, body func(), opts ...Option) {
	o := p.options("ExitHandler", opts, "DisplayName")
	switch {
	case exit == nil:
		p.errorf("ExitHandler: nil exit task")
		return
	case exit.p != p:
		p.errorf("ExitHandler: exit task %q belongs to another pipeline", exit.name)
		return
	case p.cur != p.root:
		p.errorf("ExitHandler: only allowed at the pipeline's top level, not inside %s", p.cur.name)
		return
	case exit.group != p.root:
		p.taskErrorf(exit, "", "an exit task must be at the pipeline's top level")
		return
	case exit.exitFor != nil:
		p.taskErrorf(exit, "", "is already the exit task of %s", exit.exitFor.name)
		return
	case len(exit.after) > 0:
		p.taskErrorf(exit, "", "an exit task cannot depend on other tasks (it runs after its exit handler)")
	}
	g := p.newGroup(groupExit, "exit-handler", o)
	g.exitTask = exit
	exit.exitFor = g
	p.runIn(g, body)
}

type groupKind int

const (
	groupRoot groupKind = iota
	groupCondition
	groupBranches
	groupLoop
	groupExit
)

func (k groupKind) String() string {
	return [...]string{"the pipeline", "a condition", "condition branches", "a ParallelFor", "an exit handler"}[k]
}

// group is a control-flow group: it becomes a DAG component and a task
// running it.
type group struct {
	kind     groupKind
	name     string
	display  string
	parent   *group
	children []node

	terms []condTerm // condition

	raw         []any    // loop over a raw list
	items       *Channel // loop over a channel
	item        Channel
	parallelism int

	exitTask *Task

	oneofs int // OneOf outputs of condition branches
}

type condTerm struct {
	c   Cond
	neg bool
}

type node interface {
	key() string
	parentGroup() *group
}

func (g *group) key() string         { return g.name }
func (g *group) parentGroup() *group { return g.parent }

// encloses reports whether g is x or one of its ancestors.
func (g *group) encloses(x *group) bool {
	for ; x != nil; x = x.parent {
		if x == g {
			return true
		}
	}
	return false
}

// childToward is g's child that holds n (n itself if it is g's child).
func (g *group) childToward(n node) node {
	for {
		pg := n.parentGroup()
		if pg == g {
			return n
		}
		if pg == nil {
			return nil
		}
		n = pg
	}
}
