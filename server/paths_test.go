package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/server"
	"github.com/sluicehq/sluice/store"
)

// hostileSpec is a pipeline whose own name, task keys, output artifact and
// output parameter names are paths meant to leave the run's directory:
// "../../../sluice.db" (from <artifacts>/<pipeline>/<run> that is the
// server's database), "../" repeated up to victim, an absolute path, a
// very long and a unicode name. Every step writes its outputs.
func hostileSpec(victim, elsewhere string) map[string]any {
	names := []string{"../../../sluice.db", strings.Repeat("../", 40) + strings.TrimPrefix(victim, "/"),
		victim, strings.Repeat("L", 300), "训练/../..", ".sluice", "..", "-rf"}
	tasks, comps, execs := map[string]any{}, map[string]any{}, map[string]any{}
	for i, n := range names {
		c := fmt.Sprintf("t%d", i)
		tasks[n] = map[string]any{"taskInfo": map[string]any{"name": n}, "componentRef": map[string]any{"name": "comp-" + c}}
		comps["comp-"+c] = map[string]any{"executorLabel": "exec-" + c, "outputDefinitions": map[string]any{
			"artifacts":  map[string]any{"../../../../out": map[string]any{"artifactType": map[string]any{"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}},
			"parameters": map[string]any{"../p": map[string]any{"parameterType": "STRING"}}}}
		execs["exec-"+c] = map[string]any{"container": map[string]any{"image": "alpine", "command": []any{"sh", "-c",
			`mkdir -p "$(dirname "$0")" "$(dirname "$1")"; echo hi > "$0"; echo v > "$1"`,
			"{{$.outputs.artifacts['../../../../out'].path}}", "{{$.outputs.parameters['../p'].output_file}}"}}}
	}
	return map[string]any{
		"pipelineInfo":   map[string]any{"name": strings.Repeat("../", 40) + strings.TrimPrefix(elsewhere, "/")},
		"schemaVersion":  "2.1.0",
		"root":           map[string]any{"dag": map[string]any{"tasks": tasks}},
		"components":     comps,
		"deploymentSpec": map[string]any{"executors": execs},
	}
}

// A run whose names are paths stays in its run's directory: the server's
// database, a directory the names point at and everything else outside
// the artifact store are untouched, and every output and log of the run
// is under the store. A name holding a NUL is refused with a 400.
func TestNamesAreNotPaths(t *testing.T) {
	data := t.TempDir()
	victim, elsewhere := filepath.Join(t.TempDir(), "victim"), filepath.Join(t.TempDir(), "elsewhere")
	if err := os.MkdirAll(filepath.Join(victim, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := inProcess(t, func(c *server.Config) { c.Data = data })
	c := &client{t: t, base: base}
	id := c.submit(hostileSpec(victim, elsewhere))
	r := c.waitTerminal(id, time.Minute)
	if r.State != "SUCCEEDED" {
		t.Fatalf("run %s %+v", r.State, r.Error)
	}
	if info, err := os.Stat(filepath.Join(data, "sluice.db")); err != nil || !info.Mode().IsRegular() {
		t.Fatalf("the database: %v %v", info, err)
	}
	if entries, err := os.ReadDir(victim); err != nil || len(entries) != 1 || entries[0].Name() != "keep" {
		t.Fatalf("the directory the names point at changed: %v %v", entries, err)
	}
	if _, err := os.Stat(elsewhere); !os.IsNotExist(err) {
		t.Fatalf("the pipeline name made a directory outside the store: %v", err)
	}
	// The store still works, and every path the run recorded is under the
	// artifact store.
	st, err := store.Open(context.Background(), filepath.Join(data, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tasks, err := st.ListTasks(context.Background(), id)
	if err != nil || len(tasks) != 8 {
		t.Fatalf("%d tasks, %v", len(tasks), err)
	}
	arts := filepath.Join(data, "artifacts") + "/"
	for _, tk := range tasks {
		var out struct {
			Artifacts map[string][]struct{ URI string }
		}
		if err := json.Unmarshal(tk.Outputs, &out); err != nil {
			t.Fatal(err)
		}
		uri := out.Artifacts["../../../../out"][0].URI
		if !strings.HasPrefix(tk.LogURI, arts) || !strings.HasPrefix(uri, arts) || strings.Contains(uri, "..") {
			t.Errorf("task %q: log %s, output %s outside %s", tk.ID, tk.LogURI, uri, arts)
		}
		if b, err := os.ReadFile(uri); err != nil || string(b) != "hi\n" {
			t.Errorf("task %q: output %q %v", tk.ID, b, err)
		}
	}

	var bad map[string]any
	if err := json.Unmarshal([]byte(`{"pipelineInfo": {"name": "nul"}, "schemaVersion": "2.1.0",
		"root": {"dag": {"tasks": {"a\u0000b": {"taskInfo": {"name": "x"}, "componentRef": {"name": "comp-a"}}}}},
		"components": {"comp-a": {"executorLabel": "exec-a"}},
		"deploymentSpec": {"executors": {"exec-a": {"container": {"image": "alpine", "command": ["true"]}}}}}`), &bad); err != nil {
		t.Fatal(err)
	}
	if code := c.do("POST", "/apis/v2beta1/runs", map[string]any{"display_name": "nul", "pipeline_spec": bad}, nil); code != 400 {
		t.Fatalf("a NUL in a task key: %d, want 400", code)
	}
}

// onePipeline is a one-step pipeline that writes its output artifact;
// defaultRoot, when set, is its compiled defaultPipelineRoot.
func onePipeline(defaultRoot string) map[string]any {
	p := map[string]any{
		"pipelineInfo":  map[string]any{"name": "rooted"},
		"schemaVersion": "2.1.0",
		"root":          map[string]any{"dag": map[string]any{"tasks": map[string]any{"t": map[string]any{"taskInfo": map[string]any{"name": "t"}, "componentRef": map[string]any{"name": "comp-t"}}}}},
		"components": map[string]any{"comp-t": map[string]any{"executorLabel": "exec-t", "outputDefinitions": map[string]any{
			"artifacts": map[string]any{"out": map[string]any{"artifactType": map[string]any{"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}}}}},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-t": map[string]any{"container": map[string]any{"image": "alpine",
			"command": []any{"sh", "-c", `mkdir -p "$(dirname "$0")"; echo hi > "$0"`, "{{$.outputs.artifacts['out'].path}}"}}}}},
	}
	if defaultRoot != "" {
		p["defaultPipelineRoot"] = defaultRoot
	}
	return p
}

// A server writes runs only under its artifact store or a directory
// --allowed-pipeline-roots names: a run whose runtime_config.pipeline_root
// or compiled defaultPipelineRoot is elsewhere is refused with 400 at
// creation (v2 and v1 runs, recurring runs), and nothing is written there.
func TestPipelineRootConfined(t *testing.T) {
	outside, allowed := t.TempDir(), t.TempDir()
	base := inProcess(t, func(c *server.Config) { c.AllowedPipelineRoots = []string{allowed} })
	c := &client{t: t, base: base}
	const outsideStore = "outside the server's artifact store"
	expect400 := func(what, path string, body any, field string) {
		t.Helper()
		c.expect400(what, path, body, field, outsideStore)
	}
	for _, root := range []string{outside, "file://" + outside, "/etc", allowed + "/../" + filepath.Base(outside), "relative/dir"} {
		expect400("runtime_config.pipeline_root "+root, "/apis/v2beta1/runs",
			map[string]any{"display_name": "x", "pipeline_spec": onePipeline(""), "runtime_config": map[string]any{"pipeline_root": root}},
			"runtime_config.pipeline_root")
	}
	expect400("defaultPipelineRoot", "/apis/v2beta1/runs",
		map[string]any{"display_name": "x", "pipeline_spec": onePipeline("file:///etc")}, "pipeline_spec.defaultPipelineRoot")
	expect400("recurring run", "/apis/v2beta1/recurringruns",
		map[string]any{"display_name": "x", "pipeline_spec": onePipeline(""), "runtime_config": map[string]any{"pipeline_root": outside},
			"trigger": map[string]any{"periodic_schedule": map[string]any{"interval_second": 3600}}}, "runtime_config.pipeline_root")
	expect400("tuning experiment", tuningRoute,
		map[string]any{"experiment": markerExperiment(filepath.Join(outside, "m")), "pipeline_spec": markerPipeline(), "pipeline_root": outside}, "pipeline_root")
	// A link under an allowed root that leads out of it is outside too.
	if err := os.Symlink(outside, filepath.Join(allowed, "link")); err != nil {
		t.Fatal(err)
	}
	expect400("a link out", "/apis/v2beta1/runs",
		map[string]any{"display_name": "x", "pipeline_spec": onePipeline(""), "runtime_config": map[string]any{"pipeline_root": filepath.Join(allowed, "link", "x")}},
		"runtime_config.pipeline_root")
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside: %v", entries)
	}

	// The artifact store, a directory under it and an allowed directory
	// are fine.
	for _, root := range []string{"", filepath.Join(allowed, "team"), "file://" + allowed} {
		var r wireRun
		if code := c.do("POST", "/apis/v2beta1/runs", map[string]any{"display_name": "ok", "pipeline_spec": onePipeline(""),
			"runtime_config": map[string]any{"pipeline_root": root}}, &r); code != 200 {
			t.Fatalf("pipeline root %q: %d", root, code)
		}
		if got := c.waitTerminal(r.RunID, time.Minute); got.State != "SUCCEEDED" {
			t.Fatalf("pipeline root %q: %s %+v", root, got.State, got.Error)
		}
	}
	if _, err := os.Stat(filepath.Join(allowed, "team", "rooted")); err != nil {
		t.Fatalf("the run under the allowed root: %v", err)
	}
}
