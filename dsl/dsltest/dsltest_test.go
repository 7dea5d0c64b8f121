package dsltest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/dsl"
	"github.com/sluicehq/sluice/dsl/dsltest"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func pipeline() *dsl.Pipeline {
	echo := &dsl.Container{Name: "echo", Image: "alpine", Inputs: []dsl.Input{{Name: "text", Type: dsl.String}},
		Outputs: []dsl.Output{{Name: "out", Type: dsl.String}},
		Command: []string{"sh", "-c", `mkdir -p "$(dirname "$1")" && printf %s "$0" > "$1"`, dsl.InputValue("text"), dsl.OutputPath("out")}}
	p := dsl.NewPipeline("golden")
	t := p.Task(echo, dsl.Inputs{"text": p.StringParam("text", "hi")})
	p.Output("out", t.Output("out"))
	return p
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipeline.yaml")
	y, err := pipeline().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, y, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	dsltest.Golden(r, pipeline(), path)
	if len(r.msgs) != 0 {
		t.Fatalf("an up-to-date golden file failed: %v", r.msgs)
	}

	if err := os.WriteFile(path, []byte(strings.Replace(string(y), "name: golden", "name: stale", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	dsltest.Golden(r, pipeline(), path)
	if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], "is out of date (run go test -update to rewrite it)") ||
		!strings.Contains(r.msgs[0], "golden:     name: stale") {
		t.Fatalf("a stale golden file: %q", r.msgs)
	}
}

func TestRun(t *testing.T) {
	res := dsltest.Run(t, pipeline(), map[string]any{"text": "hello"})
	dsltest.MustSucceed(t, res)
	if got := res.Outputs.Parameters["out"]; got != "hello" {
		t.Errorf("out = %#v", got)
	}
}
