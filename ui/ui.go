package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// csp keeps the page to its own scripts: artifacts shown in frames
// (HTML, Markdown) inherit it, so they render without running scripts.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; frame-src 'self' blob: data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

type file struct {
	body  []byte
	etag  string
	ctype string
}

// Handler serves the UI: files under /static/, and the application page
// for every other GET path (each page of the UI has its own URL, e.g.
// /runs/{id}; the page's script routes on the path). It does not serve
// /apis/ or /metrics: mount it as the fallback handler.
func Handler() http.Handler {
	files := map[string]*file{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if strings.HasSuffix(p, ".js") {
			ct = "text/javascript; charset=utf-8"
		}
		files["/"+p] = &file{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
		return nil
	})
	if err != nil {
		panic("ui: embedded files: " + err.Error()) // cannot happen: the files are compiled in
	}
	index := files["/static/index.html"]
	start := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/static/") {
			f := files[r.URL.Path]
			if f == nil {
				http.NotFound(w, r)
				return
			}
			serve(w, r, f, start)
			return
		}
		h.Set("Content-Security-Policy", csp)
		serve(w, r, index, start)
	})
}

// serve writes an embedded file; browsers revalidate with its ETag, so a
// new binary's files are picked up at once and unchanged ones cost a 304.
func serve(w http.ResponseWriter, r *http.Request, f *file, mod time.Time) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", mod, bytes.NewReader(f.body))
}
