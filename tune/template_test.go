package tune

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

func assign(kv ...string) []ParameterAssignment {
	var out []ParameterAssignment
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, ParameterAssignment{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestRunArguments(t *testing.T) {
	quad := loadFile(t, "quad-tpe.yaml")
	got, err := quad.RunArguments("quad-tpe-1", assign("x", "0.98", "y", "-2.03", "lr", "0.001", "optimizer", "adam"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"x": "0.98", "y": "-2.03", "lr": "0.001", "optimizer": "adam", "steps": "10"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("quad-tpe arguments = %v, want %v", got, want)
	}

	// Neither trialParameters nor arguments: each parameter to the pipeline
	// parameter of the same name.
	min := loadFile(t, "minimal.yaml")
	got, err = min.RunArguments("minimal-1", assign("y", "2", "x", "1.5"))
	if err != nil || !reflect.DeepEqual(got, map[string]string{"x": "1.5", "y": "2"}) {
		t.Errorf("minimal arguments = %v, %v", got, err)
	}
	if tps := min.TrialParameters(); !reflect.DeepEqual(tps, []TrialParameterSpec{{Name: "x", Reference: "x"}, {Name: "y", Reference: "y"}}) {
		t.Errorf("implicit trial parameters = %+v", tps)
	}

	// trialParameters without arguments: renamed, plus the trial's name;
	// arguments without trialParameters: templates over the parameter names.
	renamed := mustLoad(t, minimalYAML+`    trialParameters:
      - {name: learning_x, reference: x}
      - {name: why, reference: y}
      - {name: trial, reference: "${trialSpec.Name}"}
`)
	got, err = renamed.RunArguments("exp-7", assign("x", "1", "y", "2"))
	if err != nil || !reflect.DeepEqual(got, map[string]string{"learning_x": "1", "why": "2", "trial": "exp-7"}) {
		t.Errorf("renamed arguments = %v, %v", got, err)
	}
	templ := mustLoad(t, minimalYAML+`    arguments:
      point: "(${trialParameters.x}, ${trialParameters.y})"
      x: ${trialParameters.x}
      epochs: 10
`)
	got, err = templ.RunArguments("exp-1", assign("x", "${trialParameters.y}", "y", "-1"))
	// A value that looks like a placeholder is substituted verbatim, not rescanned.
	if err != nil || !reflect.DeepEqual(got, map[string]string{"point": "(${trialParameters.y}, -1)", "x": "${trialParameters.y}", "epochs": "10"}) {
		t.Errorf("templated arguments = %v, %v", got, err)
	}

	for _, tc := range []struct {
		name string
		as   []ParameterAssignment
		want string
	}{
		{"missing", assign("x", "1"), `trial t: no value for parameter "y"`},
		{"unknown", assign("x", "1", "y", "2", "z", "3"), `trial t: assignment of "z", which is not an experiment parameter`},
		{"twice", assign("x", "1", "x", "2", "y", "3"), `trial t: "x" is assigned twice`},
	} {
		if _, err := min.RunArguments("t", tc.as); err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// pipelineParams reads a pipeline file with the real loader and returns its
// declared parameters, as the caller of CheckPipeline does.
func pipelineParams(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, ps := range p.Spec.Root.InputDefinitions.Parameters {
		out[name] = ps.ParameterType
	}
	return out
}

func TestCheckPipeline(t *testing.T) {
	params := pipelineParams(t, "quad.yaml")
	if want := map[string]string{"x": KFPDouble, "y": KFPDouble, "lr": KFPDouble, "optimizer": KFPString, "steps": KFPInteger}; !reflect.DeepEqual(params, want) {
		t.Fatalf("quad.yaml declares %v, want %v", params, want)
	}
	for _, f := range []string{"quad-tpe.yaml", "minimal.yaml"} {
		if err := loadFile(t, f).CheckPipeline(params); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	base := strings.Replace(minimalYAML, "    - {name: y, parameterType: int, feasibleSpace: {min: \"1\", max: \"4\"}}\n", "", 1)
	withArgs := func(args string) string { return base + "    arguments: {" + args + "}\n" }
	withParam := func(p string) string {
		return strings.Replace(base, `{name: x, parameterType: double, feasibleSpace: {min: "-5", max: "5"}}`, p, 1)
	}
	typed := map[string]string{"i": KFPInteger, "d": KFPDouble, "s": KFPString, "b": KFPBoolean, "l": KFPList, "m": KFPStruct, "x": KFPDouble}
	tests := []struct {
		name, doc string
		params    map[string]string
		want      string // "" = accepted
	}{
		{"unknown argument", withArgs(`x: "${trialParameters.x}", epochs: "3"`), params, `spec.trialTemplate.arguments.epochs: the pipeline has no parameter "epochs" (its parameters: lr, optimizer, steps, x, y)`},
		{"unknown implicit", strings.Replace(base, "{name: x,", "{name: z,", 1), params, `spec.parameters[0].name: the pipeline has no parameter "z"`},
		{"unknown renamed", base + "    trialParameters: [{name: learning_x, reference: x}]\n", params, `spec.trialTemplate.trialParameters[0].name: the pipeline has no parameter "learning_x"`},
		{"no parameters", base, map[string]string{}, `spec.parameters[0].name: the pipeline has no parameter "x" (its parameters: none)`},
		{"double into int", withArgs(`i: "${trialParameters.x}"`), typed, `spec.trialTemplate.arguments.i: the pipeline parameter "i" is NUMBER_INTEGER: "x" is a double range`},
		{"int into int", withParam(`{name: x, parameterType: int, feasibleSpace: {min: "1", max: "5"}}`) + "    arguments: {i: \"${trialParameters.x}\"}\n", typed, ""},
		{"int into double", withParam(`{name: x, parameterType: int, feasibleSpace: {min: "1", max: "5"}}`) + "    arguments: {d: \"${trialParameters.x}\"}\n", typed, ""},
		{"discrete into int", withParam(`{name: x, parameterType: discrete, feasibleSpace: {list: ["16", "32.5"]}}`) + "    arguments: {i: \"${trialParameters.x}\"}\n", typed, `spec.trialTemplate.arguments.i: the pipeline parameter "i" is NUMBER_INTEGER: the value "32.5" of "x" is not an integer`},
		{"categorical into double", withParam(`{name: x, parameterType: categorical, feasibleSpace: {list: ["0.5", fast]}}`) + "    arguments: {d: \"${trialParameters.x}\"}\n", typed, `spec.trialTemplate.arguments.d: the pipeline parameter "d" is NUMBER_DOUBLE: the value "fast" of "x" is not a number`},
		{"categorical into bool", withParam(`{name: x, parameterType: categorical, feasibleSpace: {list: ["true", "false"]}}`) + "    arguments: {b: \"${trialParameters.x}\"}\n", typed, ""},
		{"range into bool", withArgs(`b: "${trialParameters.x}"`), typed, `spec.trialTemplate.arguments.b: the pipeline parameter "b" is BOOLEAN: "x" is a numeric range`},
		{"categorical into list", withParam(`{name: x, parameterType: categorical, feasibleSpace: {list: ["[1,2]", "[]"]}}`) + "    arguments: {l: \"${trialParameters.x}\"}\n", typed, ""},
		{"categorical into struct", withParam(`{name: x, parameterType: categorical, feasibleSpace: {list: ['{"a":1}', "[]"]}}`) + "    arguments: {m: \"${trialParameters.x}\"}\n", typed, `spec.trialTemplate.arguments.m: the pipeline parameter "m" is STRUCT: the value "[]" of "x" is not a JSON object`},
		{"anything into string", withArgs(`s: "${trialParameters.x}"`), typed, ""},
		{"composite not checked", withArgs(`i: "${trialParameters.x}0"`), typed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustLoad(t, tc.doc)
			err := e.CheckPipeline(tc.params)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			checkErr(t, err, tc.want)
		})
	}
}

func TestPipelinePath(t *testing.T) {
	e := loadFile(t, "minimal.yaml")
	e.Spec.TrialTemplate.Pipeline.File = "sub/p.yaml"
	if p, err := e.PipelinePath("exp"); err != nil || p != filepath.Join("exp", "sub", "p.yaml") {
		t.Errorf("PipelinePath = %q, %v", p, err)
	}
	for _, bad := range []string{"../p.yaml", "/etc/passwd", "a/../../p.yaml", ""} {
		e.Spec.TrialTemplate.Pipeline.File = bad
		if p, err := e.PipelinePath("exp"); err == nil {
			t.Errorf("PipelinePath(%q) = %q, want an error", bad, p)
		}
	}
}
