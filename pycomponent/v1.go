package pycomponent

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// DefaultV1BaseImage is the image of a v1 component unless told otherwise:
// the default of kfp 1.8's func_to_container_op.
const DefaultV1BaseImage = "python:3.7"

var (
	//go:embed v1_docstring.py
	v1DocstringScript string
	//go:embed v1_source.py
	v1SourceScript string
	//go:embed signature_v1.py
	v1SignatureScript string
)

// V1Signature is what ExtractV1 reads from a Python function: its interface
// as kfp 1.8's func_to_container_op derives it (V1.md §3.1).
type V1Signature struct {
	// Name is the Python function name.
	Name string `json:"name"`
	// ComponentName is the component's name ("compute_average" ->
	// "Compute average").
	ComponentName string `json:"componentName"`
	// Description is the docstring's short description, or nil.
	Description *string `json:"description"`
	// Source is the function's source with its annotations stripped, as
	// embedded in the program.
	Source string `json:"source"`
	// ProgRepr and DescriptionRepr are Python's repr() of the component
	// name and of the description ("" when there is none).
	ProgRepr        string `json:"progRepr"`
	DescriptionRepr string `json:"descriptionRepr"`
	// Returns is "" (no return annotation or None), "single" or "tuple"
	// (a NamedTuple).
	Returns string   `json:"returns"`
	Inputs  []V1Port `json:"inputs"`
	Outputs []V1Port `json:"outputs"`
	// Warnings are what kfp would warn about (a default it cannot write).
	Warnings []string `json:"warnings"`
}

// V1Port is one input or output of a v1 component.
type V1Port struct {
	// Name is the component's name for it (InputPath/OutputPath names lose
	// their _path/_file suffix; duplicates get _2, _3, ...).
	Name string `json:"name"`
	// Param is the Python parameter, or nil for a return value.
	Param *string `json:"param"`
	// Type is nil, a string, or a mapping (an InputPath({...}) type).
	Type any `json:"-"`
	// Style is how the value reaches the function: "value", "path",
	// "textfile", "binaryfile", or "return" for return values.
	Style       string  `json:"style"`
	Description *string `json:"description"`
	// Default (already the text kfp writes) and Optional apply to inputs.
	Default  *string `json:"default"`
	Optional bool    `json:"optional"`
}

// UnmarshalJSON reads a port, keeping the key order of a mapping type.
func (p *V1Port) UnmarshalJSON(data []byte) error {
	type plain V1Port
	var raw struct {
		plain
		Type json.RawMessage `json:"type"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*p = V1Port(raw.plain)
	if len(raw.Type) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Type))
	dec.UseNumber()
	t, err := decodeOrdered(dec)
	p.Type = t
	return err
}

// decodeOrdered reads the JSON value the signature script writes for a type:
// objects are {"$map": [[key, value], ...]}.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			list := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		var m mapping
		for dec.More() {
			if _, err := dec.Token(); err != nil { // "$map"
				return nil, err
			}
			pairs, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			for _, p := range pairs.([]any) {
				kv, _ := p.([]any)
				k, _ := kv[0].(string)
				m = append(m, mapItem{k, kv[1]})
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		if m == nil {
			m = mapping{}
		}
		return m, nil
	case json.Number:
		if i, err := tok.Int64(); err == nil && !strings.ContainsAny(tok.String(), ".eE") {
			return int(i), nil
		}
		f, err := tok.Float64()
		return f, err
	default:
		return tok, nil // string, bool, nil
	}
}

// ExtractV1 reads the interface of function fn in the Python file path
// with python3 (the file is parsed, not imported: nothing in it runs).
func ExtractV1(ctx context.Context, python, path, fn string) (*V1Signature, error) {
	script := v1DocstringScript + "\n" + v1SourceScript + "\n" + v1SignatureScript
	var sig V1Signature
	if err := runSignatureScript(ctx, python, script, path, fn, &sig); err != nil {
		return nil, err
	}
	return &sig, nil
}

// V1Options shape a generated v1 component.
type V1Options struct {
	// BaseImage is the container image (default DefaultV1BaseImage).
	BaseImage string
	// Packages are pip requirements installed before the function runs
	// (packages_to_install).
	Packages []string
}

// BuildV1 writes the v1 component YAML for a signature, byte for byte what
// kfp 1.8's func_to_container_op(func, base_image=..., packages_to_install=...)
// writes to output_component_file.
func BuildV1(sig *V1Signature, o V1Options) ([]byte, error) {
	doc, err := v1Document(sig, o)
	if err != nil {
		return nil, err
	}
	return []byte(marshalYAMLv1(doc)), nil
}

// v1Document is the component as kfp 1.8's ComponentSpec.to_dict() has it.
func v1Document(sig *V1Signature, o V1Options) (mapping, error) {
	if o.BaseImage == "" {
		o.BaseImage = DefaultV1BaseImage
	}
	for _, p := range o.Packages {
		if p == "" || !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
			return nil, &Error{Msg: fmt.Sprintf("package %q: not a pip requirement", p)}
		}
	}
	doc := mapping{{"name", sig.ComponentName}}
	if sig.Description != nil {
		doc = append(doc, mapItem{"description", *sig.Description})
	}
	var inputs, outputs []any
	for _, in := range sig.Inputs {
		m := port(in)
		if in.Default != nil {
			m = append(m, mapItem{"default", *in.Default})
		}
		if in.Optional {
			m = append(m, mapItem{"optional", true})
		}
		inputs = append(inputs, m)
	}
	for _, out := range sig.Outputs {
		outputs = append(outputs, port(out))
	}
	if inputs != nil {
		doc = append(doc, mapItem{"inputs", inputs})
	}
	if outputs != nil {
		doc = append(doc, mapItem{"outputs", outputs})
	}
	program, args := v1Program(sig)
	var command []any
	if len(o.Packages) > 0 {
		quoted := make([]string, len(o.Packages))
		for i, p := range o.Packages {
			quoted[i] = pyStrRepr(p)
		}
		pip := "PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet --no-warn-script-location " +
			strings.Join(quoted, " ")
		command = append(command, "sh", "-c", "("+pip+" || "+pip+" --user) && \"$0\" \"$@\"")
	}
	command = append(command, "sh", "-ec", v1LaunchScript, program)
	doc = append(doc, mapItem{"implementation", mapping{{"container", mapping{
		{"image", o.BaseImage},
		{"command", command},
		{"args", args},
	}}}})
	return doc, nil
}

func port(p V1Port) mapping {
	m := mapping{{"name", p.Name}}
	if p.Type != nil {
		m = append(m, mapItem{"type", p.Type})
	}
	if p.Description != nil {
		m = append(m, mapItem{"description", *p.Description})
	}
	return m
}

// FromPythonV1 extracts the function's interface and builds its v1
// component.
func FromPythonV1(ctx context.Context, python, path, fn string, o V1Options) ([]byte, *V1Signature, error) {
	sig, err := ExtractV1(ctx, python, path, fn)
	if err != nil {
		return nil, nil, err
	}
	data, err := BuildV1(sig, o)
	return data, sig, err
}

// v1Program is the Python program of a v1 component and its arguments
// (V1.md §3.2).
func v1Program(sig *V1Signature) (string, []any) {
	var pre []string
	defs := map[string]bool{}
	lines := []string{
		"import argparse",
		"_parser = argparse.ArgumentParser(prog=" + sig.ProgRepr + ", description=" + sig.DescriptionRepr + ")",
	}
	var args []any
	var returns []V1Port
	var fileOutputs []V1Port
	for _, out := range sig.Outputs {
		if out.Style == "return" {
			returns = append(returns, out)
		} else {
			fileOutputs = append(fileOutputs, out)
		}
	}
	addArg := func(p V1Port, output bool, typ string) {
		flag := "--" + strings.ReplaceAll(p.Name, "_", "-")
		required := output || !p.Optional
		param := ""
		if p.Param != nil {
			param = *p.Param
		}
		lines = append(lines, "_parser.add_argument(\""+flag+"\", dest=\""+param+"\", type="+typ+
			", required="+pyBool(required)+", default=argparse.SUPPRESS)")
		kind := "inputValue"
		switch {
		case output:
			kind = "outputPath"
		case p.Style != "value":
			kind = "inputPath"
		}
		pair := []any{flag, mapping{{kind, p.Name}}}
		if required {
			args = append(args, pair...)
			return
		}
		args = append(args, mapping{{"if", mapping{
			{"cond", mapping{{"isPresent", p.Name}}},
			{"then", pair},
		}}})
	}
	for _, in := range sig.Inputs {
		typ := "str"
		switch in.Style {
		case "textfile":
			typ = "argparse.FileType('rt')"
		case "binaryfile":
			typ = "argparse.FileType('rb')"
		case "value":
			if c, ok := v1Converter4(in.Type); ok {
				typ = c.deserializer
				if c.deserializerDef != "" {
					defs[c.deserializerDef] = true
				}
			}
		}
		addArg(in, false, typ)
	}
	for _, out := range fileOutputs {
		var typ string
		if out.Style == "path" {
			typ = "_make_parent_dirs_and_return_path"
			if !slices.Contains(pre, v1MakeParentDirs) {
				pre = slices.Insert(pre, 0, v1MakeParentDirs)
			}
		} else {
			mode := "'wt'"
			if out.Style == "binaryfile" {
				mode = "'wb'"
			}
			typ = "_parent_dirs_maker_that_returns_open_file(" + mode + ")"
			if !slices.Contains(pre, v1OpenFileMaker) {
				pre = append(pre, v1OpenFileMaker)
			}
		}
		addArg(out, true, typ)
	}
	var serializers strings.Builder
	if len(returns) > 0 {
		lines = append(lines, fmt.Sprintf("_parser.add_argument(\"----output-paths\", dest=\"_output_paths\", type=str, nargs=%d)", len(returns)))
		args = append(args, "----output-paths")
		for _, out := range returns {
			args = append(args, mapping{{"outputPath", out.Name}})
			ser := "str"
			if c, ok := v1Converter4(out.Type); ok {
				ser = c.serializer
				defs[c.serializerDef] = true
			}
			serializers.WriteString("    " + ser + ",\n")
		}
	}
	lines = append(slices.Sorted(keysOfBool(defs)), lines...)
	lines = append(lines, "_parsed_args = vars(_parser.parse_args())")
	if len(returns) > 0 {
		lines = append(lines, "_output_files = _parsed_args.pop(\"_output_paths\", [])")
	}
	src := strings.Join(pre, "\n") + "\n\n" + /* extra_code */ "" + "\n\n" + sig.Source + "\n\n" +
		strings.Join(lines, "\n") + "\n\n_outputs = " + sig.Name + "(**_parsed_args)\n"
	if len(returns) > 0 {
		toList := ""
		if sig.Returns == "single" {
			toList = "_outputs = [_outputs]"
		}
		src += "\n\n" + toList + "\n\n_output_serializers = [\n" + serializers.String() + "\n]\n" + v1OutputCode
	}
	src = blankRuns().ReplaceAllString(src, "\n\n")
	src = strings.Trim(src, "\n") + "\n"
	if args == nil {
		args = []any{}
	}
	return src, args
}

var blankRuns = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\n\n\n+`) })

func keysOfBool(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// v1Converter4 finds the converter of a type the way kfp 1.8 does: by the
// short form of the type name (typing.List[int] -> List). Mapping types and
// a missing type have none.
func v1Converter4(t any) (v1Converter, bool) {
	s, ok := t.(string)
	if !ok {
		return v1Converter{}, false
	}
	c, ok := v1Converters[shortTypeName(s)]
	return c, ok
}

// shortTypeName is kfp's get_short_type_name: the first word of the name,
// after an optional "typing." (re.match(r'(typing\.)?(\w+)(?:\[.+\])?')).
func shortTypeName(s string) string {
	word := func(s string) string {
		end := strings.IndexFunc(s, func(r rune) bool {
			return !(r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r))
		})
		if end < 0 {
			return s
		}
		return s[:end]
	}
	if rest, ok := strings.CutPrefix(s, "typing."); ok {
		if w := word(rest); w != "" {
			return w
		}
	}
	if w := word(s); w != "" {
		return w
	}
	return s
}

// pyStrRepr is Python's repr() of a str.
func pyStrRepr(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteRune('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}
