package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/examples"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// want holds each example's expected pipeline outputs (parameters) and,
// for artifact outputs, the expected file content.
var want = map[string]struct {
	params    map[string]any
	artifacts map[string]string
	python    bool
}{
	"tutorial": {artifacts: map[string]string{"Output": "3.0"}, python: true},
	"fanout":   {params: map[string]any{"total": int64(55)}},
	// Its metrics and model are checked in examples/realworld/gopipeline.
	"realworld": {python: true},
}

func TestExamplesRun(t *testing.T) {
	files := examples.Pipelines()
	dir := t.TempDir()
	pp, err := pyruntime.Install(filepath.Join(dir, "py"))
	if err != nil {
		t.Fatal(err)
	}
	e := &engine.Engine{Launcher: &launcher.Launcher{Executor: &local.Executor{}, PythonPath: pp}, DefaultRoot: filepath.Join(dir, "root")}
	for _, f := range files {
		name := strings.SplitN(f, "/", 2)[0]
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("example %s has no expectation in examples_test.go", name)
			}
			if _, err := exec.LookPath("python3"); w.python && err != nil {
				if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
					t.Fatal("python3 is required")
				}
				t.Skip("python3 not found")
			}
			b, _ := examples.FS.ReadFile(f)
			p, err := spec.Load(b)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Run(context.Background(), &engine.Request{Pipeline: p, NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.State != runstate.Succeeded {
				t.Fatalf("%s: %s", res.State, res.Error)
			}
			for k, v := range w.params {
				if res.Outputs.Parameters[k] != v {
					t.Errorf("output %s = %#v, want %#v", k, res.Outputs.Parameters[k], v)
				}
			}
			for k, v := range w.artifacts {
				a := res.Outputs.Artifacts[k]
				if len(a) != 1 {
					t.Fatalf("artifact %s: %v", k, a)
				}
				got, err := os.ReadFile(a[0].URI)
				if err != nil || string(got) != v {
					t.Errorf("artifact %s holds %q (%v), want %q", k, got, err, v)
				}
			}
		})
	}
}
