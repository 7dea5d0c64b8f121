package ui

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"
)

func TestHandlerServesPagesAndFiles(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	get := func(path string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	// Every page path gets the application page, with a strict policy.
	for _, p := range []string{"/", "/runs/abc", "/pipelines/p/versions/v", "/compare?runs=a,b"} {
		resp, body := get(p, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `<script type="module" src="/static/js/app.js">`) {
			t.Fatalf("%s: %d %.80q", p, resp.StatusCode, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
	// Pages and files: no sniffing, framed only by the UI, no Referer to
	// other sites.
	for _, p := range []string{"/", "/static/js/app.js", "/static/app.css"} {
		resp, _ := get(p, nil)
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "same-origin"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", p, k, got, want)
			}
		}
	}
	resp, body := get("/static/js/app.js", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(body, "navigate") {
		t.Fatalf("app.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := get("/static/js/app.js", map[string]string{"If-None-Match": etag}); etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: %d", etag, resp.StatusCode)
	}
	if resp, _ := get("/static/nope.js", nil); resp.StatusCode != 404 {
		t.Errorf("missing file: %d", resp.StatusCode)
	}
	if resp, err := http.Post(srv.URL+"/runs", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to a page: %v %v", resp.StatusCode, err)
	}
}

// Every module the page imports is embedded (a typo would only show in a
// browser).
func TestEveryImportedModuleIsEmbedded(t *testing.T) {
	entries, err := static.ReadDir("static/js")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
	}
	for _, e := range entries {
		b, _ := static.ReadFile("static/js/" + e.Name())
		for _, line := range strings.Split(string(b), "\n") {
			for _, marker := range []string{"from './", "import('./", "'./"} {
				if i := strings.Index(line, marker); i >= 0 && strings.Contains(line[i:], ".js'") {
					rest := line[i+len(marker):]
					name := rest[:strings.Index(rest, ".js'")+3]
					if !have[name] {
						t.Errorf("%s imports %s, which is not in static/js", e.Name(), name)
					}
				}
			}
		}
	}
}

// TestEveryFileHasAContentType: every embedded file has its content type
// in the handler's own table (the system's MIME database is not loaded to
// serve the UI), and is served whole with it.
func TestEveryFileHasAContentType(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want := contentTypes[path.Ext(p)]
		if want == "" {
			t.Errorf("%s: no content type for %q in contentTypes", p, path.Ext(p))
		}
		resp, err := http.Get(srv.URL + "/" + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		orig, _ := static.ReadFile(p)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want || !bytes.Equal(b, orig) {
			t.Errorf("%s: %d %q, %d bytes of %d", p, resp.StatusCode, resp.Header.Get("Content-Type"), len(b), len(orig))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
