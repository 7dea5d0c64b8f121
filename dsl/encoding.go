package dsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/spec"
)

// jsonValue turns a Go value into its JSON form (map[string]any, []any,
// string, float64, bool, nil) through encoding/json.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("a %T cannot be a pipeline value: %v", v, err)
	}
	var j any
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	return j, nil
}

// jsonNumbers is jsonValue with numbers kept as written (json.Number), so
// that Go integers stay integers.
func jsonNumbers(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("a %T cannot be a pipeline value: %v", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var j any
	if err := dec.Decode(&j); err != nil {
		return nil, err
	}
	return j, nil
}

// kv and orderedMap keep keys in insertion order, as Python dicts do.
type kv struct {
	k string
	v any
}

type orderedMap []kv

// orderedFromJSON decodes JSON keeping object keys in their order.
func orderedFromJSON(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	v, err := decodeOrdered(dec)
	if err != nil {
		return s
	}
	return v
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var m orderedMap
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				m = append(m, kv{kt.(string), v})
			}
			_, err := dec.Token()
			return m, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token()
			return l, err
		}
	}
	return tok, nil
}

// pyJSON writes v as Python's json.dumps does with its default separators
// (", " and ": ") and ensure_ascii: what the KFP compiler writes for
// Concat/IfPresent placeholders and raw loop items. Plain maps are written
// with sorted keys (json.dumps(sort_keys=True)).
func pyJSON(v any) string {
	var b strings.Builder
	writePyJSON(&b, v)
	return b.String()
}

func writePyJSON(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		b.WriteString(pyFloat(x, true))
	case string:
		writePyString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(mapsKeys(x)) {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, k)
			b.WriteString(": ")
			writePyJSON(b, x[k])
		}
		b.WriteByte('}')
	case orderedMap:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, e.k)
			b.WriteString(": ")
			writePyJSON(b, e.v)
		}
		b.WriteByte('}')
	case json.Number:
		b.WriteString(x.String())
	default:
		j, err := jsonValue(v)
		if err != nil {
			b.WriteString("null")
			return
		}
		writePyJSON(b, j)
	}
}

func writePyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r <= 0xffff):
				fmt.Fprintf(b, `\u%04x`, r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloat formats a float as Python's repr does: "1.0", "0.5", "1e-05",
// "1e+16". With integral false, integral values are written without ".0"
// (a JSON integer).
func pyFloat(f float64, floatForm bool) string {
	if !floatForm && f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	a := math.Abs(f)
	if a != 0 && (a >= 1e16 || a < 1e-4) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// intKeys are the IR fields that are integers; every other number in the
// IR is a double (google.protobuf.Value) and is written as KFP writes it:
// 1.0, not 1.
var intKeys = map[string]bool{"maxRetryCount": true, "parallelismLimit": true}

// MarshalYAML writes a pipeline spec as the KFP compiler does: keys sorted,
// numbers in protobuf Values as floats, after a comment header naming the
// pipeline, its inputs and outputs. It writes the spec alone; a pipeline's
// Kubernetes settings are written by [Pipeline.YAML].
func MarshalYAML(ps *spec.PipelineSpec) ([]byte, error) {
	return marshalYAML(ps, nil)
}

// marshalYAML writes the pipeline spec and, when plat is not nil, the
// platform spec as a second YAML document.
func marshalYAML(ps *spec.PipelineSpec, plat *spec.PlatformSpec) ([]byte, error) {
	docs := []any{ps}
	if plat != nil {
		docs = append(docs, plat)
	}
	var out bytes.Buffer
	out.WriteString(header(ps))
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	for _, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if err := enc.Encode(yamlNode(v, "")); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func yamlNode(v any, key string) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range slices.Sorted(mapsKeys(x)) {
			n.Content = append(n.Content, scalar(k, "!!str"), yamlNode(x[k], k))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, yamlNode(e, key))
		}
		return n
	case json.Number:
		if intKeys[key] {
			return scalar(x.String(), "!!int")
		}
		f, _ := x.Float64()
		return scalar(pyFloat(f, true), "!!float")
	case bool:
		return scalar(strconv.FormatBool(x), "!!bool")
	case nil:
		return scalar("null", "!!null")
	case string:
		return scalar(x, "!!str")
	}
	return scalar(fmt.Sprint(v), "!!str")
}

func scalar(s, tag string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: tag}
}

// header is the comment block the KFP compiler writes before the spec.
func header(ps *spec.PipelineSpec) string {
	var b strings.Builder
	b.WriteString("# PIPELINE DEFINITION\n# Name: " + ps.PipelineInfo.Name + "\n")
	if d := ps.PipelineInfo.Description; d != "" {
		b.WriteString("# Description: " + strings.ReplaceAll(d, "\n", "\n#              ") + "\n")
	}
	decl := func(title string, itf *spec.Interface, inputs bool) {
		if itf == nil || len(itf.Parameters)+len(itf.Artifacts) == 0 {
			return
		}
		type line struct{ name, text string }
		var lines []line
		for n, p := range itf.Parameters {
			t := Type{param: p.ParameterType}.String()
			s := n + ": " + t
			if inputs && p.DefaultValue != nil {
				s += " [Default: " + pyRepr(p.DefaultValue) + "]"
			}
			lines = append(lines, line{n, s})
		}
		for n, a := range itf.Artifacts {
			lines = append(lines, line{n, n + ": " + artifactTypeFromSpec(a).String()})
		}
		slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.name, b.name) })
		b.WriteString("# " + title + ":\n")
		for _, l := range lines {
			b.WriteString("#    " + l.text + "\n")
		}
	}
	if ps.Root != nil {
		decl("Inputs", ps.Root.InputDefinitions, true)
		decl("Outputs", ps.Root.OutputDefinitions, false)
	}
	return b.String()
}

// pyRepr writes a JSON value as Python's repr would: 'text', 2.0, True,
// [1.0, 2.0], {'a': 1.0}.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return pyFloat(x, true)
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(x) + "'"
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, pyRepr(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(mapsKeys(x)) {
			parts = append(parts, pyRepr(k)+": "+pyRepr(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}
