package dsl

import (
	"fmt"
	"strconv"

	"github.com/sluicehq/sluice/spec"
)

// Where a channel used by a task or group comes from, and the inputs,
// outputs and dependencies the groups between need so that it gets there.

// rchan is a channel resolved for one use.
type rchan struct {
	ch       Channel
	scope    *group // where the channel is available directly
	producer node   // task or loop producing it, in scope
	key      string // output key at producer
	name     string // name after "pipelinechannel--"
	typ      Type
	list     bool // a collected value
}

// resolve finds where channel ch comes from, for a use in group at (by
// task t's input, when t is not nil), and checks that the use is allowed.
func (c *compiler) resolve(ch Channel, at *group, t *Task, input string) (rchan, bool) {
	r := rchan{ch: ch, typ: ch.Type()}
	fail := func(format string, args ...any) (rchan, bool) {
		msg := fmt.Sprintf(format, args...)
		if t == nil {
			msg = at.name + ": " + msg
			if at.kind == groupRoot {
				msg = fmt.Sprintf(format, args...)
			}
		}
		c.errorf(t, input, "%s", msg)
		return r, false
	}
	switch ch.kind {
	case chanParam:
		r.scope, r.name = c.p.root, ch.name
	case chanOutput:
		r.scope, r.producer, r.key, r.name = ch.task.group, ch.task, ch.name, ch.fullName()
	case chanItem, chanField:
		r.scope, r.name = ch.loop, ch.fullName()
		if ch.kind == chanField {
			r.typ = String
		}
		if !ch.loop.encloses(at) {
			return fail("%s is used outside its ParallelFor", ch)
		}
		return r, true
	case chanCollected:
		P := ch.task
		var loop *group
		for g := P.group; g != nil; g = g.parent {
			if g.kind == groupLoop && !g.encloses(at) {
				loop = g
			}
		}
		if loop == nil {
			for g := P.group; g != nil; g = g.parent {
				if g.kind == groupLoop {
					return fail("%s is used inside the ParallelFor that produces it: use the output itself there", ch)
				}
			}
			return fail("%s: task %q is not inside a ParallelFor", ch, P.name)
		}
		r.list = true
		r.scope, r.producer = loop.parent, loop
		r.key = c.lift(loop, P, ch.base.name, ch.base.typ, true)
		r.name = loop.name + "-" + r.key
	case chanOneOf:
		br := ch.branches
		r.scope, r.producer, r.key, r.name = br.parent, br, ch.oneof, ch.fullName()
		c.exportOneOf(ch)
	default:
		return fail("got an invalid (zero) Channel")
	}
	if !r.scope.encloses(at) {
		var in *group
		for g := r.producer.parentGroup(); g != nil && !g.encloses(at); g = g.parent {
			in = g
		}
		who := "task " + strconv.Quote(r.producer.key())
		if ch.kind == chanCollected || ch.kind == chanOneOf {
			who = ch.String()
		}
		if in == nil {
			return fail("%s is used inside the If/Elif/Else it chooses from", ch)
		}
		switch in.kind {
		case groupLoop:
			return fail("%s is inside %s (a ParallelFor): use dsl.Collected(%s) to gather its outputs outside the loop", who, in.name, ch)
		case groupExit:
			return fail("%s is inside %s (an exit handler): its outputs can only be used inside it", who, in.name)
		default:
			return fail("%s is inside %s (a condition): its outputs can only be used inside that condition", who, in.name)
		}
	}
	return r, true
}

// direct is the reference to r in the DAG of r.scope.
func (c *compiler) direct(r rchan, consumer node) (*spec.InputParameter, *spec.InputArtifact) {
	switch r.ch.kind {
	case chanParam:
		return &spec.InputParameter{ComponentInputParameter: r.name}, &spec.InputArtifact{ComponentInputArtifact: r.name}
	case chanItem:
		return &spec.InputParameter{ComponentInputParameter: "pipelinechannel--" + r.name}, &spec.InputArtifact{ComponentInputArtifact: "pipelinechannel--" + r.name}
	case chanField:
		return &spec.InputParameter{ComponentInputParameter: "pipelinechannel--" + r.ch.base.fullName(),
			ParameterExpressionSelector: fmt.Sprintf("parseJson(string_value)[%q]", r.ch.name)}, nil
	}
	c.addDep(consumer, r.producer)
	return &spec.InputParameter{TaskOutputParameter: &spec.TaskOutputParameter{ProducerTask: r.producer.key(), OutputParameterKey: r.key}},
		&spec.InputArtifact{TaskOutputArtifact: &spec.TaskOutputArtifact{ProducerTask: r.producer.key(), OutputArtifactKey: r.key}}
}

// itemOf is the loop item a field channel is read from.
func itemOf(r rchan) rchan {
	it := *r.ch.base
	return rchan{ch: it, scope: r.scope, name: it.fullName(), typ: it.typ}
}

// paramRef is the reference to parameter r from a task of group g's DAG.
// A field of a loop item is read from the item where it is used (the item
// crosses the groups in between, as the KFP compiler does it).
func (c *compiler) paramRef(g *group, r rchan, consumer node) *spec.InputParameter {
	if r.ch.kind == chanField {
		item := itemOf(r)
		name := "pipelinechannel--" + item.name
		if g != item.scope {
			name = c.groupInput(g, item)
		}
		return &spec.InputParameter{ComponentInputParameter: name,
			ParameterExpressionSelector: fmt.Sprintf("parseJson(string_value)[%q]", r.ch.name)}
	}
	if g == r.scope {
		p, _ := c.direct(r, consumer)
		return p
	}
	return &spec.InputParameter{ComponentInputParameter: c.groupInput(g, r)}
}

// artRef is the reference to artifact r from a task of group g's DAG.
func (c *compiler) artRef(g *group, r rchan, consumer node) *spec.InputArtifact {
	if g == r.scope {
		_, a := c.direct(r, consumer)
		return a
	}
	return &spec.InputArtifact{ComponentInputArtifact: c.groupInput(g, r)}
}

// groupInput makes r an input of group g ("pipelinechannel--<name>"), fed
// from g's parent DAG, and returns the input's name.
func (c *compiler) groupInput(g *group, r rchan) string {
	name := "pipelinechannel--" + r.name
	if r.ch.kind == chanField {
		// A condition or loop on a field: the group also gets the item.
		c.available(g, itemOf(r))
	}
	if c.declareInput(g, name, r.typ) {
		ts := c.spec(g)
		if r.typ.IsArtifact() {
			setArtifact(ts, name, c.artRef(g.parent, r, g))
		} else {
			setParam(ts, name, c.paramRef(g.parent, r, g))
		}
	}
	return name
}

// available makes r usable by the tasks of group g: a group input unless g
// is where r comes from; for a field, its item.
func (c *compiler) available(g *group, r rchan) {
	if r.ch.kind == chanField {
		r = itemOf(r)
	}
	if g != r.scope {
		c.groupInput(g, r)
	}
}

// declareInput declares an input of group g; false if it already was.
func (c *compiler) declareInput(g *group, name string, t Type) bool {
	itf := c.gIn[g]
	if itf == nil {
		itf = &spec.Interface{}
		c.gIn[g] = itf
	}
	if t.IsArtifact() {
		if itf.Artifacts[name] != nil {
			return false
		}
		if itf.Artifacts == nil {
			itf.Artifacts = map[string]*spec.ArtifactSpec{}
		}
		itf.Artifacts[name] = &spec.ArtifactSpec{ArtifactType: t.artifactSpec(), IsArtifactList: t.list}
		return true
	}
	if itf.Parameters[name] != nil {
		return false
	}
	if itf.Parameters == nil {
		itf.Parameters = map[string]*spec.ParameterSpec{}
	}
	pt := t.param
	if pt == "" {
		pt = spec.TypeString
	}
	itf.Parameters[name] = &spec.ParameterSpec{ParameterType: pt}
	return true
}

// lift makes output out of task P, inside group x, an output of x named
// "pipelinechannel--<P>-<out>" and returns that name. list makes it a list
// (a value collected over loop iterations).
func (c *compiler) lift(x *group, P *Task, out string, typ Type, list bool) string {
	name := "pipelinechannel--" + P.name + "-" + out
	var sub, key string
	if P.group == x {
		sub, key = P.name, out
	} else {
		y := x.childToward(P).(*group)
		sub, key = y.name, c.lift(y, P, out, typ, list)
	}
	c.export(x, name, sub, key, typ, list)
	return name
}

// export declares output name of group g, taken from subtask sub's output
// key.
func (c *compiler) export(g *group, name, sub, key string, typ Type, list bool) {
	itf := c.gOut[g]
	if itf == nil {
		itf = &spec.Interface{}
		c.gOut[g] = itf
	}
	dag := c.gDag[g]
	if dag == nil {
		dag = &spec.DAGOutputs{}
		c.gDag[g] = dag
	}
	if typ.IsArtifact() {
		if itf.Artifacts == nil {
			itf.Artifacts = map[string]*spec.ArtifactSpec{}
			dag.Artifacts = map[string]*spec.DAGOutputArtifact{}
		}
		itf.Artifacts[name] = &spec.ArtifactSpec{ArtifactType: typ.artifactSpec(), IsArtifactList: typ.list || list}
		dag.Artifacts[name] = &spec.DAGOutputArtifact{ArtifactSelectors: []spec.ArtifactSelector{{ProducerSubtask: sub, OutputArtifactKey: key}}}
		return
	}
	if itf.Parameters == nil {
		itf.Parameters = map[string]*spec.ParameterSpec{}
		dag.Parameters = map[string]*spec.DAGOutputParameter{}
	}
	pt := typ.param
	if list {
		pt = spec.TypeList
	}
	itf.Parameters[name] = &spec.ParameterSpec{ParameterType: pt}
	dag.Parameters[name] = &spec.DAGOutputParameter{ValueFromParameter: &spec.ParameterSelector{ProducerSubtask: sub, OutputParameterKey: key}}
}

// exportOneOf declares the output of a OneOf on its branches group.
func (c *compiler) exportOneOf(ch Channel) {
	br := ch.branches
	if out := c.gOut[br]; out != nil && (out.Parameters[ch.oneof] != nil || out.Artifacts[ch.oneof] != nil) {
		return
	}
	var params []spec.ParameterSelector
	var arts []spec.ArtifactSelector
	for _, alt := range ch.alts {
		cond := br.childToward(alt.task).(*group)
		key := c.lift(cond, alt.task, alt.name, alt.typ, false)
		params = append(params, spec.ParameterSelector{ProducerSubtask: cond.name, OutputParameterKey: key})
		arts = append(arts, spec.ArtifactSelector{ProducerSubtask: cond.name, OutputArtifactKey: key})
	}
	c.export(br, ch.oneof, "", "", ch.typ, false)
	if ch.typ.IsArtifact() {
		c.gDag[br].Artifacts[ch.oneof].ArtifactSelectors = arts
		return
	}
	c.gDag[br].Parameters[ch.oneof] = &spec.DAGOutputParameter{ValueFromOneof: &struct {
		ParameterSelectors []spec.ParameterSelector `json:"parameterSelectors,omitempty"`
	}{params}}
}

// pipelineOutput exports a pipeline output from the root DAG.
func (c *compiler) pipelineOutput(o pipeOutput) {
	root := c.p.root
	fail := func(format string, args ...any) {
		c.errs = append(c.errs, &Error{Msg: fmt.Sprintf("pipeline output %q: ", o.name) + fmt.Sprintf(format, args...)})
	}
	var src node
	var key string
	typ := o.ch.Type()
	list := false
	switch o.ch.kind {
	case chanOutput:
		src, key = o.ch.task, o.ch.name
	case chanCollected:
		x, ok := root.childToward(o.ch.task).(*group)
		if !ok {
			fail("%s is not inside a ParallelFor", o.ch)
			return
		}
		src, key, list = x, c.lift(x, o.ch.task, o.ch.base.name, o.ch.base.typ, true), true
	case chanOneOf:
		c.exportOneOf(o.ch)
		src, key = o.ch.branches, o.ch.oneof
	default:
		fail("wants a task output, got %s", o.ch)
		return
	}
	if src.parentGroup() == root {
		c.export(root, o.name, src.key(), key, typ, list)
		return
	}
	// Lift through the groups around src; only exit handlers may be crossed.
	var chain []*group
	for g := src.parentGroup(); g != root; g = g.parent {
		if g.kind != groupExit {
			what := "a condition"
			if g.kind == groupLoop {
				what = "a ParallelFor: use dsl.Collected"
			}
			fail("%s is inside %s (%s)", o.ch, g.name, what)
			return
		}
		chain = append(chain, g)
	}
	sub := src.key()
	full := src.key() + "-" + key
	for _, g := range chain {
		name := "pipelinechannel--" + full
		c.export(g, name, sub, key, typ, list)
		sub, key = g.name, name
	}
	c.export(root, o.name, sub, key, typ, list)
}
