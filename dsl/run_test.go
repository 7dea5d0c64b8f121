package dsl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// runPipeline compiles p to YAML, loads it back as `sluice run` would and
// runs it with the engine in a temporary pipeline root.
func runPipeline(t *testing.T, p *dsl.Pipeline, params map[string]any) *engine.Result {
	t.Helper()
	y, err := p.YAML()
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	lp, err := spec.Load(y)
	if err != nil {
		t.Fatalf("load the compiled YAML: %v\n%s", err, y)
	}
	dir := t.TempDir()
	e := &engine.Engine{
		Launcher:    &launcher.Launcher{Executor: &local.Executor{KillGrace: 200 * time.Millisecond}, PythonPath: dir},
		DefaultRoot: filepath.Join(dir, "root"),
		Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: lp, Params: params, NoCache: true})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func findTask(t *testing.T, res *engine.Result, id string) *engine.Task {
	t.Helper()
	var ids []string
	for _, x := range res.Tasks {
		if x.ID == id {
			return x
		}
		ids = append(ids, x.ID)
	}
	t.Fatalf("no task %q in %v", id, ids)
	return nil
}

// sh is a container component running a shell script: $0, $1, ... are the
// args.
func sh(name string, ins []dsl.Input, outs []dsl.Output, script string, args ...string) *dsl.Container {
	return &dsl.Container{Name: name, Image: "alpine:3.20", Inputs: ins, Outputs: outs,
		Command: append([]string{"sh", "-c", script}, args...)}
}

var (
	square = sh("square", []dsl.Input{in("x", dsl.Int)}, []dsl.Output{{Name: "y", Type: dsl.Int}},
		`mkdir -p "$(dirname "$1")" && echo $(($0 * $0)) > "$1"`, dsl.InputValue("x"), dsl.OutputPath("y"))
	sum = sh("sum", []dsl.Input{in("numbers", dsl.List)}, []dsl.Output{{Name: "total", Type: dsl.Int}},
		`mkdir -p "$(dirname "$1")" && echo "$0" | tr -d '[] ' | tr ',' '\n' | awk '{s+=$1} END {print s}' > "$1"`,
		dsl.InputValue("numbers"), dsl.OutputPath("total"))
	echo = sh("echo", []dsl.Input{in("text", dsl.String)}, []dsl.Output{{Name: "out", Type: dsl.String}},
		`mkdir -p "$(dirname "$1")" && printf '%s' "$0" > "$1"`, dsl.InputValue("text"), dsl.OutputPath("out"))
	writeFile = sh("write", []dsl.Input{in("text", dsl.String)}, []dsl.Output{{Name: "data", Type: dsl.Dataset}},
		`mkdir -p "$(dirname "$1")" && printf '%s' "$0" > "$1"`, dsl.InputValue("text"), dsl.OutputPath("data"))
	readFile = sh("read", []dsl.Input{in("data", dsl.Dataset)}, []dsl.Output{{Name: "text", Type: dsl.String}},
		`mkdir -p "$(dirname "$1")" && cat "$0" > "$1"`, dsl.InputPath("data"), dsl.OutputPath("text"))
)

func TestRunLoopCollectedConditionExit(t *testing.T) {
	report := sh("report", []dsl.Input{in("status", dsl.TaskFinalStatus)}, []dsl.Output{{Name: "state", Type: dsl.String}},
		`mkdir -p "$(dirname "$1")" && echo "$0" | sed 's/.*"state":"\([A-Z]*\)".*/\1/' | tr -d '\n' > "$1"`,
		dsl.InputValue("status"), dsl.OutputPath("state"))
	p := dsl.NewPipeline("loops")
	nums := p.ListParam("numbers", []int{1, 2, 3, 4})
	threshold := p.IntParam("threshold", 10)
	exit := p.Task(report, nil)
	p.ExitHandler(exit, func() {
		var sq *dsl.Task
		p.ParallelFor(nums, func(n dsl.Channel) {
			sq = p.Task(square, dsl.Inputs{"x": n})
		}, dsl.Parallelism(2))
		s := p.Task(sum, dsl.Inputs{"numbers": dsl.Collected(sq.Output("y"))})
		var big, small *dsl.Task
		p.If(s.Output("total").Gt(threshold), func() {
			big = p.Task(echo, dsl.Inputs{"text": dsl.Sprintf("%v is big", s.Output("total"))})
		}).Else(func() {
			small = p.Task(echo, dsl.Inputs{"text": dsl.Sprintf("%v is small", s.Output("total"))})
		})
		p.Output("verdict", dsl.OneOf(big.Output("out"), small.Output("out")))
		p.Output("total", s.Output("total"))
	})

	res := runPipeline(t, p, nil)
	if res.State != runstate.Succeeded {
		t.Fatalf("%s: %s", res.State, res.Error)
	}
	if got := res.Outputs.Parameters["total"]; got != int64(30) {
		t.Errorf("total = %#v, want 30", got)
	}
	if got := res.Outputs.Parameters["verdict"]; got != "30 is big" {
		t.Errorf("verdict = %#v", got)
	}
	if got := findTask(t, res, "report").Outputs.Parameters["state"]; got != "SUCCEEDED" {
		t.Errorf("exit task saw state %#v", got)
	}

	res = runPipeline(t, p, map[string]any{"threshold": int64(100), "numbers": []any{int64(1), int64(2)}})
	if got := res.Outputs.Parameters["verdict"]; got != "5 is small" {
		t.Errorf("verdict = %#v (%s %s)", got, res.State, res.Error)
	}
}

func TestRunNestedPipelineArtifactsRetryEnv(t *testing.T) {
	inner := dsl.NewPipeline("roundtrip")
	text := inner.StringParam("text", "")
	w := inner.Task(writeFile, dsl.Inputs{"text": text})
	r := inner.Task(readFile, dsl.Inputs{"data": w.Output("data")})
	inner.Output("text", r.Output("text"))
	inner.Output("data", w.Output("data"))

	flaky := sh("flaky", []dsl.Input{in("marker", dsl.String)}, []dsl.Output{{Name: "greeting", Type: dsl.String}},
		// Fails on the first attempt (no marker file yet), succeeds on the second.
		`if [ ! -e "$0" ]; then touch "$0"; exit 1; fi; mkdir -p "$(dirname "$1")" && printf '%s' "$GREETING" > "$1"`,
		dsl.InputValue("marker"), dsl.OutputPath("greeting"))

	p := dsl.NewPipeline("nested")
	cpu := p.StringParam("cpu", "250m")
	a := p.Task(inner, dsl.Inputs{"text": "first"})
	b := p.Task(inner, dsl.Inputs{"text": a.Output("text")})
	f := p.Task(flaky, dsl.Inputs{"marker": filepath.Join(t.TempDir(), "marker")}).
		SetRetry(2).SetEnv("GREETING", "hello").SetCPULimit("500m").SetCPURequest(cpu).SetMemoryLimit("64Mi").After(b)
	p.Output("text", b.Output("text"))
	p.Output("data", b.Output("data"))
	p.Output("greeting", f.Output("greeting"))

	res := runPipeline(t, p, nil)
	if res.State != runstate.Succeeded {
		t.Fatalf("%s: %s", res.State, res.Error)
	}
	if got := res.Outputs.Parameters["text"]; got != "first" {
		t.Errorf("text = %#v", got)
	}
	if got := res.Outputs.Parameters["greeting"]; got != "hello" {
		t.Errorf("greeting = %#v", got)
	}
	if a := res.Outputs.Artifacts["data"]; len(a) != 1 {
		t.Errorf("data = %v", a)
	} else if b, err := os.ReadFile(a[0].URI); err != nil || string(b) != "first" {
		t.Errorf("data holds %q, %v", b, err)
	}
	if n := findTask(t, res, "flaky").Attempts; n != 2 {
		t.Errorf("flaky ran %d times, want 2", n)
	}
}

func TestRunImporterAndStructItems(t *testing.T) {
	file := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(file, []byte("imported"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := dsl.NewPipeline("importer")
	uri := p.StringParam("uri", file)
	imp := p.Importer(dsl.Importer{URI: uri, Type: dsl.Dataset, Metadata: map[string]any{"source": "test"}})
	r := p.Task(readFile, dsl.Inputs{"data": imp.Output("artifact")})
	var e *dsl.Task
	p.ParallelFor([]map[string]any{{"name": "a", "n": 1}, {"name": "b", "n": 2}}, func(item dsl.Channel) {
		e = p.Task(echo, dsl.Inputs{"text": dsl.Sprintf("%v=%v", item.Field("name"), item.Field("n"))})
	})
	p.Output("text", r.Output("text"))
	p.Output("pairs", dsl.Collected(e.Output("out")))

	res := runPipeline(t, p, nil)
	if res.State != runstate.Succeeded {
		t.Fatalf("%s: %s", res.State, res.Error)
	}
	if got := res.Outputs.Parameters["text"]; got != "imported" {
		t.Errorf("text = %#v", got)
	}
	got, _ := res.Outputs.Parameters["pairs"].([]any)
	var s []string
	for _, x := range got {
		s = append(s, x.(string))
	}
	if strings.Join(s, ",") != "a=1,b=2" {
		t.Errorf("pairs = %#v", res.Outputs.Parameters["pairs"])
	}
}

func TestRunLoadedV1Component(t *testing.T) {
	v1 := []byte(`
name: Add Numbers
inputs:
- {name: a, type: Integer}
- {name: b, type: Integer, default: '10'}
outputs:
- {name: sum, type: Integer}
implementation:
  container:
    image: alpine
    command: [sh, -c, 'mkdir -p "$(dirname "$2")" && echo $(($0 + $1)) > "$2"', {inputValue: a}, {inputValue: b}, {outputPath: sum}]
`)
	add, err := dsl.LoadComponent(v1)
	if err != nil {
		t.Fatal(err)
	}
	p := dsl.NewPipeline("v1")
	t1 := p.Task(add, dsl.Inputs{"a": 1})
	t2 := p.Task(add, dsl.Inputs{"a": t1.Output("sum"), "b": 100})
	p.Output("sum", t2.Output("sum"))
	if t2.Name() != "add-numbers-2" {
		t.Errorf("task name %q", t2.Name())
	}
	res := runPipeline(t, p, nil)
	if got := res.Outputs.Parameters["sum"]; got != int64(111) {
		t.Errorf("sum = %#v (%s %s)", got, res.State, res.Error)
	}
}

func TestRunArtifactLoopsAndNestedCollected(t *testing.T) {
	p := dsl.NewPipeline("artifact-loops")
	var w *dsl.Task
	p.ParallelFor([]string{"a", "b", "c"}, func(s dsl.Channel) {
		w = p.Task(writeFile, dsl.Inputs{"text": s})
	})
	// Loop over the collected artifacts: an artifact iterator.
	var r *dsl.Task
	p.ParallelFor(dsl.Collected(w.Output("data")), func(d dsl.Channel) {
		r = p.Task(readFile, dsl.Inputs{"data": d})
	}, dsl.Parallelism(1))
	p.Output("texts", dsl.Collected(r.Output("text")))

	// Nested loops: Collected outside both gives a list of lists.
	var sq *dsl.Task
	p.ParallelFor([]int{1, 2}, func(i dsl.Channel) {
		p.ParallelFor([]int{3, 4}, func(j dsl.Channel) {
			sq = p.Task(square, dsl.Inputs{"x": j})
		})
	})
	p.Output("squares", dsl.Collected(sq.Output("y")))

	res := runPipeline(t, p, nil)
	if res.State != runstate.Succeeded {
		t.Fatalf("%s: %s", res.State, res.Error)
	}
	if got := fmt.Sprint(res.Outputs.Parameters["texts"]); got != "[a b c]" {
		t.Errorf("texts = %s", got)
	}
	if got := fmt.Sprint(res.Outputs.Parameters["squares"]); got != "[[9 16] [9 16]]" {
		t.Errorf("squares = %s", got)
	}
}
