package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/dsl/dsltest"
)

// TestMyPipeline compiles the pipeline made of the generated v1 components
// and runs it: save_result writes 3.0 to result.txt in its working
// directory, as in the tutorial.
func TestMyPipeline(t *testing.T) {
	p, err := pipeline(filepath.Join("..", "components"))
	if err != nil {
		t.Fatal(err)
	}
	dsltest.Golden(t, p, "pipeline.yaml")

	res := dsltest.Run(t, p, nil)
	dsltest.MustSucceed(t, res)
	if got := res.Outputs.Parameters["average"]; got != 3.0 {
		t.Errorf("average = %#v, want 3.0", got)
	}
	b, err := os.ReadFile(filepath.Join(res.RunRoot, ".sluice", "tasks", "save-result", "work", "result.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "3.0" {
		t.Errorf("result.txt holds %q, want 3.0", b)
	}
}
