package dsl

import (
	"fmt"
	"strconv"
	"strings"
)

type chanKind int

const (
	chanParam     chanKind = iota + 1 // a pipeline parameter
	chanOutput                        // a task output
	chanItem                          // a ParallelFor loop item
	chanField                         // a field of a loop item (a struct)
	chanCollected                     // a task output gathered over the loops around it
	chanOneOf                         // the output of whichever If/Elif/Else branch ran
)

// Channel is a value known only when the pipeline runs: a pipeline
// parameter, a task output, a ParallelFor item, or a collected list. Pass it
// to a task input through [Inputs], compare it in a condition with
// [Channel.Eq] and friends, or embed it in a string with [Sprintf].
//
// The zero Channel is invalid; using one is a compile error.
type Channel struct {
	kind chanKind
	p    *Pipeline
	name string // parameter name, output key, or field name
	typ  Type
	task *Task     // producer of an output
	loop *group    // loop of an item
	base *Channel  // the item of a field, the output of a collected value
	alts []Channel // the branch outputs of a OneOf
	// branches and oneof locate a OneOf: its If/Elif/Else group and name.
	branches *group
	oneof    string
}

// Type is the channel's type.
func (c Channel) Type() Type {
	if c.kind == chanCollected {
		b := c.base.Type()
		if b.IsArtifact() {
			b.list = true
			return b
		}
		return List
	}
	return c.typ
}

// fullName is the channel's name as the KFP compiler forms it: the
// parameter name, "<task>-<output>", "<items>-loop-item" or
// "loop-item-param-<N>", "<item>-subvar-<field>".
func (c Channel) fullName() string {
	switch c.kind {
	case chanParam:
		return c.name
	case chanOutput:
		return c.task.name + "-" + c.name
	case chanItem:
		return c.name
	case chanField:
		return c.base.fullName() + "-subvar-" + c.name
	case chanCollected:
		return c.base.fullName()
	case chanOneOf:
		return c.branches.name + "-" + c.oneof
	}
	return "?"
}

// String describes the channel for error messages.
func (c Channel) String() string {
	switch c.kind {
	case chanParam:
		return fmt.Sprintf("pipeline parameter %q", c.name)
	case chanOutput:
		return fmt.Sprintf("output %q of task %q", c.name, c.task.name)
	case chanItem:
		return fmt.Sprintf("the item of %s", c.loop.name)
	case chanField:
		return fmt.Sprintf("field %q of %s", c.name, c.base)
	case chanCollected:
		return "Collected(" + c.base.String() + ")"
	case chanOneOf:
		return "OneOf(" + c.oneof + " of " + c.branches.name + ")"
	}
	return "an invalid (zero) Channel"
}

func (c Channel) valid() bool { return c.kind != 0 }

// Field is the field of a struct-typed loop item (item.field in KFP); it is
// read with a parseJson selector when the task runs.
func (c Channel) Field(name string) Channel {
	if c.kind != chanItem {
		if c.p != nil {
			c.p.errorf("Field(%q): only a ParallelFor item has fields, not %s", name, c)
		}
		return Channel{}
	}
	return Channel{kind: chanField, p: c.p, name: name, typ: String, loop: c.loop, base: &c}
}

// Collected gathers a task output produced inside a ParallelFor into one list
// (dsl.Collected in KFP): a LIST parameter, or a list of artifacts, in
// iteration order. Use it outside the loop.
func Collected(c Channel) Channel {
	if c.kind != chanOutput {
		if c.p != nil {
			c.p.errorf("Collected: wants a task output, got %s", c)
		}
		return Channel{}
	}
	return Channel{kind: chanCollected, p: c.p, base: &c, task: c.task}
}

// OneOf is the output of whichever branch of an If/Elif/Else ran
// (dsl.OneOf in KFP): give one task output from each branch, all of the same
// type. Use it after the branches, outside them.
func OneOf(outputs ...Channel) Channel {
	var p *Pipeline
	for _, o := range outputs {
		if o.p != nil {
			p = o.p
			break
		}
	}
	if p == nil {
		return Channel{}
	}
	if len(outputs) < 2 {
		p.errorf("OneOf: wants the outputs of at least two branches, got %d", len(outputs))
		return Channel{}
	}
	var br *group
	seen := map[*group]bool{}
	for i, o := range outputs {
		if o.kind != chanOutput || o.p != p {
			p.errorf("OneOf: argument %d: wants a task output of this pipeline, got %s", i+1, o)
			return Channel{}
		}
		if !o.Type().equal(outputs[0].Type()) {
			p.errorf("OneOf: %s is a %s but %s is a %s: the outputs must have the same type", o, o.Type(), outputs[0], outputs[0].Type())
			return Channel{}
		}
		var cond *group
		for g := o.task.group; g != nil; g = g.parent {
			if g.kind == groupCondition && g.parent != nil && g.parent.kind == groupBranches {
				cond = g
				break
			}
		}
		if cond == nil || (br != nil && cond.parent != br) || seen[cond] {
			p.errorf("OneOf: %s is not in its own branch of one If/Elif/Else (each output must come from a different branch of the same If)", o)
			return Channel{}
		}
		seen[cond] = true
		br = cond.parent
	}
	br.oneofs++
	return Channel{kind: chanOneOf, p: p, typ: outputs[0].Type(), alts: outputs, branches: br,
		oneof: "pipelinechannel--" + br.name + "-oneof-" + strconv.Itoa(br.oneofs)}
}

// Template is a string with channels in it, made by [Sprintf]; it becomes a
// string constant holding placeholders, with the channels as extra task
// inputs (what an f-string compiles to in KFP).
type Template struct {
	parts []any // string or Channel
}

// Sprintf makes a string from a format and channels: each %v (or %s, %d)
// is replaced by the value of the next channel when the task runs; %% is a
// percent sign. Arguments that are not Channels are formatted now.
func Sprintf(format string, args ...any) Template {
	var t Template
	var sb strings.Builder
	i := 0
	for k := 0; k < len(format); k++ {
		ch := format[k]
		if ch != '%' || k+1 >= len(format) {
			sb.WriteByte(ch)
			continue
		}
		k++
		verb := format[k]
		if verb == '%' {
			sb.WriteByte('%')
			continue
		}
		if i >= len(args) {
			sb.WriteString("%!" + string(verb) + "(MISSING)")
			continue
		}
		a := args[i]
		i++
		if c, ok := a.(Channel); ok {
			if sb.Len() > 0 {
				t.parts = append(t.parts, sb.String())
				sb.Reset()
			}
			t.parts = append(t.parts, c)
			continue
		}
		sb.WriteString(fmt.Sprintf("%"+string(verb), a))
	}
	if sb.Len() > 0 {
		t.parts = append(t.parts, sb.String())
	}
	return t
}

// Cond is a comparison of a channel with a constant or another channel, used
// by [Pipeline.If] and [Branches.Elif]. Build one with [Channel.Eq] etc.
type Cond struct {
	op          string
	left, right any // Channel or constant
}

func (c Channel) cmp(op string, v any) Cond { return Cond{op: op, left: c, right: v} }

// Eq is the condition c == v (v a constant or a Channel).
func (c Channel) Eq(v any) Cond { return c.cmp("==", v) }

// Ne is the condition c != v.
func (c Channel) Ne(v any) Cond { return c.cmp("!=", v) }

// Lt is the condition c < v.
func (c Channel) Lt(v any) Cond { return c.cmp("<", v) }

// Le is the condition c <= v.
func (c Channel) Le(v any) Cond { return c.cmp("<=", v) }

// Gt is the condition c > v.
func (c Channel) Gt(v any) Cond { return c.cmp(">", v) }

// Ge is the condition c >= v.
func (c Channel) Ge(v any) Cond { return c.cmp(">=", v) }

// Inputs binds a task's inputs by name: each value is a [Channel], a
// [Template] from [Sprintf], or a Go constant (string, bool, int, float,
// slice, map, or anything encoding/json turns into one of those).
type Inputs map[string]any
