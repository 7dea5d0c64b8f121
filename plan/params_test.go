package plan

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

func paramsSpec(defs map[string]*spec.ParameterSpec) *spec.PipelineSpec {
	ps := &spec.PipelineSpec{Root: &spec.ComponentSpec{}}
	if defs != nil {
		ps.Root.InputDefinitions = &spec.Interface{Parameters: defs}
	}
	return ps
}

func TestRootParams(t *testing.T) {
	ps := paramsSpec(map[string]*spec.ParameterSpec{
		"n":    {ParameterType: spec.TypeInteger},
		"s":    {ParameterType: spec.TypeString, DefaultValue: "hi"},
		"opt":  {ParameterType: spec.TypeDouble, IsOptional: true},
		"list": {ParameterType: spec.TypeList, IsOptional: true},
	})
	got, err := RootParams(ps, map[string]any{"n": 3.0})
	if err != nil || !reflect.DeepEqual(got, map[string]any{"n": int64(3), "s": "hi"}) {
		t.Fatalf("RootParams = %v, %v", got, err)
	}
	for _, tc := range []struct {
		name    string
		ps      *spec.PipelineSpec
		given   map[string]any
		problem ParamProblem
		msg     string
	}{
		{"unknown", ps, map[string]any{"n": 1, "x": 1}, UnknownParam, `parameter "x": unknown parameter (known: list, n, opt, s)`},
		{"no parameters", paramsSpec(nil), map[string]any{"x": 1}, UnknownParam, `parameter "x": unknown parameter (the pipeline takes no parameters)`},
		{"missing", ps, map[string]any{}, MissingParam, `parameter "n": required parameter has no value`},
		{"wrong type", ps, map[string]any{"n": "three"}, InvalidParam, `parameter "n": expected an integer, got "three"`},
		{"bad default", paramsSpec(map[string]*spec.ParameterSpec{"b": {ParameterType: spec.TypeBoolean, DefaultValue: "maybe"}}), nil, InvalidParam, `parameter "b": default value: `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RootParams(tc.ps, tc.given)
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Problem != tc.problem {
				t.Fatalf("err %v, want a ParamError %q", err, tc.problem)
			}
			if got := err.Error(); len(got) < len(tc.msg) || got[:len(tc.msg)] != tc.msg {
				t.Fatalf("message %q, want %q", got, tc.msg)
			}
		})
	}
}

func TestParseRootParams(t *testing.T) {
	ps := paramsSpec(map[string]*spec.ParameterSpec{
		"n":    {ParameterType: spec.TypeInteger},
		"list": {ParameterType: spec.TypeList, IsOptional: true},
		"s":    {ParameterType: spec.TypeString, DefaultValue: "hi"},
	})
	got, err := ParseRootParams(ps, map[string]string{"n": "7", "list": "[1, 2]"})
	if err != nil || !reflect.DeepEqual(got, map[string]any{"n": int64(7), "list": []any{1.0, 2.0}}) {
		t.Fatalf("ParseRootParams = %v, %v (defaults are not added)", got, err)
	}
	var pe *ParamError
	if _, err := ParseRootParams(ps, map[string]string{"n": "seven"}); !errors.As(err, &pe) || pe.Problem != InvalidParam || pe.Name != "n" {
		t.Fatalf("mistyped: %v", err)
	}
	if _, err := ParseRootParams(ps, map[string]string{"list": "[]"}); !errors.As(err, &pe) || pe.Problem != MissingParam || pe.Name != "n" {
		t.Fatalf("missing: %v", err)
	}
	if _, err := ParseRootParams(ps, map[string]string{"n": "1", "m": "1"}); !errors.As(err, &pe) || pe.Problem != UnknownParam || !reflect.DeepEqual(pe.Known, []string{"list", "n", "s"}) {
		t.Fatalf("unknown: %v", err)
	}
}

// TestRootParamsSizes: a value given may be plan.MaxParamBytes as JSON and
// no more, and all of them MaxParamsBytes; a default is the spec's and
// does not count.
func TestRootParamsSizes(t *testing.T) {
	str := func(jsonBytes int) string { return strings.Repeat("a", jsonBytes-2) }
	big := str(MaxParamBytes)
	ps := paramsSpec(map[string]*spec.ParameterSpec{
		"a": {ParameterType: spec.TypeString, IsOptional: true},
		"b": {ParameterType: spec.TypeString, IsOptional: true},
		"c": {ParameterType: spec.TypeString, IsOptional: true},
		"d": {ParameterType: spec.TypeString, DefaultValue: big + big},
	})
	if _, err := RootParams(ps, map[string]any{"a": big, "b": big}); err != nil {
		t.Fatalf("two values at the limit: %v", err)
	}
	for _, tc := range []struct {
		given map[string]any
		msg   string
	}{
		{map[string]any{"b": big + "a"}, fmt.Sprintf(`parameter "b": %d bytes as JSON, more than the limit of 4 MiB for one value`, MaxParamBytes+1)},
		{map[string]any{"a": big, "b": big, "c": "x"}, fmt.Sprintf(`parameter "c": with it the values given come to %d bytes as JSON, more than the limit of 8 MiB`, MaxParamsBytes+3)},
	} {
		_, err := RootParams(ps, tc.given)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Problem != TooLargeParam || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("err %v, want %q", err, tc.msg)
		}
	}
}
