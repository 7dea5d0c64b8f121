package dsl_test

import (
	"encoding/json"
	"testing"

	"github.com/sluicehq/sluice/dsl"
)

// Channels in importer metadata become inputs metadata, metadata-2, ... (one
// per distinct channel, in key order, as the KFP compiler numbers them in
// its dict order), and their placeholders stand in the metadata.
func TestImporterMetadataChannels(t *testing.T) {
	makeName := py("make_name", []dsl.Input{in("name", dsl.String)}, ret(dsl.String))
	p := dsl.NewPipeline("importer-metadata")
	name := p.StringParam("name", "default-name")
	n := p.IntParam("int_input", 1)
	made := p.Task(makeName, dsl.Inputs{"name": "a-different-name"}).Output("Output")
	p.Importer(dsl.Importer{URI: "gs://b/f.txt", Type: dsl.Dataset, Metadata: map[string]any{
		"a-list": []any{made, name, n},
		"b-name": dsl.Sprintf("prefix-%v", made),
		"c-spec": map[string]any{"imageUri": "img:1"},
	}})
	ps, err := p.Compile()
	if err != nil {
		t.Fatal(err)
	}
	md, _ := json.Marshal(ps.DeploymentSpec.Executors["exec-importer"].Importer.Metadata)
	want := `{"a-list":["{{$.inputs.parameters['metadata']}}","{{$.inputs.parameters['metadata-2']}}","{{$.inputs.parameters['metadata-3']}}"],` +
		`"b-name":"prefix-{{$.inputs.parameters['metadata']}}","c-spec":{"imageUri":"img:1"}}`
	if string(md) != want {
		t.Errorf("metadata\n%s\nwant\n%s", md, want)
	}
	task := ps.Root.DAG.Tasks["importer"]
	if got := task.Inputs.Parameters["metadata"].TaskOutputParameter; got == nil || got.ProducerTask != "make-name" {
		t.Errorf("metadata input: %+v", task.Inputs.Parameters["metadata"])
	}
	if got := task.Inputs.Parameters["metadata-3"].ComponentInputParameter; got != "int_input" {
		t.Errorf("metadata-3 input: %q", got)
	}
	if got := ps.Components["comp-importer"].InputDefinitions.Parameters["metadata-3"].ParameterType; got != "NUMBER_INTEGER" {
		t.Errorf("metadata-3 type %s", got)
	}
	if len(task.DependentTasks) != 1 || task.DependentTasks[0] != "make-name" {
		t.Errorf("dependentTasks %v", task.DependentTasks)
	}
}
