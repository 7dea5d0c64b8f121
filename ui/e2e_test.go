package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/ui/internal/uitest"
)

// browser starts a server and a headless Chromium, or skips the test when
// Chromium is missing (fails with SLUICE_REQUIRE_TOOLS=1).
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) (*uitest.Server, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	if _, err := uitest.Chromium(); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("Chromium required (SLUICE_REQUIRE_TOOLS=1): %v", err)
		}
		t.Skipf("skipping browser tests: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	srv, err := uitest.StartServer(ctx, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Logf("server: %v", err)
		}
	})
	bctx, bcancel, err := uitest.Browser(ctx, 1400, 900, t.Logf, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bcancel)
	return srv, bctx
}

// waitFor polls a JavaScript expression until it is truthy.
func waitFor(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.querySelector("main").innerText.slice(0, 1500)`))
	t.Fatalf("timed out after %s waiting for %s (%s)\npage: %s", timeout, what, expr, body)
}

// click clicks the element a selector names (XPath when it starts with
// "/", CSS otherwise) once it is shown and enabled. Pages redraw and move
// as a run's events come and as previews open, so an HTML element is
// found and clicked in one evaluation in the page (a mouse click measured
// first and sent after can land where the element no longer is). An SVG
// element (a graph's node, which reacts to the pointer) gets a real mouse
// click through chromedp.Click, tried again when the page redrew the node
// between chromedp's lookup and its click ("Could not find node with given
// id", raised before any mouse event is sent, so nothing is clicked twice).
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	q, err := json.Marshal(sel)
	if err != nil {
		t.Fatal(err)
	}
	find := `document.querySelector(` + string(q) + `)`
	if strings.HasPrefix(sel, "/") {
		find = `document.evaluate(` + string(q) + `, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE).singleNodeValue`
	}
	expr := `(() => {
		const e = ` + find + `;
		if (!e || e.disabled || e.getClientRects().length === 0) return "";
		if (!(e instanceof HTMLElement)) return "mouse";
		e.scrollIntoView({block: "center"});
		e.click();
		return "clicked";
	})()`
	deadline := time.Now().Add(10 * time.Second)
	for {
		how, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("click on %s: %v", sel, err)
		}
		switch how {
		case "clicked":
			return
		case "mouse":
			err := chromedp.Do(ctx, chromedp.Click(sel))
			if err == nil {
				return
			}
			if !staleNode(err) {
				t.Fatalf("click on %s: %v", sel, err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting to click on %s", sel)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// staleNode reports whether err is DevTools saying that a node it was
// asked about is no longer in the page.
func staleNode(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Could not find node with given id") || strings.Contains(m, "No node with given id found")
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

const q = "document.querySelector"

// TestBrowserUploadRunWatchLogArtifactsCompare walks a user through the
// UI: upload a pipeline, start a run from the form (a wrong type is refused
// first), watch the graph turn green without reloading, follow a task's
// log while it runs, open artifacts, start a second run by cloning, and
// compare the two.
func TestBrowserUploadRunWatchLogArtifactsCompare(t *testing.T) {
	srv, ctx := browser(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.yaml")
	if err := os.WriteFile(file, uitest.DemoPipeline, 0o644); err != nil {
		t.Fatal(err)
	}

	// Upload through the dialog.
	run(t, ctx, chromedp.Navigate(srv.URL+"/pipelines"))
	waitFor(t, ctx, "empty pipeline list", q+`(".empty-row")`, 10*time.Second)
	click(t, ctx, `//button[text()="Upload pipeline"]`)
	waitFor(t, ctx, "upload dialog", q+`("dialog[open] input[type=file]")`, 5*time.Second)
	run(t, ctx,
		chromedp.SetUploadFiles(`dialog[open] input[type=file]`, []string{file}),
		chromedp.SendKeys(`dialog[open] input[name=name]`, "demo"),
		chromedp.Click(`dialog[open] button[type=submit]`))
	waitFor(t, ctx, "the pipeline page with its graph", `location.pathname.startsWith("/pipelines/") && document.querySelectorAll("svg.graph g.node").length === 4`, 15*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll("svg.graph g.group.k-loop").length`); n != 1 {
		t.Fatalf("the ParallelFor is not drawn as a group: %d loop groups", n)
	}
	pipelineURL := eval[string](t, ctx, "location.pathname")

	// Dropping a file on the page opens the upload dialog with it.
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["x"], "dropped.yaml"));
		const z = document.querySelector(".dropzone-page");
		z.dispatchEvent(new DragEvent("dragover", {bubbles: true, dataTransfer: dt}));
		z.dispatchEvent(new DragEvent("drop", {bubbles: true, dataTransfer: dt}));
	})()`))
	waitFor(t, ctx, "the dropped file in the upload dialog", q+`("dialog[open] .file-name")?.textContent.includes("dropped.yaml")`, 5*time.Second)
	click(t, ctx, `//dialog[@open]//button[text()="Cancel"]`)

	// The run form: typed parameters with defaults; a bad value is refused.
	click(t, ctx, `//a[text()="Create run"]`)
	waitFor(t, ctx, "the run form", q+`("input[name=rows]")?.value === "5"`, 10*time.Second)
	if got := eval[string](t, ctx, q+`("textarea[name=sizes]").value`); got != "[1,2,3]" {
		t.Fatalf("list default %q", got)
	}
	run(t, ctx, chromedp.SetValue(`input[name=rows]`, "1.5"), chromedp.Click(`button[type=submit]`))
	waitFor(t, ctx, "a type error", `[...document.querySelectorAll(".field-error")].some(e => e.textContent.includes("whole number"))`, 5*time.Second)
	if p := eval[string](t, ctx, "location.pathname"); p != "/runs/new" {
		t.Fatalf("an invalid form was submitted: at %s", p)
	}
	run(t, ctx,
		chromedp.SetValue(`input[name=rows]`, "7"),
		chromedp.SetValue(`input[name=wait]`, "1.5"),
		chromedp.SetValue(`input[name=display_name]`, "first run"),
		chromedp.Click(`button[type=submit]`))

	// The graph turns green live: a marker set now must survive (no reload)
	// and the train node must have been seen RUNNING before SUCCEEDED.
	waitFor(t, ctx, "the run page", `/^\/runs\/[0-9a-f-]{36}$/.test(location.pathname) && document.querySelectorAll("svg.graph g.node").length === 4`, 15*time.Second)
	firstRun := strings.TrimPrefix(eval[string](t, ctx, "location.pathname"), "/runs/")
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__noReload = true; window.__seen = [];
		new MutationObserver(() => {
			const c = document.querySelector('svg.graph g.node[data-id="train"]').getAttribute("class");
			if (window.__seen[window.__seen.length - 1] !== c) window.__seen.push(c);
		}).observe(document.querySelector('svg.graph g.node[data-id="train"]'), {attributes: true});`))
	waitFor(t, ctx, "train running", q+`('svg.graph g.node[data-id="train"].st-RUNNING')`, 20*time.Second)

	// Follow train's log while it runs.
	click(t, ctx, `svg.graph g.node[data-id="train"]`)
	waitFor(t, ctx, "the task panel", q+`(".side .panel-head")?.textContent.includes("train")`, 5*time.Second)
	click(t, ctx, `//aside//button[text()="Log"]`)
	waitFor(t, ctx, "the followed log", q+`(".side pre.log")?.textContent.includes("training on 7 rows")`, 10*time.Second)
	waitFor(t, ctx, "every task green", `[...document.querySelectorAll("svg.graph g.node")].every(n => n.classList.contains("st-SUCCEEDED"))`, 30*time.Second)
	waitFor(t, ctx, "the run badge", q+`(".page-head h1 .st-SUCCEEDED")`, 10*time.Second)
	waitFor(t, ctx, "the end of the log", q+`(".side pre.log")?.textContent.includes("accuracy 0.8500")`, 10*time.Second)
	seen := eval[[]string](t, ctx, "window.__seen")
	if !eval[bool](t, ctx, "window.__noReload === true") || !strings.Contains(strings.Join(seen, "|"), "st-RUNNING") || !strings.Contains(seen[len(seen)-1], "st-SUCCEEDED") {
		t.Fatalf("train's node did not change live from RUNNING to SUCCEEDED: %q", seen)
	}
	if got := eval[string](t, ctx, q+`('svg.graph g.group.k-loop').textContent`); !strings.Contains(got, "3/3 done") {
		t.Errorf("loop group label %q, want the iteration count", got)
	}

	// Artifacts: metrics shown at once, a dataset previewed, reports framed.
	click(t, ctx, `//aside//button[text()="Inputs & outputs"]`)
	waitFor(t, ctx, "scalar metrics", q+`('.artifact[data-type="system.Metrics"] table')?.textContent.includes("accuracy")`, 5*time.Second)
	waitFor(t, ctx, "confusion matrix and ROC", q+`(".cm-table") && `+q+`("svg.roc polyline")`, 5*time.Second)
	click(t, ctx, `svg.graph g.node[data-id="make-data"]`)
	waitFor(t, ctx, "make-data's panel", q+`('.artifact[data-name="data"]')`, 5*time.Second)
	click(t, ctx, `//div[@data-name="data"]//button[text()="Preview"]`)
	waitFor(t, ctx, "the dataset's first rows", q+`('.artifact[data-name="data"] .csv table')?.textContent.includes("feature")`, 5*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll('.artifact[data-name="data"] .csv tbody tr').length`); n != 7 {
		t.Errorf("dataset preview shows %d rows, want 7", n)
	}
	click(t, ctx, `svg.graph g.node[data-id="report"]`)
	waitFor(t, ctx, "report's panel", q+`('.artifact[data-name="html"]')`, 5*time.Second)
	click(t, ctx, `//div[@data-name="html"]//button[text()="Preview"]`)
	click(t, ctx, `//div[@data-name="summary"]//button[text()="Preview"]`)
	waitFor(t, ctx, "HTML and Markdown in sandboxed frames",
		q+`('.artifact[data-name="html"] iframe[sandbox=""]')?.srcdoc.includes("Report: demo") && `+q+`('.artifact[data-name="summary"] iframe[sandbox=""]')?.srcdoc.includes("<table>")`, 5*time.Second)

	// A second run by cloning the first, with another rate.
	click(t, ctx, `//a[text()="Clone"]`)
	waitFor(t, ctx, "the clone form", q+`("input[name=rows]")?.value === "7"`, 10*time.Second)
	run(t, ctx, chromedp.SetValue(`input[name=rate]`, "0.3"), chromedp.SetValue(`input[name=wait]`, "0"), chromedp.Click(`button[type=submit]`))
	waitFor(t, ctx, "the second run", `/^\/runs\/[0-9a-f-]{36}$/.test(location.pathname) && !location.pathname.endsWith("`+firstRun+`")`, 15*time.Second)
	secondRun := strings.TrimPrefix(eval[string](t, ctx, "location.pathname"), "/runs/")
	waitFor(t, ctx, "the second run to succeed", q+`(".page-head h1 .st-SUCCEEDED")`, 30*time.Second)

	// Compare: pick both in the run list.
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs"))
	waitFor(t, ctx, "the run list", `document.querySelectorAll("table.table tbody tr input[type=checkbox]").length === 2`, 10*time.Second)
	click(t, ctx, `tr[data-id="`+firstRun+`"] input[type=checkbox]`)
	click(t, ctx, `tr[data-id="`+secondRun+`"] input[type=checkbox]`)
	click(t, ctx, `//button[starts-with(text(), "Compare")]`)
	waitFor(t, ctx, "the comparison", `location.pathname === "/compare" && document.querySelectorAll("table.compare").length === 3`, 10*time.Second)
	rows := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("table.compare tbody tr")].map(r => [r.querySelector("th").textContent, r.className]))`)
	for name, want := range map[string]string{"rate": "differ", "rows": "same", "train › accuracy": "differ", "train › rows": "same"} {
		if rows[name] != want {
			t.Errorf("compare row %q: class %q, want %q (rows %v)", name, rows[name], want, rows)
		}
	}
	waitFor(t, ctx, "overlaid ROC curves", `document.querySelectorAll("svg.roc polyline").length === 2`, 5*time.Second)

	// Links: a KFP-style link lands on the run; the pipeline URL still works.
	run(t, ctx, chromedp.Navigate(srv.URL+"/#/runs/details/"+firstRun))
	waitFor(t, ctx, "the KFP link redirect", `location.pathname === "/runs/`+firstRun+`" && `+q+`(".page-head h1")?.textContent.includes("first run")`, 10*time.Second)
	run(t, ctx, chromedp.Navigate(srv.URL+pipelineURL+"?tab=params"))
	waitFor(t, ctx, "the parameters tab", q+`("main table")?.textContent.includes("Learning rate")`, 10*time.Second)
}

// TestBrowserLargeRun opens a 1,000-iteration ParallelFor run while it
// runs and reports (does not assert) the page's own timings: when the
// graph was drawn, when every task was listed, and the longest task that
// blocked the main thread. Its waits are generous: on a loaded machine
// the run itself (1,000 steps) takes minutes, and only the page's own
// timings are of interest.
func TestBrowserLargeRun(t *testing.T) {
	srv, ctx := browser(t)
	const n = 1000
	id, err := srv.RunSpec("large", uitest.Fanout(n))
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+id))
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__long = []; new PerformanceObserver(l => window.__long.push(...l.getEntries().map(e => e.duration))).observe({type: "longtask", buffered: true});`))
	waitFor(t, ctx, "the graph", q+`("svg.graph g.group.k-loop")`, 60*time.Second)
	click(t, ctx, `//a[text()="Tasks"]`)
	click(t, ctx, `//label[contains(., "Steps only")]/input`)
	total := 2*n + 2
	waitFor(t, ctx, "every task listed", q+`(".tasks-pane .muted")?.textContent.endsWith("of `+fmt.Sprint(total)+` tasks")`, 400*time.Second)
	listed := eval[float64](t, ctx, "performance.now()")
	state, err := srv.Wait(ctx, id)
	if err != nil || state != "SUCCEEDED" {
		t.Fatalf("large run: %s %v", state, err)
	}
	waitFor(t, ctx, "the run's end", q+`(".page-head h1 .st-SUCCEEDED")`, 60*time.Second)
	// Switch to the graph and back to the table: both must stay quick.
	start := eval[float64](t, ctx, "performance.now()")
	click(t, ctx, `//a[text()="Graph"]`)
	waitFor(t, ctx, "the loop's count", q+`("svg.graph g.group.k-loop title")?.textContent.includes("`+fmt.Sprintf("%d/%d done", n, n)+`")`, 60*time.Second)
	click(t, ctx, `//a[text()="Tasks"]`)
	run(t, ctx, chromedp.Evaluate[chromedp.Void](q+`(".vscroll").scrollTop = 30000`))
	waitFor(t, ctx, "table rows after scrolling", `document.querySelectorAll(".vrows .vrow").length > 10`, 60*time.Second)
	switched := eval[float64](t, ctx, "performance.now()") - start
	during := measure(t, ctx)

	// The same page opened again after the run ended (no CPU taken by steps).
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+id))
	run(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__long = []; new PerformanceObserver(l => window.__long.push(...l.getEntries().map(e => e.duration))).observe({type: "longtask", buffered: true});`))
	waitFor(t, ctx, "the finished graph", q+`("svg.graph g.group.k-loop title")?.textContent.includes("`+fmt.Sprintf("%d/%d done", n, n)+`")`, 60*time.Second)
	shown := eval[float64](t, ctx, "performance.now()")
	after := measure(t, ctx)
	t.Logf("1,000-task run (%d tasks), page's own timing.\n"+
		"  opened while running: graph drawn %.0f ms after navigation; all tasks listed at %.0f ms; graph/table switch and scroll %.0f ms; %s\n"+
		"  opened after the end: graph drawn %.0f ms after navigation; every state shown at %.0f ms; %s",
		total, during.graph, listed, switched, during.long, after.graph, shown, after.long)
}

type pageTiming struct {
	graph float64
	long  string
}

// measure reads the page's marks and the long tasks it observed.
func measure(t *testing.T, ctx context.Context) pageTiming {
	t.Helper()
	var timing struct {
		Graph   float64   `json:"graph"`
		Long    []float64 `json:"long"`
		DOMRows int       `json:"rows"`
	}
	raw := eval[string](t, ctx, `JSON.stringify({graph: performance.getEntriesByName("sluice:graph")[0]?.startTime || 0, long: window.__long, rows: document.querySelectorAll(".vrows .vrow").length})`)
	if err := json.Unmarshal([]byte(raw), &timing); err != nil {
		t.Fatal(err)
	}
	longest, sum := 0.0, 0.0
	for _, d := range timing.Long {
		sum += d
		longest = max(longest, d)
	}
	return pageTiming{graph: timing.Graph, long: fmt.Sprintf("%d long tasks (>50 ms), longest %.0f ms, %.0f ms in all; %d table rows in the DOM", len(timing.Long), longest, sum, timing.DOMRows)}
}

// TestBrowserDeleteAndArchive deletes pipeline versions (from the
// versions tab and the shown one from the header), then the pipeline with
// its remaining versions; archives a finished run, finds it in the
// archived view, restores it and deletes it; and deletes a run that is
// still running. Each is checked through the API. A delete the server
// refuses (the version is already gone) shows as an error toast.
func TestBrowserDeleteAndArchive(t *testing.T) {
	srv, ctx := browser(t)
	small, err := json.Marshal(uitest.Fanout(1))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := srv.Upload("doomed", small)
	if err != nil {
		t.Fatal(err)
	}
	var first struct {
		Versions []struct {
			ID string `json:"pipeline_version_id"`
		} `json:"pipeline_versions"`
	}
	if err := srv.Call("GET", "/apis/v2beta1/pipelines/"+pid+"/versions", nil, &first); err != nil || len(first.Versions) != 1 {
		t.Fatalf("versions of the uploaded pipeline: %v %+v", err, first)
	}
	v := map[string]string{"v1": first.Versions[0].ID}
	for _, name := range []string{"v2", "v3", "v4", "v5"} {
		if v[name], err = srv.UploadVersion(pid, name, small); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(what, path string) {
		t.Helper()
		err := srv.Call("GET", path, nil, nil)
		if err == nil || !strings.Contains(err.Error(), ": 404 ") {
			t.Fatalf("%s: GET %s: %v, want 404", what, path, err)
		}
	}
	versionPath := func(name string) string { return "/apis/v2beta1/pipelines/" + pid + "/versions/" + v[name] }
	row := func(name string) string { return `tr[data-id="` + v[name] + `"]` }
	confirm := func(what, text string) {
		t.Helper()
		waitFor(t, ctx, what+" confirmation", q+`("dialog[open].confirm")?.textContent.includes(`+jsString(text)+`)`, 5*time.Second)
		click(t, ctx, `dialog[open] button[type=submit]`)
	}

	// A version deleted from the versions tab.
	run(t, ctx, chromedp.Navigate(srv.URL+"/pipelines/"+pid+"?tab=versions"))
	waitFor(t, ctx, "five versions", `document.querySelectorAll("main tbody tr").length === 5`, 10*time.Second)
	click(t, ctx, row("v2")+` button.danger`)
	confirm("version", `Delete the version "v2" of the pipeline "doomed"?`)
	waitFor(t, ctx, "four versions left", `document.querySelectorAll("main tbody tr").length === 4 && !`+q+`('`+row("v2")+`')`, 10*time.Second)
	gone("deleted version", versionPath("v2"))

	// The server refuses a delete (the version went behind the page's
	// back): an error toast says so.
	if err := srv.Call("DELETE", versionPath("v3"), nil, nil); err != nil {
		t.Fatal(err)
	}
	click(t, ctx, row("v3")+` button.danger`)
	confirm("stale version", `"v3"`)
	waitFor(t, ctx, "an error toast", q+`("#toasts .toast.error")?.textContent.includes("`+v["v3"]+`")`, 5*time.Second)
	waitFor(t, ctx, "the dialog closed, the delete button usable again", `!`+q+`("dialog[open]") && !`+q+`('`+row("v3")+` button.danger').disabled`, 5*time.Second)

	// The version shown, deleted from the header: the page moves to the
	// latest version left.
	run(t, ctx, chromedp.Navigate(srv.URL+"/pipelines/"+pid+"/versions/"+v["v5"]))
	waitFor(t, ctx, "v5's graph", q+`("svg.graph g.node")`, 10*time.Second)
	click(t, ctx, `//div[@class="actions"]/button[text()="Delete version"]`)
	confirm("shown version", `"v5"`)
	waitFor(t, ctx, "the latest version left shown", `location.pathname === "/pipelines/`+pid+`" && `+q+`('select[aria-label="Version"]')?.value === "`+v["v4"]+`"`, 10*time.Second)
	gone("deleted shown version", versionPath("v5"))

	// The pipeline and its two remaining versions.
	click(t, ctx, `//div[@class="actions"]/button[text()="Delete pipeline"]`)
	confirm("pipeline", `Delete the pipeline "doomed" and its 2 versions?`)
	waitFor(t, ctx, "the pipeline list", `location.pathname === "/pipelines" && `+q+`(".empty-row")`, 10*time.Second)
	gone("deleted pipeline", "/apis/v2beta1/pipelines/"+pid)
	gone("version of the deleted pipeline", versionPath("v1"))
	gone("version of the deleted pipeline", versionPath("v4"))

	// A finished run: archive, find it in the archived view, restore, delete.
	done, err := srv.RunSpec("archive me", uitest.Fanout(1))
	if err != nil {
		t.Fatal(err)
	}
	busy, err := srv.RunSpec("still running", sleeper(60))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := srv.Wait(ctx, done); err != nil || st != "SUCCEEDED" {
		t.Fatalf("run: %s %v", st, err)
	}
	storage := func(id string) string {
		t.Helper()
		var r struct {
			StorageState string `json:"storage_state"`
		}
		if err := srv.Call("GET", "/apis/v2beta1/runs/"+id, nil, &r); err != nil {
			t.Fatal(err)
		}
		return r.StorageState
	}
	action := func(label string) string { return `//div[@class="actions"]/button[text()="` + label + `"]` }
	// The run page redraws its header's buttons as the run's events come:
	// find and click the button in one step, in the page, so that a redraw
	// between finding it and clicking it cannot lose the click.
	clickAction := func(label string) {
		t.Helper()
		waitFor(t, ctx, label+" clicked", `(() => { const b = document.evaluate('`+action(label)+`', document).iterateNext(); if (!b || b.disabled) return false; b.click(); return true })()`, 10*time.Second)
	}
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+done))
	waitFor(t, ctx, "the finished run", q+`(".page-head h1 .st-SUCCEEDED")`, 10*time.Second)
	clickAction("Archive")
	waitFor(t, ctx, "Restore offered", q+`(".page-head h1 .tag")?.textContent === "archived" && document.evaluate('`+action("Restore")+`', document).iterateNext()`, 10*time.Second)
	if s := storage(done); s != "ARCHIVED" {
		t.Fatalf("archived run's storage_state %q", s)
	}
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs"))
	waitFor(t, ctx, "the run list without the archived run", q+`('tr[data-id="`+busy+`"]') && !`+q+`('tr[data-id="`+done+`"]')`, 10*time.Second)
	click(t, ctx, `//label[contains(., "Archived")]/input`)
	waitFor(t, ctx, "the archived view", `location.search === "?archived=1" && `+q+`("main h1").textContent === "Archived runs" && `+q+`('tr[data-id="`+done+`"]') && !`+q+`('tr[data-id="`+busy+`"]')`, 10*time.Second)
	click(t, ctx, `tr[data-id="`+done+`"] a.strong`)
	waitFor(t, ctx, "the archived run's page", q+`(".page-head h1 .tag")`, 10*time.Second)
	clickAction("Restore")
	waitFor(t, ctx, "Archive offered again", `!`+q+`(".page-head h1 .tag") && document.evaluate('`+action("Archive")+`', document).iterateNext()`, 10*time.Second)
	if s := storage(done); s != "AVAILABLE" {
		t.Fatalf("restored run's storage_state %q", s)
	}
	clickAction("Delete")
	confirm("run", `Delete the run "archive me"?`)
	waitFor(t, ctx, "the run list", `location.pathname === "/runs" && `+q+`('tr[data-id="`+busy+`"]')`, 10*time.Second)
	gone("deleted run", "/apis/v2beta1/runs/"+done)

	// A running run: the dialog says it is stopped first.
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+busy))
	waitFor(t, ctx, "the running run", q+`(".page-head h1 .st-RUNNING")`, 15*time.Second)
	clickAction("Delete")
	confirm("running run", "it is stopped first, then deleted")
	if got := eval[string](t, ctx, q+`("dialog[open] button[type=submit]").textContent`); got != "Stop and delete run" {
		t.Errorf("confirm button %q", got)
	}
	waitFor(t, ctx, "the run list", `location.pathname === "/runs" && !`+q+`('tr[data-id="`+busy+`"]') && `+q+`(".empty-row")`, 10*time.Second)
	gone("deleted running run", "/apis/v2beta1/runs/"+busy)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// sleeper is a pipeline of one step that sleeps.
func sleeper(seconds int) map[string]any {
	var m map[string]any
	spec := fmt.Sprintf(`{"pipelineInfo": {"name": "sleeper"}, "schemaVersion": "2.1.0",
 "root": {"dag": {"tasks": {"nap": {"taskInfo": {"name": "nap"}, "componentRef": {"name": "comp-nap"}}}}},
 "components": {"comp-nap": {"executorLabel": "exec-nap"}},
 "deploymentSpec": {"executors": {"exec-nap": {"container": {"image": "alpine", "command": ["sleep", "%d"]}}}}}`, seconds)
	if err := json.Unmarshal([]byte(spec), &m); err != nil {
		panic(err)
	}
	return m
}

// TestBrowserFailedRunShowsWhy opens a run whose step failed: the run
// header shows the step, its error and the last lines of its log (the
// task record's log_tail, as the CLI shows it), and "Whole log" opens the
// step's full log in the side panel.
func TestBrowserFailedRunShowsWhy(t *testing.T) {
	srv, ctx := browser(t)
	spec := map[string]any{
		"pipelineInfo":  map[string]any{"name": "failing"},
		"schemaVersion": "2.1.0",
		"root": map[string]any{"dag": map[string]any{"tasks": map[string]any{
			"boom": map[string]any{"taskInfo": map[string]any{"name": "boom"}, "componentRef": map[string]any{"name": "comp-boom"}},
		}}},
		"components": map[string]any{"comp-boom": map[string]any{"executorLabel": "exec-boom"}},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-boom": map[string]any{"container": map[string]any{
			"image":   "python:3.12",
			"command": []string{"sh", "-c", `i=1; while [ $i -le 30 ]; do echo "line $i"; i=$((i+1)); done; echo "ValueError: could not convert string to float: 'a'" >&2; exit 1`},
		}}}},
	}
	id, err := srv.RunSpec("failing", spec)
	if err != nil {
		t.Fatal(err)
	}
	if state, err := srv.Wait(ctx, id); err != nil || state != "FAILED" {
		t.Fatalf("run: %s %v", state, err)
	}
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+id))
	box := `document.querySelector('.run-failure .failed-step[data-id="boom"]')`
	waitFor(t, ctx, "the failed step in the run header", box+`?.querySelector("pre.log.tail")?.textContent.endsWith("ValueError: could not convert string to float: 'a'")`, 15*time.Second)
	if got := eval[string](t, ctx, box+`.querySelector(".failed-head").textContent`); got != "boom failed: the step exited with code 1" {
		t.Errorf("failed step heading %q", got)
	}
	tail := eval[string](t, ctx, box+`.querySelector("pre.log.tail").textContent`)
	if lines := strings.Split(tail, "\n"); len(lines) != 20 || lines[0] != "line 12" {
		t.Errorf("the tail is not the last 20 lines of the log:\n%s", tail)
	}
	if !eval[bool](t, ctx, `!!(document.querySelector(".run-failure").compareDocumentPosition(document.querySelector(".tabs")) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Errorf("the failure is not above the tabs, under the run header")
	}
	waitFor(t, ctx, "the tail scrolled to its last line", box+`.querySelector("pre.log.tail").scrollTop > 0`, 5*time.Second)
	click(t, ctx, `.run-failure .failed-step[data-id="boom"] button`)
	waitFor(t, ctx, "the whole log in the side panel", q+`(".side pre.log")?.textContent.startsWith("line 1\nline 2\n")`, 10*time.Second)
	if !eval[bool](t, ctx, q+`(".side pre.log").textContent.includes("ValueError")`) {
		t.Errorf("the side panel's log lacks the error")
	}

	// The footer says which Sluice serves the page, as healthz does: a
	// test binary has no version control information.
	waitFor(t, ctx, "the version in the footer", `document.getElementById("version").textContent === "Sluice devel"`, 5*time.Second)
	if title := eval[string](t, ctx, `document.getElementById("version").title`); title != "commit unknown (healthz)" {
		t.Errorf("the footer's title %q", title)
	}
}
