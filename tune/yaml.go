package tune

import (
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// maxYAMLNodes bounds the nodes visited while reading a document, aliases
// expanded (a billion-laughs document stops here).
const maxYAMLNodes = 1 << 20

// yamlScalar is a YAML number or boolean: its text as written (used where
// Katib wants a string) and its JSON form (used elsewhere).
type yamlScalar struct {
	text string
	json string // "" when the value has no JSON form (.inf, .nan)
}

// MarshalJSON writes the JSON form, or the text as a JSON string when there
// is none, so that a typed field reports "must be a number, not a string".
func (s yamlScalar) MarshalJSON() ([]byte, error) {
	if s.json == "" {
		return []byte(strconv.Quote(s.text)), nil
	}
	return []byte(s.json), nil
}

var jsonNumberTextRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`) })

// decodeYAML reads one YAML document into maps, slices, strings, nil and
// yamlScalars.
func decodeYAML(data []byte) (any, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fieldErr("", "the file is not an experiment: expected a mapping, found only comments")
		}
		return nil, fieldErr("", "invalid YAML: %s", oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fieldErr("", "the file holds more than one YAML document: expected one Experiment")
	} else if !errors.Is(err, io.EOF) {
		return nil, fieldErr("", "invalid YAML: %s", oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	budget := maxYAMLNodes
	return nodeValue(&doc, &budget)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func nodeValue(n *yaml.Node, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, fieldErr("", "invalid YAML: the document is too large once its aliases are expanded")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], budget)
	case yaml.AliasNode:
		return nodeValue(n.Alias, budget)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fieldErr("", "invalid YAML: line %d: a mapping key must be a plain value", k.Line)
			}
			if k.ShortTag() == "!!merge" {
				return nil, fieldErr("", "invalid YAML: line %d: merge keys (<<) are not supported", k.Line)
			}
			if _, dup := out[k.Value]; dup {
				return nil, fieldErr("", "invalid YAML: line %d: the key %q is given twice", k.Line, k.Value)
			}
			v, err := nodeValue(n.Content[i+1], budget)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			return yamlScalar{text: n.Value, json: strconv.FormatBool(strings.EqualFold(n.Value, "true"))}, nil
		case "!!int", "!!float":
			s := yamlScalar{text: n.Value}
			if jsonNumberTextRE().MatchString(n.Value) {
				s.json = n.Value
				return s, nil
			}
			var v any
			if err := n.Decode(&v); err == nil {
				switch x := v.(type) {
				case int:
					s.json = strconv.Itoa(x)
				case int64:
					s.json = strconv.FormatInt(x, 10)
				case uint64:
					s.json = strconv.FormatUint(x, 10)
				case float64:
					if !math.IsInf(x, 0) && !math.IsNaN(x) {
						s.json = strconv.FormatFloat(x, 'g', -1, 64)
					}
				}
			}
			return s, nil
		}
		return n.Value, nil
	}
	return nil, fieldErr("", "invalid YAML: line %d: unexpected node", n.Line)
}
