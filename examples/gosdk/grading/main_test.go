package main

import (
	"testing"

	"github.com/sluicehq/sluice/dsl/dsltest"
)

func TestGrading(t *testing.T) {
	p := pipeline()
	dsltest.Golden(t, p, "pipeline.yaml")

	for _, c := range []struct {
		score    int64
		sentence string
	}{
		{72, "ada got B"},
		{95, "ada got A"},
		{12, "ada got C"},
	} {
		res := dsltest.Run(t, p, map[string]any{"score": c.score})
		dsltest.MustSucceed(t, res)
		if got := res.Outputs.Parameters["sentence"]; got != c.sentence {
			t.Errorf("score %d: sentence = %#v, want %q", c.score, got, c.sentence)
		}
		if got, want := res.Outputs.Parameters["noted"], c.sentence+" (well done)"; got != want {
			t.Errorf("score %d: noted = %#v, want %q", c.score, got, want)
		}
		if got, want := dsltest.ArtifactText(t, res, "certificate"), "Certificate: "+c.sentence+"\n"; got != want {
			t.Errorf("score %d: certificate holds %q, want %q", c.score, got, want)
		}
		if got := res.Outputs.Parameters["words"]; got != int64(4) {
			t.Errorf("score %d: words = %#v, want 4", c.score, got)
		}
	}
}
