package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/server"
)

// fourSteps is a pipeline of four independent steps; each marks itself
// running in dir/running, writes how many steps it sees running there to
// dir/counts, and stays a while.
func fourSteps(dir string) map[string]any {
	tasks := map[string]any{}
	for i := 0; i < 4; i++ {
		tasks[fmt.Sprintf("s%d", i)] = map[string]any{"taskInfo": map[string]any{"name": fmt.Sprintf("s%d", i)}, "componentRef": map[string]any{"name": "comp-s"}}
	}
	return map[string]any{
		"pipelineInfo":  map[string]any{"name": "four"},
		"schemaVersion": "2.1.0",
		"root":          map[string]any{"dag": map[string]any{"tasks": tasks}},
		"components":    map[string]any{"comp-s": map[string]any{"executorLabel": "exec-s"}},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-s": map[string]any{"container": map[string]any{"image": "alpine",
			"command": []any{"sh", "-c", `d="$0"; touch "$d/running/$$"; ls "$d/running" | wc -l >> "$d/counts"; sleep 1; rm "$d/running/$$"`, dir}}}}},
	}
}

// --parallelism bounds the steps running at once across all runs: two
// runs of four parallel steps with --parallelism 2 never have more than
// two steps running, as the steps themselves observe.
func TestParallelismAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "running"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := inProcess(t, func(c *server.Config) { c.Parallelism, c.MaxConcurrentRuns = 2, 4 })
	c := &client{t: t, base: base}
	a, b := c.submit(fourSteps(dir)), c.submit(fourSteps(dir))
	for _, id := range []string{a, b} {
		if r := c.waitTerminal(id, 2*time.Minute); r.State != "SUCCEEDED" {
			t.Fatalf("run %s: %s %+v", id, r.State, r.Error)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "counts"))
	if err != nil {
		t.Fatal(err)
	}
	counts := strings.Fields(string(raw))
	if len(counts) != 8 {
		t.Fatalf("%d steps ran, want 8: %q", len(counts), raw)
	}
	for _, s := range counts {
		if n, _ := strconv.Atoi(s); n > 2 {
			t.Fatalf("a step saw %d steps running, more than --parallelism 2: %q", n, raw)
		}
	}
}
