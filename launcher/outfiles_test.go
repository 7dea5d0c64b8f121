package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/plan"
	"github.com/sluicehq/sluice/spec"
)

func TestApplyOutputFiles(t *testing.T) {
	dir := t.TempDir()
	art := func(name string) *spec.ArtifactList {
		return &spec.ArtifactList{Artifacts: []*spec.RuntimeArtifact{{Name: name, URI: filepath.Join(dir, name)}}}
	}
	in := &spec.ExecutorInput{Outputs: spec.ExecutorOutputs{
		Artifacts:  map[string]*spec.ArtifactList{"out": art("out"), "mlpipeline-metrics": art("mlpipeline-metrics"), "missing": art("missing")},
		Parameters: map[string]*spec.OutputParameter{"p": {OutputFile: filepath.Join(dir, "p")}, "d": {OutputFile: filepath.Join(dir, "d")}},
	}}
	os.WriteFile(filepath.Join(dir, "out"), []byte("heads\n\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "p"), []byte("x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "mlpipeline-metrics"), []byte(`{"metrics": [{"name": "acc", "numberValue": 0.9, "format": "PERCENTAGE"}, {"name": "bad"}, {"name": "_x", "numberValue": 1}]}`), 0o644)
	newOut := func() *plan.Outputs {
		out := &plan.Outputs{Parameters: map[string]any{}, Artifacts: map[string][]*spec.RuntimeArtifact{}}
		for name, l := range in.Outputs.Artifacts {
			cp := *l.Artifacts[0]
			out.Artifacts[name] = []*spec.RuntimeArtifact{&cp}
		}
		return out
	}
	def := "fallback"
	files := []spec.OutputFile{
		{Path: "/tmp/outputs/out/data", Artifact: "out", Parameter: "o"},
		{Path: "/tmp/p", Parameter: "p"},
		{Path: "/tmp/d", Parameter: "d", Default: &def},
		{Path: "/tmp/m", Artifact: "mlpipeline-metrics", Optional: true, Format: spec.FormatKFPv1Metrics},
	}
	out := newOut()
	if err := applyOutputFiles(files, in, out, nil, stepFiles{}); err != nil {
		t.Fatal(err)
	}
	if out.Parameters["o"] != "heads\n" || out.Parameters["p"] != "x" || out.Parameters["d"] != "fallback" {
		t.Fatalf("parameters %q", out.Parameters)
	}
	md := out.Artifacts["mlpipeline-metrics"][0].Metadata
	if f, _ := md["_formats"].(map[string]any); md["acc"] != 0.9 || len(md) != 2 || f["acc"] != "PERCENTAGE" {
		t.Fatalf("metrics metadata %v", md)
	}
	err := applyOutputFiles([]spec.OutputFile{{Path: "/tmp/outputs/missing/data", Artifact: "missing"}}, in, newOut(), nil, stepFiles{})
	if err == nil || !strings.Contains(err.Error(), `output "missing": the step did not write /tmp/outputs/missing/data`) {
		t.Fatalf("missing file: %v", err)
	}
	if err := applyOutputFiles([]spec.OutputFile{{Artifact: "missing", Optional: true}}, in, newOut(), nil, stepFiles{}); err != nil {
		t.Fatalf("optional: %v", err)
	}
}
