package pycomponent

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// These tests hold the v1 generator against the Python libraries kfp 1.8
// itself uses, where the machine has them: PyYAML for the YAML text and
// lib2to3 for the stripped function source. They skip when the library is
// missing (lib2to3 left the standard library in Python 3.13).

// pythonWith runs a Python program with the JSON of in on stdin and decodes
// the JSON it prints into out; it skips the test when the program exits 3
// (a library is missing).
func pythonWith(t *testing.T, program string, in, out any) {
	t.Helper()
	pythonOrSkip(t)
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-I", "-c", program)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
			t.Skip(strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatal(err)
	}
}

// pyyamlDump dumps each document as kfp 1.8's dump_yaml does: yaml.Dumper,
// default_flow_style=None, mappings in their order, multi-line strings in
// the literal style and the bool-like words double-quoted.
const pyyamlDump = `
import json, sys
try:
    import yaml
except ImportError:
    sys.stderr.write('PyYAML is not installed')
    sys.exit(3)

class Dumper(yaml.Dumper):
    pass

def mapping(dumper, data):
    return dumper.represent_mapping('tag:yaml.org,2002:map', data.items())

def text(dumper, data):
    style = None
    if '\n' in data:
        style = '|'
    if data.lower() in ('y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off'):
        style = '"'
    return dumper.represent_scalar('tag:yaml.org,2002:str', data, style)

Dumper.add_representer(dict, mapping)
Dumper.add_representer(str, text)
docs = json.load(sys.stdin)
json.dump([yaml.dump(d, Dumper=Dumper, default_flow_style=None) for d in docs], sys.stdout)
`

// orderedJSON writes v as JSON keeping mapping order, floats with a point.
func orderedJSON(b *strings.Builder, v any) {
	switch v := v.(type) {
	case mapping:
		b.WriteString("{")
		for i, it := range v {
			if i > 0 {
				b.WriteString(",")
			}
			k, _ := json.Marshal(it.Key)
			b.Write(k)
			b.WriteString(":")
			orderedJSON(b, it.Value)
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for i, x := range v {
			if i > 0 {
				b.WriteString(",")
			}
			orderedJSON(b, x)
		}
		b.WriteString("]")
	case float64:
		b.WriteString(pyRepr(v))
	default:
		d, _ := json.Marshal(v)
		b.Write(d)
	}
}

// TestV1YAMLMatchesPyYAML: for every generated component (corpus and
// testdata) and for a few hundred random documents of awkward strings,
// marshalYAMLv1 writes what PyYAML writes.
func TestV1YAMLMatchesPyYAML(t *testing.T) {
	pythonOrSkip(t)
	var docs []mapping
	var names []string
	add := func(name string, c v1Case, dir string) {
		sig, err := ExtractV1(context.Background(), "", filepath.Join(dir, c.py), c.fn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		doc, err := v1Document(sig, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		docs, names = append(docs, doc), append(names, name)
	}
	for _, c := range v1Testdata {
		add(c.golden(), c, filepath.Join("testdata", "v1"))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		docs = append(docs, randomMapping(r, 0))
		names = append(names, "random document "+strconv.Itoa(i))
	}
	var in strings.Builder
	in.WriteString("[")
	for i, d := range docs {
		if i > 0 {
			in.WriteString(",")
		}
		orderedJSON(&in, d)
	}
	in.WriteString("]")
	var want []string
	pythonWith(t, pyyamlDump, json.RawMessage(in.String()), &want)
	for i, d := range docs {
		if got := marshalYAMLv1(d); got != want[i] {
			t.Errorf("%s:\n%s", names[i], got)
			diffLines(t, want[i], got)
		}
	}
}

var awkward = []string{
	"", "x", "plain text", "y", "N", "On", "TRUE", "no", "1", "-1", "1.5", "1e+20", "1e5", ".5", "0x1F", "0o17",
	"017", "000008", "1_000", "12:30", "2024-01-02", "2024-01-02 10:00:00", "~", "null", "Null", "=", "<<",
	"-", "- a", "-a", "?", "? a", "?a", ":", "a: b", "a:b", "a:", "#", "a #b", "a#b", "---x", "...", "'q'",
	`"dq"`, "it's", "{x}", "[x]", "a,b", "a, b", "a]b", "@at", "`tick", "%pct", "!bang", "&amp", "*star",
	"|pipe", ">gt", " lead", "trail ", "tab\there", "é", "naïve text", "😀", "a\u2028b", "a\u0085b", "nul\x00",
	"del\x7f", "bom\ufeff", "cr\rlf", "line\nbreak", "line\nbreak\n", "line\n\n", "\nlead break", " \nx",
	"x \ny", "x\n y", "multi\nline with trailing space \nend\n", "python:3.7", "'----output-paths'",
	"----output-paths", "a  b", "{inputValue: x}", "with 'single' quotes and a long enough tail to be folded at eighty columns for sure",
	strings.Repeat("word ", 30), strings.Repeat("longword", 12), strings.Repeat("it's ", 25),
	strings.Repeat("café ", 25), strings.Repeat("x", 79) + " y z", "a " + strings.Repeat("b", 90) + " c",
	strings.Repeat("z\n", 5) + strings.Repeat("q ", 50), strings.Repeat("\" ", 45),
}

var awkwardKeys = []string{"name", "type", "description", "default", "optional", "y", "on", "No", "a b",
	"inputValue", "if", "cond", "then", "k:v", "#k", "é", strings.Repeat("k", 130), "1", "true"}

func randomValue(r *rand.Rand, depth int) any {
	n := r.IntN(14)
	switch {
	case depth < 3 && n == 0:
		return randomMapping(r, depth+1)
	case depth < 3 && n == 1:
		seq := []any{}
		for range r.IntN(5) {
			seq = append(seq, randomValue(r, depth+1))
		}
		return seq
	case n == 2:
		return r.IntN(2) == 0
	case n == 3:
		return r.IntN(2000) - 1000
	case n == 4:
		return []float64{0.5, 2, 1e20, -3.25, 1e-7}[r.IntN(5)]
	case n == 5:
		return nil
	}
	return awkward[r.IntN(len(awkward))]
}

func randomMapping(r *rand.Rand, depth int) mapping {
	m := mapping{}
	for _, i := range r.Perm(len(awkwardKeys))[:r.IntN(6)] { // JSON keeps one of a repeated key
		m = append(m, mapItem{awkwardKeys[i], randomValue(r, depth)})
	}
	return m
}

// lib2to3Strip strips annotations with kfp 1.8's lib2to3 fixer: a typed
// parameter (tname) loses everything after its name, a def loses "-> T".
const lib2to3Strip = `
import json, sys, warnings
warnings.simplefilter('ignore')
try:
    from lib2to3 import fixer_base, refactor
except ImportError:
    sys.stderr.write('lib2to3 is not in this Python')
    sys.exit(3)

class Strip(fixer_base.BaseFix):
    PATTERN = "typed_func_parameter=tname | typed_func_return_value=funcdef< any+ '->' any+ >"

    def transform(self, node, results):
        if 'typed_func_parameter' in results:
            del node.children[1:]
        elif 'typed_func_return_value' in results:
            del node.children[-4:-2]
        return node

class Tool(refactor.RefactoringTool):
    def __init__(self):
        self.strip = [Strip(None, None)]
        super().__init__(None, {'print_function': True})

    def get_fixers(self):
        return self.strip, []

sources = json.load(sys.stdin)
json.dump([str(Tool().refactor_string(s, 'f')) for s in sources], sys.stdout)
`

// TestV1StripMatchesLib2to3: strip_annotations (tokens and ast) gives what
// kfp's lib2to3 fixer gives, for every function in the testdata and the
// corpus and for awkward signatures.
func TestV1StripMatchesLib2to3(t *testing.T) {
	pythonOrSkip(t)
	sources := []string{
		"def f(a: int, b: 'x' = 1, *args: int, c: (int) = 2, d: ((str)) = 'd', **kw: dict) -> ((float)):\n    return 1\n",
		"def f(a  :  int  =  3 , b :List[ int ]=[] ) ->  None :\n    pass\n",
		"def f(\n    a: int,  # first\n    b: str = 'b',  # second\n) -> (\n    int  # the result\n):\n    pass\n",
		"def f(a: int, /, b: int, *, c: int = 1) -> int:\n    def g(x: 'int' = lambda y: y) -> str:\n        z: int = 1\n        return ''\n    class C:\n        def m(self, v: int) -> None:\n            pass\n    return 0\n",
		"def f(a:int=1,b:str='x')->int:\n    return a\n",
		"def f(ünï: str = 'é') -> 'ünï':\n    return ünï\n",
		"def f(a: Dict[str, Callable[[int], str]] = {'k': 1}) -> NamedTuple('O', [('a', int)]):\n    pass\n",
		"def f(a: int \\\n      = 1) -> \\\n    int:\n    pass\n",
		"def f() -> int:\n    async def g(x: int) -> int:\n        return x\n    return 1\n",
		"def f(x: 'int') -> 'int':\n\treturn x\n",
	}
	var files []string
	for _, c := range v1Testdata {
		files = append(files, filepath.Join("testdata", "v1", c.py))
	}
	if dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "conformance", "kfp-v1-compiled", "func-components")); err == nil {
		for _, c := range v1Fixtures {
			files = append(files, filepath.Join(dir, c.py))
		}
	}
	// The functions' sources as function_source finds them.
	var funcs []string
	pythonWith(t, v1SourceScript+`
import ast, json, sys
out = []
for path in json.load(sys.stdin):
    text = open(path).read()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            out.append(function_source(text.split('\n'), node))
json.dump(out, sys.stdout)
`, files, &funcs)
	sources = append(sources, funcs...)

	var ours, theirs []string
	pythonWith(t, v1SourceScript+`
import json, sys
json.dump([strip_annotations(s) for s in json.load(sys.stdin)], sys.stdout)
`, sources, &ours)
	pythonWith(t, lib2to3Strip, sources, &theirs)
	for i := range sources {
		if ours[i] != theirs[i] {
			t.Errorf("source %d:\n%s", i, sources[i])
			diffLines(t, theirs[i], ours[i])
		}
	}
	t.Logf("%d sources", len(sources))
}

// TestV1FunctionSource: the function's block is what inspect.getsource
// gives, dedented, without decorators; trailing comments indented like the
// body belong to it.
func TestV1FunctionSource(t *testing.T) {
	pythonOrSkip(t)
	text := "import x\n\n@dec(\n    1)\n@other\ndef f(a):\n    \n    return a\n    # trailing, indented: kept\n\n# not indented: dropped\nx = 1\n"
	var got []string
	pythonWith(t, v1SourceScript+`
import ast, json, sys
text = json.load(sys.stdin)
node = ast.parse(text).body[1]
json.dump([function_source(text.split('\n'), node)], sys.stdout)
`, text, &got)
	want := "def f(a):\n\n    return a\n    # trailing, indented: kept\n"
	if got[0] != want {
		t.Errorf("got %q, want %q", got[0], want)
	}
}
