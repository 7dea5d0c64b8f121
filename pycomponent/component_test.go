package pycomponent

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/spec"
)

// allAnnotations has one function per supported annotation form.
const allAnnotations = `
import typing
from typing import Dict, List, NamedTuple, Optional
from kfp import dsl
from kfp.dsl import (Artifact, ClassificationMetrics, Dataset, HTML, Input,
                     InputPath, Markdown, Metrics, Model, Output, OutputPath,
                     PipelineTaskFinalStatus, SlicedClassificationMetrics)


@dsl.component(base_image="python:3.11")
def params(s: str, i: int, f: float, b: bool, l: list, d: dict,
           tl: List[int], td: Dict[str, float], pl: list[str], pd: dict[str, int],
           ti: typing.List[str], o: Optional[int] = None, u: str | None = None,
           fs: 'float' = 2, ds: str = "x", dl: list = [1, 2.5, "a"],
           dd: dict = {"k": [True, None]}, db: bool = False, di: int = -3, *,
           kw: str = "") -> int:
    return 1


def artifacts(a: Input[Artifact], ds: Input[dsl.Dataset], m: Model,
              lst: List[Dataset], il: Input[List[Model]],
              ip: InputPath('CSV'), ipd: InputPath('Dataset'), ips: InputPath(str),
              oa: Output[Metrics], oc: Output[ClassificationMetrics],
              osl: Output[SlicedClassificationMetrics], oh: Output[HTML],
              omd: Output[Markdown], op: OutputPath(int), opm: OutputPath('Model'),
              opl: OutputPath(List[str]), opu: OutputPath(),
              opt: Optional[Input[Dataset]] = None) -> Model:
    pass


def named(status: PipelineTaskFinalStatus) -> NamedTuple('Outputs', [('n', int), ('model', Model), ('names', List[str])]):
    pass


def keywords() -> typing.NamedTuple('Outputs', total=float, flag=bool):
    pass


def nothing():
    pass


def none_return() -> None:
    pass
`

func writePy(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "funcs.py")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type ioWant struct {
	kind, typ           string
	list, optional, def bool
	value               any
}

func TestAnnotations(t *testing.T) {
	pythonOrSkip(t)
	path := writePy(t, allAnnotations)
	p := func(typ string) ioWant { return ioWant{kind: "parameter", typ: typ} }
	opt := func(typ string, v any) ioWant {
		return ioWant{kind: "parameter", typ: typ, optional: true, def: v != nil, value: v}
	}
	a := func(typ string) ioWant { return ioWant{kind: "artifact", typ: typ} }
	al := func(typ string) ioWant { return ioWant{kind: "artifact", typ: typ, list: true} }
	tests := []struct {
		fn      string
		inputs  map[string]ioWant
		outputs map[string]ioWant
	}{
		{"params", map[string]ioWant{
			"s": p("STRING"), "i": p("NUMBER_INTEGER"), "f": p("NUMBER_DOUBLE"), "b": p("BOOLEAN"),
			"l": p("LIST"), "d": p("STRUCT"), "tl": p("LIST"), "td": p("STRUCT"), "pl": p("LIST"),
			"pd": p("STRUCT"), "ti": p("LIST"),
			"o":  opt("NUMBER_INTEGER", nil),
			"u":  opt("STRING", nil),
			"fs": opt("NUMBER_DOUBLE", 2.0),
			"ds": opt("STRING", "x"),
			"dl": opt("LIST", []any{1.0, 2.5, "a"}),
			"dd": opt("STRUCT", map[string]any{"k": []any{true, nil}}),
			"db": opt("BOOLEAN", false),
			"di": opt("NUMBER_INTEGER", -3.0),
			"kw": opt("STRING", ""),
		}, map[string]ioWant{"Output": p("NUMBER_INTEGER")}},
		{"artifacts", map[string]ioWant{
			"a": a("system.Artifact"), "ds": a("system.Dataset"), "m": a("system.Model"),
			"lst": al("system.Dataset"), "il": al("system.Model"),
			"ip": a("system.Artifact"), "ipd": a("system.Dataset"), "ips": p("STRING"),
			"opt": {kind: "artifact", typ: "system.Dataset", optional: true},
		}, map[string]ioWant{
			"oa": a("system.Metrics"), "oc": a("system.ClassificationMetrics"),
			"osl": a("system.SlicedClassificationMetrics"), "oh": a("system.HTML"),
			"omd": a("system.Markdown"), "op": p("NUMBER_INTEGER"), "opm": a("system.Model"),
			"opl": p("LIST"), "opu": a("system.Artifact"), "Output": a("system.Model"),
		}},
		{"named", map[string]ioWant{
			"status": {kind: "parameter", typ: "TASK_FINAL_STATUS", optional: true},
		}, map[string]ioWant{"n": p("NUMBER_INTEGER"), "model": a("system.Model"), "names": p("LIST")}},
		{"keywords", nil, map[string]ioWant{"total": p("NUMBER_DOUBLE"), "flag": p("BOOLEAN")}},
		{"nothing", nil, nil},
		{"none_return", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			sig, err := Extract(context.Background(), "", path, tt.fn)
			if err != nil {
				t.Fatal(err)
			}
			data, err := Build(sig, Options{})
			if err != nil {
				t.Fatal(err)
			}
			pl, err := spec.Load(data)
			if err != nil {
				t.Fatalf("spec.Load: %v\n%s", err, data)
			}
			name := k8sName(tt.fn)
			comp := pl.Spec.Components["comp-"+name]
			if comp == nil || comp.ExecutorLabel != "exec-"+name {
				t.Fatalf("component comp-%s: %+v", name, comp)
			}
			checkIface(t, "input", comp.InputDefinitions, tt.inputs)
			checkIface(t, "output", comp.OutputDefinitions, tt.outputs)
			if !reflect.DeepEqual(comp.InputDefinitions, pl.Spec.Root.InputDefinitions) {
				t.Errorf("root inputs differ from the component's")
			}
			task := pl.Spec.Root.DAG.Tasks[name]
			if task == nil || task.ComponentRef.Name != "comp-"+name {
				t.Fatalf("root task %s: %+v", name, task)
			}
			ex := pl.Spec.DeploymentSpec.Executors["exec-"+name].Container
			if ex.Image != DefaultBaseImage || !reflect.DeepEqual(ex.Args, []string{"--executor_input", "{{$}}", "--function_to_execute", tt.fn}) {
				t.Errorf("container %+v", ex)
			}
			if src := ex.Command[len(ex.Command)-1]; !strings.Contains(src, "\ndef "+tt.fn+"(") || strings.Contains(src, "@dsl.component") {
				t.Errorf("source %q", src)
			}
		})
	}
}

func checkIface(t *testing.T, what string, got *spec.Interface, want map[string]ioWant) {
	t.Helper()
	n := 0
	if got != nil {
		n = len(got.Parameters) + len(got.Artifacts)
	}
	if n != len(want) {
		t.Errorf("%d %ss, want %d: %+v", n, what, len(want), got)
	}
	for name, w := range want {
		if w.kind == "parameter" {
			var p *spec.ParameterSpec
			if got != nil {
				p = got.Parameters[name]
			}
			if p == nil {
				t.Errorf("%s parameter %s missing", what, name)
				continue
			}
			if p.ParameterType != w.typ || p.IsOptional != w.optional || (p.DefaultValue != nil) != w.def ||
				(w.def && !reflect.DeepEqual(p.DefaultValue, w.value)) {
				t.Errorf("%s %s = %+v, want %+v", what, name, *p, w)
			}
			continue
		}
		var a *spec.ArtifactSpec
		if got != nil {
			a = got.Artifacts[name]
		}
		if a == nil {
			t.Errorf("%s artifact %s missing", what, name)
			continue
		}
		if a.ArtifactType.SchemaTitle != w.typ || a.ArtifactType.SchemaVersion != "0.0.1" || a.IsArtifactList != w.list || a.IsOptional != w.optional {
			t.Errorf("%s %s = %+v, want %+v", what, name, *a, w)
		}
	}
}

// TestBadInput: every problem is one message naming the file (and line),
// the function and, when there is one, the parameter.
func TestBadInput(t *testing.T) {
	pythonOrSkip(t)
	tests := []struct {
		name, src, fn string
		want          []string
	}{
		{"missing function", "def a(x: int): pass\ndef b(): pass\n", "c",
			[]string{"funcs.py: no function 'c' at the top level (functions: a, b)"}},
		{"syntax error", "def a(x: int):\n    return (\n", "a",
			[]string{"funcs.py:2: syntax error:"}},
		{"set", "def a(x: int,\n      s: set): pass\n", "a",
			[]string{"funcs.py:2: function 'a', parameter 's': unsupported annotation 'set'", "supported: str, int"}},
		{"class", "class C: pass\ndef a(c: C): pass\n", "a",
			[]string{"funcs.py:2: function 'a', parameter 'c': unsupported annotation 'C'"}},
		{"tuple", "from typing import Tuple\ndef a(c: Tuple[int, int]): pass\n", "a",
			[]string{"function 'a', parameter 'c': unsupported annotation 'Tuple[int, int]'"}},
		{"no annotation", "def a(x): pass\n", "a",
			[]string{"funcs.py: function 'a', parameter 'x': missing type annotation"}},
		{"non-literal default", "import os\ndef a(x: str = os.sep): pass\n", "a",
			[]string{"funcs.py:2: function 'a', parameter 'x': the default 'os.sep' is not a literal"}},
		{"wrong default", "def a(x: int = 'three'): pass\n", "a",
			[]string{"funcs.py:1: function 'a', parameter 'x': the default 'three' does not match the annotation (NUMBER_INTEGER)"}},
		{"artifact default", "from kfp.dsl import Input, Dataset\ndef a(x: Input[Dataset] = 'd'): pass\n", "a",
			[]string{"function 'a', parameter 'x': an input artifact may only default to None"}},
		{"varargs", "def a(*xs: int): pass\n", "a",
			[]string{"funcs.py:1: function 'a', parameter 'xs': *args and **kwargs cannot be component inputs"}},
		{"Output parameter", "def a(Output: int): pass\n", "a",
			[]string{"function 'a', parameter 'Output': \"Output\" is reserved"}},
		{"Input of a parameter type", "from kfp.dsl import Input\ndef a(x: Input[int]): pass\n", "a",
			[]string{"function 'a', parameter 'x': Input[...] takes an artifact class"}},
		{"output list", "from typing import List\nfrom kfp.dsl import Output, Dataset\ndef a(x: Output[List[Dataset]]): pass\n", "a",
			[]string{"function 'a', parameter 'x': Output[List[...]] is not supported"}},
		{"unsupported return", "def a() -> set: pass\n", "a",
			[]string{"function 'a', the return annotation: unsupported return annotation 'set'"}},
		{"NamedTuple class", "from typing import NamedTuple\nclass Out(NamedTuple):\n    x: int\ndef a() -> Out: pass\n", "a",
			[]string{"the return annotation: unsupported return annotation 'Out'", "NamedTuple('Outputs'"}},
		{"NamedTuple field", "from typing import NamedTuple\ndef a() -> NamedTuple('O', [('x', set)]): pass\n", "a",
			[]string{"function 'a', the return annotation, field 'x': unsupported annotation 'set'"}},
		{"async", "async def a(): pass\n", "a",
			[]string{"funcs.py:1: function 'a': async functions cannot be components"}},
		{"Union", "from typing import Union\ndef a(x: Union[int, str]): pass\n", "a",
			[]string{"function 'a', parameter 'x': Union of several types is not supported"}},
		{"too deeply nested", "def a(x: int = " + strings.Repeat("1+", 200000) + "1): pass\n", "a",
			[]string{"funcs.py: cannot be parsed: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writePy(t, tt.src)
			_, err := FromPython(context.Background(), "", path, tt.fn, Options{})
			ce, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v, want *pycomponent.Error", err, err)
			}
			if strings.Contains(ce.Msg, "\n") {
				t.Errorf("message has several lines: %q", ce.Msg)
			}
			if !strings.HasPrefix(ce.Msg, path) {
				t.Errorf("message %q does not start with the file", ce.Msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(ce.Msg, w) {
					t.Errorf("message %q\nwant it to contain %q", ce.Msg, w)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	pythonOrSkip(t)
	_, err := Extract(context.Background(), "", filepath.Join(t.TempDir(), "nope.py"), "f")
	if _, ok := err.(*Error); !ok || !strings.Contains(err.Error(), "nope.py") {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestNoPython(t *testing.T) {
	_, err := Extract(context.Background(), filepath.Join(t.TempDir(), "no-python"), "f.py", "f")
	if err == nil || !strings.Contains(err.Error(), "no-python") {
		t.Fatalf("got %v", err)
	}
}

func TestK8sName(t *testing.T) {
	for in, want := range map[string]string{
		"read_data": "read-data", "Train_Model2": "train-model2", "__x__": "x", "a__b": "a-b", "ü": "",
	} {
		if got := k8sName(in); got != want {
			t.Errorf("k8sName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPipScript(t *testing.T) {
	got := pipScript(Options{KFPVersion: "2.14.3", Packages: []string{"numpy", "it's"}})
	want := " python3 -m pip install --quiet --no-warn-script-location 'numpy' \"it's\"  &&  " +
		"python3 -m pip install --quiet --no-warn-script-location 'kfp==2.14.3' '--no-deps' " +
		"'typing-extensions>=3.7.4,<5; python_version<\"3.9\"' && \"$0\" \"$@\"\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("got %q", got)
	}
	// A user-pinned kfp replaces the injected one.
	got = pipScript(Options{KFPVersion: "2.14.3", Packages: []string{"kfp==2.13.0"}})
	if strings.Contains(got, "2.14.3") || !strings.Contains(got, "'kfp==2.13.0' && ") {
		t.Errorf("got %q", got)
	}
}
