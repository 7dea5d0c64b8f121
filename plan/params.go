package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/bytesize"
	"github.com/sluicehq/sluice/spec"
)

// ParamProblem is what is wrong with a run parameter.
type ParamProblem string

// Problems with run parameters.
const (
	UnknownParam    ParamProblem = "unknown parameter"
	MissingParam    ParamProblem = "required parameter has no value"
	InvalidParam    ParamProblem = "invalid value"
	UnknownArtifact ParamProblem = "unknown input artifact"
	TooLargeParam   ParamProblem = "value too large"
)

// Limits on the values a run is given (not the pipeline's defaults). A
// run keeps its parameters in its record, which every list of runs shows
// and every step's inputs copy; without a bound of their own they were
// bounded only by the 32 MiB request body. A value is measured as JSON (a
// string with its quotes and escapes), as the run stores it.
const (
	// MaxParamBytes bounds one parameter's value: 16 times what a step
	// may give as an output parameter (launcher.MaxParameterFile, 256 KiB),
	// so that any value a step makes can be given back to a run, and room
	// for a ParallelFor list of MaxLoopItems items of 400 bytes.
	MaxParamBytes = 4 << 20
	// MaxParamsBytes bounds a run's parameter values together: two values
	// at their limit.
	MaxParamsBytes = 8 << 20
)

// ParamError is a run parameter (or input artifact) that cannot be used.
// Its fields let each caller word it for its users: the command line adds
// how to give a missing one (-p name=...), the API names the request field.
type ParamError struct {
	Name    string
	Problem ParamProblem
	// Known lists the pipeline's parameters (UnknownParam).
	Known []string
	// Err says why the value cannot be used (InvalidParam).
	Err error
}

func (e *ParamError) Error() string {
	switch e.Problem {
	case UnknownParam:
		if len(e.Known) == 0 {
			return fmt.Sprintf("parameter %q: unknown parameter (the pipeline takes no parameters)", e.Name)
		}
		return fmt.Sprintf("parameter %q: unknown parameter (known: %s)", e.Name, strings.Join(e.Known, ", "))
	case InvalidParam, TooLargeParam:
		return fmt.Sprintf("parameter %q: %v", e.Name, e.Err)
	}
	return fmt.Sprintf("parameter %q: %s", e.Name, e.Problem)
}

func (e *ParamError) Unwrap() error { return e.Err }

func rootParamDefs(ps *spec.PipelineSpec) map[string]*spec.ParameterSpec {
	if ps.Root.InputDefinitions == nil {
		return map[string]*spec.ParameterSpec{}
	}
	return ps.Root.InputDefinitions.Parameters
}

// RootParams checks run parameters against the pipeline's inputs and types
// them: unknown names and values of the wrong type are refused, defaults
// fill the rest, and a required parameter without a value is an error.
// Errors are *ParamError. It is the one check of run parameters: the API
// and the command line call it before a run is created, the engine when it
// starts one.
func RootParams(ps *spec.PipelineSpec, given map[string]any) (map[string]any, error) {
	defs := rootParamDefs(ps)
	out := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		d := defs[name]
		if d == nil {
			return nil, &ParamError{Name: name, Problem: UnknownParam, Known: slices.Sorted(maps.Keys(defs))}
		}
		v, err := Coerce(given[name], d.ParameterType)
		if err != nil {
			return nil, &ParamError{Name: name, Problem: InvalidParam, Err: err}
		}
		out[name] = v
	}
	if err := checkParamSizes(out); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		if _, ok := out[name]; ok {
			continue
		}
		d := defs[name]
		switch {
		case d.DefaultValue != nil:
			v, err := Coerce(d.DefaultValue, d.ParameterType)
			if err != nil {
				return nil, &ParamError{Name: name, Problem: InvalidParam, Err: fmt.Errorf("default value: %w", err)}
			}
			out[name] = v
		case d.IsOptional:
		default:
			return nil, &ParamError{Name: name, Problem: MissingParam}
		}
	}
	return out, nil
}

// checkParamSizes applies MaxParamBytes to each of the values given and
// MaxParamsBytes to all of them, in the order of their names.
func checkParamSizes(given map[string]any) error {
	total := 0
	for _, name := range slices.Sorted(maps.Keys(given)) {
		b, err := json.Marshal(given[name])
		if err != nil {
			return &ParamError{Name: name, Problem: InvalidParam, Err: err}
		}
		n := len(b)
		if n > MaxParamBytes {
			return &ParamError{Name: name, Problem: TooLargeParam,
				Err: fmt.Errorf("%d bytes as JSON, more than the limit of %s for one value: give large data as an artifact", n, bytesize.Text(MaxParamBytes))}
		}
		total += n
		if total > MaxParamsBytes {
			return &ParamError{Name: name, Problem: TooLargeParam,
				Err: fmt.Errorf("with it the values given come to %d bytes as JSON, more than the limit of %s for all of a run's parameters: give large data as an artifact", total, bytesize.Text(MaxParamsBytes))}
		}
	}
	return nil
}

// ParseRootParams types run parameters given as text (the command line's
// -p name=value) by their declared types (see ParseParam) and checks them
// as RootParams does. It returns the parameters given, typed, without the
// defaults.
func ParseRootParams(ps *spec.PipelineSpec, text map[string]string) (map[string]any, error) {
	defs := rootParamDefs(ps)
	out := make(map[string]any, len(text))
	for _, name := range slices.Sorted(maps.Keys(text)) {
		d := defs[name]
		if d == nil {
			return nil, &ParamError{Name: name, Problem: UnknownParam, Known: slices.Sorted(maps.Keys(defs))}
		}
		v, err := ParseParam(text[name], d.ParameterType)
		if err != nil {
			return nil, &ParamError{Name: name, Problem: InvalidParam, Err: err}
		}
		out[name] = v
	}
	if _, err := RootParams(ps, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RootArtifacts checks input artifacts given to a run against the
// pipeline's declared input artifacts and fills their types.
func RootArtifacts(ps *spec.PipelineSpec, given map[string][]*spec.RuntimeArtifact) (map[string][]*spec.RuntimeArtifact, error) {
	defs := map[string]*spec.ArtifactSpec{}
	if ps.Root.InputDefinitions != nil {
		defs = ps.Root.InputDefinitions.Artifacts
	}
	out := map[string][]*spec.RuntimeArtifact{}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		d := defs[name]
		if d == nil {
			return nil, &ParamError{Name: name, Problem: UnknownArtifact}
		}
		for _, a := range given[name] {
			cp := *a
			if cp.Type.SchemaTitle == "" {
				cp.Type = d.ArtifactType
			}
			if cp.Metadata == nil {
				cp.Metadata = map[string]any{}
			}
			out[name] = append(out[name], &cp)
		}
	}
	return out, nil
}
