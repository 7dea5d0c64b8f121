package api

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Artifacts are a step's output, that is anyone's: an HTML or SVG artifact
// must never run a script on the server's origin. They are served in a
// CSP sandbox, unsniffed, as attachments unless the UI asks for a preview
// (and then still in the sandbox).
func TestArtifactsAreServedSandboxed(t *testing.T) {
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) { c.ArtifactRoot = root })
	files := map[string]string{
		"report.html": `<script>fetch("/apis/v2beta1/experiments",{method:"POST",body:"{}"})</script>`,
		"pic.svg":     `<svg xmlns="http://www.w3.org/2000/svg"><script>parent.x=1</script></svg>`,
		"noext":       `<html><script>alert(1)</script></html>`,
		"dir/a b.txt": "x",
		"dir/ünï.txt": "y",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	get := func(q string) response {
		return ts.send(t, "GET", "/apis/sluice/v1/artifacts?"+q, "", nil, nil)
	}
	for name, content := range files {
		uri := url.QueryEscape(filepath.Join(root, name))
		for _, preview := range []bool{false, true} {
			q := "uri=" + uri
			disp := "attachment"
			if preview {
				q += "&preview=true"
				disp = "inline"
			}
			res := get(q)
			if res.Status != 200 || string(res.Body) != content {
				t.Fatalf("%s: %d %s", name, res.Status, res.Body)
			}
			h := res.Header
			if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox;") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s preview=%v: CSP %q", name, preview, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff", name)
			}
			if d := h.Get("Content-Disposition"); !strings.HasPrefix(d, disp+";") || !strings.Contains(d, "filename") {
				t.Errorf("%s preview=%v: Content-Disposition %q, want %s", name, preview, d, disp)
			}
		}
	}
	// A file inside a directory artifact, by ?path=.
	res := get("uri=" + url.QueryEscape(filepath.Join(root, "dir")) + "&path=" + url.QueryEscape("ünï.txt"))
	if res.Status != 200 || res.Header.Get("Content-Disposition") != "attachment; filename*=utf-8''%C3%BCn%C3%AF.txt" {
		t.Errorf("file in a directory: %d %q", res.Status, res.Header.Get("Content-Disposition"))
	}
}

// Every API answer, errors included, carries headers that keep browsers
// from sniffing, framing or rendering it.
func TestAPIHeaders(t *testing.T) {
	root := t.TempDir()
	ts := newTestServer(t, func(c *Config) { c.ArtifactRoot = root })
	for _, path := range []string{"/apis/v2beta1/healthz", "/apis/v2beta1/runs", "/apis/v2beta1/runs/nope", "/apis/nope", "/apis/sluice/v1/markdown?uri=/etc/passwd"} {
		h := ts.send(t, "GET", path, "", nil, nil).Header
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "SAMEORIGIN",
			"Referrer-Policy":        "same-origin",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", path, k, got, want)
			}
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || !strings.Contains(csp, "sandbox") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
}
