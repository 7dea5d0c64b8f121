package spec

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testCtx is a context with one of everything.
func testCtx() *PlaceholderContext {
	return &PlaceholderContext{
		Input: &ExecutorInput{
			Inputs: ExecutorInputs{
				ParameterValues: map[string]any{
					"text":   "hello",
					"n":      100.0,
					"f":      0.5,
					"neg":    -3.0,
					"big":    1e21,
					"i64":    int64(7),
					"int":    42,
					"b":      true,
					"l":      []any{1.0, "a", 2.5},
					"m":      map[string]any{"b": 1.0, "a": "x<y"},
					"nilp":   nil,
					"sneaky": "{{$.inputs.parameters['text']}}",
					"braces": "}}",
				},
				Artifacts: map[string]*ArtifactList{
					"data": {Artifacts: []*RuntimeArtifact{{
						Name: "data", URI: "gs://bucket/d",
						Type:     ArtifactType{SchemaTitle: "system.Dataset", SchemaVersion: "0.0.1"},
						Metadata: map[string]any{"rows": 10.0, "k": "v", "nested": map[string]any{"z": true}},
					}}},
					"ws":     {Artifacts: []*RuntimeArtifact{{URI: "s3://b/x", Metadata: map[string]any{"_kfp_workspace": true}}}},
					"custom": {Artifacts: []*RuntimeArtifact{{URI: "/tmp/a", CustomPath: "/c/p"}}},
					"empty":  {},
				},
			},
			Outputs: ExecutorOutputs{
				Parameters: map[string]*OutputParameter{"out1": {OutputFile: "/tmp/outputs/out1"}},
				Artifacts: map[string]*ArtifactList{
					"model": {Artifacts: []*RuntimeArtifact{{Name: "model", URI: "minio://mlpipeline/v2/model", Metadata: map[string]any{}}}},
					"oci":   {Artifacts: []*RuntimeArtifact{{Name: "oci", URI: "oci://reg/repo:tag"}}},
				},
				OutputFile: "/tmp/task/executor_output.json",
			},
		},
		Present: map[string]bool{"text": true, "data": true},
		System: map[string]string{
			"pipeline_job_name":              "job-1",
			"pipeline_job_resource_name":     "job-1-res",
			"pipeline_job_uuid":              "uuid-job",
			"pipeline_task_name":             "train",
			"pipeline_task_uuid":             "uuid-task",
			"pipeline_root":                  "/tmp/root",
			"pipeline_job_create_time_utc":   "2024-01-02T03:04:05Z",
			"pipeline_job_schedule_time_utc": "2024-01-02T00:00:00Z",
			"workspace_path":                 "/ws",
		},
	}
}

var substituteCases = []struct {
	name, in, want, err string
}{
	{name: "plain", in: "no placeholders", want: "no placeholders"},
	{name: "param string", in: "{{$.inputs.parameters['text']}}", want: "hello"},
	{name: "param double quotes", in: `{{$.inputs.parameters["text"]}}`, want: "hello"},
	{name: "param embedded", in: "prefix-{{$.inputs.parameters['text']}}-suffix", want: "prefix-hello-suffix"},
	{name: "two params", in: "{{$.inputs.parameters['text']}}{{$.inputs.parameters['n']}}", want: "hello100"},
	{name: "int float without .0", in: "{{$.inputs.parameters['n']}}", want: "100"},
	{name: "fraction", in: "{{$.inputs.parameters['f']}}", want: "0.5"},
	{name: "negative", in: "{{$.inputs.parameters['neg']}}", want: "-3"},
	{name: "big float plain decimal", in: "{{$.inputs.parameters['big']}}", want: "1000000000000000000000"},
	{name: "int64", in: "{{$.inputs.parameters['i64']}}", want: "7"},
	{name: "int", in: "{{$.inputs.parameters['int']}}", want: "42"},
	{name: "bool", in: "{{$.inputs.parameters['b']}}", want: "true"},
	{name: "list", in: "{{$.inputs.parameters['l']}}", want: `[1,"a",2.5]`},
	{name: "map sorted no html escape", in: "{{$.inputs.parameters['m']}}", want: `{"a":"x<y","b":1}`},
	{name: "explicit null", in: "{{$.inputs.parameters['nilp']}}", want: "null"},
	{name: "no rescan", in: "{{$.inputs.parameters['sneaky']}}", want: "{{$.inputs.parameters['text']}}"},
	{name: "value with braces", in: "a{{$.inputs.parameters['braces']}}b", want: "a}}b"},
	{name: "missing param", in: "x {{$.inputs.parameters['nope']}}", err: `input parameter "nope" has no value (optional input not supplied; use IfPresent)`},
	{name: "param with property", in: "{{$.inputs.parameters['text'].uri}}", err: "unknown placeholder"},

	{name: "in art uri", in: "{{$.inputs.artifacts['data'].uri}}", want: "gs://bucket/d"},
	{name: "in art uri dq", in: `{{$.inputs.artifacts["data"].uri}}`, want: "gs://bucket/d"},
	{name: "in art path gcs", in: "{{$.inputs.artifacts['data'].path}}", want: "/gcs/bucket/d"},
	{name: "in art path workspace", in: "{{$.inputs.artifacts['ws'].path}}", want: "/ws/.artifacts/s3/b/x"},
	{name: "in art custom path", in: "{{$.inputs.artifacts['custom'].path}}", want: "/c/p"},
	{name: "in art metadata", in: "{{$.inputs.artifacts['data'].metadata}}", want: `{"k":"v","nested":{"z":true},"rows":10}`},
	{name: "in art metadata nil", in: "{{$.inputs.artifacts['custom'].metadata}}", want: `{}`},
	{name: "in art metadata key", in: "{{$.inputs.artifacts['data'].metadata['rows']}}", want: "10"},
	{name: "in art metadata key dq", in: `{{$.inputs.artifacts['data'].metadata["k"]}}`, want: "v"},
	{name: "in art metadata key object", in: "{{$.inputs.artifacts['data'].metadata['nested']}}", want: `{"z":true}`},
	{name: "in art metadata missing key", in: "{{$.inputs.artifacts['data'].metadata['zz']}}", err: `no metadata key "zz"`},
	{name: "in art list", in: "{{$.inputs.artifacts['empty']}}", want: "[]"},
	{name: "in art empty uri", in: "{{$.inputs.artifacts['empty'].uri}}", err: `input artifact "empty" has no artifacts`},
	{name: "in art unknown", in: "{{$.inputs.artifacts['nope'].uri}}", err: `unknown input artifact "nope"`},
	{name: "in art bad property", in: "{{$.inputs.artifacts['data'].name}}", err: "unknown placeholder {{$.inputs.artifacts['data'].name}}"},

	{name: "out param", in: "{{$.outputs.parameters['out1'].output_file}}", want: "/tmp/outputs/out1"},
	{name: "out param unknown", in: "{{$.outputs.parameters['nope'].output_file}}", err: `unknown output parameter "nope"`},
	{name: "out param no property", in: "{{$.outputs.parameters['out1']}}", err: "unknown placeholder"},
	{name: "out art uri", in: "{{$.outputs.artifacts['model'].uri}}", want: "minio://mlpipeline/v2/model"},
	{name: "out art path", in: "{{$.outputs.artifacts['model'].path}}", want: "/minio/mlpipeline/v2/model"},
	{name: "out art oci path", in: "{{$.outputs.artifacts['oci'].path}}", want: "/oci/reg_repo:tag"},
	{name: "out art metadata", in: "{{$.outputs.artifacts['model'].metadata}}", want: "{}"},
	{name: "out art metadata key", in: "{{$.outputs.artifacts['model'].metadata['x']}}", err: `no metadata key "x"`},
	{name: "out art list", in: "{{$.outputs.artifacts['oci']}}", want: `[{"name":"oci","uri":"oci://reg/repo:tag","type":{},"metadata":null}]`},
	{name: "out art unknown", in: "{{$.outputs.artifacts['nope'].path}}", err: `unknown output artifact "nope"`},
	{name: "output file", in: "{{$.outputs.output_file}}", want: "/tmp/task/executor_output.json"},
	{name: "output metadata uri", in: "{{$.outputMetadataUri}}", want: "/tmp/task/executor_output.json"},

	{name: "job name", in: "{{$.pipeline_job_name}}", want: "job-1"},
	{name: "job resource name", in: "{{$.pipeline_job_resource_name}}", want: "job-1-res"},
	{name: "job uuid", in: "{{$.pipeline_job_uuid}}", want: "uuid-job"},
	{name: "task name", in: "{{$.pipeline_task_name}}", want: "train"},
	{name: "task uuid", in: "{{$.pipeline_task_uuid}}", want: "uuid-task"},
	{name: "root", in: "{{$.pipeline_root}}", want: "/tmp/root"},
	{name: "create time", in: "{{$.pipeline_job_create_time_utc}}", want: "2024-01-02T03:04:05Z"},
	{name: "schedule time", in: "{{$.pipeline_job_schedule_time_utc}}", want: "2024-01-02T00:00:00Z"},
	{name: "workspace", in: "{{$.workspace_path}}/data", want: "/ws/data"},
	{name: "unknown system", in: "{{$.pipeline_google_cloud_location}}", err: `"pipeline_google_cloud_location" is not a system value`},

	{name: "jinja untouched", in: "{{ user }} {{user}} {% if x %}", want: "{{ user }} {{user}} {% if x %}"},
	{name: "dollar var untouched", in: "{{$x}} ${HOME} $$", want: "{{$x}} ${HOME} $$"},
	{name: "extra braces", in: "{{{{$.pipeline_job_name}}}}", want: "{{job-1}}"},
	{name: "lone open", in: "{{", want: "{{"},
	{name: "malformed unterminated", in: "{{$.inputs.parameters['text'", err: "malformed placeholder"},
	{name: "malformed space", in: "{{$.inputs.parameters['text'] }}", err: "malformed placeholder"},
	{name: "malformed empty", in: "{{$.}}", err: "malformed placeholder"},
	{name: "malformed no close", in: "{{$.pipeline_job_name", err: "malformed placeholder"},
	{name: "key with brackets", in: "{{$.inputs.parameters['a]b']}}", err: `input parameter "a]b"`},
}

func TestSubstitute(t *testing.T) {
	c := testCtx()
	for _, tc := range substituteCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Substitute(tc.in, c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Substitute(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Substitute(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestSubstituteWholeInput(t *testing.T) {
	c := testCtx()
	got, err := Substitute("{{$}}", c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(got, "\n") || strings.Contains(got, `\u003c`) {
		t.Fatalf("not compact / HTML-escaped: %s", got)
	}
	var back ExecutorInput
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	if back.Inputs.ParameterValues["text"] != "hello" || back.Outputs.OutputFile != c.Input.Outputs.OutputFile {
		t.Fatalf("round trip lost data: %s", got)
	}
	if !strings.Contains(got, `"n":100,`) {
		t.Fatalf("integral number not printed as an integer: %s", got)
	}
	// nil context and nil input still work.
	if got, err := Substitute("{{$}}", nil); err != nil || got != `{"inputs":{},"outputs":{"outputFile":""}}` {
		t.Fatalf("nil context: %q, %v", got, err)
	}
	if _, err := Substitute("{{$.pipeline_job_name}}", &PlaceholderContext{}); err == nil || !strings.Contains(err.Error(), "has no value") {
		t.Fatalf("missing system value: %v", err)
	}
}

func TestSubstituteLocalPathHook(t *testing.T) {
	c := testCtx()
	c.LocalPath = func(uri string) string { return "/cache/" + strings.ReplaceAll(uri, "://", "/") }
	got, err := Substitute("{{$.inputs.artifacts['data'].path}} {{$.inputs.artifacts['ws'].path}}", c)
	if want := "/cache/gs/bucket/d /ws/.artifacts/cache/s3/b/x"; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

var expandCases = []struct {
	name string
	in   []string
	want []string
	err  string
}{
	{name: "plain", in: []string{"echo", "{{$.inputs.parameters['text']}}"}, want: []string{"echo", "hello"}},
	{name: "concat", in: []string{`{"Concat": ["prefix-", "{{$.inputs.parameters['text']}}", "-{{$.inputs.parameters['n']}}"]}`}, want: []string{"prefix-hello-100"}},
	{name: "concat compact spacing", in: []string{`{"Concat":["a","b"]}`}, want: []string{"ab"}},
	{name: "concat odd whitespace", in: []string{" {\n \"Concat\" :\t[\"a\", \"b\"]}"}, want: []string{"ab"}},
	{name: "concat empty", in: []string{`{"Concat": []}`}, want: []string{""}},
	{name: "if present then splices", in: []string{"a", `{"IfPresent": {"InputName": "text", "Then": ["--text", "{{$.inputs.parameters['text']}}"], "Else": ["--none"]}}`, "z"}, want: []string{"a", "--text", "hello", "z"}},
	{name: "if absent else splices", in: []string{`{"IfPresent": {"InputName": "nope", "Then": ["--x", "{{$.inputs.parameters['nope']}}"], "Else": ["--e1", "--e2"]}}`}, want: []string{"--e1", "--e2"}},
	{name: "if absent no else", in: []string{"a", `{"IfPresent": {"InputName": "nope", "Then": ["--x", "{{$.inputs.parameters['nope']}}"]}}`, "b"}, want: []string{"a", "b"}},
	{name: "if null else", in: []string{`{"IfPresent": {"InputName": "nope", "Then": ["x"], "Else": null}}`}, want: []string{}},
	{name: "default is not present", in: []string{`{"IfPresent": {"InputName": "n", "Then": ["{{$.inputs.parameters['n']}}"], "Else": ["default"]}}`}, want: []string{"default"}},
	{name: "artifact present", in: []string{`{"IfPresent": {"InputName": "data", "Then": ["--d", "{{$.inputs.artifacts['data'].path}}"]}}`}, want: []string{"--d", "/gcs/bucket/d"}},
	{name: "if single string then", in: []string{`{"IfPresent": {"InputName": "text", "Then": "one arg"}}`}, want: []string{"one arg"}},
	{name: "if then concat object", in: []string{`{"IfPresent": {"InputName": "text", "Then": [{"Concat": ["--t=", "{{$.inputs.parameters['text']}}"]}, "x"]}}`}, want: []string{"--t=hello", "x"}},
	{name: "if then nested if splices", in: []string{`{"IfPresent": {"InputName": "text", "Then": [{"IfPresent": {"InputName": "data", "Then": ["p", "q"]}}, "r"]}}`}, want: []string{"p", "q", "r"}},
	{name: "if in concat present", in: []string{`{"Concat": ["--x=", {"IfPresent": {"InputName": "text", "Then": "{{$.inputs.parameters['text']}}", "Else": "none"}}]}`}, want: []string{"--x=hello"}},
	{name: "if in concat absent", in: []string{`{"Concat": ["--x=", {"IfPresent": {"InputName": "nope", "Then": "t", "Else": "none"}}]}`}, want: []string{"--x=none"}},
	{name: "if in concat absent no else", in: []string{`{"Concat": ["--x=", {"IfPresent": {"InputName": "nope", "Then": "t"}}, "!"]}`}, want: []string{"--x=!"}},
	{name: "if in concat list branch", in: []string{`{"Concat": ["<", {"IfPresent": {"InputName": "text", "Then": ["a", {"Concat": ["b", "c"]}]}}, ">"]}`}, want: []string{"<abc>"}},
	{name: "nested concat", in: []string{`{"Concat": ["a", {"Concat": ["b", {"Concat": ["c"]}]}]}`}, want: []string{"abc"}},
	{name: "number items lenient", in: []string{`{"Concat": ["a", 1, 2.5, true]}`}, want: []string{"a12.5true"}},
	{name: "substituted value not expanded", in: []string{"{{$.inputs.parameters['sneaky']}}", `{"Concat": ["{{$.inputs.parameters['m']}}"]}`}, want: []string{"{{$.inputs.parameters['text']}}", `{"a":"x<y","b":1}`}},
	{name: "other json untouched", in: []string{`{"key": "value"}`, `{"Concatenate": 1}`, `["Concat"]`}, want: []string{`{"key": "value"}`, `{"Concatenate": 1}`, `["Concat"]`}},
	{name: "empty", in: nil, want: []string{}},

	{name: "malformed json", in: []string{`{"Concat": ["a",}`}, err: "malformed Concat/IfPresent"},
	{name: "trailing garbage", in: []string{`{"Concat": ["a"]} x`}, err: "malformed Concat/IfPresent"},
	{name: "concat not list", in: []string{`{"Concat": "a"}`}, err: "Concat must hold a list"},
	{name: "two keys", in: []string{`{"Concat": ["a"], "IfPresent": {}}`}, err: "exactly one key"},
	{name: "if not object", in: []string{`{"IfPresent": ["a"]}`}, err: "IfPresent must hold an object"},
	{name: "if no input name", in: []string{`{"IfPresent": {"Then": ["a"]}}`}, err: "InputName"},
	{name: "if unknown key", in: []string{`{"IfPresent": {"InputName": "text", "Than": ["a"]}}`}, err: `unknown key "Than"`},
	{name: "null item", in: []string{`{"Concat": ["a", null]}`}, err: "found null"},
	{name: "unknown nested op", in: []string{`{"Concat": [{"Join": ["a"]}]}`}, err: `unknown structured placeholder "Join"`},
	{name: "missing param outside if", in: []string{`{"Concat": ["{{$.inputs.parameters['nope']}}"]}`}, err: `input parameter "nope" has no value`},
}

func TestExpandCommand(t *testing.T) {
	c := testCtx()
	for _, tc := range expandCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExpandCommand(tc.in, c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ExpandCommand(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ExpandCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestExpandCommandDeepNesting(t *testing.T) {
	deep := strings.Repeat(`{"Concat": [`, 500) + `"x"` + strings.Repeat(`]}`, 500)
	if _, err := ExpandCommand([]string{deep}, testCtx()); err == nil || !strings.Contains(err.Error(), "too deep") {
		t.Fatalf("want nesting error, got %v", err)
	}
}

func TestFormatParam(t *testing.T) {
	type named string
	cases := []struct {
		in   any
		want string
	}{
		{"s", "s"}, {"", ""}, {100.0, "100"}, {0.0, "0"}, {-0.0, "0"}, {2.5, "2.5"}, {-1.25, "-1.25"},
		{1e-7, "0.0000001"}, {float32(1.5), "1.5"}, {3, "3"}, {int64(-9), "-9"}, {int32(5), "5"}, {uint8(8), "8"},
		{json.Number("12"), "12"}, {true, "true"}, {false, "false"}, {nil, "null"}, {named("n"), "n"},
		{[]any{}, "[]"}, {[]any{1.0, "x", nil}, `[1,"x",null]`}, {[]string{"a"}, `["a"]`},
		{map[string]any{"z": 1.0, "a": []any{true}, "h": "<&>"}, `{"a":[true],"h":"<&>","z":1}`},
	}
	for _, tc := range cases {
		if got := FormatParam(tc.in); got != tc.want {
			t.Errorf("FormatParam(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSubstituteInputParams(t *testing.T) {
	values := map[string]any{
		"pipelinechannel--print-op-Output": "hi",
		"n":                                10.0,
		"d":                                map[string]any{"a": 1.0},
		"loop":                             "{{$.inputs.parameters['n']}}",
	}
	cases := []struct{ in, want string }{
		{"{{$.inputs.parameters['pipelinechannel--print-op-Output']}}, again.", "hi, again."},
		{`n={{$.inputs.parameters["n"]}} d={{$.inputs.parameters['d']}}`, `n=10 d={"a":1}`},
		{"{{$.inputs.parameters['unknown']}} stays", "{{$.inputs.parameters['unknown']}} stays"},
		{"{{$.pipeline_job_name}} {{$}} {{$.inputs.artifacts['n'].uri}}", "{{$.pipeline_job_name}} {{$}} {{$.inputs.artifacts['n'].uri}}"},
		{"{{$.inputs.parameters['loop']}}", "{{$.inputs.parameters['n']}}"},
		{"{{$.inputs.parameters['n'] broken {{$.inputs.parameters['n']}}", "{{$.inputs.parameters['n'] broken 10"},
		{"{{$.inputs.parameters['n'].x}}", "{{$.inputs.parameters['n'].x}}"},
		{"plain", "plain"},
	}
	for _, tc := range cases {
		if got := SubstituteInputParams(tc.in, values); got != tc.want {
			t.Errorf("SubstituteInputParams(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// conformanceDir is the shared conformance corpus, relative to this package.
const conformanceDir = "../../shared/conformance"

func loadConformance(t *testing.T, rel string) *Pipeline {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir, rel))
	if err != nil {
		t.Skipf("conformance file not available: %v", err)
	}
	p, err := Load(data)
	if err != nil {
		t.Fatalf("Load(%s): %v", rel, err)
	}
	return p
}

// execContext builds the context a task running comp would get: declared
// defaults plus the supplied values (only those count as present), every
// declared artifact input given one artifact, outputs provisioned under
// s3://bucket/run/task.
func execContext(comp *ComponentSpec, supplied map[string]any, arts map[string]*ArtifactList) *PlaceholderContext {
	in := &ExecutorInput{
		Inputs: ExecutorInputs{ParameterValues: map[string]any{}, Artifacts: map[string]*ArtifactList{}},
		Outputs: ExecutorOutputs{
			Parameters: map[string]*OutputParameter{},
			Artifacts:  map[string]*ArtifactList{},
			OutputFile: "/s3/bucket/run/task/output_metadata.json",
		},
	}
	present := map[string]bool{}
	if d := comp.InputDefinitions; d != nil {
		for k, p := range d.Parameters {
			if p.DefaultValue != nil {
				in.Inputs.ParameterValues[k] = p.DefaultValue
			}
		}
	}
	for k, v := range supplied {
		in.Inputs.ParameterValues[k] = v
		if v != nil {
			present[k] = true
		}
	}
	for k, v := range arts {
		in.Inputs.Artifacts[k] = v
		present[k] = true
	}
	if d := comp.OutputDefinitions; d != nil {
		for k := range d.Parameters {
			in.Outputs.Parameters[k] = &OutputParameter{OutputFile: "/tmp/kfp/outputs/" + k}
		}
		for k, a := range d.Artifacts {
			in.Outputs.Artifacts[k] = &ArtifactList{Artifacts: []*RuntimeArtifact{{
				Name: k, URI: "s3://bucket/run/task/" + k, Type: a.ArtifactType, Metadata: map[string]any{},
			}}}
		}
	}
	sys := map[string]string{}
	for _, k := range SystemPlaceholders {
		sys[k] = "sys-" + k
	}
	return &PlaceholderContext{Input: in, Present: present, System: sys}
}

func TestConformanceArgv(t *testing.T) {
	art := func(uri string) map[string]*ArtifactList {
		return map[string]*ArtifactList{"training_data": {Artifacts: []*RuntimeArtifact{{Name: "table", URI: uri}}}}
	}
	cases := []struct {
		name, file, comp string
		params           map[string]any
		arts             map[string]*ArtifactList
		skipCommand      bool // compare only the args part (the command is a long script)
		want             []string
	}{
		{name: "concat", file: "kfp-compiled/container_with_concat_placeholder.yaml", comp: "comp-container-with-concat-placeholder",
			params: map[string]any{"text1": "hi"},
			want:   []string{"my_program", "prefix-his3://bucket/run/task/text2", "--output_path", "/tmp/kfp/outputs/output_path"}},
		{name: "if supplied", file: "kfp-compiled/container_with_if_placeholder.yaml", comp: "comp-container-with-if-placeholder",
			params: map[string]any{"optional_input": "given"},
			want:   []string{"my_program", "given", "--dataset", "s3://bucket/run/task/dataset", "--output_path", "/tmp/kfp/outputs/output_path"}},
		{name: "if default only", file: "kfp-compiled/container_with_if_placeholder.yaml", comp: "comp-container-with-if-placeholder",
			want: []string{"my_program", "bye", "--dataset", "bye", "--output_path", "/tmp/kfp/outputs/output_path"}},
		{name: "fstring", file: "kfp-compiled/container_with_placeholder_in_fstring.yaml", comp: "comp-container-with-placeholder-in-fstring",
			want: []string{"my_program", "prefix-text!", "s3://bucket/run/task/output_artifact/0"}},
		{name: "if none input", file: "kfp-compiled/essential/placeholder_with_if_placeholder_none_input_value.yaml", comp: "comp-component-with-optional-inputs",
			params: map[string]any{"required_input": "input0"},
			want:   []string{"echo", "--arg0", "input0", "--arg2", "default value"}},
		{name: "if explicit null", file: "kfp-compiled/essential/placeholder_with_if_placeholder_none_input_value.yaml", comp: "comp-component-with-optional-inputs",
			params: map[string]any{"required_input": "input0", "optional_input_1": nil, "optional_input_2": "two"},
			want:   []string{"echo", "--arg0", "input0", "--arg2", "two"}},
		{name: "xgboost train", file: "kfp-compiled/xgboost_sample_pipeline.yaml", comp: "comp-xgboost-train",
			params: map[string]any{"label_column": 0.0, "num_iterations": 200.0, "objective": "reg:squarederror"},
			arts:   art("s3://bucket/run/chicago/table"), skipCommand: true,
			want: []string{"--training-data", "/s3/bucket/run/chicago/table", "--label-column", "0", "--num-iterations", "200",
				"--objective", "reg:squarederror", "--model", "/s3/bucket/run/task/model", "--model-config", "/s3/bucket/run/task/model_config"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loadConformance(t, tc.file)
			comp := p.Spec.Components[tc.comp]
			if comp == nil {
				t.Fatalf("no component %s", tc.comp)
			}
			ctr := p.Spec.DeploymentSpec.Executors[comp.ExecutorLabel].Container
			elems := append(append([]string{}, ctr.Command...), ctr.Args...)
			got, err := ExpandCommand(elems, execContext(comp, tc.params, tc.arts))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(ctr.Command); tc.skipCommand {
				if len(got) < n || !reflect.DeepEqual(got[:n], ctr.Command) {
					t.Fatalf("command changed: %q", got)
				}
				got = got[n:]
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("argv\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestConformanceCorpusExpands expands every container executor of every
// conformance pipeline with all inputs supplied: no placeholder form used in
// the corpus may be rejected.
func TestConformanceCorpusExpands(t *testing.T) {
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Skipf("conformance corpus not available: %v", err)
	}
	n := 0
	for _, sub := range []string{"kfp-compiled", "v1-components"} {
		filepath.WalkDir(filepath.Join(conformanceDir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			p, err := Load(data)
			if err != nil {
				return nil // loading is tested elsewhere
			}
			for name, comp := range p.Spec.Components {
				ex := p.Spec.DeploymentSpec.Executors[comp.ExecutorLabel]
				if ex == nil || ex.Container == nil {
					continue
				}
				params := map[string]any{}
				arts := map[string]*ArtifactList{}
				if d := comp.InputDefinitions; d != nil {
					for k := range d.Parameters {
						params[k] = "v"
					}
					for k := range d.Artifacts {
						arts[k] = &ArtifactList{Artifacts: []*RuntimeArtifact{{Name: k, URI: "s3://b/in/" + k}}}
					}
				}
				elems := append(append([]string{}, ex.Container.Command...), ex.Container.Args...)
				if _, err := ExpandCommand(elems, execContext(comp, params, arts)); err != nil {
					t.Errorf("%s %s: %v", path, name, err)
				}
				n++
			}
			return nil
		})
	}
	t.Logf("expanded %d executors", n)
}

func fuzzSeeds() []string {
	var seeds []string
	for _, tc := range substituteCases {
		seeds = append(seeds, tc.in)
	}
	for _, tc := range expandCases {
		seeds = append(seeds, tc.in...)
	}
	return append(seeds, "{{$}}", "{{$", "{{$.", "{{$.[", "{{$.x['", `{"IfPresent": {"InputName": "text", "Then": [{"IfPresent": {"InputName": "x"}}]}}`)
}

func FuzzSubstitute(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	c := testCtx()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Substitute(s, c)
		if err == nil && !strings.Contains(s, "{{$") && got != s {
			t.Fatalf("text without placeholders changed: %q -> %q", s, got)
		}
		SubstituteInputParams(s, c.Input.Inputs.ParameterValues)
		Substitute(s, nil)
		LocalPath(s)
		URIFromLocalPath(s)
	})
}

func FuzzExpandCommand(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, "{{$.inputs.parameters['text']}}")
	}
	c := testCtx()
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := ExpandCommand([]string{a, b}, c)
		if err == nil && got == nil {
			t.Fatal("nil argv without error")
		}
		ExpandCommand([]string{a}, nil)
	})
}
