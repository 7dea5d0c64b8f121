package conformance

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/executor/local"
	"github.com/sluicehq/sluice/launcher"
	"github.com/sluicehq/sluice/pyruntime"
	"github.com/sluicehq/sluice/runstate"
	"github.com/sluicehq/sluice/spec"
)

var update = flag.Bool("update", false, "rewrite docs/CONFORMANCE.md")

const corpus = "../../shared/conformance/kfp-compiled"

func corpusFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("conformance corpus not found at %s", corpus)
	}
	var files []string
	err := filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			rel, _ := filepath.Rel(corpus, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func TestConformance(t *testing.T) {
	files := corpusFiles(t)
	if _, err := os.Stat("/usr/bin/python3"); err != nil && os.Getenv("SLUICE_REQUIRE_TOOLS") == "" {
		if _, err := exec.LookPath("python3"); err != nil {
			t.Skip("python3 not found: lightweight components cannot run")
		}
	}
	for _, f := range files {
		if _, ok := Cases[f]; !ok {
			t.Errorf("%s: no entry in cases.go", f)
		}
	}
	for f := range Cases {
		if _, err := os.Stat(filepath.Join(corpus, f)); err != nil {
			t.Errorf("cases.go names %s, which is not in the corpus", f)
		}
	}
	home := t.TempDir()
	pp, err := pyruntime.Install(filepath.Join(home, "pyruntime"))
	if err != nil {
		t.Fatal(err)
	}
	l := &launcher.Launcher{Executor: &local.Executor{KillGrace: 500 * time.Millisecond}, PythonPath: pp}
	results := map[string]string{}
	var mu sync.Mutex
	// The group returns only when all its parallel subtests are done.
	t.Run("corpus", func(t *testing.T) {
		for _, f := range files {
			c, ok := Cases[f]
			if !ok {
				continue
			}
			t.Run(f, func(t *testing.T) {
				r := runCase(t, l, home, corpus, f, c)
				mu.Lock()
				results[f] = r
				mu.Unlock()
			})
		}
	})
	if *update {
		writeDoc(t, files, results)
	}
}

// runCase runs one corpus file and checks it; it returns the outcome as
// it goes in the doc.
func runCase(t *testing.T, l *launcher.Launcher, home, dir, file string, c Case) string {
	if c.NotRun {
		return "not run: " + c.Reason
	}
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Load(b)
	if c.LoadError != "" {
		if err == nil || !strings.Contains(err.Error(), c.LoadError) {
			t.Fatalf("load: error %v, want one containing %q", err, c.LoadError)
		}
		return "refused: " + c.Reason
	}
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	e := &engine.Engine{
		Launcher:    l,
		Parallelism: 4,
		DefaultRoot: filepath.Join(home, "artifacts"),
		Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var rec engine.Recorder
	if c.CancelWhenRunning != "" {
		rec = engine.RecorderFunc(func(_ context.Context, tk engine.Task) error {
			if tk.Key == c.CancelWhenRunning && tk.State == runstate.Running {
				cancel()
			}
			return nil
		})
	}
	params := map[string]any{}
	for k, v := range c.Params {
		params[k] = v
	}
	arts := map[string][]*spec.RuntimeArtifact{}
	for name, content := range c.Artifacts {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		arts[name] = []*spec.RuntimeArtifact{{Name: name, URI: path}}
	}
	if c.Cache != nil {
		e.Cache = c.Cache(t)
	}
	res, err := e.Run(ctx, &engine.Request{Pipeline: p, Params: params, Artifacts: arts, Recorder: rec})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := c.State
	if want == "" {
		want = runstate.Succeeded
	}
	if res.State != want && !slices.Contains(c.OrStates, res.State) {
		t.Fatalf("state %s, want %s; error: %s%s", res.State, want, res.Error, failedLogs(res))
	}
	if c.Again != nil {
		again, err := e.Run(ctx, &engine.Request{Pipeline: p, Params: params, Artifacts: arts})
		if err != nil {
			t.Fatalf("second run: %v", err)
		}
		if err := c.Again(res, again); err != nil {
			t.Error(err)
		}
	}
	if c.ErrorContains != "" && !strings.Contains(res.Error, c.ErrorContains) {
		t.Fatalf("error %q does not contain %q", res.Error, c.ErrorContains)
	}
	for name, wantV := range c.Outputs {
		got, ok := res.Outputs.Parameters[name]
		if !ok {
			t.Errorf("no pipeline output %q (have %v)", name, keys(res.Outputs.Parameters))
			continue
		}
		if !sameJSON(got, wantV) {
			t.Errorf("output %q = %#v, want %#v", name, got, wantV)
		}
	}
	for id, wantState := range c.Tasks {
		found := false
		for _, tk := range res.Tasks {
			if tk.ID == id {
				found = true
				if tk.State != wantState {
					t.Errorf("task %s = %s, want %s", id, tk.State, wantState)
				}
			}
		}
		if !found {
			t.Errorf("no task %s", id)
		}
	}
	if c.Check != nil {
		if err := c.Check(res); err != nil {
			t.Error(err)
		}
	}
	if c.Reason != "" {
		return "not runnable here: " + c.Reason
	}
	got := string(res.State)
	if len(c.OrStates) > 0 { // random: the doc lists every possible end
		got = string(want)
		for _, s := range c.OrStates {
			got += " or " + string(s)
		}
	}
	if c.Note != "" {
		return got + " (" + c.Note + ")"
	}
	return got
}

func failedLogs(res *engine.Result) string {
	var b strings.Builder
	for _, tk := range res.Tasks {
		if tk.State == runstate.Failed && tk.LogURI != "" {
			log, _ := os.ReadFile(tk.LogURI)
			if len(log) > 1500 {
				log = log[len(log)-1500:]
			}
			fmt.Fprintf(&b, "\n--- %s log:\n%s", tk.ID, log)
		}
	}
	return b.String()
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeDoc(t *testing.T, files []string, results map[string]string) {
	var b strings.Builder
	b.WriteString("# Conformance\n\n")
	b.WriteString("Every pipeline in the shared corpus of KFP-compiled pipelines (`kfp-compiled/`, compiled by the real KFP SDK)\n")
	b.WriteString("is run by `go test ./conformance` with the local executor. This file is generated from `conformance/cases_test.go`\n")
	b.WriteString("by `go test ./conformance -update`; the test fails when a pipeline's end state or checked outputs differ.\n\n")
	runnable, passed := 0, 0
	for _, f := range files {
		c := Cases[f]
		if c.Reason == "" {
			runnable++
			if strings.HasPrefix(results[f], string(runstate.Succeeded)) || strings.HasPrefix(results[f], string(runstate.Failed)) || strings.HasPrefix(results[f], string(runstate.Canceled)) {
				passed++
			}
		}
	}
	fmt.Fprintf(&b, "**%d files; %d runnable here, %d of them end as KFP says they should; %d need something this machine does not have (reason given).**\n\n", len(files), runnable, passed, len(files)-runnable)
	b.WriteString("| file | result | checked |\n|---|---|---|\n")
	for _, f := range files {
		c := Cases[f]
		res := results[f]
		if res == "" {
			res = "not run"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f, res, c.checked())
	}
	b.WriteString("\nStates: SUCCEEDED / FAILED are the run's end state; pipelines under `failing/` and the ones marked\n")
	b.WriteString("\"fails by design\" are expected to end FAILED. \"not runnable here\" files are still run: the test checks that they\n")
	b.WriteString("fail for the stated reason, so the table cannot go stale.\n")
	writeSection(t, "", b.String())
}

// docPath is the generated conformance document.
const docPath = "../docs/CONFORMANCE.md"

// v1Marker starts the KFP v1 section of the document.
const v1Marker = "\n## KFP v1 workflows\n"

// writeSection rewrites one section of the document: the KFP v2 part
// (marker "") or the part from marker on, keeping the other.
func writeSection(t *testing.T, marker, text string) {
	t.Helper()
	old, _ := os.ReadFile(docPath)
	v2, v1, _ := strings.Cut(string(old), v1Marker)
	if v1 != "" {
		v1 = v1Marker + v1
	}
	if marker == "" {
		v2 = text
	} else {
		v1 = marker + text
	}
	if err := os.WriteFile(docPath, []byte(v2+v1), 0o644); err != nil {
		t.Fatal(err)
	}
}
