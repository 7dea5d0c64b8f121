package ui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tuningPipeline: a shared step (cached after the first trial), then a
// step that waits for the gate file and reports loss = (x-1)^2 + y^2.
func tuningPipeline(gate string) string {
	return `pipelineInfo: {name: quad}
root:
  inputDefinitions:
    parameters:
      x: {parameterType: NUMBER_DOUBLE}
      y: {parameterType: NUMBER_INTEGER}
  dag:
    tasks:
      prepare:
        taskInfo: {name: prepare}
        componentRef: {name: comp-prepare}
        cachingOptions: {enableCache: true}
      train:
        taskInfo: {name: train}
        componentRef: {name: comp-train}
        dependentTasks: [prepare]
        inputs: {parameters: {x: {componentInputParameter: x}, y: {componentInputParameter: y}}}
components:
  comp-prepare:
    executorLabel: exec-prepare
    outputDefinitions: {parameters: {n: {parameterType: NUMBER_INTEGER}}}
  comp-train:
    executorLabel: exec-train
    inputDefinitions: {parameters: {x: {parameterType: NUMBER_DOUBLE}, y: {parameterType: NUMBER_INTEGER}}}
deploymentSpec:
  executors:
    exec-prepare:
      container: {image: alpine, command: [sh, -c, 'sleep 0.2; mkdir -p "$(dirname "$0")"; echo 1 > "$0"', "{{$.outputs.parameters['n'].output_file}}"]}
    exec-train:
      container:
        image: alpine
        command: [sh, -c, 'while [ ! -f "` + gate + `" ]; do sleep 0.05; done; awk -v x="$0" -v y="$1" "BEGIN { print \"loss=\" (x-1)^2 + y^2 }"', "{{$.inputs.parameters['x']}}", "{{$.inputs.parameters['y']}}"]
schemaVersion: 2.1.0
`
}

const tuningYAML = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: browser-quad}
spec:
  objective: {type: minimize, objectiveMetricName: loss}
  algorithm: {algorithmName: random, algorithmSettings: [{name: random_state, value: "3"}]}
  parallelTrialCount: 2
  maxTrialCount: 6
  parameters:
    - {name: x, parameterType: double, feasibleSpace: {min: "0.01", max: "10", distribution: logUniform}}
    - {name: y, parameterType: int, feasibleSpace: {min: "-2", max: "2"}}
  trialTemplate:
    pipeline: {name: quad}
`

// TestBrowserTuningExperiment creates a tuning experiment from the Tuning
// page and watches it live: trials appear running, then, without a reload,
// the experiment succeeds with its trials table (sortable), the objective
// per trial with the best-so-far line, the parallel-coordinates plot, the
// best trial linking to its run, and what the cache saved.
func TestBrowserTuningExperiment(t *testing.T) {
	srv, ctx := browser(t)
	gate := filepath.Join(t.TempDir(), "go")
	if _, err := srv.Upload("quad", []byte(tuningPipeline(gate))); err != nil {
		t.Fatal(err)
	}

	run(t, ctx, chromedp.Navigate(srv.URL+"/tuning"))
	waitFor(t, ctx, "the empty tuning list", q+`(".empty-row")`, 10*time.Second)
	click(t, ctx, `//button[text()="New experiment"]`)
	waitFor(t, ctx, "the new experiment dialog", q+`("dialog[open] textarea")`, 5*time.Second)
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { document.querySelector("dialog[open] textarea").value = `+jsString(tuningYAML)+`; })()`),
		chromedp.Click(`dialog[open] button[type=submit]`))
	waitFor(t, ctx, "the experiment page", `location.pathname.startsWith("/tuning/") && `+q+`("h1")?.innerText.includes("browser-quad")`, 15*time.Second)
	page := eval[string](t, ctx, "location.pathname")

	// Live: two trials running, no objective yet.
	waitFor(t, ctx, "two running trials", `document.querySelectorAll(".trials-table .st-RUNNING").length === 2`, 20*time.Second)
	if got := eval[string](t, ctx, q+`("h1 .badge").innerText`); !strings.Contains(got, "Running") {
		t.Fatalf("condition badge %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll(".obj-chart .pt").length`); n != 0 {
		t.Fatalf("%d points before any trial ended", n)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the experiment to succeed, without a reload", q+`("h1 .badge")?.innerText.includes("Succeeded") && document.querySelectorAll(".trials-table tbody tr").length === 6 && document.querySelectorAll(".trials-table .st-SUCCEEDED").length === 6`, 60*time.Second)
	if p := eval[string](t, ctx, "location.pathname"); p != page {
		t.Fatalf("navigated away: %s", p)
	}

	// The charts: a point per trial and the best-so-far line; a line per
	// trial across the x (log), y and loss axes.
	waitFor(t, ctx, "6 points", `document.querySelectorAll(".obj-chart .pt").length === 6`, 5*time.Second)
	if d := eval[string](t, ctx, q+`(".obj-chart .best-line").getAttribute("d")`); !strings.HasPrefix(d, "M") {
		t.Fatalf("best-so-far line %q", d)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll(".pc-chart .pc-line:not(.no-objective)").length`); n != 6 {
		t.Fatalf("%d parallel-coordinates lines", n)
	}
	axes := eval[string](t, ctx, `[...document.querySelectorAll(".pc-chart .pc-axis .axis")].map(e => e.textContent).join(",")`)
	if axes != "x (log),y,loss" {
		t.Fatalf("axes %q", axes)
	}

	// Sorting by the objective: ascending, then descending; the best row
	// is the one the best card names.
	click(t, ctx, `//table[contains(@class,"trials-table")]//button[contains(., "loss")]`)
	asc := eval[[]float64](t, ctx, `[...document.querySelectorAll(".trials-table tbody tr")].map(r => Number(r.children[2].innerText))`)
	for i := 1; i < len(asc); i++ {
		if asc[i] < asc[i-1] {
			t.Fatalf("not ascending: %v", asc)
		}
	}
	lowest := eval[string](t, ctx, q+`(".trials-table tbody tr").children[2].innerText`)
	click(t, ctx, `//table[contains(@class,"trials-table")]//button[contains(., "loss")]`)
	desc := eval[[]float64](t, ctx, `[...document.querySelectorAll(".trials-table tbody tr")].map(r => Number(r.children[2].innerText))`)
	if len(desc) != 6 || desc[0] < desc[5] {
		t.Fatalf("not descending: %v", desc)
	}
	best := eval[string](t, ctx, q+`(".trials-table tr.best-row").dataset.trial`)
	if card := eval[string](t, ctx, q+`(".best-run").innerText`); !strings.HasPrefix(card, best) {
		t.Fatalf("best card %q, best row %q", card, best)
	}
	if got := eval[string](t, ctx, q+`(".best-value").innerText`); got != "loss = "+lowest {
		t.Fatalf("best value %q, lowest loss %s", got, lowest)
	}
	// The shared step ran once: five trials took it from the cache.
	if got := eval[string](t, ctx, q+`(".cache-saved").parentElement.innerText`); !strings.Contains(got, "5 of 12 steps served from the cache") {
		t.Fatalf("cache card %q", got)
	}

	// The best trial's run, and back to the experiment from it.
	click(t, ctx, `.best-run`)
	waitFor(t, ctx, "the best trial's run", `location.pathname.startsWith("/runs/") && `+q+`(".trial-link")`, 15*time.Second)
	if got := eval[string](t, ctx, q+`(".trial-link").innerText`); got != "trial "+best {
		t.Fatalf("trial link %q, want trial %s", got, best)
	}
	click(t, ctx, `.trial-link`)
	waitFor(t, ctx, "the experiment page again", `location.pathname === "`+page+`" && document.querySelectorAll(".trials-table tbody tr").length === 6`, 15*time.Second)

	// The list shows it Succeeded with its best value.
	run(t, ctx, chromedp.Navigate(srv.URL+"/tuning"))
	waitFor(t, ctx, "the tuning list", q+`(".table tbody tr[data-id]")?.innerText.includes("browser-quad")`, 10*time.Second)
	if got := eval[string](t, ctx, q+`(".table tbody tr[data-id]").innerText`); !strings.Contains(got, "Succeeded") || !strings.Contains(got, "6 / 6") || !strings.Contains(got, "loss = ") {
		t.Fatalf("list row %q", got)
	}
}
