package pycomponent

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// This file writes YAML the way PyYAML's emitter does, for the two dumpers
// whose output Sluice reproduces byte for byte:
//
//   - the KFP 2 SDK's IR files (marshalYAML): yaml.dump with sort_keys=True
//     and default_flow_style=False — block style throughout;
//   - kfp 1.8's component files (marshalYAMLv1): its OrderedDumper with
//     default_flow_style=None — mappings keep their order, and a collection
//     is written in flow style ({a: b}, [x, y]) when all its keys and items
//     are scalars with no forced style; kfp's string representer forces the
//     literal style (|) on strings with a line break and double quotes on
//     the bool-like words (y, n, yes, no, true, false, on, off).
//
// Both use PyYAML's defaults otherwise: indent 2, width 80, sequences in
// mappings not indented, non-ASCII escaped. The emitter follows PyYAML's
// state machine (expect_block_mapping, expect_flow_sequence, write_indent,
// write_indicator, ...) so that lines are folded where PyYAML folds them.
// Values are mapping (ordered), map[string]any (keys sorted), []any,
// string, bool, int, float64 (written as Python's repr of a float) and nil.

const bestWidth = 80

// mapping is an ordered YAML mapping.
type mapping []mapItem

type mapItem struct {
	Key   string
	Value any
}

type emitter struct {
	b          strings.Builder
	column     int
	whitespace bool
	indention  bool
	indent     int // -1 until the root collection starts
	flowLevel  int
	kfp1       bool
	// openEnded: the last thing written was a literal keeping its final
	// line breaks ("|+"), so the document needs an explicit end.
	openEnded bool
}

// marshalYAML writes doc as the KFP 2 SDK writes IR files.
func marshalYAML(doc map[string]any) string {
	return emit(doc, false)
}

// marshalYAMLv1 writes doc as kfp 1.8 writes component files.
func marshalYAMLv1(doc mapping) string {
	return emit(doc, true)
}

func emit(doc any, kfp1 bool) string {
	e := &emitter{whitespace: true, indention: true, indent: -1, kfp1: kfp1}
	e.node(doc, false, false)
	// expect_document_end, then the stream's end
	e.writeIndent()
	if e.openEnded {
		e.indicator("...", true, false, false)
		e.writeIndent()
	}
	return e.b.String()
}

func (e *emitter) write(s string) {
	e.b.WriteString(s)
	e.column += utf8.RuneCountInString(s)
}

func (e *emitter) lineBreak() {
	e.b.WriteString("\n")
	e.column = 0
	e.whitespace = true
	e.indention = true
}

// writeIndent is PyYAML's write_indent.
func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.lineBreak()
	}
	if e.column < indent {
		e.whitespace = true
		e.b.WriteString(strings.Repeat(" ", indent-e.column))
		e.column = indent
	}
}

// indicator is PyYAML's write_indicator.
func (e *emitter) indicator(s string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		s = " " + s
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.openEnded = false
	e.write(s)
}

// increaseIndent is PyYAML's increase_indent; it returns the indent to
// restore when the node ends.
func (e *emitter) increaseIndent(flow, indentless bool) int {
	saved := e.indent
	switch {
	case e.indent < 0 && flow:
		e.indent = 2
	case e.indent < 0:
		e.indent = 0
	case !indentless:
		e.indent += 2
	}
	return saved
}

// entries returns a mapping's items in the order they are written.
func entries(v any) ([]mapItem, bool) {
	switch v := v.(type) {
	case mapping:
		return v, true
	case map[string]any:
		items := make([]mapItem, 0, len(v))
		for _, k := range slices.Sorted(keysOf(v)) {
			items = append(items, mapItem{k, v[k]})
		}
		return items, true
	}
	return nil, false
}

func keysOf(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// node is PyYAML's expect_node for a value in the given context.
func (e *emitter) node(v any, inMapping, simpleKey bool) {
	if items, ok := entries(v); ok {
		if e.flowLevel > 0 || len(items) == 0 || e.flowStyle(v) {
			e.flowMapping(items)
		} else {
			e.blockMapping(items)
		}
		return
	}
	if seq, ok := v.([]any); ok {
		if e.flowLevel > 0 || len(seq) == 0 || e.flowStyle(v) {
			e.flowSequence(seq)
		} else {
			e.blockSequence(seq, inMapping)
		}
		return
	}
	saved := e.increaseIndent(true, false)
	e.scalar(v, simpleKey)
	e.indent = saved
}

// flowStyle is the representer's choice under default_flow_style=None: a
// collection whose keys and items are all scalars without a forced style.
func (e *emitter) flowStyle(v any) bool {
	if !e.kfp1 {
		return false
	}
	plain := func(x any) bool {
		switch x := x.(type) {
		case mapping, map[string]any, []any:
			return false
		case string:
			return e.forcedStyle(x) == 0
		}
		return true
	}
	if seq, ok := v.([]any); ok {
		for _, x := range seq {
			if !plain(x) {
				return false
			}
		}
		return true
	}
	items, _ := entries(v)
	for _, it := range items {
		if !plain(it.Key) || !plain(it.Value) {
			return false
		}
	}
	return true
}

// forcedStyle is the style kfp 1.8's string representer asks for.
func (e *emitter) forcedStyle(s string) byte {
	if !e.kfp1 {
		return 0
	}
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "true", "false", "on", "off":
		return '"'
	}
	if strings.Contains(s, "\n") {
		return '|'
	}
	return 0
}

func (e *emitter) blockSequence(seq []any, inMapping bool) {
	saved := e.increaseIndent(false, inMapping && !e.indention)
	for _, item := range seq {
		e.writeIndent()
		e.indicator("-", true, false, true)
		e.node(item, false, false)
	}
	e.indent = saved
}

func (e *emitter) blockMapping(items []mapItem) {
	saved := e.increaseIndent(false, false)
	for _, it := range items {
		e.writeIndent()
		if simpleKey(it.Key) {
			e.node(it.Key, true, true)
			e.indicator(":", false, false, false)
		} else {
			e.indicator("?", true, false, true)
			e.node(it.Key, true, false)
			e.writeIndent()
			e.indicator(":", true, false, true)
		}
		e.node(it.Value, true, false)
	}
	e.indent = saved
}

func (e *emitter) flowSequence(seq []any) {
	e.indicator("[", true, true, false)
	e.flowLevel++
	saved := e.increaseIndent(true, false)
	for i, item := range seq {
		if i > 0 {
			e.indicator(",", false, false, false)
		}
		if e.column > bestWidth {
			e.writeIndent()
		}
		e.node(item, false, false)
	}
	e.indent = saved
	e.flowLevel--
	e.indicator("]", false, false, false)
}

func (e *emitter) flowMapping(items []mapItem) {
	e.indicator("{", true, true, false)
	e.flowLevel++
	saved := e.increaseIndent(true, false)
	for i, it := range items {
		if i > 0 {
			e.indicator(",", false, false, false)
		}
		if e.column > bestWidth {
			e.writeIndent()
		}
		if simpleKey(it.Key) {
			e.node(it.Key, true, true)
			e.indicator(":", false, false, false)
		} else {
			e.indicator("?", true, false, false)
			e.node(it.Key, true, false)
			if e.column > bestWidth {
				e.writeIndent()
			}
			e.indicator(":", true, false, false)
		}
		e.node(it.Value, true, false)
	}
	e.indent = saved
	e.flowLevel--
	e.indicator("}", false, false, false)
}

// simpleKey is PyYAML's check_simple_key for a string key (its "!!str" tag
// counts towards the 128 characters).
func simpleKey(k string) bool {
	a := analyze(k)
	return utf8.RuneCountInString(k)+5 < 128 && !a.empty && !a.multiline
}

// scalar writes a scalar node at the current indent.
func (e *emitter) scalar(v any, simpleKey bool) {
	var text string
	var style byte
	implicit := true
	switch v := v.(type) {
	case string:
		text, style = v, e.forcedStyle(v)
		// kfp 1.8's files are PyYAML's to the byte; IR files also stay
		// clear of the few plain forms go-yaml reads differently.
		implicit = !resolvesImplicitly(v) && (e.kfp1 || plainIsString(v))
	case bool:
		text = "false"
		if v {
			text = "true"
		}
	case int:
		text = fmt.Sprint(v)
	case float64:
		text = pyFloat(v)
	case nil:
		text = "null"
	default:
		panic(fmt.Sprintf("component: cannot write %T as YAML", v))
	}
	a := analyze(text)
	split := !simpleKey
	switch e.chooseStyle(style, implicit, a, simpleKey) {
	case 0:
		e.plain(text, split)
	case '|':
		e.literal(text)
	case '\'':
		e.singleQuoted(text, split)
	default:
		e.doubleQuoted(text, split)
	}
}

// chooseStyle is PyYAML's choose_scalar_style.
func (e *emitter) chooseStyle(style byte, implicit bool, a analysis, simpleKey bool) byte {
	if style == 0 && implicit {
		if !(simpleKey && (a.empty || a.multiline)) &&
			((e.flowLevel > 0 && a.allowFlowPlain) || (e.flowLevel == 0 && a.allowBlockPlain)) {
			return 0
		}
	}
	if style == '|' && e.flowLevel == 0 && !simpleKey && a.allowBlock {
		return '|'
	}
	if (style == 0 || style == '\'') && a.allowSingleQuoted && !(simpleKey && a.multiline) {
		return '\''
	}
	return '"'
}
