package pycomponent

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

func TestPyRepr(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0.0", 1: "1.0", -3: "-3.0", 2.5: "2.5", 0.1: "0.1", 1e16: "1e+16", 1.5e-5: "1.5e-05",
		123456789012345678: "1.2345678901234568e+17", 1e15: "1000000000000000.0", 0.0001: "0.0001",
		-0.00001: "-1e-05", math.MaxFloat64: "1.7976931348623157e+308",
	} {
		if got := pyRepr(f); got != want {
			t.Errorf("pyRepr(%v) = %q, want %q", f, got, want)
		}
	}
	if got := pyFloat(1e16); got != "1.0e+16" {
		t.Errorf("pyFloat(1e16) = %q", got)
	}
}

func TestScalarStyles(t *testing.T) {
	for s, want := range map[string]string{
		"plain":       "k: plain\n",
		"":            "k: ''\n",
		"1.0":         "k: '1.0'\n",
		"true":        "k: 'true'\n",
		"null":        "k: 'null'\n",
		"0.0.1":       "k: 0.0.1\n",
		"{{$}}":       "k: '{{$}}'\n",
		"1,2,3":       "k: 1,2,3\n",
		"a: b":        "k: 'a: b'\n",
		"it's":        "k: it's\n",
		"'q'":         "k: '''q'''\n",
		" lead":       "k: ' lead'\n",
		"tab\there":   "k: \"tab\\there\"\n",
		"é":           "k: \"\\xE9\"\n",
		"line\nbreak": "k: 'line\n\n  break'\n",
		"x\n  y":      "k: \"x\\n  y\"\n",
		"2024-01-02":  "k: '2024-01-02'\n",
		"python:3.9":  "k: python:3.9\n",
	} {
		if got := marshalYAML(map[string]any{"k": s}); got != want {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	}
}

// FuzzYAMLString: whatever a string holds, the YAML written for it reads
// back as the same string (in a mapping value, a sequence item and a
// mapping inside a sequence, at any width), in both dumpers' layouts.
func FuzzYAMLString(f *testing.F) {
	for _, s := range []string{"", "x", "a b", "\n", " \n ", "'\"\\", "{{$}}", "- x", "# c", "é\u2028z",
		strings.Repeat("word ", 40), strings.Repeat("x\"", 60) + " y", "\ttab", "null", "0x1F", "~"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, depth int) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\ufeff") {
			t.Skip() // PyYAML and yaml.v3 normalize these differently
		}
		var v any = s
		for i := 0; i < depth%6; i++ {
			if i%2 == 0 {
				v = []any{v, map[string]any{"k" + strconv.Itoa(i): v}}
			} else {
				v = map[string]any{"key": v}
			}
		}
		doc := map[string]any{"top": v}
		for _, kfp1 := range []bool{false, true} {
			if kfp1 && !resolvesImplicitly(s) && !plainIsString(s) {
				continue // kfp 1.8 writes it plain, as PyYAML does; yaml.v3 reads another type
			}
			checkReadBack(t, s, emit(doc, kfp1))
		}
	})
}

// checkReadBack reads out with yaml.v3 and wants every string in it to be s.
func checkReadBack(t *testing.T, s, out string) {
	t.Helper()
	var back map[string]any
	if err := yaml.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("%q: %v\n%s", s, err, out)
	}
	var walk func(a any)
	walk = func(a any) {
		switch a := a.(type) {
		case string:
			if a != s {
				t.Fatalf("read back %q, want %q\n%s", a, s, out)
			}
		case []any:
			for _, x := range a {
				walk(x)
			}
		case map[string]any:
			for _, x := range a {
				walk(x)
			}
		default:
			t.Fatalf("read back %T %v, want the string %q\n%s", a, a, s, out)
		}
	}
	walk(back["top"])
}

// TestMarshalYAMLv1: kfp 1.8's layout — order kept, flow style for
// collections of unstyled scalars, literal blocks, bool-like words quoted.
func TestMarshalYAMLv1(t *testing.T) {
	doc := mapping{
		{"name", "Compute average"},
		{"inputs", []any{
			mapping{{"name", "data"}, {"type", "JsonArray"}},
			mapping{{"name", "flag"}, {"default", "False"}, {"optional", true}},
		}},
		{"implementation", mapping{{"container", mapping{
			{"command", []any{"sh", "-ec", "a\n  b\n"}},
			{"args", []any{"----output-paths", mapping{{"outputPath", "n"}}, mapping{{"inputValue", "x"}}}},
			{"env", mapping{}},
		}}}},
		{"tail", "kept\n\n"},
	}
	want := `name: Compute average
inputs:
- {name: data, type: JsonArray}
- name: flag
  default: "False"
  optional: true
implementation:
  container:
    command:
    - sh
    - -ec
    - |
      a
        b
    args:
    - '----output-paths'
    - outputPath: "n"
    - {inputValue: x}
    env: {}
tail: |+
  kept

...
`
	if got := marshalYAMLv1(doc); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
