package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/examples"
	"github.com/sluicehq/sluice/spec"
)

func exampleSpecJSON(t testing.TB, name string) []byte {
	t.Helper()
	b, err := examples.FS.ReadFile(name + "/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	js, err := spec.MarshalStored(p)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestGraphLayoutOfNestedGroups(t *testing.T) {
	g := &grapher{cache: map[[32]byte]*Graph{}}
	out, err := g.layout(exampleSpecJSON(t, "fanout"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, n := range out.Nodes {
		kinds[n.ID] = n.Kind
		if n.W <= 0 || n.H <= 0 || n.X < 0 || n.Y < 0 || n.X+n.W > out.Width+1 || n.Y+n.H > out.Height+1 {
			t.Errorf("node %s box %+v outside %gx%g", n.ID, n, out.Width, out.Height)
		}
	}
	for _, n := range out.Groups {
		kinds[n.ID] = n.Kind
	}
	want := map[string]string{
		"exit-handler-1":                   "dag",
		"exit-handler-1/for-loop-2":        "loop",
		"exit-handler-1/for-loop-2/square": "task",
		"exit-handler-1/add":               "task",
		"exit-handler-1/condition-3":       "condition",
		"report":                           "task",
	}
	for id, k := range want {
		if kinds[id] != k {
			t.Errorf("%s: kind %q, want %q (all: %v)", id, kinds[id], k, kinds)
		}
	}
	// Groups are listed outer first, and contain their tasks.
	if out.Groups[0].ID != "exit-handler-1" {
		t.Errorf("first group %s", out.Groups[0].ID)
	}
	box := map[string]GraphNode{}
	for _, n := range append(out.Nodes, out.Groups...) {
		box[n.ID] = n
	}
	inner, outer := box["exit-handler-1/for-loop-2/square"], box["exit-handler-1/for-loop-2"]
	if inner.X < outer.X || inner.Y < outer.Y || inner.X+inner.W > outer.X+outer.W || inner.Y+inner.H > outer.Y+outer.H {
		t.Errorf("square %+v is not inside its loop %+v", inner, outer)
	}
	edges := map[string]bool{}
	for _, e := range out.Edges {
		edges[e.From+" -> "+e.To] = true
		if !strings.HasPrefix(e.D, "M") || !strings.Contains(e.D, "C") {
			t.Errorf("edge path %q", e.D)
		}
	}
	for _, e := range []string{"exit-handler-1/for-loop-2 -> exit-handler-1/add", "exit-handler-1/add -> exit-handler-1/condition-3", "exit-handler-1 -> report"} {
		if !edges[e] {
			t.Errorf("no edge %s (have %v)", e, edges)
		}
	}
	if out.Info.Name != "fanout" {
		t.Errorf("pipeline name %q", out.Info.Name)
	}
	again, err := g.layout(exampleSpecJSON(t, "fanout"))
	if err != nil || again != out {
		t.Errorf("second layout of the same spec was not served from the cache")
	}
}

func TestGraphRoute(t *testing.T) {
	ts := newTestServer(t, nil)
	up := ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/pipelines/upload?name=tut", File: readFile(t, "../examples/tutorial/pipeline.yaml"), FileName: "pipeline.yaml"})
	if up.Status != 200 {
		t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	pid := up.json(t)["pipeline_id"].(string)
	res := ts.do(t, request{Method: "GET", Path: "/apis/sluice/v1/graph?pipeline_id=" + pid})
	if res.Status != 200 {
		t.Fatalf("graph: %d %s", res.Status, res.Body)
	}
	var g Graph
	if err := json.Unmarshal(res.Body, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 3 || len(g.Edges) != 2 || len(g.Groups) != 0 {
		t.Fatalf("graph of the tutorial: %s", res.Body)
	}
	run := ts.do(t, request{Method: "POST", Path: "/apis/v2beta1/runs", Body: map[string]any{"pipeline_version_reference": map[string]any{"pipeline_id": pid}}})
	if run.Status != 200 {
		t.Fatalf("run: %d %s", run.Status, run.Body)
	}
	rid := run.json(t)["run_id"].(string)
	res = ts.do(t, request{Method: "GET", Path: "/apis/sluice/v1/graph?run_id=" + rid})
	if res.Status != 200 || !strings.Contains(string(res.Body), `"compute-average"`) {
		t.Fatalf("graph of a run: %d %s", res.Status, res.Body)
	}
	// The run keeps its own copy of the spec, served after its pipeline
	// (and version) are deleted.
	if res := ts.do(t, request{Method: "DELETE", Path: "/apis/v2beta1/pipelines/" + pid + "?cascade=true"}); res.Status != 200 {
		t.Fatalf("delete pipeline: %d %s", res.Status, res.Body)
	}
	res = ts.do(t, request{Method: "GET", Path: "/apis/sluice/v1/runs/" + rid + "/spec"})
	if res.Status != 200 || !strings.Contains(string(res.Body), `"compute-average"`) || !strings.Contains(string(res.Body), `"deploymentSpec"`) {
		t.Fatalf("spec of a run whose pipeline is gone: %d %s", res.Status, res.Body)
	}
	if res := ts.do(t, request{Method: "GET", Path: "/apis/sluice/v1/runs/nope/spec"}); res.Status != 404 {
		t.Errorf("spec of a missing run: %d", res.Status)
	}
	for path, code := range map[string]int{"": 400, "?run_id=nope": 404, "?pipeline_id=nope": 404, "?pipeline_version_id=nope": 404} {
		if res := ts.do(t, request{Method: "GET", Path: "/apis/sluice/v1/graph" + path}); res.Status != code {
			t.Errorf("graph%s: %d, want %d: %s", path, res.Status, code, res.Body)
		}
	}
}

func TestMarkdownIsRenderedAndSanitized(t *testing.T) {
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) { c.ArtifactRoot = root })
	p := filepath.Join(root, "report.md")
	os.WriteFile(p, []byte("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script><img src=x onerror=alert(1)>\n"), 0o644)
	resp, err := http.Get(ts.URL + "/apis/sluice/v1/markdown?uri=" + url.QueryEscape(p))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1") || !strings.Contains(body, "<table>") {
		t.Fatalf("markdown: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "onerror") {
		t.Fatalf("markdown was not sanitized: %s", body)
	}
	if res := ts.do(t, request{Method: "GET", Path: "/apis/sluice/v1/markdown?uri=/etc/passwd"}); res.Status != 403 {
		t.Fatalf("outside the root: %d", res.Status)
	}
}

// pathEnds returns the first and last points of an edge's SVG path
// ("M x,y C x,y x,y x,y ...").
func pathEnds(t *testing.T, d string) (x0, y0, x1, y1 float64) {
	t.Helper()
	f := strings.Fields(strings.NewReplacer("M", " ", "C", " ").Replace(d))
	if len(f) < 4 || (len(f)-1)%3 != 0 {
		t.Fatalf("path %q", d)
	}
	parse := func(s string) (float64, float64) {
		var x, y float64
		if _, err := fmt.Sscanf(s, "%g,%g", &x, &y); err != nil {
			t.Fatalf("path %q: %v", d, err)
		}
		return x, y
	}
	x0, y0 = parse(f[0])
	x1, y1 = parse(f[len(f)-1])
	return
}

// checkGraph asserts what the UI relies on: boxes inside the drawing,
// sibling boxes apart, groups around their tasks, every edge from its
// tail's border to its head's border, and the same answer every time.
func checkGraph(t *testing.T, g *Graph) {
	t.Helper()
	const eps = 0.11 // coordinates are rounded to 0.1
	box := map[string]GraphNode{}
	all := append(slices.Clone(g.Groups), g.Nodes...)
	for _, n := range all {
		box[n.ID] = n
		if n.W <= 0 || n.H <= 0 || n.X < -eps || n.Y < -eps || n.X+n.W > g.Width+eps || n.Y+n.H > g.Height+eps {
			t.Errorf("%s box %+v outside %gx%g", n.ID, n, g.Width, g.Height)
		}
	}
	parent := func(id string) string {
		if i := strings.LastIndex(id, "/"); i >= 0 {
			return id[:i]
		}
		return ""
	}
	for i, a := range all {
		if p := parent(a.ID); p != "" {
			o := box[p]
			if a.X < o.X-eps || a.Y < o.Y-eps || a.X+a.W > o.X+o.W+eps || a.Y+a.H > o.Y+o.H+eps {
				t.Errorf("%s %+v is not inside its group %+v", a.ID, a, o)
			}
		}
		for _, b := range all[i+1:] {
			if parent(a.ID) == parent(b.ID) && a.X+a.W > b.X+eps && b.X+b.W > a.X+eps && a.Y+a.H > b.Y+eps && b.Y+b.H > a.Y+eps {
				t.Errorf("%s %+v overlaps %s %+v", a.ID, a, b.ID, b)
			}
		}
	}
	on := func(x, y float64, b GraphNode) bool {
		return x >= b.X-eps && x <= b.X+b.W+eps && (math.Abs(y-b.Y) <= eps || math.Abs(y-b.Y-b.H) <= eps)
	}
	for _, e := range g.Edges {
		x0, y0, x1, y1 := pathEnds(t, e.D)
		if !on(x0, y0, box[e.From]) || !on(x1, y1, box[e.To]) {
			t.Errorf("edge %s -> %s (%s) does not join %+v and %+v", e.From, e.To, e.D, box[e.From], box[e.To])
		}
		if y1 <= y0 {
			t.Errorf("edge %s -> %s points up: %s", e.From, e.To, e.D)
		}
	}
}

// TestGraphLayoutOfEveryPipeline lays out the example pipelines and the
// KFP-compiled conformance corpus (when present: ../shared/conformance).
func TestGraphLayoutOfEveryPipeline(t *testing.T) {
	files := []string{"../examples/tutorial/pipeline.yaml", "../examples/fanout/pipeline.yaml",
		"../examples/realworld/gopipeline/pipeline.yaml", "../examples/gosdk/fanout/pipeline.yaml", "../examples/gosdk/grading/pipeline.yaml"}
	corpus := filepath.Join("..", "..", "shared", "conformance", "kfp-compiled")
	if d := os.Getenv("SLUICE_CONFORMANCE_DIR"); d != "" {
		corpus = filepath.Join(d, "kfp-compiled")
	}
	filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 5 {
		t.Logf("conformance corpus %s not found: the examples only", corpus)
	}
	groups := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := spec.Load(b)
		if err != nil {
			continue // the corpus also holds what Sluice refuses
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			g, err := layoutSpec(p.Spec)
			if err != nil {
				t.Fatal(err)
			}
			checkGraph(t, g)
			groups += len(g.Groups)
			again, _ := layoutSpec(p.Spec)
			if !reflect.DeepEqual(g, again) {
				t.Errorf("two layouts of %s differ", f)
			}
		})
	}
	if groups == 0 {
		t.Errorf("no pipeline had a group")
	}
}

func TestGraphLayoutOfTooManyTasks(t *testing.T) {
	g := &grapher{cache: map[[32]byte]*Graph{}}
	_, err := g.layout(layeredSpecJSON(1, maxGraphBoxes+1))
	var ae *apiError
	if !errors.As(err, &ae) || ae.code != codeFailedPrecondition || !strings.Contains(ae.msg, "too many to draw") {
		t.Fatalf("layout of %d tasks: %v", maxGraphBoxes+1, err)
	}
	// A 1,000-iteration loop is one group.
	out, err := g.layout(fanoutSpecJSON(1000))
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, out)
	if len(out.Groups) != 1 || out.Groups[0].Detail != "1000 items" || len(out.Nodes) != 2 {
		t.Errorf("graph of a 1,000-item loop: %+v", out)
	}
}

// Task keys are user input: one holding a "/" can give two tasks the same
// path. The graph still draws (the UI tells them apart by position).
func TestGraphLayoutOfCollidingPaths(t *testing.T) {
	raw := []byte(`{
 "pipelineInfo": {"name": "collide"},
 "schemaVersion": "2.1.0",
 "root": {"dag": {"tasks": {
   "a": {"taskInfo": {"name": "a"}, "componentRef": {"name": "comp-a"}},
   "a/b": {"taskInfo": {"name": "a/b"}, "componentRef": {"name": "comp-step"}, "dependentTasks": ["a"]},
   "\"><script>": {"taskInfo": {"name": "\"><script>"}, "componentRef": {"name": "comp-step"}, "dependentTasks": ["a/b"]}}}},
 "components": {
  "comp-a": {"dag": {"tasks": {"b": {"taskInfo": {"name": "b"}, "componentRef": {"name": "comp-step"}}}}},
  "comp-step": {"executorLabel": "exec-step"}},
 "deploymentSpec": {"executors": {"exec-step": {"container": {"image": "alpine", "command": ["true"]}}}}
}`)
	g := &grapher{cache: map[[32]byte]*Graph{}}
	out, err := g.layout(raw)
	var ae *apiError
	if errors.As(err, &ae) && httpStatus(ae.code) == 400 {
		t.Skipf("the spec is refused: %v", err) // task keys with "/" may be invalid
	}
	if err != nil {
		t.Fatal(err)
	}
	paths := 0
	for _, n := range out.Nodes {
		if n.ID == "a/b" {
			paths++
		}
	}
	if paths != 2 || len(out.Groups) != 1 || len(out.Edges) != 2 {
		t.Fatalf("graph: %+v", out)
	}
}
