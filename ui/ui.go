package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
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

// file is an embedded file: served from the binary's own bytes (embed's
// files seek without a copy), with its content type and ETag worked out
// once.
type file struct {
	name  string
	etag  string
	ctype string
}

// contentTypes are the content types of the UI's files, by extension:
// written here rather than looked up with mime.TypeByExtension, whose
// first call loads the system's whole MIME database into memory.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
}

// contentType is the content type of an embedded file.
func contentType(name string) string {
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		return ct
	}
	return "application/octet-stream"
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
		f, err := static.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		files["/"+p] = &file{name: p, etag: `"` + hex.EncodeToString(h.Sum(nil)[:8]) + `"`, ctype: contentType(p)}
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
	body, err := static.Open(f.name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError) // cannot happen: the files are compiled in
		return
	}
	defer body.Close()
	http.ServeContent(w, r, "", mod, body.(io.ReadSeeker))
}
