package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.yaml.in/yaml/v3"
)

// resourceRun has three steps: one that holds about 60 MB for four and a half
// seconds (long enough for a CPU/memory series under load), one that fails, and a
// quick one.
const resourceRun = `
pipelineInfo: {name: resources}
root:
  dag:
    tasks:
      hold: {taskInfo: {name: hold}, componentRef: {name: comp-hold}}
      boom: {taskInfo: {name: boom}, componentRef: {name: comp-boom}}
      quick: {taskInfo: {name: quick}, componentRef: {name: comp-quick}}
components:
  comp-hold: {executorLabel: exec-hold}
  comp-boom: {executorLabel: exec-boom}
  comp-quick: {executorLabel: exec-quick}
deploymentSpec:
  executors:
    exec-hold:
      container: {image: python, command: [python3, -c, "import time\nb = bytearray(60_000_000)\nt = time.monotonic()\nwhile time.monotonic() - t < 4.5: pass"]}
    exec-boom:
      container: {image: alpine, command: [sh, -c, "echo boom; exit 3"]}
    exec-quick:
      container: {image: alpine, command: [sh, -c, "echo quick"]}
schemaVersion: 2.1.0
`

// TestBrowserTimelineAndResources: the run's timeline shows one bar per
// step coloured by state with its CPU and peak memory; a bar opens the
// task, whose Resources tab has the figures and the CPU/memory chart; the
// comparison of two runs has their totals.
func TestBrowserTimelineAndResources(t *testing.T) {
	srv, ctx := browser(t)
	var spec map[string]any
	if err := yaml.Unmarshal([]byte(resourceRun), &spec); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"first", "second"} {
		id, err := srv.RunSpec(name, spec)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := srv.Wait(ctx, id); err != nil || st != "FAILED" {
			t.Fatalf("run %s: %s %v", name, st, err)
		}
		ids = append(ids, id)
	}

	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+ids[0]))
	waitFor(t, ctx, "the graph", q+`("svg.graph g.node")`, 10*time.Second)
	click(t, ctx, `//a[@role="tab" and text()="Timeline"]`)
	waitFor(t, ctx, "three bars", `document.querySelectorAll("svg.timeline-chart g.bar").length === 3`, 10*time.Second)
	if p := eval[string](t, ctx, "location.search"); p != "?tab=timeline" {
		t.Fatalf("the timeline tab is not in the URL: %q", p)
	}
	bar := func(id string) string { return q + `("svg.timeline-chart g.bar[data-id=` + id + `]")` }
	for id, state := range map[string]string{"hold": "SUCCEEDED", "boom": "FAILED", "quick": "SUCCEEDED"} {
		if !eval[bool](t, ctx, bar(id)+`.classList.contains("st-`+state+`")`) {
			t.Fatalf("bar %s is not coloured %s: %s", id, state, eval[string](t, ctx, bar(id)+`.getAttribute("class")`))
		}
	}
	// The long step's bar is the longest, and says what it used.
	if !eval[bool](t, ctx, `(() => { const w = (id) => +document.querySelector("svg.timeline-chart g.bar[data-id=" + id + "] .bar-fill").getAttribute("width");
		return w("hold") > w("quick") && w("hold") > w("boom"); })()`) {
		t.Fatal("the long step's bar is not the longest")
	}
	info := eval[string](t, ctx, bar("hold")+`.querySelector(".bar-info").textContent`)
	if !strings.Contains(info, "MiB") || !strings.Contains(info, " s") {
		t.Fatalf("bar info %q", info)
	}
	if !strings.Contains(eval[string](t, ctx, q+`(".timeline .toolbar").textContent`), "3 steps") {
		t.Fatal("no step count")
	}

	// A bar opens its task; the Resources tab shows the figures and chart.
	run(t, ctx, chromedp.Evaluate[chromedp.Void](bar("hold")+`.dispatchEvent(new MouseEvent("click", {bubbles: true}))`))
	waitFor(t, ctx, "the task panel", q+`(".panel-head h3")?.textContent.startsWith("hold")`, 5*time.Second)
	if !eval[bool](t, ctx, bar("hold")+`.classList.contains("selected")`) {
		t.Fatal("the clicked bar is not selected")
	}
	click(t, ctx, `//button[@role="tab" and text()="Resources"]`)
	waitFor(t, ctx, "the resources table", q+`(".resources table")?.textContent.includes("Peak memory")`, 5*time.Second)
	peak := eval[string](t, ctx, `[...document.querySelectorAll(".resources tr")].find(r => r.textContent.startsWith("Peak memory")).querySelector("td").textContent`)
	if !strings.HasSuffix(peak, "MiB") {
		t.Fatalf("peak %q", peak)
	}
	waitFor(t, ctx, "the CPU/memory chart", q+`(".resources svg.series-chart path.cpu")?.getAttribute("d").split("L").length >= 3`, 5*time.Second)

	// Comparison: the runs' totals.
	run(t, ctx, chromedp.Navigate(srv.URL+"/compare?runs="+strings.Join(ids, ",")))
	waitFor(t, ctx, "the totals", `[...document.querySelectorAll("tr.totals th")].some(th => th.textContent === "CPU time (all steps)")`, 10*time.Second)
	cells := eval[[]string](t, ctx, `[...document.querySelectorAll("tr.totals")].find(r => r.textContent.startsWith("Largest peak memory")).querySelectorAll("td").values().map(td => td.textContent).toArray()`)
	if len(cells) != 2 || !strings.HasSuffix(cells[0], "MiB") || !strings.HasSuffix(cells[1], "MiB") {
		t.Fatalf("largest peak cells %q", cells)
	}
}
