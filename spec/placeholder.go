package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// PlaceholderContext supplies the values placeholders expand to
// (FORMAT.md §4.3).
type PlaceholderContext struct {
	// Input holds the resolved inputs (parameterValues, artifacts) and the
	// provisioned outputs (parameters[].outputFile, artifacts, outputFile).
	Input *ExecutorInput
	// Present names the inputs the task actually supplied (a parameter
	// present and not null, or an artifact present). Defaults do not count.
	// Used by IfPresent.
	Present map[string]bool
	// System holds the system values keyed without braces:
	// pipeline_job_name, pipeline_job_resource_name, pipeline_job_uuid,
	// pipeline_task_name, pipeline_task_uuid, pipeline_root,
	// pipeline_job_create_time_utc, pipeline_job_schedule_time_utc,
	// workspace_path. Extra keys are accepted as {{$.<key>}} too.
	System map[string]string
	// LocalPath maps an artifact URI to its local path; nil means LocalPath.
	LocalPath func(uri string) string
}

// SystemPlaceholders are the names of the system values a
// PlaceholderContext's System map is expected to hold.
var SystemPlaceholders = []string{
	"pipeline_job_name",
	"pipeline_job_resource_name",
	"pipeline_job_uuid",
	"pipeline_task_name",
	"pipeline_task_uuid",
	"pipeline_root",
	"pipeline_job_create_time_utc",
	"pipeline_job_schedule_time_utc",
	"workspace_path",
}

// ExpandCommand turns a container's command+args (already concatenated by the
// caller) into argv, in the SDK's order:
//
//  1. every element that is a JSON object starting with {"Concat": or
//     {"IfPresent": is expanded. Concat yields one argument, the
//     concatenation of its items (strings or nested Concat/IfPresent
//     objects). IfPresent yields Then when Present[InputName], else Else; at
//     the top level a list branch splices its items as separate arguments (a
//     single string or object is one argument; a nested IfPresent splices
//     too); nested inside a Concat a branch contributes its concatenated text.
//     A missing (or null) branch yields nothing.
//  2. the {{$...}} placeholders inside every resulting string are substituted.
//
// The result is never nil.
func ExpandCommand(elems []string, c *PlaceholderContext) ([]string, error) {
	var flat []string
	for i, e := range elems {
		if !isStructPlaceholder(e) {
			flat = append(flat, e)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(e), &v); err != nil {
			return nil, fmt.Errorf("command element %d: malformed Concat/IfPresent placeholder %q: %v", i, e, err)
		}
		var err error
		flat, err = c.expandArgs(flat, v, 0)
		if err != nil {
			return nil, fmt.Errorf("command element %d (%s): %w", i, e, err)
		}
	}
	out := make([]string, 0, len(flat))
	for _, s := range flat {
		r, err := Substitute(s, c)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// maxStructDepth bounds the nesting of Concat/IfPresent structures.
const maxStructDepth = 100

// isStructPlaceholder reports whether e is a JSON object whose first key is
// "Concat" or "IfPresent" (any whitespace around the tokens).
func isStructPlaceholder(e string) bool {
	s := strings.TrimLeft(e, " \t\r\n")
	if !strings.HasPrefix(s, "{") {
		return false
	}
	s = strings.TrimLeft(s[1:], " \t\r\n")
	for _, k := range []string{`"Concat"`, `"IfPresent"`} {
		if rest, ok := strings.CutPrefix(s, k); ok {
			return strings.HasPrefix(strings.TrimLeft(rest, " \t\r\n"), ":")
		}
	}
	return false
}

// structOp splits a decoded Concat/IfPresent object into its operator and
// operand.
func structOp(v map[string]any) (string, any, error) {
	if len(v) != 1 {
		return "", nil, fmt.Errorf("a Concat/IfPresent object must have exactly one key, found %d", len(v))
	}
	var k string
	var x any
	for k, x = range v {
	}
	if k != "Concat" && k != "IfPresent" {
		return "", nil, fmt.Errorf("unknown structured placeholder %q (expected Concat or IfPresent)", k)
	}
	return k, x, nil
}

// expandArgs appends the arguments item stands for at the top level.
func (c *PlaceholderContext) expandArgs(out []string, item any, depth int) ([]string, error) {
	if depth > maxStructDepth {
		return nil, errors.New("Concat/IfPresent nesting is too deep")
	}
	m, ok := item.(map[string]any)
	if !ok {
		s, err := phScalar(item)
		if err != nil {
			return nil, err
		}
		return append(out, s), nil
	}
	op, x, err := structOp(m)
	if err != nil {
		return nil, err
	}
	if op == "Concat" {
		s, err := c.concatText(m, depth+1)
		if err != nil {
			return nil, err
		}
		return append(out, s), nil
	}
	branch, err := c.ifPresentBranch(x)
	if err != nil {
		return nil, err
	}
	if list, ok := branch.([]any); ok {
		for _, it := range list {
			if out, err = c.expandArgs(out, it, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if branch == nil {
		return out, nil
	}
	return c.expandArgs(out, branch, depth+1)
}

// concatText returns the text item contributes inside a Concat.
func (c *PlaceholderContext) concatText(item any, depth int) (string, error) {
	if depth > maxStructDepth {
		return "", errors.New("Concat/IfPresent nesting is too deep")
	}
	m, ok := item.(map[string]any)
	if !ok {
		return phScalar(item)
	}
	op, x, err := structOp(m)
	if err != nil {
		return "", err
	}
	var parts []any
	if op == "Concat" {
		list, ok := x.([]any)
		if !ok {
			return "", fmt.Errorf("Concat must hold a list, found %s", phKind(x))
		}
		parts = list
	} else {
		branch, err := c.ifPresentBranch(x)
		if err != nil {
			return "", err
		}
		if list, ok := branch.([]any); ok {
			parts = list
		} else if branch != nil {
			parts = []any{branch}
		}
	}
	var b strings.Builder
	for _, p := range parts {
		s, err := c.concatText(p, depth+1)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// ifPresentBranch validates an IfPresent operand and returns the chosen
// branch (nil when that branch is missing).
func (c *PlaceholderContext) ifPresentBranch(x any) (any, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("IfPresent must hold an object with InputName, Then and Else, found %s", phKind(x))
	}
	name, ok := m["InputName"].(string)
	if !ok {
		return nil, fmt.Errorf("IfPresent needs a string InputName, found %s", phKind(m["InputName"]))
	}
	for k := range m {
		if k != "InputName" && k != "Then" && k != "Else" {
			return nil, fmt.Errorf("IfPresent has an unknown key %q (expected InputName, Then, Else)", k)
		}
	}
	if c != nil && c.Present[name] {
		return m["Then"], nil
	}
	return m["Else"], nil
}

// phScalar renders a non-object item of a Concat/IfPresent structure.
func phScalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return FormatParam(x), nil
	}
	return "", fmt.Errorf("a Concat/IfPresent item must be a string or a Concat/IfPresent object, found %s", phKind(v))
}

func phKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Substitute replaces every {{$...}} placeholder inside one string. The
// string is scanned once, left to right, so substituted values are never
// scanned again. Text in braces that is not a {{$}} or {{$.…}} placeholder
// (e.g. "{{ user }}" or Jinja) is left untouched.
func Substitute(s string, c *PlaceholderContext) (string, error) {
	return phScan(s, true, func(ref *phRef) (string, bool, error) {
		v, err := c.resolve(ref)
		return v, true, err
	})
}

// SubstituteInputParams replaces only the {{$.inputs.parameters['k']}}
// placeholders in s with FormatParam(values[k]); placeholders for keys not in
// values, and all other text, are left untouched. It resolves f-string task
// constants from the task's other inputs (FORMAT.md §2.2).
func SubstituteInputParams(s string, values map[string]any) string {
	out, _ := phScan(s, false, func(ref *phRef) (string, bool, error) {
		if len(ref.path) == 3 && ref.is(0, "inputs") && ref.is(1, "parameters") && ref.path[2].key {
			if v, ok := values[ref.path[2].name]; ok {
				return FormatParam(v), true, nil
			}
		}
		return "", false, nil
	})
	return out
}

// phSeg is one step of a placeholder path: .name or ['key'].
type phSeg struct {
	name string
	key  bool // written as ['name'] or ["name"]
}

// phRef is one parsed placeholder; path is empty for {{$}}.
type phRef struct {
	text string // the placeholder as written, braces included
	path []phSeg
}

func (r *phRef) is(i int, name string) bool {
	return i < len(r.path) && !r.path[i].key && r.path[i].name == name
}

// phScan copies s, handing each {{$...}} placeholder to repl. repl returns
// the replacement and whether to use it (false keeps the text as written).
// When strict is false, malformed {{$. placeholders are kept as written
// instead of failing.
func phScan(s string, strict bool, repl func(*phRef) (string, bool, error)) (string, error) {
	if !strings.Contains(s, "{{$") {
		return s, nil
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "{{$")
		if j < 0 {
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		ref, n, err := phParse(s[i:])
		if err != nil && strict {
			return "", err
		}
		if ref == nil { // not a KFP placeholder: keep "{" and rescan after it
			b.WriteByte('{')
			i++
			continue
		}
		v, ok, err := repl(ref)
		if err != nil {
			return "", err
		}
		if ok {
			b.WriteString(v)
		} else {
			b.WriteString(ref.text)
		}
		i += n
	}
	b.WriteString(s[i:])
	return b.String(), nil
}

// phParse parses the placeholder at the start of s, which begins with "{{$".
// It returns a nil ref (and no error) when the text is not a KFP placeholder
// ({{$ not followed by "}}" or "."), and an error when a {{$. placeholder is
// malformed. n is the length of the placeholder text.
func phParse(s string) (ref *phRef, n int, err error) {
	const open = "{{$"
	i := len(open)
	if strings.HasPrefix(s[i:], "}}") {
		return &phRef{text: s[:i+2]}, i + 2, nil
	}
	if !strings.HasPrefix(s[i:], ".") {
		return nil, 0, nil
	}
	r := &phRef{}
	malformed := func(why string) (*phRef, int, error) {
		end := min(len(s), 200)
		if j := strings.Index(s[:end], "}}"); j >= 0 {
			end = j + 2
		}
		return nil, 0, fmt.Errorf("malformed placeholder %q: %s", s[:end], why)
	}
	for {
		switch {
		case strings.HasPrefix(s[i:], "}}"):
			if len(r.path) == 0 {
				return malformed("empty path")
			}
			r.text = s[:i+2]
			return r, i + 2, nil
		case s[i] == '.':
			i++
			j := i
			for j < len(s) && phIdentChar(s[j]) {
				j++
			}
			if j == i {
				return malformed("expected a name after '.'")
			}
			r.path = append(r.path, phSeg{name: s[i:j]})
			i = j
		case s[i] == '[':
			if i+1 >= len(s) || (s[i+1] != '\'' && s[i+1] != '"') {
				return malformed("expected a quoted key after '['")
			}
			end := strings.Index(s[i+2:], string(s[i+1])+"]")
			if end < 0 {
				return malformed("unterminated ['key']")
			}
			r.path = append(r.path, phSeg{name: s[i+2 : i+2+end], key: true})
			i += 2 + end + 2
		default:
			return malformed(fmt.Sprintf("unexpected %q", s[i]))
		}
		if i >= len(s) {
			return malformed("missing closing }}")
		}
	}
}

func phIdentChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// resolve returns the value of one parsed placeholder.
func (c *PlaceholderContext) resolve(r *phRef) (string, error) {
	var in ExecutorInput
	if c != nil && c.Input != nil {
		in = *c.Input
	}
	p := r.path
	if len(p) == 0 { // {{$}}
		return phJSON(in), nil
	}
	bad := func() (string, error) {
		return "", fmt.Errorf("unknown placeholder %s", r.text)
	}
	if p[0].key {
		return bad()
	}
	switch p[0].name {
	case "inputs":
		if len(p) < 3 || p[1].key || !p[2].key {
			return bad()
		}
		name := p[2].name
		switch p[1].name {
		case "parameters":
			if len(p) != 3 {
				return bad()
			}
			v, ok := in.Inputs.ParameterValues[name]
			if !ok {
				return "", fmt.Errorf("input parameter %q has no value (optional input not supplied; use IfPresent)", name)
			}
			return FormatParam(v), nil
		case "artifacts":
			list, ok := in.Inputs.Artifacts[name]
			if !ok || list == nil {
				return "", fmt.Errorf("unknown input artifact %q in %s (not declared, or optional and not supplied; use IfPresent)", name, r.text)
			}
			return c.artifactValue(r, "input", name, list, p[3:])
		}
	case "outputs":
		if len(p) == 2 && p[1].name == "output_file" && !p[1].key {
			return in.Outputs.OutputFile, nil
		}
		if len(p) < 3 || p[1].key || !p[2].key {
			return bad()
		}
		name := p[2].name
		switch p[1].name {
		case "parameters":
			if len(p) != 4 || !r.is(3, "output_file") {
				return bad()
			}
			op, ok := in.Outputs.Parameters[name]
			if !ok || op == nil {
				return "", fmt.Errorf("unknown output parameter %q in %s", name, r.text)
			}
			return op.OutputFile, nil
		case "artifacts":
			list, ok := in.Outputs.Artifacts[name]
			if !ok || list == nil {
				return "", fmt.Errorf("unknown output artifact %q in %s", name, r.text)
			}
			return c.artifactValue(r, "output", name, list, p[3:])
		}
	case "outputMetadataUri":
		if len(p) == 1 {
			return in.Outputs.OutputFile, nil
		}
	default:
		if len(p) != 1 {
			return bad()
		}
		if c != nil {
			if v, ok := c.System[p[0].name]; ok {
				return v, nil
			}
		}
		for _, k := range SystemPlaceholders {
			if k == p[0].name {
				return "", fmt.Errorf("system placeholder %s has no value in this run", r.text)
			}
		}
		return "", fmt.Errorf("unknown placeholder %s: %q is not a system value", r.text, p[0].name)
	}
	return bad()
}

// artifactValue resolves the part of an artifact placeholder after
// ['name']: nothing (the JSON list), .uri, .path, .metadata, .metadata['k'].
func (c *PlaceholderContext) artifactValue(r *phRef, dir, name string, list *ArtifactList, rest []phSeg) (string, error) {
	if len(rest) == 0 {
		arts := list.Artifacts
		if arts == nil {
			arts = []*RuntimeArtifact{}
		}
		return phJSON(arts), nil
	}
	if rest[0].key || len(rest) > 2 || len(rest) == 2 && (rest[0].name != "metadata" || !rest[1].key) {
		return "", fmt.Errorf("unknown placeholder %s", r.text)
	}
	if len(list.Artifacts) == 0 || list.Artifacts[0] == nil {
		return "", fmt.Errorf("%s artifact %q has no artifacts (referenced by %s)", dir, name, r.text)
	}
	a := list.Artifacts[0]
	switch rest[0].name {
	case "uri":
		if len(rest) == 1 {
			return a.URI, nil
		}
	case "path":
		if len(rest) == 1 {
			var ws string
			var lp func(string) string
			if c != nil {
				ws, lp = c.System["workspace_path"], c.LocalPath
			}
			return ArtifactLocalPath(a, ws, lp), nil
		}
	case "metadata":
		if len(rest) == 1 {
			if a.Metadata == nil {
				return "{}", nil
			}
			return phJSON(a.Metadata), nil
		}
		v, ok := a.Metadata[rest[1].name]
		if !ok {
			return "", fmt.Errorf("%s artifact %q has no metadata key %q (referenced by %s)", dir, name, rest[1].name, r.text)
		}
		return FormatParam(v), nil
	}
	return "", fmt.Errorf("unknown placeholder %s", r.text)
}

// phJSON is compact JSON without HTML escaping (like Python's json and
// protojson); values that cannot be encoded fall back to fmt.
func phJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// FormatParam renders a parameter value as placeholder text: a string as is;
// a number in plain decimal without a trailing ".0" (integral floats print
// as integers, others as strconv.FormatFloat(v, 'f', -1, 64)); a bool as
// true/false; nil as "null"; lists, maps and anything else as compact JSON
// (map keys sorted).
func FormatParam(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return phFloat(x, 64)
	case Double:
		return phFloat(float64(x), 64)
	case float32:
		return phFloat(float64(x), 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.String:
		return rv.String()
	}
	return phJSON(v)
}

func phFloat(f float64, bits int) string {
	if f == 0 {
		return "0" // also for -0
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}
