package tune

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Metadata references a trial parameter may use instead of a parameter name.
const (
	RefTrialName      = "${trialSpec.Name}"
	RefTrialNamespace = "${trialSpec.Namespace}"
)

const placeholderPrefix = "${trialParameters."

// TrialParameters returns the trial parameters in effect: the declared ones,
// or, when trialParameters is absent, one per experiment parameter with the
// same name.
func (e *Experiment) TrialParameters() []TrialParameterSpec {
	if t := e.Spec.TrialTemplate; t != nil && len(t.TrialParameters) > 0 {
		return t.TrialParameters
	}
	out := make([]TrialParameterSpec, 0, len(e.Spec.Parameters))
	for _, p := range e.Spec.Parameters {
		out = append(out, TrialParameterSpec{Name: p.Name, Reference: p.Name})
	}
	return out
}

// ArgumentTemplate returns the pipeline arguments in effect, before
// substitution: the declared arguments, or, when arguments is absent, each
// trial parameter passed to the pipeline parameter of its name
// ("NAME": "${trialParameters.NAME}"). With neither trialParameters nor
// arguments, each experiment parameter goes to the pipeline parameter of the
// same name.
func (e *Experiment) ArgumentTemplate() map[string]string {
	if t := e.Spec.TrialTemplate; t != nil && t.Arguments != nil {
		return t.Arguments
	}
	out := map[string]string{}
	for _, tp := range e.TrialParameters() {
		out[tp.Name] = placeholderPrefix + tp.Name + "}"
	}
	return out
}

// RunArguments returns the pipeline arguments of one trial: the argument
// template with every ${trialParameters.NAME} replaced by the trial's value
// (values are substituted verbatim and never rescanned). assignments must give
// every experiment parameter a value, once. The strings are converted to the
// pipeline's declared types by the caller.
func (e *Experiment) RunArguments(trialName string, assignments []ParameterAssignment) (map[string]string, error) {
	given := map[string]string{}
	for _, a := range assignments {
		if _, ok := e.Parameter(a.Name); !ok {
			return nil, fmt.Errorf("trial %s: assignment of %q, which is not an experiment parameter", trialName, a.Name)
		}
		if _, dup := given[a.Name]; dup {
			return nil, fmt.Errorf("trial %s: %q is assigned twice", trialName, a.Name)
		}
		given[a.Name] = a.Value
	}
	for _, p := range e.Spec.Parameters {
		if _, ok := given[p.Name]; !ok {
			return nil, fmt.Errorf("trial %s: no value for parameter %q", trialName, p.Name)
		}
	}
	values := map[string]string{}
	for _, tp := range e.TrialParameters() {
		switch tp.Reference {
		case RefTrialName:
			values[tp.Name] = trialName
		case RefTrialNamespace:
			values[tp.Name] = e.Metadata.Namespace
		default:
			v, ok := given[tp.Reference]
			if !ok {
				return nil, fmt.Errorf("trial %s: trial parameter %q refers to %q, which is not an experiment parameter", trialName, tp.Name, tp.Reference)
			}
			values[tp.Name] = v
		}
	}
	out := map[string]string{}
	for k, tmpl := range e.ArgumentTemplate() {
		s, err := substitute(tmpl, func(name string) (string, bool) {
			v, ok := values[name]
			return v, ok
		})
		if err != nil {
			return nil, fmt.Errorf("spec.trialTemplate.arguments.%s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

// substitute replaces every ${trialParameters.NAME} in s by lookup(NAME). An
// unknown name or an unterminated placeholder is an error.
func substitute(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, placeholderPrefix)
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		rest := s[i+len(placeholderPrefix):]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated %s…} in %q", placeholderPrefix, s)
		}
		name := rest[:j]
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("unknown trial parameter %q in %s%s}", name, placeholderPrefix, name)
		}
		b.WriteString(v)
		s = rest[j+1:]
	}
}

// placeholders returns the trial parameter names s refers to, in order.
func placeholders(s string) ([]string, error) {
	var names []string
	_, err := substitute(s, func(n string) (string, bool) {
		names = append(names, n)
		return "", true
	})
	return names, err
}

// validateTemplate checks the trial template: a pipeline to run; trial
// parameters with unique names referring to experiment parameters, every
// experiment parameter referred to; arguments that use only declared trial
// parameters and, when given, use every one of them.
func (e *Experiment) validateTemplate() error {
	t := e.Spec.TrialTemplate
	const f = "spec.trialTemplate"
	if t == nil {
		return fieldErr(f, "required: pipeline names what each trial runs ({file: PATH} or {name: PIPELINE, version: VERSION})")
	}
	if err := validatePipelineRef(t.Pipeline, len(t.TrialSpec) > 0 || t.ConfigMap != nil); err != nil {
		return err
	}
	declared := map[string]bool{}
	if len(t.TrialParameters) > 0 {
		referenced := map[string]bool{}
		for i, tp := range t.TrialParameters {
			fi := fmt.Sprintf("%s.trialParameters[%d]", f, i)
			if err := checkName(fi+".name", "the trial parameter name", tp.Name, maxNameLen); err != nil {
				return err
			}
			if declared[tp.Name] {
				return fieldErr(fi+".name", "the trial parameter %q is declared twice", tp.Name)
			}
			declared[tp.Name] = true
			switch {
			case tp.Reference == "":
				return fieldErr(fi+".reference", "required: the experiment parameter (spec.parameters[].name) or %s", RefTrialName)
			case tp.Reference == RefTrialName || tp.Reference == RefTrialNamespace:
			case strings.HasPrefix(tp.Reference, "${trialSpec."):
				return fieldErr(fi+".reference", "%q is not supported: a metadata reference is %s or %s", tp.Reference, RefTrialName, RefTrialNamespace)
			default:
				if _, ok := e.Parameter(tp.Reference); !ok {
					return fieldErr(fi+".reference", "%q is not an experiment parameter (known: %s)", tp.Reference, strings.Join(e.parameterNames(), ", "))
				}
				referenced[tp.Reference] = true
			}
		}
		for i, p := range e.Spec.Parameters {
			if !referenced[p.Name] {
				return fieldErr(fmt.Sprintf("spec.parameters[%d]", i), "the parameter %q is not used: no trial parameter refers to it (spec.trialTemplate.trialParameters[].reference)", p.Name)
			}
		}
	} else {
		for _, p := range e.Spec.Parameters {
			declared[p.Name] = true
		}
	}
	if t.Arguments != nil {
		used := map[string]bool{}
		for _, k := range sortedKeys(t.Arguments) {
			fk := f + ".arguments." + k
			if k == "" || strings.ContainsFunc(k, unicode.IsControl) || len(k) > maxNameLen {
				return fieldErr(fk, "a pipeline parameter name must be 1 to %d bytes without control characters", maxNameLen)
			}
			v := t.Arguments[k]
			if len(v) > maxSettingLen {
				return fieldErr(fk, "is %d bytes; the limit is %d", len(v), maxSettingLen)
			}
			names, err := placeholders(v)
			if err != nil {
				return fieldErr(fk, "%v", err)
			}
			for _, n := range names {
				if !declared[n] {
					return fieldErr(fk, "unknown trial parameter %q in %s%s} (declared: %s)", n, placeholderPrefix, n, strings.Join(sortedKeys(declared), ", "))
				}
				used[n] = true
			}
		}
		for _, tp := range e.TrialParameters() {
			if !used[tp.Name] {
				return fieldErr(f+".arguments", "the trial parameter %q is not used: pass it to a pipeline parameter (NAME: \"%s%s}\")", tp.Name, placeholderPrefix, tp.Name)
			}
		}
	}
	return nil
}

func validatePipelineRef(p *PipelineRef, katibTemplate bool) error {
	const f = "spec.trialTemplate.pipeline"
	if p == nil {
		if katibTemplate {
			return fieldErr(f, "required: Sluice runs a pipeline for each trial (a Katib trialSpec or configMap is kept but not run); give {file: PATH} or {name: PIPELINE, version: VERSION}")
		}
		return fieldErr(f, "required: {file: PATH} (relative to the experiment file) or {name: PIPELINE, version: VERSION}")
	}
	switch {
	case p.File != "" && (p.Name != "" || p.Version != ""):
		return fieldErr(f, "give either file or name (and version), not both")
	case p.File != "":
		if strings.ContainsRune(p.File, 0) || !filepath.IsLocal(filepath.FromSlash(p.File)) {
			return fieldErr(f+".file", "%q must be a relative path inside the experiment file's directory", p.File)
		}
	case p.Name != "":
		for _, x := range []struct{ n, v string }{{"name", p.Name}, {"version", p.Version}} {
			if len(x.v) > 256 || strings.ContainsFunc(x.v, unicode.IsControl) {
				return fieldErr(f+"."+x.n, "must be at most 256 bytes without control characters")
			}
		}
	case p.Version != "":
		return fieldErr(f+".name", "required with version: the pipeline's name")
	default:
		return fieldErr(f, "required: {file: PATH} or {name: PIPELINE, version: VERSION}")
	}
	return nil
}

// PipelinePath returns the pipeline file of a {file: PATH} reference, joined
// to dir, the directory of the experiment file (for the short command-line
// form, the directory of the pipeline argument). It refuses a path that leaves
// dir.
func (e *Experiment) PipelinePath(dir string) (string, error) {
	t := e.Spec.TrialTemplate
	if t == nil || t.Pipeline == nil || t.Pipeline.File == "" {
		return "", fieldErr("spec.trialTemplate.pipeline.file", "the experiment does not name a pipeline file")
	}
	p := filepath.FromSlash(t.Pipeline.File)
	if !filepath.IsLocal(p) {
		return "", fieldErr("spec.trialTemplate.pipeline.file", "%q must be a relative path inside the experiment file's directory", t.Pipeline.File)
	}
	return filepath.Join(dir, p), nil
}

func (e *Experiment) parameterNames() []string {
	var names []string
	for _, p := range e.Spec.Parameters {
		names = append(names, p.Name)
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// KFP parameter types, as a pipeline declares its inputs (spec.ParameterType).
const (
	KFPInteger = "NUMBER_INTEGER"
	KFPDouble  = "NUMBER_DOUBLE"
	KFPString  = "STRING"
	KFPBoolean = "BOOLEAN"
	KFPList    = "LIST"
	KFPStruct  = "STRUCT"
)

// CheckPipeline checks the experiment against the parameters a pipeline
// declares (name → KFP type: NUMBER_INTEGER, NUMBER_DOUBLE, STRING, BOOLEAN,
// LIST, STRUCT). Every argument must name a pipeline parameter, and an
// argument that is exactly one ${trialParameters.X} must have a type that
// holds every value of the parameter X refers to (a double range cannot go to
// an integer input). The error names the argument, or the experiment parameter
// when the arguments are implicit.
func (e *Experiment) CheckPipeline(params map[string]string) error {
	known := sortedKeys(params)
	explicit := e.Spec.TrialTemplate != nil && e.Spec.TrialTemplate.Arguments != nil
	implicitField := func(k string) string {
		if t := e.Spec.TrialTemplate; t != nil && len(t.TrialParameters) > 0 {
			for i, tp := range t.TrialParameters {
				if tp.Name == k {
					return fmt.Sprintf("spec.trialTemplate.trialParameters[%d].name", i)
				}
			}
		}
		for i, p := range e.Spec.Parameters {
			if p.Name == k {
				return fmt.Sprintf("spec.parameters[%d].name", i)
			}
		}
		return "spec.trialTemplate.arguments." + k
	}
	refs := map[string]string{}
	for _, tp := range e.TrialParameters() {
		refs[tp.Name] = tp.Reference
	}
	args := e.ArgumentTemplate()
	for _, k := range sortedKeys(args) {
		f := "spec.trialTemplate.arguments." + k
		if !explicit {
			f = implicitField(k)
		}
		typ, ok := params[k]
		if !ok {
			list := strings.Join(known, ", ")
			if list == "" {
				list = "none"
			}
			return fieldErr(f, "the pipeline has no parameter %q (its parameters: %s)", k, list)
		}
		v := args[k]
		if !strings.HasPrefix(v, placeholderPrefix) || !strings.HasSuffix(v, "}") || strings.Count(v, "${") != 1 {
			continue
		}
		ref := refs[v[len(placeholderPrefix):len(v)-1]]
		p, ok := e.Parameter(ref)
		if !ok {
			continue // a metadata reference: a string
		}
		if err := typeHolds(typ, p); err != nil {
			return fieldErr(f, "the pipeline parameter %q is %s: %v", k, typ, err)
		}
	}
	return nil
}

// typeHolds says whether a KFP parameter type can hold every value of p.
func typeHolds(typ string, p *ParameterSpec) error {
	values := p.FeasibleSpace.List
	each := func(ok func(string) bool, what string) error {
		for _, v := range values {
			if !ok(v) {
				return fmt.Errorf("the value %q of %q is not %s", v, p.Name, what)
			}
		}
		return nil
	}
	isInt := func(s string) bool { _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); return err == nil }
	isNum := func(s string) bool { _, err := parseFinite(s); return err == nil }
	switch typ {
	case KFPInteger:
		switch p.ParameterType {
		case ParameterInt:
			return nil
		case ParameterDouble:
			return fmt.Errorf("%q is a double range and would pass fractions (make it int, or the pipeline input a float)", p.Name)
		default:
			return each(isInt, "an integer")
		}
	case KFPDouble:
		if p.ParameterType == ParameterInt || p.ParameterType == ParameterDouble {
			return nil
		}
		return each(isNum, "a number")
	case KFPBoolean:
		if p.ParameterType == ParameterInt || p.ParameterType == ParameterDouble {
			return fmt.Errorf("%q is a numeric range, not true/false", p.Name)
		}
		return each(func(s string) bool { _, err := strconv.ParseBool(strings.TrimSpace(s)); return err == nil }, "true or false")
	case KFPList, KFPStruct:
		if p.ParameterType == ParameterInt || p.ParameterType == ParameterDouble {
			return fmt.Errorf("%q is a numeric range, not JSON", p.Name)
		}
		want := byte('[')
		what := "a JSON list"
		if typ == KFPStruct {
			want, what = '{', "a JSON object"
		}
		return each(func(s string) bool {
			s = strings.TrimSpace(s)
			return s != "" && s[0] == want && json.Valid([]byte(s))
		}, what)
	}
	return nil
}
