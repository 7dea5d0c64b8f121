package ui_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/ui/internal/uitest"
)

// v1Run submits the KFP v1 visualizations pipeline through the v1beta1
// API as kfp 1.8's run_pipeline does (the package as JSON text in
// workflow_manifest) and waits for it as wait_for_run_completion does.
func v1Run(t *testing.T, srv *uitest.Server, name, rows string) string {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(uitest.V1Visualizations, &doc); err != nil {
		t.Fatal(err)
	}
	manifest, _ := json.Marshal(doc)
	var d struct {
		Run struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"run"`
	}
	if err := srv.Call("POST", "/apis/v1beta1/runs", map[string]any{"name": name, "pipeline_spec": map[string]any{
		"workflow_manifest": string(manifest), "parameters": []any{map[string]any{"name": "rows", "value": rows}}}}, &d); err != nil {
		t.Fatal(err)
	}
	id := d.Run.ID
	for deadline := time.Now().Add(60 * time.Second); ; {
		if err := srv.Call("GET", "/apis/v1beta1/runs/"+id, nil, &d); err != nil {
			t.Fatal(err)
		}
		if st := strings.ToLower(d.Run.Status); st == "succeeded" {
			return id
		} else if st == "failed" || st == "error" || time.Now().After(deadline) {
			t.Fatalf("v1 run %s: %s", id, d.Run.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserKFPv1Run opens a run submitted through the v1beta1 API: its
// graph, its step's log, its mlpipeline-metrics as metrics (a percentage
// among them) and every kind of mlpipeline-ui-metadata visualization in
// the task panel — markdown inline and from a file, tables, a confusion
// matrix, a ROC curve, web apps in sandboxed frames whose scripts do not
// run, TensorBoard's logs — then compares two such runs' metrics.
func TestBrowserKFPv1Run(t *testing.T) {
	srv, ctx := browser(t)
	first := v1Run(t, srv, "v1 visualizations", "3")

	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+first))
	waitFor(t, ctx, "the graph of the v1 run", `document.querySelectorAll("svg.graph g.node").length === 2 && [...document.querySelectorAll("svg.graph g.node")].every(n => n.classList.contains("st-SUCCEEDED"))`, 15*time.Second)
	if got := eval[string](t, ctx, q+`(".page-head h1").textContent`); !strings.Contains(got, "v1 visualizations") {
		t.Errorf("run title %q", got)
	}
	click(t, ctx, `svg.graph g.node[data-id="train"]`)
	waitFor(t, ctx, "train's panel", q+`(".side .panel-head")?.textContent.includes("train")`, 5*time.Second)
	click(t, ctx, `//aside//button[text()="Inputs & outputs"]`)

	// Metrics: shown at once, the percentage as one.
	waitFor(t, ctx, "the v1 metrics", q+`('.artifact[data-name="mlpipeline-metrics"] table.metrics')?.textContent.includes("accuracy-score")`, 10*time.Second)
	metrics := eval[string](t, ctx, q+`('.artifact[data-name="mlpipeline-metrics"] table.metrics').textContent`)
	if !strings.Contains(metrics, "87.5%") || !strings.Contains(metrics, "0.25") || strings.Contains(metrics, "_formats") {
		t.Errorf("metrics table %q: want accuracy-score 87.5%% and loss 0.25", metrics)
	}

	// Every visualization, rendered.
	vis := q + `('.artifact[data-type="kfp.v1.UIMetadata"]')`
	waitFor(t, ctx, "nine visualizations", vis+`?.querySelectorAll(".visual").length === 9 && !`+vis+`.querySelector(".error-text")`, 10*time.Second)
	kinds := eval[[]string](t, ctx, `[...`+vis+`.querySelectorAll(".visual")].map(v => v.dataset.vis)`)
	if got := strings.Join(kinds, ","); got != "markdown,markdown,table,table,confusion_matrix,roc,web-app,web-app,tensorboard" {
		t.Fatalf("visualizations %s", got)
	}
	nth := func(i int) string { return fmt.Sprintf(`%s.querySelectorAll(".visual")[%d]`, vis, i) }
	waitFor(t, ctx, "inline markdown, rendered in a sandboxed frame", nth(0)+`.querySelector('iframe[sandbox=""]')?.srcdoc.includes("<strong>3</strong>")`, 5*time.Second)
	waitFor(t, ctx, "markdown from a file", nth(1)+`.querySelector('iframe[sandbox=""]')?.srcdoc.includes("Report from a file") && `+nth(1)+`.querySelector("iframe").srcdoc.includes("<table>")`, 5*time.Second)
	for i, want := range map[int][]string{
		2: {"name", "score", "alpha", "gamma", "3"},
		3: {"k", "v", "a", "b", "2"},
		4: {"cat", "dog", "3", "1", "4", "2"},
		8: {"gs://bucket/logs/run-1", "does not run TensorBoard"},
	} {
		txt := eval[string](t, ctx, nth(i)+`.textContent`)
		for _, w := range want {
			if !strings.Contains(txt, w) {
				t.Errorf("visualization %d (%s): %q lacks %q", i, kinds[i], txt, w)
			}
		}
	}
	if n := eval[int](t, ctx, nth(2)+`.querySelectorAll("tbody tr").length`); n != 3 {
		t.Errorf("the table from a file shows %d rows, want 3", n)
	}
	cells := eval[[]string](t, ctx, `[...`+nth(4)+`.querySelectorAll(".cm-table tbody td")].map(c => c.textContent)`)
	if strings.Join(cells, ",") != "3,1,2,4" {
		t.Errorf("confusion matrix cells %v, want 3,1,2,4 (rows: actual cat, dog)", cells)
	}
	if pts := eval[string](t, ctx, nth(5)+`.querySelector("svg.roc polyline")?.getAttribute("points") || ""`); len(strings.Fields(pts)) != 4 {
		t.Errorf("ROC curve points %q, want 4", pts)
	}
	waitFor(t, ctx, "the web apps in sandboxed frames", nth(6)+`.querySelector('iframe[sandbox=""]')?.srcdoc.includes("Inline web app") && `+nth(7)+`.querySelector('iframe[sandbox=""]')?.srcdoc.includes("Web app page")`, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if title := eval[string](t, ctx, `document.title`); strings.Contains(title, "scripts ran") {
		t.Errorf("a web app's script ran: title %q", title)
	}
	// The frames are opaque: the page cannot reach into them, nor they out.
	if ok := eval[bool](t, ctx, `(() => { try { return `+nth(6)+`.querySelector("iframe").contentDocument === null } catch { return true } })()`); !ok {
		t.Error("a web app's frame is not sandboxed into an opaque origin")
	}

	// The step's log.
	click(t, ctx, `//aside//button[text()="Log"]`)
	waitFor(t, ctx, "train's log", q+`(".side pre.log")?.textContent.includes("training on 3 rows")`, 10*time.Second)

	// A second run; compare their metrics.
	second := v1Run(t, srv, "v1 visualizations again", "5")
	run(t, ctx, chromedp.Navigate(srv.URL+"/compare?runs="+first+","+second))
	waitFor(t, ctx, "the comparison", `location.pathname === "/compare" && document.querySelectorAll("table.compare").length === 3`, 10*time.Second)
	rows := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("table.compare tbody tr")].map(r => [r.querySelector("th").textContent, r.className]))`)
	for _, name := range []string{"train › accuracy-score", "train › loss", "rows"} {
		if _, ok := rows[name]; !ok {
			t.Errorf("compare lacks the row %q (rows %v)", name, rows)
		}
	}
	if rows["rows"] != "differ" {
		t.Errorf("the rows parameter should differ: %v", rows)
	}
}
