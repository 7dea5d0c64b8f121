package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/ui/internal/uitest"
)

// resolve maps test host names to loopback inside the browser, as a
// DNS-rebinding attacker's name would resolve.
var resolve = chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1")

// names lists the display names of a collection the server holds
// ("runs", "pipelines", "experiments").
func names(t *testing.T, srv *uitest.Server, what string) []string {
	t.Helper()
	var page map[string]json.RawMessage
	if err := srv.Call("GET", "/apis/v2beta1/"+what+"?page_size=100", nil, &page); err != nil {
		t.Fatal(err)
	}
	var items []struct {
		DisplayName string `json:"display_name"`
	}
	if b := page[what]; b != nil {
		if err := json.Unmarshal(b, &items); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for _, x := range items {
		out = append(out, x.DisplayName)
	}
	return out
}

// attackerPage is a web page on another origin that tries every request a
// page can send without the server's consent: fetch()es in no-cors mode
// with each "simple" body (text/plain, form-urlencoded, a Blob without a
// type, multipart), a JSON fetch (which needs a preflight), a read, and
// form posts into frames (text/plain smuggling JSON, form-urlencoded,
// multipart to the upload route).
const attackerPage = `<!doctype html><html><body><script>
const S = %q;
const spec = %s;
const run = JSON.stringify({display_name: 'evil', pipeline_spec: spec});
const out = {};
async function tryFetch(name, url, init) {
  try { const r = await fetch(url, init); out[name] = r.type + ' ' + r.status; } catch (e) { out[name] = 'error ' + e.message; }
}
function post(name, action, enctype, fields) {
  return new Promise((resolve) => {
    const f = document.createElement('iframe');
    f.name = name;
    document.body.append(f);
    const form = document.createElement('form');
    form.method = 'POST'; form.action = action; form.enctype = enctype; form.target = name;
    for (const [k, v] of Object.entries(fields)) {
      const i = document.createElement('input');
      i.name = k; i.value = v;
      form.append(i);
    }
    document.body.append(form);
    f.onload = () => { out[name] = 'sent'; resolve(); };
    form.submit();
    setTimeout(() => { out[name] = out[name] || 'sent (no load event)'; resolve(); }, 5000);
  });
}
(async () => {
  await tryFetch('text/plain', S + '/apis/v2beta1/runs', {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: run});
  await tryFetch('urlencoded', S + '/apis/v2beta1/runs', {method: 'POST', mode: 'no-cors', body: new URLSearchParams({display_name: 'evil', pipeline_spec: JSON.stringify(spec)})});
  await tryFetch('no type', S + '/apis/v2beta1/runs', {method: 'POST', mode: 'no-cors', body: new Blob([run])});
  const fd = new FormData();
  fd.append('pipeline_spec', run);
  await tryFetch('multipart', S + '/apis/v2beta1/runs', {method: 'POST', mode: 'no-cors', body: fd});
  const up = new FormData();
  up.append('uploadfile', new Blob([JSON.stringify(spec)]), 'evil.json');
  await tryFetch('upload', S + '/apis/v2beta1/pipelines/upload?name=evil', {method: 'POST', mode: 'no-cors', body: up});
  await tryFetch('experiment', S + '/apis/v2beta1/experiments', {method: 'POST', mode: 'no-cors', body: '{"display_name": "evil"}'});
  await tryFetch('json', S + '/apis/v2beta1/runs', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: run});
  await tryFetch('read', S + '/apis/v2beta1/runs', {});
  await post('form text/plain', S + '/apis/v2beta1/runs', 'text/plain', {[run.slice(0, -1) + ', "x": "']: '"}'});
  await post('form urlencoded', S + '/apis/v2beta1/experiments', 'application/x-www-form-urlencoded', {display_name: 'evil'});
  await post('form multipart', S + '/apis/v2beta1/pipelines/upload?name=evil-form', 'multipart/form-data', {uploadfile: JSON.stringify(spec)});
  window.results = out;
})();
</script></body></html>`

// A page on another origin — another port of the same host (same-site),
// or another site — cannot create a run, upload a pipeline or create an
// experiment, by fetch() or by form; and a DNS-rebinding page (a name of
// the attacker's resolving to the server) cannot read anything.
func TestBrowserOtherOriginsCannotUseTheAPI(t *testing.T) {
	srv, ctx := browser(t, resolve)
	spec, err := json.Marshal(uitest.Fanout(1))
	if err != nil {
		t.Fatal(err)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackerPage, srv.URL, spec)
	}))
	defer evil.Close()
	_, evilPort, _ := strings.Cut(strings.TrimPrefix(evil.URL, "http://"), ":")

	for _, page := range []string{evil.URL + "/", "http://evil.test:" + evilPort + "/"} {
		run(t, ctx, chromedp.Navigate(page))
		waitFor(t, ctx, "the attacker page's requests", "window.results", 60*time.Second)
		results := eval[map[string]string](t, ctx, "window.results")
		t.Logf("%s: %v", page, results)
		if len(results) != 11 {
			t.Fatalf("the attacker page did not make every request: %v", results)
		}
		for _, name := range []string{"json", "read"} {
			if !strings.HasPrefix(results[name], "error") {
				t.Errorf("%s from %s: %s, want a CORS error", name, page, results[name])
			}
		}
	}
	if got := names(t, srv, "runs"); len(got) != 0 {
		t.Errorf("other origins created runs: %q", got)
	}
	if got := names(t, srv, "pipelines"); len(got) != 0 {
		t.Errorf("other origins uploaded pipelines: %q", got)
	}
	for _, e := range names(t, srv, "experiments") {
		if strings.Contains(e, "evil") {
			t.Errorf("other origins created experiment %q", e)
		}
	}

	// DNS rebinding: the attacker's name now resolves to the server, so
	// the attacker's script is same-origin with it — and gets nothing.
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	run(t, ctx, chromedp.Navigate("http://rebind.test:"+port+"/runs"))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Promise.all([
		fetch('/apis/v2beta1/runs').then(async r => r.status + ' ' + await r.text()),
		fetch('/apis/v2beta1/healthz').then(r => String(r.status)),
		fetch('/static/js/app.js').then(r => String(r.status)),
		fetch('/apis/v2beta1/experiments', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"display_name": "evil-rebind"}'}).then(r => String(r.status)),
	]).then(a => a.join(' | '))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "403 ") || !strings.Contains(got, "is not a name of this server") || !strings.HasSuffix(got, "| 403 | 403 | 403") {
		t.Errorf("a rebinding page read or wrote: %s", got)
	}
	if body := eval[string](t, ctx, "document.body.innerText"); !strings.Contains(body, "--allowed-hosts") {
		t.Errorf("the rebinding page's document: %q", body)
	}
	if len(names(t, srv, "runs")) != 0 {
		t.Errorf("the rebinding page created a run")
	}
}

// hostileSpec is a pipeline whose step writes an HTML artifact, an SVG
// artifact (XML, no file extension) and a directory artifact holding
// pic.svg (an image), each with a script that tries to create an
// experiment through the API and to reach the page that shows it.
func hostileSpec() map[string]any {
	script := func(name string) string {
		return `fetch('/apis/v2beta1/experiments',{method:'POST',headers:{'Content-Type':'application/json'},body:'{"display_name":"pwned-` + name + `"}'});` +
			`try{parent.document.title='pwned'}catch(e){}try{top.pwned='` + name + `'}catch(e){}` +
			`document.documentElement.setAttribute('data-ran','yes');`
	}
	html := `<html><body><h1>Hostile report</h1><script>` + script("html") + `</script></body></html>`
	svg := `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40"/><script><![CDATA[` + script("svg") + `]]></script></svg>`
	art := func(title string) map[string]any {
		return map[string]any{"artifactType": map[string]any{"schemaTitle": title, "schemaVersion": "0.0.1"}}
	}
	return map[string]any{
		"pipelineInfo":  map[string]any{"name": "hostile-artifacts"},
		"schemaVersion": "2.1.0",
		"root": map[string]any{"dag": map[string]any{"tasks": map[string]any{
			"write": map[string]any{"taskInfo": map[string]any{"name": "write"}, "componentRef": map[string]any{"name": "comp-write"}}}}},
		"components": map[string]any{"comp-write": map[string]any{"executorLabel": "exec-write",
			"outputDefinitions": map[string]any{"artifacts": map[string]any{"report": art("system.HTML"), "picture": art("system.Artifact"), "pictures": art("system.Artifact")}}}},
		"deploymentSpec": map[string]any{"executors": map[string]any{"exec-write": map[string]any{"container": map[string]any{
			"image": "alpine",
			"command": []any{"sh", "-c", `printf '%s' "$3" > "$0"; printf '%s' "$4" > "$1"; mkdir -p "$2"; printf '%s' "$4" > "$2/pic.svg"`,
				"{{$.outputs.artifacts['report'].path}}", "{{$.outputs.artifacts['picture'].path}}", "{{$.outputs.artifacts['pictures'].path}}", html, svg}}}}},
	}
}

// An HTML or SVG artifact is a step's output, that is anyone's: shown in the
// UI's preview, or opened by its URL (a link someone sent), its script
// must not reach the API or the page around it.
func TestBrowserArtifactScriptsCannotReachTheAPI(t *testing.T) {
	srv, ctx := browser(t)
	id, err := srv.RunSpec("hostile", hostileSpec())
	if err != nil {
		t.Fatal(err)
	}
	if st, err := srv.Wait(ctx, id); err != nil || st != "SUCCEEDED" {
		t.Fatalf("run: %s %v", st, err)
	}
	var tasks struct {
		Tasks []struct {
			TaskID  string `json:"task_id"`
			Outputs struct {
				Artifacts map[string][]struct {
					URI string `json:"uri"`
				} `json:"artifacts"`
			} `json:"outputs"`
		} `json:"tasks"`
	}
	if err := srv.Call("GET", "/apis/sluice/v1/runs/"+id+"/tasks", nil, &tasks); err != nil {
		t.Fatal(err)
	}
	uris := map[string]string{}
	for _, tk := range tasks.Tasks {
		for name, arts := range tk.Outputs.Artifacts {
			uris[name] = arts[0].URI
		}
	}
	if uris["report"] == "" || uris["picture"] == "" || uris["pictures"] == "" {
		t.Fatalf("artifacts: %v", tasks)
	}
	pwned := func(where string) {
		t.Helper()
		// Give any script that did run the time to reach the server.
		time.Sleep(time.Second)
		for _, e := range names(t, srv, "experiments") {
			if strings.HasPrefix(e, "pwned") {
				t.Fatalf("%s: an artifact's script reached the API (experiment %q)", where, e)
			}
		}
	}

	// The UI's preview.
	run(t, ctx, chromedp.Navigate(srv.URL+"/runs/"+id))
	waitFor(t, ctx, "the graph", q+`('svg.graph g.node[data-id="write"]')`, 15*time.Second)
	click(t, ctx, `svg.graph g.node[data-id="write"]`)
	waitFor(t, ctx, "the task panel", q+`(".side .panel-head")?.textContent.includes("write")`, 5*time.Second)
	click(t, ctx, `//aside//button[text()="Inputs & outputs"]`)
	waitFor(t, ctx, "the artifacts", q+`('.artifact[data-name="report"]') && `+q+`('.artifact[data-name="pictures"]')`, 5*time.Second)
	click(t, ctx, `//div[@data-name="report"]//button[text()="Preview"]`)
	click(t, ctx, `//div[@data-name="picture"]//button[text()="Preview"]`)
	click(t, ctx, `//div[@data-name="pictures"]//button[text()="Preview"]`)
	waitFor(t, ctx, "the directory's files", q+`('.artifact[data-name="pictures"] ul.files button')`, 10*time.Second)
	click(t, ctx, `//div[@data-name="pictures"]//ul//button[text()="Preview"]`)
	waitFor(t, ctx, "the previews: HTML in a sandboxed frame, SVG as text and as an image",
		q+`('.artifact[data-name="report"] iframe[sandbox=""]')?.srcdoc.includes("Hostile report") && `+
			q+`('.artifact[data-name="picture"] .art-body')?.textContent.includes("<svg") && `+
			q+`('.artifact[data-name="pictures"] img.art-img')?.complete`, 10*time.Second)
	pwned("the UI's preview")
	if title, mark := eval[string](t, ctx, "document.title"), eval[string](t, ctx, "String(window.pwned)"); title == "pwned" || mark != "undefined" {
		t.Fatalf("an artifact's script reached the UI page: title %q, window.pwned %s", title, mark)
	}

	// Opened by URL: inline when previewed, in the CSP sandbox; as an
	// attachment otherwise.
	for _, name := range []string{"report", "picture", "pictures"} {
		for _, preview := range []string{"&preview=true", ""} {
			u := srv.URL + "/apis/sluice/v1/artifacts?uri=" + url.QueryEscape(uris[name]) + preview
			if name == "pictures" {
				u += "&path=pic.svg"
			}
			_ = chromedp.Do(ctx, chromedp.Navigate(u)) // an attachment aborts the navigation
			pwned("opening " + u)
			if preview != "" {
				if ran := eval[string](t, ctx, "String(document.documentElement.getAttribute('data-ran'))"); ran != "null" {
					t.Errorf("%s: the artifact's script ran", u)
				}
				if origin := eval[string](t, ctx, "String(self.origin)"); origin != "null" {
					t.Errorf("%s: shown with origin %s, want the sandbox's opaque origin", u, origin)
				}
			}
		}
	}
}
