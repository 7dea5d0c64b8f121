package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/server"
)

// importerPipeline imports uri (a constant of the spec, as KFP compiles
// dsl.importer(artifact_uri="...")), or, when uri is "", the run
// parameter src; a step then reads the imported file.
func importerPipeline(uri string) map[string]any {
	binding := map[string]any{"componentInputParameter": "src"}
	if uri != "" {
		binding = map[string]any{"runtimeValue": map[string]any{"constant": uri}}
	}
	dataset := map[string]any{"artifactType": map[string]any{"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}
	return map[string]any{
		"pipelineInfo": map[string]any{"name": "importing"}, "schemaVersion": "2.1.0",
		"root": map[string]any{
			"inputDefinitions": map[string]any{"parameters": map[string]any{"src": map[string]any{"parameterType": "STRING", "defaultValue": "", "isOptional": true}}},
			"dag": map[string]any{"tasks": map[string]any{
				"imp": map[string]any{"taskInfo": map[string]any{"name": "imp"}, "componentRef": map[string]any{"name": "comp-importer"},
					"inputs": map[string]any{"parameters": map[string]any{"uri": binding}}},
				"use": map[string]any{"taskInfo": map[string]any{"name": "use"}, "componentRef": map[string]any{"name": "comp-use"}, "dependentTasks": []any{"imp"},
					"inputs": map[string]any{"artifacts": map[string]any{"data": map[string]any{"taskOutputArtifact": map[string]any{"producerTask": "imp", "outputArtifactKey": "artifact"}}}}},
			}},
		},
		"components": map[string]any{
			"comp-importer": map[string]any{"executorLabel": "exec-importer",
				"inputDefinitions":  map[string]any{"parameters": map[string]any{"uri": map[string]any{"parameterType": "STRING"}}},
				"outputDefinitions": map[string]any{"artifacts": map[string]any{"artifact": dataset}}},
			"comp-use": map[string]any{"executorLabel": "exec-use", "inputDefinitions": map[string]any{"artifacts": map[string]any{"data": dataset}}},
		},
		"deploymentSpec": map[string]any{"executors": map[string]any{
			"exec-importer": map[string]any{"importer": map[string]any{"artifactUri": map[string]any{"runtimeParameter": "uri"},
				"typeSchema": map[string]any{"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}},
			"exec-use": map[string]any{"container": map[string]any{"image": "alpine", "command": []any{"sh", "-c", `test -f "$0"`, "{{$.inputs.artifacts['data'].path}}"}}},
		}},
	}
}

// On a server an importer imports a local file only from under the
// artifact store or --allowed-pipeline-roots, links resolved: a constant
// URI elsewhere (/etc/passwd, file:///etc/passwd, a link out of an
// allowed root) is refused at creation with 400 naming the task and the
// URI — v2 and v1 runs, recurring runs, tuning experiments — and one a run
// parameter gives fails the importer's task naming it, before anything is
// read. A file under an allowed root is imported.
func TestImporterConfined(t *testing.T) {
	allowed := t.TempDir()
	base := inProcess(t, func(c *server.Config) { c.AllowedPipelineRoots = []string{allowed} })
	c := &client{t: t, base: base}
	expect400 := func(what, path string, body any, uri string) {
		t.Helper()
		c.expect400(what, path, body, `importer task \"imp\"`, uri, "outside the server's artifact store")
	}
	if err := os.WriteFile(filepath.Join(allowed, "data.csv"), []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(allowed, "passwd")); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"/etc/passwd", "file:///etc/passwd", filepath.Join(allowed, "passwd"), allowed + "/../x", "relative.csv"} {
		expect400("v2 run "+uri, "/apis/v2beta1/runs", map[string]any{"display_name": "x", "pipeline_spec": importerPipeline(uri)}, uri)
	}
	p, _ := json.Marshal(importerPipeline("/etc/passwd"))
	expect400("v1 run", "/apis/v1beta1/runs", map[string]any{"name": "x", "pipeline_spec": map[string]any{"workflow_manifest": string(p)}}, "/etc/passwd")
	expect400("recurring run", "/apis/v2beta1/recurringruns", map[string]any{"display_name": "x", "pipeline_spec": importerPipeline("/etc/passwd"),
		"trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": 3600}}}, "/etc/passwd")
	tuned := markerPipeline()
	imp := importerPipeline("/etc/passwd")
	tuned["root"].(map[string]any)["dag"].(map[string]any)["tasks"].(map[string]any)["imp"] = imp["root"].(map[string]any)["dag"].(map[string]any)["tasks"].(map[string]any)["imp"]
	tuned["components"].(map[string]any)["comp-importer"] = imp["components"].(map[string]any)["comp-importer"]
	tuned["deploymentSpec"].(map[string]any)["executors"].(map[string]any)["exec-importer"] = imp["deploymentSpec"].(map[string]any)["executors"].(map[string]any)["exec-importer"]
	expect400("tuning experiment", tuningRoute,
		map[string]any{"experiment": markerExperiment(filepath.Join(t.TempDir(), "m")), "pipeline_spec": tuned}, "/etc/passwd")

	// A file under an allowed root is imported and read by the next step.
	var r wireRun
	if code := c.do("POST", "/apis/v2beta1/runs", map[string]any{"display_name": "ok", "pipeline_spec": importerPipeline(filepath.Join(allowed, "data.csv"))}, &r); code != 200 {
		t.Fatalf("importing from an allowed root: %d", code)
	}
	if got := c.waitTerminal(r.RunID, time.Minute); got.State != "SUCCEEDED" {
		t.Fatalf("importing from an allowed root: %s %+v", got.State, got.Error)
	}

	// A URI from a run parameter is checked when the importer runs.
	for _, uri := range []string{"/etc/passwd", filepath.Join(allowed, "passwd")} {
		if code := c.do("POST", "/apis/v2beta1/runs", map[string]any{"display_name": "param", "pipeline_spec": importerPipeline(""),
			"runtime_config": map[string]any{"parameters": map[string]any{"src": uri}}}, &r); code != 200 {
			t.Fatalf("a run parameter URI: %d", code)
		}
		got := c.waitTerminal(r.RunID, time.Minute)
		if got.State != "FAILED" || got.Error == nil || !strings.Contains(got.Error.Message, `importer task "imp"`) || !strings.Contains(got.Error.Message, uri) {
			t.Errorf("importing %s from a run parameter: %s %+v", uri, got.State, got.Error)
		}
		for _, tk := range got.RunDetails.TaskDetails {
			if tk.TaskID == "use" && tk.State == "SUCCEEDED" {
				t.Errorf("importing %s from a run parameter: the next step ran", uri)
			}
		}
	}
}
