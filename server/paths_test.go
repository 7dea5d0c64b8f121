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
