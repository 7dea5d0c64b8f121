package examples_test

import (
	"bytes"
	"flag"
	"os"
	"path"
	"testing"

	"github.com/sluicehq/sluice/examples"
	"github.com/sluicehq/sluice/spec"
	"github.com/sluicehq/sluice/tune"
	"github.com/sluicehq/sluice/tuner"
)

var update = flag.Bool("update", false, "rewrite examples/tuning/realworld.yaml from the real-world pipeline")

// The tuning example's pipeline is the real-world pipeline, kept current.
func TestTuningPipelineIsTheRealWorldOne(t *testing.T) {
	want, err := os.ReadFile("realworld/gopipeline/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("tuning/realworld.yaml", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("tuning/realworld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("examples/tuning/realworld.yaml differs from examples/realworld/gopipeline/pipeline.yaml (go test ./examples -run TuningPipeline -update)")
	}
}

// Every example experiment loads, and fits its pipeline.
func TestExampleExperimentsFitTheirPipelines(t *testing.T) {
	for _, f := range examples.Experiments() {
		b, err := examples.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := tune.Load(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pp, err := e.PipelinePath(path.Dir(f))
		if err != nil {
			t.Fatal(err)
		}
		pb, err := examples.FS.ReadFile(pp)
		if err != nil {
			t.Fatalf("%s: its pipeline: %v", f, err)
		}
		p, err := spec.Load(pb)
		if err != nil {
			t.Fatal(err)
		}
		if err := tuner.Check(e, p); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}
