// Package dsltest helps test pipelines written with package dsl: compare
// the compiled YAML with a checked-in golden file, and run the pipeline
// with Sluice's engine as `sluice run` would, in a temporary directory.
//
//	func TestPipeline(t *testing.T) {
//		p := pipeline()
//		dsltest.Golden(t, p, "pipeline.yaml") // go test -update rewrites it
//		res := dsltest.Run(t, p, nil)
//		if got := res.Outputs.Parameters["total"]; got != int64(55) { ... }
//	}
package dsltest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

// The -update flag makes Golden rewrite golden files instead of comparing.
// A test package that already defines -update shares it.
var _ = func() *bool {
	if flag.Lookup("update") != nil {
		return nil
	}
	return flag.Bool("update", false, "rewrite golden files")
}()

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Golden compiles p and checks that its YAML equals the file at path; with
// `go test -update` it writes the file instead.
func Golden(t testing.TB, p *dsl.Pipeline, path string) {
	t.Helper()
	got, err := p.YAML()
	if err != nil {
		t.Fatalf("compile %s: %v", p.Name(), err)
	}
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date (run go test -update to rewrite it); first difference:\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  golden:   " + w + "\n  compiled: " + g
		}
	}
	return "(none)"
}

// Run compiles p, loads the YAML as `sluice run` does and runs it with the
// local engine in a temporary pipeline root, caching off. params are run
// parameters, typed (int64, float64, string, bool, []any, map[string]any).
// Lightweight Python components need python3: without it the test is
// skipped, or fails when SLUICE_REQUIRE_TOOLS=1.
func Run(t testing.TB, p *dsl.Pipeline, params map[string]any) *engine.Result {
	t.Helper()
	y, err := p.YAML()
	if err != nil {
		t.Fatalf("compile %s: %v", p.Name(), err)
	}
	lp, err := spec.Load(y)
	if err != nil {
		t.Fatalf("load the compiled %s: %v", p.Name(), err)
	}
	dir := t.TempDir()
	if usesPython(lp.Spec) {
		if _, err := exec.LookPath("python3"); err != nil {
			if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
				t.Fatal("python3 is required (SLUICE_REQUIRE_TOOLS=1) but not found")
			}
			t.Skip("python3 not found")
		}
	}
	l, err := launcher.New(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &engine.Engine{Launcher: l, DefaultRoot: filepath.Join(dir, "root")}
	res, err := e.Run(context.Background(), &engine.Request{Pipeline: lp, Params: params, NoCache: true})
	if err != nil {
		t.Fatalf("run %s: %v", p.Name(), err)
	}
	return res
}

// MustSucceed fails the test unless the run succeeded.
func MustSucceed(t testing.TB, res *engine.Result) {
	t.Helper()
	if res.State != runstate.Succeeded {
		var failed []string
		for _, task := range res.Tasks {
			if task.State == runstate.Failed && task.Error != "" {
				failed = append(failed, task.ID+": "+task.Error)
			}
		}
		t.Fatalf("run %s: %s\n%s", res.State, res.Error, strings.Join(failed, "\n"))
	}
}

// ArtifactText is the content of the single artifact of pipeline output
// name.
func ArtifactText(t testing.TB, res *engine.Result, name string) string {
	t.Helper()
	a := res.Outputs.Artifacts[name]
	if len(a) != 1 {
		t.Fatalf("pipeline output %s: %d artifacts, want 1", name, len(a))
	}
	b, err := os.ReadFile(a[0].URI)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func usesPython(ps *spec.PipelineSpec) bool {
	for _, e := range ps.DeploymentSpec.Executors {
		if e.Container == nil {
			continue
		}
		for _, s := range append(append([]string{}, e.Container.Command...), e.Container.Args...) {
			if strings.Contains(s, "python") {
				return true
			}
		}
	}
	return false
}
