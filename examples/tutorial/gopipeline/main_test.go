package main

import (
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/dsl/dsltest"
)

func TestTutorial(t *testing.T) {
	p, err := pipeline(filepath.Join("..", "components"))
	if err != nil {
		t.Fatal(err)
	}
	dsltest.Golden(t, p, "pipeline.yaml")

	res := dsltest.Run(t, p, nil)
	dsltest.MustSucceed(t, res)
	if got := dsltest.ArtifactText(t, res, "result"); got != "3.0" {
		t.Errorf("result holds %q, want 3.0", got)
	}
	res = dsltest.Run(t, p, map[string]any{"numbers": "2,4,9"})
	dsltest.MustSucceed(t, res)
	if got := dsltest.ArtifactText(t, res, "result"); got != "5.0" {
		t.Errorf("with numbers=2,4,9 the result holds %q, want 5.0", got)
	}
}
